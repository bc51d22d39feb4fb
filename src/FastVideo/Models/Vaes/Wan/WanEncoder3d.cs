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
        foreach (var block in _downBlocks) y = WanChain.Replace(y, block.Forward(y, cache));
        y = WanChain.Replace(y, _mid.Forward(y, cache));
        y = WanChain.Replace(y, _normOut.ForwardSilu(y));
        using (y) return _convOut.ForwardCached(y, cache, _slotOut);
    }
}
