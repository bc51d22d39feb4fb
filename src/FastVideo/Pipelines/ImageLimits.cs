using ImageMagick;

namespace FastVideo.Pipelines;

/// <summary>
/// The limits on an input image (<c>--image</c>) and on ImageMagick in this process, kept in one place. An image
/// may have at most <see cref="MaxSide"/> pixels per side and <see cref="MaxPixels"/> pixels in all (16384² = 2²⁸:
/// a 768 MiB RGB buffer), its file at most <see cref="MaxFileBytes"/>; an intermediate image (e.g. CLIP's
/// shortest-edge resize of a very wide image) at most <see cref="MaxPixels"/>. Sizes are read from the file's
/// header before any pixel is allocated, so a small file that claims a huge size costs nothing.
/// </summary>
public static class ImageLimits
{
    /// <summary>Widest or tallest input image, in pixels (also ImageMagick's width and height limit).</summary>
    public const int MaxSide = 16384;

    /// <summary>Most pixels of an input or intermediate image: 2²⁸ = 268 435 456 (also ImageMagick's area limit).</summary>
    public const long MaxPixels = 1L << 28;

    /// <summary>Largest input image file: 256 MiB; reading stops there whatever the file's length says.</summary>
    public const long MaxFileBytes = 256L << 20;

    /// <summary>
    /// ImageMagick's pixel-cache memory for the whole process: 4 GiB. Decoding the largest allowed image takes at
    /// most 2 GiB (a 4-channel 2²⁸-pixel cache plus one copy for an EXIF rotation); MediaWriter's outputs take far
    /// less (81 RGB frames of 1280×720 ≈ 224 MiB, a 4×4 contact sheet of them ≈ 42 MiB), with room for GIF optimising.
    /// </summary>
    public const ulong MagickMemoryBytes = 4UL << 30;

    /// <summary>The size rule, for messages.</summary>
    public static string Rule { get; } = $"at most {MaxSide} pixels per side and {MaxPixels} (2^28) pixels in all";

    /// <summary>Whether a <paramref name="width"/>×<paramref name="height"/> image is within <see cref="MaxSide"/> and <see cref="MaxPixels"/>.</summary>
    public static bool Fits(long width, long height) =>
        width is >= 1 and <= MaxSide && height is >= 1 and <= MaxSide && width * height <= MaxPixels;

    /// <exception cref="InvalidDataException">the image at <paramref name="path"/> is larger than the limits.</exception>
    public static void Check(string path, long width, long height)
    {
        if (!Fits(width, height))
            throw new InvalidDataException($"{path}: the image is {width}×{height} pixels; input images may have {Rule}");
    }

    /// <summary>
    /// Sets ImageMagick's resource limits once for the process: width and height <see cref="MaxSide"/>, area
    /// <see cref="MaxPixels"/>, memory <see cref="MagickMemoryBytes"/>, and disk 0, so that no pixel cache ever
    /// spills into a <c>magick-*</c> file in the temp folder (a cache past the memory limit is an error instead).
    /// Called before any use of ImageMagick (input images and MediaWriter's outputs); safe from any thread.
    /// </summary>
    public static void ApplyToImageMagick()
    {
        if (!MagickLimits.Applied) throw new InvalidOperationException("ImageMagick resource limits were not applied");
    }

    private static class MagickLimits
    {
        internal static readonly bool Applied = Apply();

        private static bool Apply()
        {
            ResourceLimits.Disk = 0;
            ResourceLimits.Width = MaxSide;
            ResourceLimits.Height = MaxSide;
            ResourceLimits.Area = MaxPixels;
            ResourceLimits.Memory = MagickMemoryBytes;
            return true;
        }
    }
}
