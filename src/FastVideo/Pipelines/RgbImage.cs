using FastVideo.Loading;
using FastVideo.Media;
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
    /// diffusers' <c>load_image</c>: reads an image file (PNG, JPEG, WebP, GIF, BMP, ...; the format is told by the
    /// content, as Pillow does, not by the extension), applies its EXIF orientation (<c>ImageOps.exif_transpose</c>)
    /// and returns 8-bit RGB; alpha is dropped without compositing, as <c>convert("RGB")</c> does. 16-bit PNGs follow
    /// Pillow (see <see cref="Png16"/>); an animation gives its first frame. Hostile input is refused before it costs
    /// anything: a node that is not a regular file (device, FIFO, socket, folder) is never opened, at most
    /// <see cref="ImageLimits.MaxFileBytes"/> are read, and the size in the header must be within
    /// <see cref="ImageLimits"/> before any pixel is allocated. A truncated or corrupt file is an error, as Pillow's
    /// "image file is truncated", where ImageMagick would only warn and fill the rest with grey.
    /// </summary>
    /// <exception cref="FileNotFoundException">no such file.</exception>
    /// <exception cref="InvalidDataException">not a regular file, over the limits, empty, not an image ImageMagick can
    /// read, truncated or corrupt; the message names the file.</exception>
    /// <exception cref="NotSupportedException">an interlaced 16-bit PNG (see <see cref="Png16"/>).</exception>
    public static RgbImage Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var file = ReadBounded(full);
        ImageLimits.ApplyToImageMagick();
        try
        {
            if (Png16.TryDecode(file, full) is { } png16) return Oriented(png16, file, full);
            CheckHeaderSize(file, full);
            using var image = new MagickImage();
            string? corruption = null;
            image.Warning += (_, e) => corruption ??= Corruption(e);
            image.Read(file, new MagickReadSettings { FrameIndex = 0, FrameCount = 1 });
            if (corruption is not null) throw new InvalidDataException($"{full}: truncated or corrupt image ({Reason(corruption)})");
            ImageLimits.Check(full, image.Width, image.Height);
            image.AutoOrient();  // EXIF orientation 2–8 → flips/rotations, as ImageOps.exif_transpose
            image.ColorSpace = ColorSpace.sRGB;
            int w = (int)image.Width, h = (int)image.Height;
            using var pixels = image.GetPixels();
            var rgb = pixels.ToByteArray(PixelMapping.RGB) ?? throw new InvalidDataException($"{full}: no pixel data");
            return new RgbImage(rgb, h, w);
        }
        catch (MagickException e) when (e is MagickResourceLimitErrorException or MagickCacheErrorException || e.Message.Contains("ExceedsLimit", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{full}: the image is too large to decode (input images may have {ImageLimits.Rule}; {Reason(e.Message)})", e);
        }
        catch (MagickException e)
        {
            throw new InvalidDataException($"{full}: cannot read the image ({Reason(e.Message)})", e);
        }
    }

    /// <summary>The file's bytes (<see cref="InputFile"/>: only a regular file is opened, reading stops past
    /// <see cref="ImageLimits.MaxFileBytes"/>); an empty file is an error.</summary>
    private static byte[] ReadBounded(string full)
    {
        if (FileNode.Kind(full) == FileNodeKind.Missing) throw new FileNotFoundException($"input image not found: {full}", full);
        var data = InputFile.ReadAllBytes(full, ImageLimits.MaxFileBytes, "an image file");
        if (data.Length == 0) throw new InvalidDataException($"{full}: the file is empty (0 bytes), not an image");
        return data;
    }

    /// <summary>Refuses a size over <see cref="ImageLimits"/> from the header alone: PNG's IHDR here, other formats by ImageMagick's ping (no pixels).</summary>
    private static void CheckHeaderSize(byte[] file, string full)
    {
        if (Png16.HeaderSize(file) is { } png)
        {
            ImageLimits.Check(full, png.Width, png.Height);
            return;
        }
        var info = new MagickImageInfo(file);
        ImageLimits.Check(full, info.Width, info.Height);
    }

    /// <summary>
    /// A warning that means the pixels are not all in the file (ImageMagick reads on and fills with grey, where Pillow
    /// raises): any corrupt-image warning, e.g. libjpeg's "Premature end of JPEG file"; null for a harmless one. The
    /// one corrupt-image warning Pillow's libjpeg also passes over with the pixels complete, stray bytes between
    /// segments ("extraneous bytes before marker", common in camera files), is let through.
    /// </summary>
    private static string? Corruption(WarningEventArgs e) =>
        e.Exception is MagickCorruptImageWarningException && !e.Message.Contains("extraneous bytes before marker", StringComparison.Ordinal)
            ? e.Message
            : null;

    /// <summary>ImageMagick's message without its source location (" `file' @ error/png.c/…": the file is an in-memory copy).</summary>
    private static string Reason(string message) => message.Split(" `", 2)[0];

    /// <summary>Applies the EXIF orientation of the file (read by ImageMagick without decoding pixels) to an image decoded here.</summary>
    private static RgbImage Oriented(RgbImage image, byte[] file, string path)
    {
        using var info = new MagickImage();
        info.Ping(file);
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
