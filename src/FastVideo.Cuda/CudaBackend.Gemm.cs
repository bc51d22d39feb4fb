using FastVideo.Backends;
using FastVideo.Interop;
using FastVideo.Tensors;

namespace FastVideo.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>
    /// Batched F32 matrix product on cuBLASLt in true FP32 (CUBLAS_COMPUTE_32F, no TF32 rounding), batch dims
    /// broadcast as NumPy. b shared by the whole batch: one GEMM over batch·M rows; equal batch shapes: one
    /// strided-batched GEMM; other broadcasts: one GEMM per batch entry.
    /// </summary>
    public Tensor MatMul(Tensor a, Tensor b, bool transposeB = false, float alpha = 1f)
    {
        const string op = "MatMul";
        RequireF32(a, op, "a");
        RequireF32(b, op, "b");
        var (shape, aBatch, bBatch, batch, M, N, K) = OpShapes.MatMul(a, b, transposeB);
        if (K == 0) return Full(shape, 0f);
        var c = Empty(shape);
        try
        {
            if (c.Numel == 0) return c;
            long count = ShapeUtil.Numel(batch);
            long aCount = ShapeUtil.Numel(aBatch), bCount = ShapeUtil.Numel(bBatch);
            var f32 = CudaDataType.R32F;
            var compute = CublasComputeType.F32;
            if (bCount == 1 && aCount == count && count * M <= int.MaxValue)
                _gemm.Run(f32, f32, compute, new GemmShape((int)(count * M), N, K, 1, transposeB), a.DataPointer, b.DataPointer, c.DataPointer, 0, alpha);
            else if (aCount == count && bCount == count && count <= int.MaxValue)
                _gemm.Run(f32, f32, compute, new GemmShape(M, N, K, (int)count, transposeB, (long)M * K, (long)K * N, (long)M * N),
                    a.DataPointer, b.DataPointer, c.DataPointer, 0, alpha);
            else
            {
                var aOff = OpShapes.BatchOffsets(aBatch, batch, (long)M * K);
                var bOff = OpShapes.BatchOffsets(bBatch, batch, (long)K * N);
                for (long i = 0; i < count; i++)
                    _gemm.Run(f32, f32, compute, new GemmShape(M, N, K, 1, transposeB), a.DataPointer + (nint)(aOff[i] * 4),
                        b.DataPointer + (nint)(bOff[i] * 4), c.DataPointer + (nint)(i * M * N * 4), 0, alpha);
            }
            CountPath("matmul", "cuBLASLt f32");
            AfterOp(op);
            return c;
        }
        catch
        {
            c.Dispose();
            throw;
        }
    }

    /// <summary>
    /// y = x·Wᵀ + bias on cuBLASLt, the bias fused as the GEMM's epilogue (in F32). F32 weights: an FP32 GEMM.
    /// BF16/F16 weights: with <see cref="CudaBackendOptions.MixedPrecision"/>, x is rounded to the weight's type and
    /// the GEMM runs on the tensor cores with FP32 accumulation and F32 output; without it, the weight is
    /// widened to F32 first, so the result matches the CPU backend to FP32 accuracy.
    /// </summary>
    public Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        const string op = "Linear";
        RequireF32(x, op, "x");
        RequireHere(weight, op, "weight");
        if (bias != null) RequireHere(bias, op, "bias");
        var shape = OpShapes.Linear(x, weight, bias);
        int outF = shape[^1], inF = weight.Size(1);
        long rows = ShapeUtil.Numel(x.ShapeSpan[..^1]);
        if (rows > int.MaxValue)
            throw new ArgumentException($"{op}: x [{ShapeUtil.Format(x.ShapeSpan)}] has {rows} rows, more than a GEMM takes");
        if (rows == 0 || outF == 0) return Empty(shape);
        if (inF == 0) return bias == null ? Full(shape, 0f) : BroadcastBias(shape, bias);

        var y = Empty(shape);
        Tensor? xs = null, ws = null, bs = null;
        try
        {
            bs = bias == null ? null : As(bias, DType.F32);
            bool mixed = Options.MixedPrecision && weight.DType != DType.F32;
            if (mixed)
            {
                xs = Cast(x, weight.DType);
                ws = weight.Share();
            }
            else
            {
                xs = x.Share();
                ws = As(weight, DType.F32);
            }
            var ab = ws.DType switch { DType.BF16 => CudaDataType.R16BF, DType.F16 => CudaDataType.R16F, _ => CudaDataType.R32F };
            _gemm.Run(ab, CudaDataType.R32F, CublasComputeType.F32, new GemmShape((int)rows, outF, inF, 1, TransposeB: true),
                xs.DataPointer, ws.DataPointer, y.DataPointer, bs?.DataPointer ?? 0, 1f);
            CountPath("linear", GemmPathName(mixed, weight.DType));
            AfterOp(op);
            return y;
        }
        catch
        {
            y.Dispose();
            throw;
        }
        finally
        {
            // The GEMM is queued; freeing the temporaries returns them to the stream-ordered cache, which is safe.
            xs?.Dispose();
            ws?.Dispose();
            bs?.Dispose();
        }
    }

    /// <summary>The bias repeated over every row (a Linear with zero input features).</summary>
    private Tensor BroadcastBias(int[] shape, Tensor bias)
    {
        using var zeros = Full(shape, 0f);
        using var b32 = As(bias, DType.F32);
        return Add(zeros, b32);
    }
}
