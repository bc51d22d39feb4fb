using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>
/// diffusers' <c>WanEncoder3d</c> (Wan2.1: is_residual false, no attention in the down path). With
/// dims = base·[1, dim_mult…]: conv_in (3 → dims[0]); per stage i: num_res_blocks residual blocks
/// (dims[i] → dims[i+1]) then, except after the last stage, a downsampler (3d where temperal_downsample[i]);
/// all numbered consecutively as <c>down_blocks.N</c>; mid_block; norm_out; silu; conv_out (→ 2·z_dim moments).
/// </summary>
internal sealed class WanEncoder3d
{
    private readonly IBackend _backend;
    private readonly WanCausalConv3d _convIn, _convOut;
    private readonly List<IWanBlock> _downBlocks = new();
    private readonly WanMidBlock _mid;
    private readonly WanRmsNorm _normOut;
    private readonly int _slotIn, _slotOut;

    /// <summary>Cache slots one encode needs.</summary>
    public int CacheSlots { get; }

    public WanEncoder3d(IBackend backend, WanWeights weights, WanVaeConfig config, string name = "encoder")
    {
        _backend = backend;
        var slots = new WanCacheSlots();
        int[] dims = [config.BaseDim, .. config.DimMult.Select(m => config.BaseDim * m)];
        _convIn = WanCausalConv3d.Load(backend, weights, name + ".conv_in", config.InChannels, dims[0], 3, 1);
        _slotIn = slots.Next();
        int stages = config.DimMult.Length;
        for (int i = 0; i < stages; i++)
        {
            int inDim = dims[i], outDim = dims[i + 1];
            for (int j = 0; j < config.NumResBlocks; j++)
            {
                _downBlocks.Add(new WanResidualBlock(backend, weights, $"{name}.down_blocks.{_downBlocks.Count}", inDim, outDim, slots));
                inDim = outDim;
            }
            if (i != stages - 1)
            {
                var mode = config.TemperalDownsample[i] ? WanResampleMode.Downsample3d : WanResampleMode.Downsample2d;
                _downBlocks.Add(new WanResample(backend, weights, $"{name}.down_blocks.{_downBlocks.Count}", outDim, mode, slots));
            }
        }
        int top = dims[^1];
        _mid = new WanMidBlock(backend, weights, name + ".mid_block", top, slots);
        _normOut = WanRmsNorm.Load(backend, weights, name + ".norm_out", top, images: false);
        _convOut = WanCausalConv3d.Load(backend, weights, name + ".conv_out", top, 2 * config.ZDim, 3, 1);
        _slotOut = slots.Next();
        CacheSlots = slots.Count;
    }

    /// <summary>One chunk of video [B, in, T, H, W] → its moments [B, 2·z, T', H/8, W/8] (before quant_conv).</summary>
    public Tensor Forward(Tensor x, WanFeatureCache cache)
    {
        var y = _convIn.ForwardCached(x, cache, _slotIn);
        foreach (var block in _downBlocks) y = WanUpBlock.Replace(y, block.Forward(y, cache));
        y = WanUpBlock.Replace(y, _mid.Forward(y, cache));
        y = WanUpBlock.Replace(y, _normOut.ForwardSilu(y));
        using (y) return _convOut.ForwardCached(y, cache, _slotOut);
    }
}

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
        y = WanUpBlock.Replace(y, _mid.Forward(y, cache));
        foreach (var block in _upBlocks) y = WanUpBlock.Replace(y, block.Forward(y, cache));
        y = WanUpBlock.Replace(y, _normOut.ForwardSilu(y));
        using (y) return _convOut.ForwardCached(y, cache, _slotOut);
    }
}
