using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>
/// diffusers' <c>WanEncoder3d</c>. With dims = base·[1, dim_mult…]: conv_in (in_channels → dims[0]); per stage i
/// (dims[i] → dims[i+1]):
/// Wan2.1 (<c>is_residual</c> false): num_res_blocks residual blocks, each followed by an attention block when
/// 1/2^i is in attn_scales, then, except after the last stage, a downsampler (3d where the stage halves time);
/// all numbered consecutively as <c>down_blocks.N</c>.
/// Wan2.2 (<c>is_residual</c> true): one <see cref="WanResidualDownBlock"/> <c>down_blocks.i</c>.
/// Then mid_block; norm_out; silu; conv_out (→ 2·z_dim moments).
/// </summary>
internal sealed class WanEncoder3d
{
    private readonly WanCausalConv3d _convIn, _convOut;
    private readonly List<IWanBlock> _downBlocks = new();
    private readonly WanMidBlock _mid;
    private readonly WanRmsNorm _normOut;
    private readonly int _slotIn, _slotOut;

    /// <summary>Cache slots one encode needs.</summary>
    public int CacheSlots { get; }

    /// <summary>Names of the attention blocks in the down path (Wan2.1 with attn_scales), which cannot run chunked.</summary>
    public IReadOnlyList<string> DownAttentionBlocks { get; }

    public WanEncoder3d(IBackend backend, WanWeights weights, WanVaeConfig config, string name = "encoder")
    {
        var slots = new WanCacheSlots();
        var attention = new List<string>();
        int[] dims = config.EncoderDims;
        _convIn = WanCausalConv3d.Load(backend, weights, name + ".conv_in", config.InChannels, dims[0], 3, 1);
        _slotIn = slots.Next();
        int stages = config.Stages;
        for (int i = 0; i < stages; i++)
        {
            int inDim = dims[i], outDim = dims[i + 1];
            bool down = i != stages - 1;
            if (config.IsResidual)
            {
                _downBlocks.Add(new WanResidualDownBlock(backend, weights, $"{name}.down_blocks.{i}", inDim, outDim,
                    config.NumResBlocks, config.EncoderHalvesTime(i), down, slots));
                continue;
            }
            for (int j = 0; j < config.NumResBlocks; j++)
            {
                _downBlocks.Add(new WanResidualBlock(backend, weights, $"{name}.down_blocks.{_downBlocks.Count}", inDim, outDim, slots));
                if (config.EncoderStageHasAttention(i))
                {
                    string attn = $"{name}.down_blocks.{_downBlocks.Count}";
                    _downBlocks.Add(new WanAttentionBlock(backend, weights, attn, outDim));
                    attention.Add(attn);
                }
                inDim = outDim;
            }
            if (down)
            {
                var mode = config.EncoderHalvesTime(i) ? WanResampleMode.Downsample3d : WanResampleMode.Downsample2d;
                _downBlocks.Add(new WanResample(backend, weights, $"{name}.down_blocks.{_downBlocks.Count}", outDim, mode, slots));
            }
        }
        int top = dims[^1];
        _mid = new WanMidBlock(backend, weights, name + ".mid_block", top, slots);
        _normOut = WanRmsNorm.Load(backend, weights, name + ".norm_out", top, images: false);
        _convOut = WanCausalConv3d.Load(backend, weights, name + ".conv_out", top, 2 * config.ZDim, 3, 1);
        _slotOut = slots.Next();
        CacheSlots = slots.Count;
        DownAttentionBlocks = attention;
    }

    /// <summary>One chunk of (patched) video [B, in, T, H, W] → its moments [B, 2·z, T', H/2^(S−1), W/2^(S−1)] (before quant_conv).</summary>
    public Tensor Forward(Tensor x, WanFeatureCache cache)
    {
        var y = _convIn.ForwardCached(x, cache, _slotIn);
        foreach (var block in _downBlocks) y = WanChain.Replace(y, block.Forward(y, cache));
        y = WanChain.Replace(y, _mid.Forward(y, cache));
        y = WanChain.Replace(y, _normOut.ForwardSilu(y));
        using (y) return _convOut.ForwardCached(y, cache, _slotOut);
    }
}
