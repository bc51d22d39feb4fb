using FastVideo.Backends;
using FastVideo.Cuda.Kernels;
using FastVideo.Tensors;

namespace FastVideo.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>A contiguous copy with result dimension i = x dimension dims[i] (fv_permute_b{1,2,4,8}, any dtype).</summary>
    public unsafe Tensor Permute(Tensor x, ReadOnlySpan<int> dims)
    {
        RequireHere(x, "Permute", "x");
        var (norm, shape) = OpShapes.Permute(x, dims);
        var y = Empty(shape, x.DType);
        return Run(y, () =>
        {
            if (y.Numel == 0) return;
            var plan = PermuteLayout.Plan(x.ShapeSpan, norm);
            if (plan.IsIdentity)
            {
                _device.MakeCurrent();
                Interop.CudaDriver.CopyDeviceToDevice(y.DataPointer, x.DataPointer, x.Bytes, _device.Stream);
                AfterOp("Permute");
                return;
            }
            if (plan.Rank > KernelLimits.MaxRank)
                throw new NotSupportedException($"Permute: {plan.Rank} dimensions remain after merging, the kernel takes {KernelLimits.MaxRank}");
            var p = new PermuteParams { Y = y.DataPointer, X = x.DataPointer, Numel = y.Numel, Rank = plan.Rank };
            for (int i = 0; i < plan.Rank; i++)
            {
                p.Shape[i] = plan.Shape[i];
                p.InStride[i] = plan.InStride[i];
            }
            Launch(KernelCatalog.Permute(x.DType.Size()), LaunchConfig.GridStride(y.Numel), p);
        });
    }

    /// <summary>Nearest-neighbour 2× upsampling of the last two dimensions (F32).</summary>
    public Tensor UpsampleNearest2x(Tensor x)
    {
        const string op = "UpsampleNearest2x";
        RequireF32(x, op, "x");
        var y = Empty(OpShapes.Upsample2x(x));
        int h = x.Size(-2), w = x.Size(-1);
        return Run(y, () =>
        {
            if (x.Numel == 0) return;
            long planes = x.Numel / ((long)h * w);
            Launch(KernelCatalog.UpsampleNearest2x(4), LaunchConfig.GridStride(y.Numel),
                new UpsampleParams { Y = y.DataPointer, X = x.DataPointer, Planes = planes, Height = h, Width = w });
        });
    }

    /// <summary>Rotary embedding on interleaved pairs; x [B, N, H, D] (D even), cos/sin [N, D/2] (fv_rope_f32).</summary>
    public Tensor ApplyRope(Tensor x, Tensor cos, Tensor sin)
    {
        RequireF32(x, "ApplyRope", "x");
        RequireF32(cos, "ApplyRope", "cos");
        RequireF32(sin, "ApplyRope", "sin");
        var (bsz, n, h, d) = OpShapes.Rope(x, cos, sin);
        int half = d / 2;
        var y = Empty(x.ShapeSpan);
        return Run(y, () =>
        {
            if (x.Numel == 0) return;
            var p = new RopeParams
            {
                Y = y.DataPointer, X = x.DataPointer, Cos = cos.DataPointer, Sin = sin.DataPointer,
                Rows = (long)bsz * n, Tokens = n, Heads = h, HeadDim = d,
            };
            Launch(KernelCatalog.Rope, LaunchConfig.GridStride(x.Numel / 2), p);
        });
    }

    /// <summary>
    /// Rows of weight [V, D] (any float dtype) gathered by ids (I32/I64, any shape) → [..., D] F32. The ids are
    /// read back and checked on the host first (a synchronization: embeddings run once per prompt), so an
    /// out-of-range id throws as on the CPU backend instead of leaving NaN rows.
    /// </summary>
    public Tensor Embedding(Tensor weight, Tensor ids)
    {
        const string op = "Embedding";
        RequireHere(weight, op, "weight");
        RequireHere(ids, op, "ids");
        if (!weight.DType.IsFloat()) throw new ArgumentException($"{op}: weight must be F32, BF16 or F16, got {weight.DType}");
        if (weight.Rank != 2) throw new ShapeMismatchException($"{op}: weight must be [V, D], got [{ShapeUtil.Format(weight.ShapeSpan)}]");
        if (ids.DType is not (DType.I32 or DType.I64)) throw new ArgumentException($"{op}: ids must be I32 or I64, got {ids.DType}");
        int vocab = weight.Size(0), dim = weight.Size(1);
        var shape = new int[ids.Rank + 1];
        ids.ShapeSpan.CopyTo(shape);
        shape[^1] = dim;
        CheckIds(op, ids, vocab);
        var y = Empty(shape);
        return Run(y, () =>
        {
            if (y.Numel == 0) return;
            var p = new EmbeddingParams
            {
                Y = y.DataPointer, Weight = weight.DataPointer, Ids = ids.DataPointer, Error = 0, Count = ids.Numel,
                Vocab = vocab, Dim = dim, WeightDtype = (int)weight.DType, IdsDtype = (int)ids.DType,
            };
            Launch(KernelCatalog.Embedding, LaunchConfig.GridStride(y.Numel), p);
        });
    }

    private static void CheckIds(string op, Tensor ids, int vocab)
    {
        if (ids.Numel == 0) return;
        long[] values = ids.DType == DType.I64 ? ids.ToArray<long>() : Array.ConvertAll(ids.ToArray<int>(), v => (long)v);
        for (int i = 0; i < values.Length; i++)
            if (values[i] < 0 || values[i] >= vocab)
                throw new ArgumentOutOfRangeException(nameof(ids), $"{op}: id {values[i]} at position {i} is outside the vocabulary [0, {vocab})");
    }
}
