using FastVideo.Entrypoints;

namespace FastVideo.Pipelines.Wan;

/// <summary>
/// How pixels map to latents for a Wan checkpoint: the VAE's temporal and spatial compression, its latent
/// channels, and the transformer's patch size (height and width must divide into whole patches of latents).
/// </summary>
public sealed record WanGeometry(int LatentChannels, int TemporalFactor, int SpatialFactor, int PatchT, int PatchH, int PatchW)
{
    /// <summary>Latent frames for <paramref name="numFrames"/> video frames: (F − 1)/temporal + 1.</summary>
    public int LatentFrames(int numFrames) => (numFrames - 1) / TemporalFactor + 1;

    /// <summary>The initial latent shape [1, z, (F − 1)/4 + 1, H/8, W/8] of a request.</summary>
    public int[] LatentShape(ResolvedRequest r) =>
        [1, LatentChannels, LatentFrames(r.NumFrames), r.Height / SpatialFactor, r.Width / SpatialFactor];
}
