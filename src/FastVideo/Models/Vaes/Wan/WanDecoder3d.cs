using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>
/// diffusers' <c>WanDecoder3d</c> (Wan2.1). With dims = base·[dim_mult[-1], reversed dim_mult…]: conv_in
/// (z → dims[0]); mid_block; per stage i an up block (dims[i] → dims[i+1], the input halved for i &gt; 0 because
/// the previous upsampler halves the width) with an upsampler except after the last stage (3d where the
/// reversed temperal_downsample[i] is set); norm_out; silu; conv_out (→ out_channels).
/// </summary>
internal sealed class WanDecoder3d
{
    private readonly IBackend _backend;
    private readonly WanCausalConv3d _convIn, _convOut;
    private readonly WanMidBlock _mid;
    private readonly WanUpBlock[] _upBlocks;
    private readonly WanRmsNorm _normOut;
    private readonly int _slotIn, _slotOut;

    public int CacheSlots { get; }

    public WanDecoder3d(IBackend backend, WanWeights weights, WanVaeConfig config, string name = "decoder")
    {
        _backend = backend;
        var slots = new WanCacheSlots();
        int bd = config.DecoderBaseDim;
        int[] dims = [bd * config.DimMult[^1], .. Enumerable.Reverse(config.DimMult).Select(m => bd * m)];
        bool[] temporalUp = Enumerable.Reverse(config.TemperalDownsample).ToArray();
        _convIn = WanCausalConv3d.Load(backend, weights, name + ".conv_in", config.ZDim, dims[0], 3, 1);
        _slotIn = slots.Next();
        _mid = new WanMidBlock(backend, weights, name + ".mid_block", dims[0], slots);
        int stages = config.DimMult.Length;
        _upBlocks = new WanUpBlock[stages];
        for (int i = 0; i < stages; i++)
        {
            int inDim = i > 0 ? dims[i] / 2 : dims[i], outDim = dims[i + 1];
            WanResampleMode? mode = i == stages - 1 ? null
                : temporalUp[i] ? WanResampleMode.Upsample3d : WanResampleMode.Upsample2d;
            _upBlocks[i] = new WanUpBlock(backend, weights, $"{name}.up_blocks.{i}", inDim, outDim, config.NumResBlocks, mode, slots);
        }
        int last = dims[^1];
        _normOut = WanRmsNorm.Load(backend, weights, name + ".norm_out", last, images: false);
        _convOut = WanCausalConv3d.Load(backend, weights, name + ".conv_out", last, config.OutChannels, 3, 1);
        _slotOut = slots.Next();
        CacheSlots = slots.Count;
    }

    /// <summary>One latent chunk [B, z, T', h, w] → video frames [B, out, T, 8h, 8w].</summary>
    public Tensor Forward(Tensor x, WanFeatureCache cache)
    {
        var y = _convIn.ForwardCached(x, cache, _slotIn);
        y = WanChain.Replace(y, _mid.Forward(y, cache));
        foreach (var block in _upBlocks) y = WanChain.Replace(y, block.Forward(y, cache));
        y = WanChain.Replace(y, _normOut.ForwardSilu(y));
        using (y) return _convOut.ForwardCached(y, cache, _slotOut);
    }
}
