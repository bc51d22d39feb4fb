using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Attention;

/// <summary>
/// Reference attention: permutes [B, N, H, D] to the head-major [B, H, N, D] that
/// <see cref="IBackend.Attention"/> takes, attends densely (no mask) and permutes back.
/// The two permutes per operand cost memory traffic only; fused backends avoid them.
/// </summary>
public sealed class SdpaAttention : IAttentionBackend
{
    private static readonly int[] s_swapTokensHeads = { 0, 2, 1, 3 };
    private readonly IBackend _backend;

    public SdpaAttention(IBackend backend) => _backend = backend ?? throw new ArgumentNullException(nameof(backend));

    public string Name => "sdpa";

    public Tensor Attend(Tensor q, Tensor k, Tensor v, float scale, VideoGrid? grid = null)
    {
        Validate(q, k, v);
        using var scope = TensorScope.Begin();
        var qh = _backend.Permute(q, s_swapTokensHeads);   // [B, H, Nq, D]
        var kh = _backend.Permute(k, s_swapTokensHeads);   // [B, H, Nk, D]
        var vh = _backend.Permute(v, s_swapTokensHeads);   // [B, H, Nk, Dv]
        var o = _backend.Attention(qh, kh, vh, null, scale); // [B, H, Nq, Dv]
        return scope.Keep(_backend.Permute(o, s_swapTokensHeads)); // [B, Nq, H, Dv]
    }

    /// <summary>Checks the token-major layout contract shared by every attention backend.</summary>
    public static void Validate(Tensor q, Tensor k, Tensor v)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        if (q.Rank != 4 || k.Rank != 4 || v.Rank != 4)
            throw new ShapeMismatchException($"attention: q, k, v must be [B, N, H, D]; got q [{ShapeUtil.Format(q.ShapeSpan)}], k [{ShapeUtil.Format(k.ShapeSpan)}], v [{ShapeUtil.Format(v.ShapeSpan)}]");
        if (k.Size(0) != q.Size(0) || v.Size(0) != q.Size(0) || k.Size(2) != q.Size(2) || v.Size(2) != q.Size(2)
            || k.Size(3) != q.Size(3) || v.Size(1) != k.Size(1))
            throw new ShapeMismatchException($"attention: k must be [B, Nk, H, D] and v [B, Nk, H, Dv] for q [{ShapeUtil.Format(q.ShapeSpan)}]; got k [{ShapeUtil.Format(k.ShapeSpan)}], v [{ShapeUtil.Format(v.ShapeSpan)}]");
    }
}
