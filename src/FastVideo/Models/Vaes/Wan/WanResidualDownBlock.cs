using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>
/// diffusers' <c>WanResidualDownBlock</c> (Wan2.2 encoder stage, <c>is_residual</c> true):
/// y = downsampler(resnets(x)) + AvgDown3D(x), with num_res_blocks residual blocks (in → out, then out → out),
/// a <see cref="WanResample"/> <c>downsampler</c> (3d when the stage halves time) on every stage but the last,
/// and the shortcut's factors 2 in time / space where the stage halves them (1 otherwise).
/// </summary>
internal sealed class WanResidualDownBlock : IWanBlock
{
    private readonly IBackend _backend;
    private readonly WanResidualBlock[] _resnets;
    private readonly WanResample? _downsampler;
    private readonly WanAvgDown3d _shortcut;

    public WanResidualDownBlock(IBackend backend, WanWeights weights, string name, int inDim, int outDim, int numResBlocks,
        bool halveTime, bool downsample, WanCacheSlots slots)
    {
        _backend = backend;
        _shortcut = new WanAvgDown3d(backend, inDim, outDim, halveTime ? 2 : 1, downsample ? 2 : 1);
        _resnets = new WanResidualBlock[numResBlocks];
        for (int j = 0; j < numResBlocks; j++)
        {
            _resnets[j] = new WanResidualBlock(backend, weights, $"{name}.resnets.{j}", inDim, outDim, slots);
            inDim = outDim;
        }
        if (downsample)
            _downsampler = new WanResample(backend, weights, name + ".downsampler", outDim,
                halveTime ? WanResampleMode.Downsample3d : WanResampleMode.Downsample2d, slots);
    }

    public Tensor Forward(Tensor x, WanFeatureCache cache)
    {
        var y = x.Share();
        foreach (var r in _resnets) y = WanChain.Replace(y, r.Forward(y, cache));
        if (_downsampler != null) y = WanChain.Replace(y, _downsampler.Forward(y, cache));
        using (y)
        using (var s = _shortcut.Forward(x))
            return _backend.Add(y, s);
    }
}
