using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>
/// diffusers' <c>WanUpBlock</c> (Wan2.1 decoder stage): num_res_blocks + 1 residual blocks (in → out, then
/// out → out), then an optional <see cref="WanResample"/> upsampler (<c>upsamplers.0</c>) that halves the width.
/// </summary>
internal sealed class WanUpBlock : IWanUpBlock
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

    /// <summary>The first chunk needs no special case here: the temporal upsampler tracks it in the cache.</summary>
    public Tensor Forward(Tensor x, WanFeatureCache cache, bool firstChunk)
    {
        var y = x.Share();
        foreach (var r in _resnets) y = WanChain.Replace(y, r.Forward(y, cache));
        if (_upsampler != null) y = WanChain.Replace(y, _upsampler.Forward(y, cache));
        return y;
    }
}
