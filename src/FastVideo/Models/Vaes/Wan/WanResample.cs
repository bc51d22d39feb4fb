using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>The four resampling modes of diffusers' <c>WanResample</c>.</summary>
public enum WanResampleMode { Upsample2d, Upsample3d, Downsample2d, Downsample3d }

/// <summary>
/// diffusers' <c>WanResample</c>. Spatial parts act on every frame:
/// upsample: nearest 2× then Conv2d 3×3 pad 1 (dim → upsample_out_dim, default dim/2, <c>resample.1</c>);
/// downsample: zero pad (left 0, right 1, top 0, bottom 1) then Conv2d 3×3 stride 2 (dim → dim).
/// Temporal parts use the feature cache:
/// <c>upsample3d</c> first runs <c>time_conv</c> (causal 3×1×1, dim → 2·dim) and interleaves the two halves
/// into twice the frames — except on the first chunk, which passes through (diffusers' "Rep" marker; later
/// chunks see zeros before it, i.e. plain causal padding). <c>downsample3d</c> then runs <c>time_conv</c>
/// (3×1×1, stride 2, no padding) on [previous chunk's last frame, this chunk] — except on the first chunk,
/// which passes through and only leaves its last frame in the cache.
/// </summary>
internal sealed class WanResample : IWanBlock
{
    private readonly IBackend _backend;
    private readonly WanFrameConv2d _resample;
    private readonly WanCausalConv3d? _timeConv;
    private readonly int _slot = -1;

    public WanResampleMode Mode { get; }
    public int Dim { get; }

    /// <summary>
    /// Reads <c>{name}.resample.1</c> (and <c>{name}.time_conv</c> in the 3d modes). upsampleOutDim is the output
    /// width of an upsampler (diffusers' <c>upsample_out_dim</c>): null means dim/2 (Wan2.1); the Wan2.2 residual up
    /// blocks keep the width.
    /// </summary>
    public WanResample(IBackend backend, WanWeights weights, string name, int dim, WanResampleMode mode, WanCacheSlots slots,
        int? upsampleOutDim = null)
    {
        _backend = backend;
        Dim = dim;
        Mode = mode;
        OutDim = mode is WanResampleMode.Upsample2d or WanResampleMode.Upsample3d ? upsampleOutDim ?? dim / 2 : dim;
        switch (mode)
        {
            case WanResampleMode.Upsample2d:
            case WanResampleMode.Upsample3d:
                _resample = WanFrameConv2d.Load(backend, weights, name + ".resample.1", dim, OutDim, 3, (1, 1), (1, 1, 1, 1));
                if (mode == WanResampleMode.Upsample3d)
                    _timeConv = WanCausalConv3d.Load(backend, weights, name + ".time_conv", dim, dim * 2, (3, 1, 1), (1, 1, 1), (1, 0, 0));
                break;
            case WanResampleMode.Downsample2d:
            case WanResampleMode.Downsample3d:
                _resample = WanFrameConv2d.Load(backend, weights, name + ".resample.1", dim, dim, 3, (2, 2), (0, 1, 0, 1));
                if (mode == WanResampleMode.Downsample3d)
                    _timeConv = WanCausalConv3d.Load(backend, weights, name + ".time_conv", dim, dim, (3, 1, 1), (2, 1, 1), (0, 0, 0));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown resample mode");
        }
        if (_timeConv != null) _slot = slots.Next();
    }

    public int OutDim { get; }

    /// <summary>x: [B, dim, T, H, W] → upsample: [B, OutDim, T·(2 or 1), 2H, 2W]; downsample: [B, dim, T', ⌊H/2⌋, ⌊W/2⌋].</summary>
    public Tensor Forward(Tensor x, WanFeatureCache cache)
    {
        if (Mode is WanResampleMode.Upsample2d or WanResampleMode.Upsample3d)
        {
            var u = Mode == WanResampleMode.Upsample3d ? TimeUpsample(x, cache) : x.Share();
            var big = _backend.UpsampleNearest2x(u);                     // [B, C, T, 2H, 2W]
            u.Dispose();
            using (big) return _resample.Forward(big);
        }

        var d = _resample.Forward(x);                                     // [B, C, T, H', W']
        return Mode == WanResampleMode.Downsample3d ? TimeDownsample(d, cache) : d;
    }

    /// <summary>Doubles the frames of x (except on the first chunk): time_conv → [B, 2C, T, H, W], frame 2i from channels [0, C), 2i+1 from [C, 2C).</summary>
    private Tensor TimeUpsample(Tensor x, WanFeatureCache cache)
    {
        if (!cache.Started(_slot))
        {
            cache.MarkStarted(_slot);
            return x.Share();
        }
        int b = x.Size(0), c = x.Size(1), t = x.Size(2), h = x.Size(3), w = x.Size(4);
        using var y = _timeConv!.ForwardCached(x, cache, _slot);         // [B, 2C, T, H, W]
        using var y5 = y.Reshape(b, 2, c, t, h * w);
        using var inter = _backend.Permute(y5, [0, 2, 3, 1, 4]);          // [B, C, T, 2, H·W]
        return inter.Reshape(b, c, 2 * t, h, w);
    }

    /// <summary>Halves the frames of d with the previous chunk's last frame in front (the first chunk passes through).</summary>
    private Tensor TimeDownsample(Tensor d, WanFeatureCache cache)
    {
        int t = d.Size(2);
        var prev = cache.Get(_slot);
        if (!cache.Started(_slot) || prev is null)
        {
            // diffusers caches the whole chunk here but only ever reads its last frame.
            cache.Set(_slot, _backend.Slice(d, 2, t - 1, 1));
            return d;
        }
        var last = _backend.Slice(d, 2, t - 1, 1);
        Tensor joined;
        using (d) joined = _backend.Concat([prev, d], 2);
        cache.Set(_slot, last);
        using (joined) return _timeConv!.Forward(joined);
    }
}
