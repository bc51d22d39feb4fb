namespace FastVideo.Pipelines;

/// <summary>
/// The VAE decoder turned finite latents into NaN or ±Inf: the video cannot be saved. Names the decoding stage, the
/// first frame affected and the likely causes (non-finite VAE weights, or an overflow).
/// </summary>
public sealed class NonFiniteDecodeException(int frame, int frames, string detail, string vaeFolder)
    : ArithmeticException(
        $"decoding: the latents were finite, but the VAE decoder produced NaN or Inf from frame {frame} of {frames} on ({detail}). "
        + $"Typical causes: non-finite VAE weights in {vaeFolder}, or an overflow in reduced precision.")
{
    /// <summary>1-based index of the first video frame holding a NaN or Inf.</summary>
    public int Frame { get; } = frame;
    public int Frames { get; } = frames;
}
