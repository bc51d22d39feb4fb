using System.Text.Json;
using FastVideo.Tensors;

namespace FastVideo.Models.Encoders.ClipVision;

/// <summary>
/// transformers' <c>CLIPImageProcessor</c> for one RGB uint8 image [H, W, 3] → pixel_values F32 [1, 3, S, S]:
/// <list type="number">
/// <item>resize so the shorter side is <c>size.shortest_edge</c> (longer side ⌊short_target·long/short⌋), Pillow bicubic on uint8;</item>
/// <item>center crop to <c>crop_size</c> (top = ⌊(H − h)/2⌋, left = ⌊(W − w)/2⌋; zero padding if the image is smaller);</item>
/// <item>rescale: float32(value · rescale_factor) with the product in float64, as numpy does;</item>
/// <item>normalise: (x − mean[c]) / std[c] in float32; then channels first.</item>
/// </list>
/// </summary>
public sealed record ClipImageProcessor
{
    public bool DoResize { get; init; } = true;
    public int ShortestEdge { get; init; } = 224;
    public bool DoCenterCrop { get; init; } = true;
    public int CropHeight { get; init; } = 224;
    public int CropWidth { get; init; } = 224;
    public bool DoRescale { get; init; } = true;
    public double RescaleFactor { get; init; } = 1.0 / 255;
    public bool DoNormalize { get; init; } = true;
    public float[] ImageMean { get; init; } = [0.48145466f, 0.4578275f, 0.40821073f];
    public float[] ImageStd { get; init; } = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>Reads <c>preprocessor_config.json</c>; missing keys keep CLIPImageProcessor's defaults. Only bicubic (resample 3) is supported.</summary>
    public static ClipImageProcessor FromFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"preprocessor config not found: {path}", path);
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            root = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: invalid JSON ({e.Message})", e);
        }
        var p = new ClipImageProcessor();
        bool Bool(string key, bool fallback) => root.TryGetProperty(key, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;
        float[] Floats(string key, float[] fallback)
        {
            if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
            if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != 3 || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Number))
                throw new InvalidDataException($"{path}: '{key}' must be a list of 3 numbers");
            return v.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        }
        if (root.TryGetProperty("resample", out var resample) && resample.ValueKind == JsonValueKind.Number && resample.GetInt32() != 3)
            throw new NotSupportedException($"{path}: resample {resample.GetInt32()} is not supported; only bicubic (3)");
        int shortest = p.ShortestEdge;
        if (root.TryGetProperty("size", out var size))
        {
            if (size.ValueKind == JsonValueKind.Number) shortest = size.GetInt32();
            else if (size.ValueKind == JsonValueKind.Object && size.TryGetProperty("shortest_edge", out var se)) shortest = se.GetInt32();
            else throw new NotSupportedException($"{path}: 'size' {size.GetRawText()} is not supported; expected {{\"shortest_edge\": N}}");
        }
        int cropH = p.CropHeight, cropW = p.CropWidth;
        if (root.TryGetProperty("crop_size", out var crop))
        {
            if (crop.ValueKind == JsonValueKind.Number) cropH = cropW = crop.GetInt32();
            else if (crop.ValueKind == JsonValueKind.Object && crop.TryGetProperty("height", out var ch) && crop.TryGetProperty("width", out var cw))
                (cropH, cropW) = (ch.GetInt32(), cw.GetInt32());
            else throw new InvalidDataException($"{path}: 'crop_size' must be {{\"height\": H, \"width\": W}} or a number");
        }
        if (shortest <= 0 || cropH <= 0 || cropW <= 0)
            throw new InvalidDataException($"{path}: size/crop_size must be positive (shortest_edge {shortest}, crop {cropH}×{cropW})");
        return p with
        {
            DoResize = Bool("do_resize", p.DoResize),
            ShortestEdge = shortest,
            DoCenterCrop = Bool("do_center_crop", p.DoCenterCrop),
            CropHeight = cropH,
            CropWidth = cropW,
            DoRescale = Bool("do_rescale", p.DoRescale),
            RescaleFactor = root.TryGetProperty("rescale_factor", out var rf) && rf.ValueKind == JsonValueKind.Number ? rf.GetDouble() : p.RescaleFactor,
            DoNormalize = Bool("do_normalize", p.DoNormalize),
            ImageMean = Floats("image_mean", p.ImageMean),
            ImageStd = Floats("image_std", p.ImageStd),
        };
    }

    /// <summary>HF <c>get_resize_output_image_size(default_to_square=False)</c>: (height, width) with the shorter side = <see cref="ShortestEdge"/>.</summary>
    public (int Height, int Width) ResizedSize(int height, int width)
    {
        int shortSide = Math.Min(height, width), longSide = Math.Max(height, width);
        if (ShortestEdge == shortSide) return (height, width);
        int newLong = (int)(ShortestEdge * (double)longSide / shortSide);
        return width <= height ? (newLong, ShortestEdge) : (ShortestEdge, newLong);
    }

    /// <summary>pixel_values F32 [1, 3, H', W'] for an RGB uint8 image laid out [height, width, 3].</summary>
    public Tensor Preprocess(ReadOnlySpan<byte> rgb, int height, int width, IAllocator? allocator = null)
    {
        if (height <= 0 || width <= 0)
            throw new ArgumentOutOfRangeException(nameof(height), $"image size {height}×{width} must be positive");
        if (rgb.Length != (long)height * width * 3)
            throw new ArgumentException($"image has {rgb.Length} bytes, expected {height}×{width}×3 = {(long)height * width * 3} (RGB uint8, [height, width, 3])", nameof(rgb));
        byte[] img = rgb.ToArray();
        int h = height, w = width;
        if (DoResize)
        {
            var (rh, rw) = ResizedSize(h, w);
            img = PilBicubic.Resize(img, h, w, 3, rh, rw);
            (h, w) = (rh, rw);
        }
        if (DoCenterCrop)
        {
            img = CenterCrop(img, h, w, CropHeight, CropWidth);
            (h, w) = (CropHeight, CropWidth);
        }
        var values = new float[3 * h * w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++)
                {
                    byte u = img[(y * w + x) * 3 + c];
                    float v = DoRescale ? (float)(u * RescaleFactor) : u;
                    if (DoNormalize) v = (v - ImageMean[c]) / ImageStd[c];
                    values[(c * h + y) * w + x] = v;
                }
        return Tensor.FromHost<float>(allocator ?? CpuAllocator.Shared, values, [1, 3, h, w]);
    }

    /// <summary>HF <c>center_crop</c>: Python floor division for the offsets; pads with zeros (centred, ceil) when the image is smaller.</summary>
    internal static byte[] CenterCrop(byte[] img, int h, int w, int cropH, int cropW)
    {
        int top = FloorDiv(h - cropH, 2), left = FloorDiv(w - cropW, 2);
        int newH = Math.Max(cropH, h), newW = Math.Max(cropW, w);
        int topPad = (newH - h + 1) / 2, leftPad = (newW - w + 1) / 2;
        var dst = new byte[cropH * cropW * 3];
        for (int y = 0; y < cropH; y++)
            for (int x = 0; x < cropW; x++)
            {
                // Source pixel: inside the image the window starts at top/left; where the image is smaller than the
                // crop, the window is the padded canvas and the image sits topPad/leftPad into it.
                int sy = h < cropH ? y - topPad : top + y;
                int sx = w < cropW ? x - leftPad : left + x;
                if (sy < 0 || sy >= h || sx < 0 || sx >= w) continue;
                for (int c = 0; c < 3; c++) dst[(y * cropW + x) * 3 + c] = img[(sy * w + sx) * 3 + c];
            }
        return dst;
    }

    private static int FloorDiv(int a, int b) => (int)Math.Floor(a / (double)b);
}
