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

/// <summary>
/// diffusers' <c>WanUpBlock</c> (Wan2.1 decoder stage): num_res_blocks + 1 residual blocks (in → out, then
/// out → out), then an optional <see cref="WanResample"/> upsampler (<c>upsamplers.0</c>) that halves the width.
/// </summary>
internal sealed class WanUpBlock : IWanBlock
{
    private readonly WanResidualBlock[] _resnets;
    private readonly WanResample? _upsampler;

    public int OutDim { get; }

    public WanUpBlock(IBackend backend, WanWeights weights, string name, int inDim, int outDim, int numResBlocks,
        WanResampleMode? upsample, WanCacheSlots slots)
    {
        _resnets = new WanResidualBlock[numResBlocks + 1];
        for (int i = 0; i < _resnets.Length; i++)
        {
            _resnets[i] = new WanResidualBlock(backend, weights, $"{name}.resnets.{i}", inDim, outDim, slots);
            inDim = outDim;
        }
        if (upsample is { } mode) _upsampler = new WanResample(backend, weights, name + ".upsamplers.0", outDim, mode, slots);
        OutDim = _upsampler?.OutDim ?? outDim;
    }

    public Tensor Forward(Tensor x, WanFeatureCache cache)
    {
        var y = x.Share();
        foreach (var r in _resnets) y = Replace(y, r.Forward(y, cache));
        if (_upsampler != null) y = Replace(y, _upsampler.Forward(y, cache));
        return y;
    }

    /// <summary>Disposes <paramref name="old"/> and returns <paramref name="next"/> (a chain of layers holding one activation at a time).</summary>
    internal static Tensor Replace(Tensor old, Tensor next)
    {
        old.Dispose();
        return next;
    }
}
