using System.Text.Json;
using FastVideo.Pipelines;
using FastVideo.Tensors;

namespace FastVideo.Models.Encoders.ClipVision;

/// <summary>
/// transformers' <c>CLIPImageProcessor</c> for one RGB uint8 image [H, W, 3] → pixel_values F32 [1, 3, H', W']:
/// <list type="number">
/// <item>resize (Pillow, on uint8, filter <see cref="Resample"/>): to <c>size.height × size.width</c> when given, else so
/// the shorter side is <c>size.shortest_edge</c> (longer side ⌊short_target·long/short⌋);</item>
/// <item>center crop to <c>crop_size</c> (top = ⌊(H − h)/2⌋, left = ⌊(W − w)/2⌋; zero padding if the image is smaller);</item>
/// <item>rescale: float32(value · rescale_factor) with the product in float64, as numpy does;</item>
/// <item>normalise: (x − mean[c]) / std[c] in float32; then channels first.</item>
/// </list>
/// <c>do_convert_rgb</c> has nothing to do: the input is RGB already (<see cref="FastVideo.Pipelines.RgbImage"/> converts).
/// </summary>
public sealed record ClipImageProcessor
{
    public bool DoResize { get; init; } = true;
    /// <summary>Target of the shorter side (<c>size.shortest_edge</c>); unused when <see cref="ResizeTo"/> is set.</summary>
    public int ShortestEdge { get; init; } = 224;
    /// <summary>Exact resize target (<c>size = {"height", "width"}</c>, or <c>use_square_size</c>); null: shortest-edge rule.</summary>
    public (int Height, int Width)? ResizeTo { get; init; }
    /// <summary>Pillow filter number (<c>PIL.Image.Resampling</c>): 0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming.</summary>
    public int Resample { get; init; } = (int)PilFilter.Bicubic;
    public bool DoCenterCrop { get; init; } = true;
    public int CropHeight { get; init; } = 224;
    public int CropWidth { get; init; } = 224;
    public bool DoRescale { get; init; } = true;
    public double RescaleFactor { get; init; } = 1.0 / 255;
    public bool DoNormalize { get; init; } = true;
    public float[] ImageMean { get; init; } = [0.48145466f, 0.4578275f, 0.40821073f];
    public float[] ImageStd { get; init; } = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>
    /// Reads <c>preprocessor_config.json</c> as <c>CLIPImageProcessor(**config)</c> would: missing keys keep the
    /// library's defaults; <c>size</c> may be an int (shortest edge), [h, w], or a dict with shortest_edge (a
    /// longest_edge beside it is unused by CLIPImageProcessor.resize) or height and width; <c>crop_size</c> an int,
    /// [h, w] or {height, width}; image_mean/std a list of 3 or one number for every channel. Values the library
    /// rejects, or that this port cannot reproduce, raise an exception naming the file and key.
    /// </summary>
    public static ClipImageProcessor FromFile(string path)
    {
        var j = ConfigJson.Load(path);
        var d = new ClipImageProcessor();
        bool doResize = j.Bool("do_resize", d.DoResize), doCrop = j.Bool("do_center_crop", d.DoCenterCrop);
        bool doNormalize = j.Bool("do_normalize", d.DoNormalize);
        int resample = j.Int("resample", d.Resample);
        if (!Enum.IsDefined(typeof(PilFilter), resample))
            throw new InvalidDataException($"{path}: 'resample' = {resample} is not a PIL resampling filter (0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming)");

        var (shortest, resizeTo) = ReadSize(j, doResize);
        if (j.Bool("use_square_size", false) && resizeTo is null) resizeTo = (shortest, shortest); // KOSMOS-2 compatibility in __init__
        var (cropH, cropW) = ReadCropSize(j, doCrop) ?? (d.CropHeight, d.CropWidth);
        return new ClipImageProcessor
        {
            DoResize = doResize,
            ShortestEdge = shortest,
            ResizeTo = resizeTo,
            Resample = resample,
            DoCenterCrop = doCrop,
            CropHeight = cropH,
            CropWidth = cropW,
            DoRescale = j.Bool("do_rescale", d.DoRescale),
            RescaleFactor = j.Double("rescale_factor", d.RescaleFactor),
            DoNormalize = doNormalize,
            ImageMean = ReadPerChannel(j, "image_mean", d.ImageMean, doNormalize),
            ImageStd = ReadPerChannel(j, "image_std", d.ImageStd, doNormalize),
        };
    }

    private static int SizeValue(ConfigJson j, string key, JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int n))
            throw new InvalidDataException($"{j.Path}: '{key}' must hold integers, got {v.GetRawText()}");
        if (n <= 0) throw new InvalidDataException($"{j.Path}: '{key}' must be positive, got {n}");
        return n;
    }

    /// <summary>transformers' <c>get_size_dict(size, default_to_square=False)</c>, then what CLIPImageProcessor.resize reads of it.</summary>
    private static (int Shortest, (int, int)? Exact) ReadSize(ConfigJson j, bool doResize)
    {
        const int fallback = 224;
        if (j.Raw("size") is not { } size) return (fallback, null);
        switch (size.ValueKind)
        {
            case JsonValueKind.Number: return (SizeValue(j, "size", size), null);
            case JsonValueKind.Array when size.GetArrayLength() == 2:
                return (fallback, (SizeValue(j, "size", size[0]), SizeValue(j, "size", size[1])));
            case JsonValueKind.Object:
                var keys = size.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
                string keySet = string.Join(",", keys);
                if (keySet is not ("height,width" or "shortest_edge" or "longest_edge,shortest_edge" or "longest_edge" or "max_height,max_width"))
                    throw new InvalidDataException($"{j.Path}: 'size' {size.GetRawText()} has keys transformers' get_size_dict rejects");
                if (size.TryGetProperty("shortest_edge", out var se)) return (SizeValue(j, "size.shortest_edge", se), null);
                if (size.TryGetProperty("height", out var h)) return (fallback, (SizeValue(j, "size.height", h), SizeValue(j, "size.width", size.GetProperty("width"))));
                if (doResize)
                    throw new InvalidDataException($"{j.Path}: 'size' {size.GetRawText()}: CLIPImageProcessor.resize needs 'shortest_edge' or 'height' and 'width'");
                return (fallback, null);
            default:
                throw new InvalidDataException($"{j.Path}: 'size' must be an integer, [height, width] or a size dict, got {size.GetRawText()}");
        }
    }

    /// <summary>transformers' <c>get_size_dict(crop_size, default_to_square=True)</c>; center_crop needs height and width.</summary>
    private static (int, int)? ReadCropSize(ConfigJson j, bool doCrop)
    {
        if (j.Raw("crop_size") is not { } crop) return null;
        switch (crop.ValueKind)
        {
            case JsonValueKind.Number:
                int n = SizeValue(j, "crop_size", crop);
                return (n, n);
            case JsonValueKind.Array when crop.GetArrayLength() == 2:
                return (SizeValue(j, "crop_size", crop[0]), SizeValue(j, "crop_size", crop[1]));
            case JsonValueKind.Object when crop.TryGetProperty("height", out var h) && crop.TryGetProperty("width", out var w):
                return (SizeValue(j, "crop_size.height", h), SizeValue(j, "crop_size.width", w));
            default:
                if (!doCrop) return null;
                throw new InvalidDataException($"{j.Path}: 'crop_size' must be an integer, [height, width] or {{\"height\": H, \"width\": W}}, got {crop.GetRawText()}");
        }
    }

    /// <summary>image_mean / image_std: one value per channel, or one number for all (transformers' <c>normalize</c>).</summary>
    private static float[] ReadPerChannel(ConfigJson j, string key, float[] fallback, bool used)
    {
        if (j.Raw(key) is not { } v) return fallback;
        if (v.ValueKind == JsonValueKind.Number) return [(float)v.GetDouble(), (float)v.GetDouble(), (float)v.GetDouble()];
        if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Number))
            throw new InvalidDataException($"{j.Path}: '{key}' must be a number or a list of numbers, got {v.GetRawText()}");
        var values = v.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        if (values.Length != 3 && used)
            throw new InvalidDataException($"{j.Path}: '{key}' has {values.Length} values; an RGB image has 3 channels");
        return values;
    }

    /// <summary>
    /// The pixel_values height and width whatever the input size: the crop when cropping, else an exact resize target;
    /// null when the output follows the input (shortest-edge resize without crop, or no resize and no crop).
    /// </summary>
    public (int Height, int Width)? FixedOutputSize =>
        DoCenterCrop ? (CropHeight, CropWidth) : DoResize && ResizeTo is { } t ? t : null;

    /// <summary>
    /// The resize target: <see cref="ResizeTo"/> when set, else HF <c>get_resize_output_image_size(default_to_square=False)</c>:
    /// (height, width) with the shorter side = <see cref="ShortestEdge"/>. A very elongated image gives a huge
    /// target (16384×1 → 224×3 670 016): one over <see cref="ImageLimits.MaxPixels"/> is refused, where transformers
    /// would try to allocate it.
    /// </summary>
    /// <exception cref="ArgumentException">the resized image would exceed <see cref="ImageLimits.MaxPixels"/>; the
    /// message gives both sizes and the rule.</exception>
    public (int Height, int Width) ResizedSize(int height, int width)
    {
        if (ResizeTo is { } exact) return exact;
        int shortSide = Math.Min(height, width), longSide = Math.Max(height, width);
        if (ShortestEdge == shortSide) return (height, width);
        double newLong = Math.Floor(ShortestEdge * (double)longSide / shortSide);
        if (newLong * ShortestEdge > ImageLimits.MaxPixels)
            throw new ArgumentException(
                $"an image of {width}×{height} would be resized to {(width <= height ? $"{ShortestEdge}×{newLong:0}" : $"{newLong:0}×{ShortestEdge}")} " +
                $"for the image encoder (shorter side → {ShortestEdge}), more than {ImageLimits.MaxPixels} pixels (2^28): its aspect ratio " +
                $"{longSide / (double)shortSide:0.#}:1 is too extreme; crop the image closer to the video's shape");
        return width <= height ? ((int)newLong, ShortestEdge) : (ShortestEdge, (int)newLong);
    }

    /// <summary>pixel_values F32 [1, 3, H', W'] for an RGB uint8 image laid out [height, width, 3].</summary>
    public Tensor Preprocess(ReadOnlySpan<byte> rgb, int height, int width, IAllocator? allocator = null)
    {
        if (height <= 0 || width <= 0)
            throw new ArgumentOutOfRangeException(nameof(height), $"image size {height}×{width} must be positive");
        if (rgb.Length != (long)height * width * 3)
            throw new ArgumentException($"image has {rgb.Length} bytes, expected {height}×{width}×3 = {(long)height * width * 3} (RGB uint8, [height, width, 3])", nameof(rgb));
        Validate();
        byte[] img = rgb.ToArray();
        int h = height, w = width;
        if (DoResize)
        {
            var (rh, rw) = ResizedSize(h, w);
            img = PilBicubic.Resize(img, h, w, 3, rh, rw, (PilFilter)Resample);
            (h, w) = (rh, rw);
        }
        if (DoCenterCrop)
        {
            img = CenterCrop(img, h, w, CropHeight, CropWidth);
            (h, w) = (CropHeight, CropWidth);
        }
        var values = new float[3L * h * w];
        for (long y = 0; y < h; y++)
            for (long x = 0; x < w; x++)
                for (int c = 0; c < 3; c++)
                {
                    byte u = img[(y * w + x) * 3 + c];
                    float v = DoRescale ? (float)(u * RescaleFactor) : u;
                    if (DoNormalize) v = (v - ImageMean[c]) / ImageStd[c];
                    values[(c * h + y) * w + x] = v;
                }
        return Tensor.FromHost<float>(allocator ?? CpuAllocator.Shared, values, [1, 3, h, w]);
    }

    /// <summary>Settings made in code are checked like those read from a file.</summary>
    private void Validate()
    {
        if (!Enum.IsDefined(typeof(PilFilter), Resample))
            throw new InvalidOperationException($"CLIPImageProcessor: Resample {Resample} is not a PIL resampling filter (0..5)");
        if (DoResize && (ResizeTo is { } t ? t.Height <= 0 || t.Width <= 0 : ShortestEdge <= 0))
            throw new InvalidOperationException($"CLIPImageProcessor: resize target must be positive (shortest_edge {ShortestEdge}, size {ResizeTo})");
        if (DoCenterCrop && (CropHeight <= 0 || CropWidth <= 0))
            throw new InvalidOperationException($"CLIPImageProcessor: crop_size {CropHeight}×{CropWidth} must be positive");
        if (DoNormalize && (ImageMean.Length != 3 || ImageStd.Length != 3))
            throw new InvalidOperationException($"CLIPImageProcessor: image_mean/image_std need 3 values, got {ImageMean.Length}/{ImageStd.Length}");
    }

    /// <summary>HF <c>center_crop</c>: Python floor division for the offsets; pads with zeros (centred, ceil) when the image is smaller.</summary>
    internal static byte[] CenterCrop(byte[] img, int h, int w, int cropH, int cropW)
    {
        int top = FloorDiv(h - cropH, 2), left = FloorDiv(w - cropW, 2);
        int newH = Math.Max(cropH, h), newW = Math.Max(cropW, w);
        int topPad = (newH - h + 1) / 2, leftPad = (newW - w + 1) / 2;
        var dst = new byte[3L * cropH * cropW];
        for (long y = 0; y < cropH; y++)
            for (long x = 0; x < cropW; x++)
            {
                // Source pixel: inside the image the window starts at top/left; where the image is smaller than the
                // crop, the window is the padded canvas and the image sits topPad/leftPad into it.
                long sy = h < cropH ? y - topPad : top + y;
                long sx = w < cropW ? x - leftPad : left + x;
                if (sy < 0 || sy >= h || sx < 0 || sx >= w) continue;
                for (int c = 0; c < 3; c++) dst[(y * cropW + x) * 3 + c] = img[(sy * w + sx) * 3 + c];
            }
        return dst;
    }

    private static int FloorDiv(int a, int b) => (int)Math.Floor(a / (double)b);
}
