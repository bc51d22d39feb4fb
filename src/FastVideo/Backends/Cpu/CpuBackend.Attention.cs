using FastVideo.Tensors;

namespace FastVideo.Backends.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    /// <remarks>
    /// o[b, h, i, :] = Σ_j softmax_j(q[b,h,i]·k[b,h,j]·scale + mask[b,h,i,j]) · v[b,h,j, :], computed with the
    /// tiled online softmax of <see cref="AttentionKernel"/> (no Nq×Nk buffer). The mask may have any rank up
    /// to 4; after left-padding with 1s each dimension must be 1 or equal to the matching one of [B, H, Nq, Nk].
    /// A row whose scores are all −∞ gives 0 (PyTorch SDPA's behaviour); finite masks such as float.MinValue
    /// give the ordinary softmax, as in PyTorch.
    /// </remarks>
    public unsafe Tensor Attention(Tensor q, Tensor k, Tensor v, Tensor? mask, float scale)
    {
        const string op = "Attention";
        RequireF32(q, op, "q");
        RequireF32(k, op, "k");
        RequireF32(v, op, "v");
        if (q.Rank != 4) throw new ShapeMismatchException($"{op}: q must be [B, H, Nq, D], got [{ShapeUtil.Format(q.ShapeSpan)}]");
        if (k.Rank != 4) throw new ShapeMismatchException($"{op}: k must be [B, H, Nk, D], got [{ShapeUtil.Format(k.ShapeSpan)}]");
        if (v.Rank != 4) throw new ShapeMismatchException($"{op}: v must be [B, H, Nk, Dv], got [{ShapeUtil.Format(v.ShapeSpan)}]");
        int b = q.Size(0), h = q.Size(1), nq = q.Size(2), d = q.Size(3);
        int nk = k.Size(2), dv = v.Size(3);
        if (k.Size(0) != b || k.Size(1) != h || k.Size(3) != d)
            throw new ShapeMismatchException($"{op}: k must be [{b}, {h}, Nk, {d}] to match q [{ShapeUtil.Format(q.ShapeSpan)}], got [{ShapeUtil.Format(k.ShapeSpan)}]");
        if (v.Size(0) != b || v.Size(1) != h || v.Size(2) != nk)
            throw new ShapeMismatchException($"{op}: v must be [{b}, {h}, {nk}, Dv] to match k [{ShapeUtil.Format(k.ShapeSpan)}], got [{ShapeUtil.Format(v.ShapeSpan)}]");

        var args = new AttentionArgs
        {
            Q = (float*)q.DataPointer, K = (float*)k.DataPointer, V = (float*)v.DataPointer,
            B = b, H = h, Nq = nq, Nk = nk, D = d, Dv = dv, Scale = scale,
        };
        if (mask != null)
        {
            RequireF32(mask, op, "mask");
            var strides = MaskStrides(mask, [b, h, nq, nk]);
            args.Mask = (float*)mask.DataPointer;
            args.MaskStrideB = strides[0];
            args.MaskStrideH = strides[1];
            args.MaskStrideQ = strides[2];
            args.MaskStrideK = strides[3];
        }

        var o = Empty([b, h, nq, dv]);
        args.O = (float*)o.DataPointer;
        AttentionKernel.Run(args, Threads);
        return o;
    }

    /// <summary>
    /// Element strides of <paramref name="mask"/> seen as [B, H, Nq, Nk]: 0 along broadcast (size-1 or
    /// missing leading) dimensions.
    /// </summary>
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
