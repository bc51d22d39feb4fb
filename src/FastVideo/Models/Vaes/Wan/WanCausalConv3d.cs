using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>
/// diffusers' <c>WanCausalConv3d</c>: a Conv3d whose time padding is causal. With torch padding (pT, pH, pW)
/// the input is zero-padded by 2·pT frames in front and none behind, pH/pW symmetrically in space, then
/// convolved without further padding. Given <c>cache</c> frames from the previous chunk (only when pT &gt; 0),
/// they are prepended and the front padding shrinks by their count, so a chunked run equals a run on the
/// whole video. x: [B, C, T, H, W] → [B, O, T', H', W'].
/// </summary>
internal sealed class WanCausalConv3d
{
    private readonly IBackend _backend;

    public Tensor Weight { get; }
    public Tensor Bias { get; }
    public (int T, int H, int W) Stride { get; }
    public (int T, int H, int W) Padding { get; }
    public string Name { get; }
    public int InChannels => Weight.Size(1);
    public int OutChannels => Weight.Size(0);

    private WanCausalConv3d(IBackend backend, string name, Tensor weight, Tensor bias, (int, int, int) stride, (int, int, int) padding)
    {
        _backend = backend;
        Name = name;
        Weight = weight;
        Bias = bias;
        Stride = stride;
        Padding = padding;
    }

    /// <summary>Reads <c>{name}.weight</c> [out, in, kT, kH, kW] and <c>{name}.bias</c> [out].</summary>
    public static WanCausalConv3d Load(IBackend backend, WanWeights weights, string name, int inChannels, int outChannels,
        (int T, int H, int W) kernel, (int T, int H, int W) stride, (int T, int H, int W) padding)
    {
        var w = weights.Take(name + ".weight", outChannels, inChannels, kernel.T, kernel.H, kernel.W);
        var b = weights.Take(name + ".bias", outChannels);
        return new WanCausalConv3d(backend, name, w, b, stride, padding);
    }

    /// <summary>A convolution over given tensors (the caller keeps owning them); for tests.</summary>
    internal static WanCausalConv3d Create(IBackend backend, string name, Tensor weight, Tensor bias,
        (int T, int H, int W) stride, (int T, int H, int W) padding) => new(backend, name, weight, bias, stride, padding);

    /// <summary>Cubic kernel k, stride 1, padding p in every dimension (diffusers' <c>WanCausalConv3d(in, out, k, padding=p)</c>).</summary>
    public static WanCausalConv3d Load(IBackend backend, WanWeights weights, string name, int inChannels, int outChannels, int kernel, int padding) =>
        Load(backend, weights, name, inChannels, outChannels, (kernel, kernel, kernel), (1, 1, 1), (padding, padding, padding));

    /// <summary>
    /// The convolution with causal padding. <paramref name="cache"/>: [B, C, c, H, W] frames preceding x
    /// (c ≤ 2·pT), or null; ignored when pT = 0, as in diffusers.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor? cache = null)
    {
        int front = 2 * Padding.T;
        var (ph, pw) = (Padding.H, Padding.W);
        if (cache is null || Padding.T == 0)
            return _backend.Conv3d(x, Weight, Bias, Stride, (front, 0, ph, ph, pw, pw));
        if (cache.Size(2) > front)
            throw new InvalidOperationException($"{Name}: {cache.Size(2)} cached frames exceed the causal padding of {front}");
        using var joined = _backend.Concat([cache, x], 2);
        return _backend.Conv3d(joined, Weight, Bias, Stride, (front - cache.Size(2), 0, ph, ph, pw, pw));
    }

    /// <summary>
    /// One chunk through the convolution with the feature cache (the pattern diffusers repeats around every
    /// cached conv): the slot's frames from the previous chunk are prepended, then the slot keeps the last
    /// <see cref="WanFeatureCache.CacheFrames"/> frames of x — when x has a single frame, the previous chunk's
    /// last frame goes in front of it.
    /// </summary>
    public Tensor ForwardCached(Tensor x, WanFeatureCache cache, int slot)
    {
        var prev = cache.Get(slot);
        var next = LastFrames(_backend, x, prev);
        var y = Forward(x, prev);
        cache.Set(slot, next);
        return y;
    }

    /// <summary>
    /// x[:, :, -2:], with the last frame of <paramref name="prev"/> in front when x has only one frame
    /// (diffusers: "cache last frame of last two chunk").
    /// </summary>
    internal static Tensor LastFrames(IBackend backend, Tensor x, Tensor? prev)
    {
        int t = x.Size(2);
        int keep = Math.Min(t, WanFeatureCache.CacheFrames);
        var tail = backend.Slice(x, 2, t - keep, keep);
        if (keep >= WanFeatureCache.CacheFrames || prev is null) return tail;
        using (tail)
        using (var last = backend.Slice(prev, 2, prev.Size(2) - 1, 1))
            return backend.Concat([last, tail], 2);
    }
}
