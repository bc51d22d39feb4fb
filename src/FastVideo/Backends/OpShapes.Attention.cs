using FastVideo.Tensors;

namespace FastVideo.Backends;

public static partial class OpShapes
{
    /// <summary>
    /// Attention's shape checks: q [B, H, Nq, D], k [B, H, Nk, D], v [B, H, Nk, Dv], mask broadcastable to
    /// [B, H, Nq, Nk] (rank ≤ 4; after left-padding with 1s each dimension 1 or equal). Dtypes are the backend's
    /// check (F32). Returns the mask's element strides seen as [B, H, Nq, Nk] (0 along broadcast dimensions), or
    /// null without a mask.
    /// </summary>
    public static long[]? Attention(Tensor q, Tensor k, Tensor v, Tensor? mask)
    {
        const string op = "Attention";
        if (q.Rank != 4) throw new ShapeMismatchException($"{op}: q must be [B, H, Nq, D], got [{ShapeUtil.Format(q.ShapeSpan)}]");
        if (k.Rank != 4) throw new ShapeMismatchException($"{op}: k must be [B, H, Nk, D], got [{ShapeUtil.Format(k.ShapeSpan)}]");
        if (v.Rank != 4) throw new ShapeMismatchException($"{op}: v must be [B, H, Nk, Dv], got [{ShapeUtil.Format(v.ShapeSpan)}]");
        int b = q.Size(0), h = q.Size(1), nq = q.Size(2), d = q.Size(3), nk = k.Size(2);
        if (k.Size(0) != b || k.Size(1) != h || k.Size(3) != d)
            throw new ShapeMismatchException($"{op}: k must be [{b}, {h}, Nk, {d}] to match q [{ShapeUtil.Format(q.ShapeSpan)}], got [{ShapeUtil.Format(k.ShapeSpan)}]");
        if (v.Size(0) != b || v.Size(1) != h || v.Size(2) != nk)
            throw new ShapeMismatchException($"{op}: v must be [{b}, {h}, {nk}, Dv] to match k [{ShapeUtil.Format(k.ShapeSpan)}], got [{ShapeUtil.Format(v.ShapeSpan)}]");
        return mask == null ? null : MaskStrides(mask, [b, h, nq, nk]);
    }

    private static long[] MaskStrides(Tensor mask, int[] target)
    {
        if (mask.Rank > 4)
            throw new ShapeMismatchException($"Attention: mask must have rank ≤ 4 and broadcast to [{ShapeUtil.Format(target)}], got [{ShapeUtil.Format(mask.ShapeSpan)}]");
        var own = ShapeUtil.Strides(mask.ShapeSpan);
        var strides = new long[4];
        int lead = 4 - mask.Rank;
        for (int i = lead; i < 4; i++)
        {
            int size = mask.Size(i - lead);
            if (size != 1 && size != target[i])
                throw new ShapeMismatchException($"Attention: mask [{ShapeUtil.Format(mask.ShapeSpan)}] does not broadcast to [{ShapeUtil.Format(target)}] (B, H, Nq, Nk): dimension {i} is {size}, expected 1 or {target[i]}");
            strides[i] = size == 1 ? 0 : own[i - lead];
        }
        return strides;
    }
}
