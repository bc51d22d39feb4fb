using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>
/// diffusers' <c>WanResidualUpBlock</c> (Wan2.2 decoder stage, <c>is_residual</c> true):
/// y = upsampler(resnets(x)) + DupUp3D(x) on every stage but the last (there y = resnets(x)), with
/// num_res_blocks + 1 residual blocks (in → out, then out → out) and an <c>upsampler</c> that keeps the width
/// (3d when the stage doubles time). The shortcut doubles space, and time where the stage does.
/// </summary>
internal sealed class WanResidualUpBlock : IWanUpBlock
{
    private readonly IBackend _backend;
    private readonly WanResidualBlock[] _resnets;
    private readonly WanResample? _upsampler;
    private readonly WanDupUp3d? _shortcut;

    public WanResidualUpBlock(IBackend backend, WanWeights weights, string name, int inDim, int outDim, int numResBlocks,
        bool doubleTime, bool upsample, WanCacheSlots slots)
    {
        _backend = backend;
        if (upsample) _shortcut = new WanDupUp3d(backend, inDim, outDim, doubleTime ? 2 : 1, 2);
        _resnets = new WanResidualBlock[numResBlocks + 1];
        for (int j = 0; j < _resnets.Length; j++)
        {
            _resnets[j] = new WanResidualBlock(backend, weights, $"{name}.resnets.{j}", inDim, outDim, slots);
            inDim = outDim;
        }
        if (upsample)
            _upsampler = new WanResample(backend, weights, name + ".upsampler", outDim,
                doubleTime ? WanResampleMode.Upsample3d : WanResampleMode.Upsample2d, slots, upsampleOutDim: outDim);
    }

    public Tensor Forward(Tensor x, WanFeatureCache cache, bool firstChunk)
    {
        var y = x.Share();
        foreach (var r in _resnets) y = WanChain.Replace(y, r.Forward(y, cache));
        if (_upsampler != null) y = WanChain.Replace(y, _upsampler.Forward(y, cache));
        if (_shortcut is null) return y;
        using (y)
        using (var s = _shortcut.Forward(x, firstChunk))
            return _backend.Add(y, s);
    }
}
