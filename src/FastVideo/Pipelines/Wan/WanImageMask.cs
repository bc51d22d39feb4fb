namespace FastVideo.Pipelines.Wan;

/// <summary>
/// The frame mask of the Wan2.1 image-to-video condition, built as diffusers' <c>WanImageToVideoPipeline.prepare_latents</c>
/// builds it:
/// <code>
/// m = ones(B, 1, F, h, w);  m[:, :, 1:F] = 0   (with a last image: m[:, :, 1:F−1] = 0, so the last frame stays 1)
/// m = cat([repeat_interleave(m[:, :, 0:1], r, dim=2), m[:, :, 1:]], dim=2)        [B, 1, F + r − 1, h, w]
/// m = m.view(B, (F + r − 1)/r, r, h, w).transpose(1, 2)                        [B, r, T', h, w]
/// </code>
/// with r the VAE's temporal factor (4) and T' = (F − 1)/r + 1: channel c of latent frame t' says whether video
/// frame t'·r + c − (r − 1) (frame 0 for t' = 0) is given.
/// </summary>
public static class WanImageMask
{
    /// <summary>The mask as F32 values in C order, shape [batch, r, T', h, w].</summary>
    public static (float[] Values, int[] Shape) Build(int batch, int numFrames, int latentHeight, int latentWidth, int temporalFactor, bool lastImage = false)
    {
        int r = temporalFactor;
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "must be at least 1");
        if (r < 1) throw new ArgumentOutOfRangeException(nameof(temporalFactor), temporalFactor, "must be at least 1");
        if (numFrames < 1 || (numFrames - 1) % r != 0)
            throw new ArgumentOutOfRangeException(nameof(numFrames), numFrames, $"must be 1 + {r}k");
        if (lastImage && numFrames < 2) throw new ArgumentOutOfRangeException(nameof(numFrames), numFrames, "a last image needs at least 2 frames");
        if (latentHeight < 1 || latentWidth < 1)
            throw new ArgumentOutOfRangeException(nameof(latentHeight), $"latent size {latentHeight}×{latentWidth} must be positive");

        // Per video frame: given (1) or not (0); the spatial dimensions are constant copies.
        var frame = new float[numFrames];
        frame[0] = 1;
        if (lastImage) frame[numFrames - 1] = 1;
        // cat([frame 0 repeated r times, frames 1..F−1]) → F + r − 1 entries = T' groups of r.
        var expanded = new float[numFrames + r - 1];
        for (int i = 0; i < r; i++) expanded[i] = frame[0];
        for (int f = 1; f < numFrames; f++) expanded[r - 1 + f] = frame[f];
        int latentFrames = expanded.Length / r, plane = latentHeight * latentWidth;
        var values = new float[batch * r * latentFrames * plane];
        for (int b = 0; b < batch; b++)
            for (int c = 0; c < r; c++)
                for (int t = 0; t < latentFrames; t++)
                {
                    // view [T', r] then transpose → [r, T']: element (c, t) = expanded[t·r + c]
                    float v = expanded[t * r + c];
                    if (v != 0) Array.Fill(values, v, ((b * r + c) * latentFrames + t) * plane, plane);
                }
        return (values, [batch, r, latentFrames, latentHeight, latentWidth]);
    }
}
