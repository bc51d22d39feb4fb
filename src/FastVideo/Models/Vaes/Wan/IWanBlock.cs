using FastVideo.Tensors;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>A layer of the VAE's encoder/decoder that runs one chunk at a time with the feature cache.</summary>
internal interface IWanBlock
{
    /// <summary>x: [B, C, T, H, W], one chunk → the layer's output for that chunk (the caller owns it).</summary>
    Tensor Forward(Tensor x, WanFeatureCache cache);
}

/// <summary>A decoder stage: like <see cref="IWanBlock"/>, told whether this is the first latent frame (diffusers' <c>first_chunk</c>).</summary>
internal interface IWanUpBlock
{
    /// <summary>x: [B, C, T, H, W], one chunk → the stage's output (the caller owns it).</summary>
    Tensor Forward(Tensor x, WanFeatureCache cache, bool firstChunk);
}

/// <summary>Helpers for chains of layers.</summary>
internal static class WanChain
{
    /// <summary>Disposes <paramref name="old"/> and returns <paramref name="next"/> (a chain of layers holding one activation at a time).</summary>
    internal static Tensor Replace(Tensor old, Tensor next)
    {
        old.Dispose();
        return next;
    }
}
