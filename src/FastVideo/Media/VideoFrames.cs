namespace FastVideo.Media;

/// <summary>Decoded video: <see cref="Frames"/>×<see cref="Height"/>×<see cref="Width"/>×3 RGB bytes, row-major.</summary>
public sealed class VideoFrames
{
    public VideoFrames(byte[] rgb, int frames, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (frames <= 0 || height <= 0 || width <= 0)
            throw new ArgumentException($"video frames need positive sizes, got {frames}×{height}×{width}");
        if (rgb.LongLength != (long)frames * height * width * 3)
            throw new ArgumentException($"{rgb.LongLength} bytes do not hold {frames}×{height}×{width}×3 RGB values");
        Rgb = rgb;
        Frames = frames;
        Height = height;
        Width = width;
    }

    /// <summary>uint8 [T, H, W, 3].</summary>
    public byte[] Rgb { get; }
    public int Frames { get; }
    public int Height { get; }
    public int Width { get; }
    public int FrameBytes => Height * Width * 3;

    public ReadOnlySpan<byte> Frame(int t) => Rgb.AsSpan(t * FrameBytes, FrameBytes);

    /// <summary>
    /// Converts float frames in [0, 1] ([T, H, W, 3], as diffusers' <c>output_type="np"</c>) to bytes with
    /// round-half-to-even of v·255 after clamping, as PIL's <c>numpy_to_pil</c> path does ((v*255).round()).
    /// </summary>
    public static VideoFrames FromUnitFloats(ReadOnlySpan<float> values, int frames, int height, int width)
    {
        var rgb = new byte[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (float.IsNaN(v)) throw new ArgumentException($"frame value {i} is NaN");
            v = Math.Clamp(v, 0f, 1f) * 255f;
            rgb[i] = (byte)MathF.Round(v, MidpointRounding.ToEven);
        }
        return new VideoFrames(rgb, frames, height, width);
    }
}
