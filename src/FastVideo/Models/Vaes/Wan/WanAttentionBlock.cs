using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>
/// diffusers' <c>WanAttentionBlock</c>: single-head self-attention over the H·W positions of each frame
/// separately (no mixing across time, so no cache). With n = WanRMS_norm(x) (γ [C, 1, 1]) and the 1×1 convs
/// to_qkv (C → 3C, split q | k | v along channels) and proj (C → C):
/// y = x + proj(softmax(q·kᵀ/√C)·v), per frame, tokens in row-major (h, w) order.
/// The 1×1 convs (weights [out, in, 1, 1] viewed as [out, in]) are run as Linear on a channels-last copy ([B, T, H, W, C]), which is the same product.
/// </summary>
internal sealed class WanAttentionBlock : IWanBlock
{
    private readonly IBackend _backend;
    private readonly WanRmsNorm _norm;
    private readonly Tensor _qkvWeight, _qkvBias, _projWeight, _projBias;

    public int Dim { get; }

    public WanAttentionBlock(IBackend backend, WanWeights weights, string name, int dim)
    {
        _backend = backend;
        Dim = dim;
        _norm = WanRmsNorm.Load(backend, weights, name + ".norm", dim, images: true);
        _qkvWeight = weights.TakeAs(name + ".to_qkv.weight", [3 * dim, dim, 1, 1], [3 * dim, dim]);
        _qkvBias = weights.Take(name + ".to_qkv.bias", 3 * dim);
        _projWeight = weights.TakeAs(name + ".proj.weight", [dim, dim, 1, 1], [dim, dim]);
        _projBias = weights.Take(name + ".proj.bias", dim);
    }

    /// <summary>x: [B, C, T, H, W] → same shape. The cache is not used (attention stays within a frame).</summary>
    public Tensor Forward(Tensor x, WanFeatureCache cache) => Forward(x);

    public Tensor Forward(Tensor x)
    {
        if (x.Rank != 5 || x.Size(1) != Dim)
            throw new ShapeMismatchException($"WanAttentionBlock: x must be [B, {Dim}, T, H, W], got [{ShapeUtil.Format(x.ShapeSpan)}]");
        int b = x.Size(0), c = Dim, t = x.Size(2), h = x.Size(3), w = x.Size(4);
        int frames = b * t, tokens = h * w;

        Tensor qkv;
        using (var n = _norm.Forward(x))
        using (var nLast = _backend.Permute(n, [0, 2, 3, 4, 1]))           // [B, T, H, W, C]
            qkv = _backend.Linear(nLast, _qkvWeight, _qkvBias);          // [B, T, H, W, 3C]
        Tensor o;
        using (qkv)
        using (var rows = qkv.Reshape(frames, tokens, 3 * c))
        using (var q = _backend.Slice(rows, 2, 0, c))
        using (var k = _backend.Slice(rows, 2, c, c))
        using (var v = _backend.Slice(rows, 2, 2 * c, c))
        using (var q4 = q.Reshape(frames, 1, tokens, c))
        using (var k4 = k.Reshape(frames, 1, tokens, c))
        using (var v4 = v.Reshape(frames, 1, tokens, c))
            o = _backend.Attention(q4, k4, v4, null, (float)(1.0 / Math.Sqrt(c)));   // [B·T, 1, H·W, C]
        Tensor p;
        using (o) p = _backend.Linear(o, _projWeight, _projBias);
        Tensor back;
        using (p)
        using (var p5 = p.Reshape(b, t, h, w, c))
            back = _backend.Permute(p5, [0, 4, 1, 2, 3]);                 // [B, C, T, H, W]
        using (back) return _backend.Add(back, x);
    }
}
