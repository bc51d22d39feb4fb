using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>diffusers' <c>WanMidBlock</c> (num_layers 1): resnets.0 → attentions.0 → resnets.1, all at one width.</summary>
internal sealed class WanMidBlock : IWanBlock
{
    private readonly WanResidualBlock _res0, _res1;
    private readonly WanAttentionBlock _attn;

    public WanMidBlock(IBackend backend, WanWeights weights, string name, int dim, WanCacheSlots slots)
    {
        _res0 = new WanResidualBlock(backend, weights, name + ".resnets.0", dim, dim, slots);
        _attn = new WanAttentionBlock(backend, weights, name + ".attentions.0", dim);
        _res1 = new WanResidualBlock(backend, weights, name + ".resnets.1", dim, dim, slots);
    }

    public Tensor Forward(Tensor x, WanFeatureCache cache)
    {
        var y = _res0.Forward(x, cache);
        var z = _attn.Forward(y);
        y.Dispose();
        using (z) return _res1.Forward(z, cache);
    }
}
