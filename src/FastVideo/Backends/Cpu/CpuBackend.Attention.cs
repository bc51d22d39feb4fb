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
        if (mask != null) RequireF32(mask, op, "mask");
        var strides = OpShapes.Attention(q, k, v, mask);
        int b = q.Size(0), h = q.Size(1), nq = q.Size(2), d = q.Size(3);
        int nk = k.Size(2), dv = v.Size(3);

        var args = new AttentionArgs
        {
            Q = (float*)q.DataPointer, K = (float*)k.DataPointer, V = (float*)v.DataPointer,
            B = b, H = h, Nq = nq, Nk = nk, D = d, Dv = dv, Scale = scale,
        };
        if (mask != null)
        {
            args.Mask = (float*)mask.DataPointer;
            args.MaskStrideB = strides![0];
            args.MaskStrideH = strides[1];
            args.MaskStrideQ = strides[2];
            args.MaskStrideK = strides[3];
        }

        var o = Empty([b, h, nq, dv]);
        args.O = (float*)o.DataPointer;
        AttentionKernel.Run(args, Threads);
        return o;
    }
}
