using FastVideo.Models.Encoders.ClipVision;
using FastVideo.Tensors;
using ImageMagick;

namespace FastVideo.Pipelines;

/// <summary>An 8-bit RGB image, row-major [Height, Width, 3] (what PIL's <c>Image.convert("RGB")</c> holds).</summary>
public sealed class RgbImage
{
    public RgbImage(byte[] rgb, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (height < 1 || width < 1) throw new ArgumentOutOfRangeException(nameof(height), $"image size {height}×{width} must be positive");
        if (rgb.LongLength != (long)height * width * 3)
            throw new ArgumentException($"{rgb.LongLength} bytes do not hold an RGB image of {height}×{width} ({(long)height * width * 3} bytes)", nameof(rgb));
        Rgb = rgb;
        Height = height;
        Width = width;
    }

    public byte[] Rgb { get; }
    public int Height { get; }
    public int Width { get; }

    /// <summary>
    /// diffusers' <c>load_image</c>: reads an image file (PNG, JPEG, WebP, ...), applies its EXIF orientation
    /// (<c>ImageOps.exif_transpose</c>) and returns 8-bit RGB; alpha is dropped without compositing, as
    /// <c>convert("RGB")</c> does. 16-bit PNGs follow Pillow (see <see cref="Png16"/>).
    /// </summary>
    /// <exception cref="FileNotFoundException">no such file.</exception>
    /// <exception cref="InvalidDataException">the file is not an image ImageMagick can read, or is truncated.</exception>
    /// <exception cref="NotSupportedException">an interlaced 16-bit PNG (see <see cref="Png16"/>).</exception>
    public static RgbImage Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"input image not found: {full}", full);
        try
        {
            if (Png16.TryDecode(File.ReadAllBytes(full), full) is { } png16) return Oriented(png16, full);
            using var image = new MagickImage(full);
            image.AutoOrient();  // EXIF orientation 2–8 → flips/rotations, as ImageOps.exif_transpose
            image.ColorSpace = ColorSpace.sRGB;
            int w = (int)image.Width, h = (int)image.Height;
            using var pixels = image.GetPixels();
            var rgb = pixels.ToByteArray(PixelMapping.RGB) ?? throw new InvalidDataException($"{full}: no pixel data");
            return new RgbImage(rgb, h, w);
        }
        catch (MagickException e)
        {
            throw new InvalidDataException($"{full}: cannot read the image ({e.Message})", e);
        }
    }

    /// <summary>Applies the EXIF orientation of the file (read by ImageMagick without decoding pixels) to an image decoded here.</summary>
    private static RgbImage Oriented(RgbImage image, string path)
    {
        using var info = new MagickImage();
        info.Ping(path);
        var orientation = info.Orientation;
        if ((int)orientation is 0 or 1) return image;  // Undefined, TopLeft (EXIF 1): nothing to transpose
        using var magick = new MagickImage(image.Rgb, new PixelReadSettings((uint)image.Width, (uint)image.Height, StorageType.Char, PixelMapping.RGB));
        magick.Orientation = orientation;
        magick.AutoOrient();
        using var pixels = magick.GetPixels();
        var rgb = pixels.ToByteArray(PixelMapping.RGB) ?? throw new InvalidDataException($"{path}: no pixel data after orientation");
        return new RgbImage(rgb, (int)magick.Height, (int)magick.Width);
    }

    /// <summary>Pillow's <c>resize((width, height), LANCZOS)</c> (diffusers' VaeImageProcessor default); a no-op copy at the same size.</summary>
    public RgbImage ResizeLanczos(int height, int width) =>
        new(PilBicubic.Resize(Rgb, Height, Width, 3, height, width, PilFilter.Lanczos), height, width);

    /// <summary>
    /// diffusers' <c>VaeImageProcessor.preprocess</c> after the resize: v/255 in float32, then 2·v − 1, channels
    /// first: F32 [1, 3, Height, Width] in [−1, 1] on <paramref name="allocator"/>'s device.
    /// </summary>
    public Tensor ToSignedUnitTensor(IAllocator allocator)
    {
        ArgumentNullException.ThrowIfNull(allocator);
        int hw = Height * Width;
        var values = new float[3 * hw];
        for (int i = 0; i < hw; i++)
            for (int c = 0; c < 3; c++)
                values[c * hw + i] = 2f * (Rgb[i * 3 + c] / 255f) - 1f;
        return Tensor.FromHost<float>(allocator, values, [1, 3, Height, Width]);
    }
}
