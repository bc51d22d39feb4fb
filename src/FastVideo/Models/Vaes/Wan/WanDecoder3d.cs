using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>
/// diffusers' <c>WanDecoder3d</c>. With dims = decoder_base·[dim_mult[-1], reversed dim_mult…]: conv_in
/// (z → dims[0]); mid_block; per stage i an up block dims[i] → dims[i+1] with an upsampler on every stage but
/// the last (3d where <see cref="WanVaeConfig.DecoderDoublesTime"/>):
/// Wan2.1: <see cref="WanUpBlock"/>, its input halved for i &gt; 0 because the previous upsampler halves the width;
/// Wan2.2 (<c>is_residual</c>): <see cref="WanResidualUpBlock"/>, widths kept by the upsamplers.
/// Then norm_out; silu; conv_out (→ out_channels).
/// </summary>
internal sealed class WanDecoder3d
{
    private readonly WanCausalConv3d _convIn, _convOut;
    private readonly WanMidBlock _mid;
    private readonly IWanUpBlock[] _upBlocks;
    private readonly WanRmsNorm _normOut;
    private readonly int _slotIn, _slotOut;

    public int CacheSlots { get; }

    public WanDecoder3d(IBackend backend, WanWeights weights, WanVaeConfig config, string name = "decoder")
    {
        var slots = new WanCacheSlots();
        int[] dims = config.DecoderDims;
        _convIn = WanCausalConv3d.Load(backend, weights, name + ".conv_in", config.ZDim, dims[0], 3, 1);
        _slotIn = slots.Next();
        _mid = new WanMidBlock(backend, weights, name + ".mid_block", dims[0], slots);
        int stages = config.Stages;
        _upBlocks = new IWanUpBlock[stages];
        for (int i = 0; i < stages; i++)
        {
            bool up = i != stages - 1, doubleTime = config.DecoderDoublesTime(i);
            string block = $"{name}.up_blocks.{i}";
            if (config.IsResidual)
            {
                _upBlocks[i] = new WanResidualUpBlock(backend, weights, block, dims[i], dims[i + 1], config.NumResBlocks, doubleTime, up, slots);
                continue;
            }
            int inDim = i > 0 ? dims[i] / 2 : dims[i];
            WanResampleMode? mode = !up ? null : doubleTime ? WanResampleMode.Upsample3d : WanResampleMode.Upsample2d;
            _upBlocks[i] = new WanUpBlock(backend, weights, block, inDim, dims[i + 1], config.NumResBlocks, mode, slots);
        }
        int last = dims[^1];
        _normOut = WanRmsNorm.Load(backend, weights, name + ".norm_out", last, images: false);
        _convOut = WanCausalConv3d.Load(backend, weights, name + ".conv_out", last, config.OutChannels, 3, 1);
        _slotOut = slots.Next();
        CacheSlots = slots.Count;
    }

    /// <summary>
    /// One latent chunk [B, z, T', h, w] → (patched) video frames [B, out, T, h·2^(S−1), w·2^(S−1)].
    /// <paramref name="firstChunk"/>: the first latent frame of the video (diffusers' <c>first_chunk</c>).
    /// </summary>
    public Tensor Forward(Tensor x, WanFeatureCache cache, bool firstChunk)
    {
        var y = _convIn.ForwardCached(x, cache, _slotIn);
        y = WanChain.Replace(y, _mid.Forward(y, cache));
        foreach (var block in _upBlocks) y = WanChain.Replace(y, block.Forward(y, cache, firstChunk));
        y = WanChain.Replace(y, _normOut.ForwardSilu(y));
        using (y) return _convOut.ForwardCached(y, cache, _slotOut);
    }
}
