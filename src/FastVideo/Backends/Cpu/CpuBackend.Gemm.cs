using FastVideo.Tensors;

namespace FastVideo.Backends.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>
    /// Work below this many multiply-adds per matrix is too small to split across threads; a batch of such
    /// matrices is spread over the threads one matrix each instead.
    /// </summary>
    private const long SmallGemmMacs = 1L << 21;

    /// <inheritdoc/>
    public unsafe Tensor MatMul(Tensor a, Tensor b, bool transposeB = false, float alpha = 1f)
    {
        const string op = "MatMul";
        RequireF32(a, op, "a");
        RequireF32(b, op, "b");
        var (shape, aBatch, bBatch, batch, M, N, K) = OpShapes.MatMul(a, b, transposeB);
        var c = Empty(shape);
        long batchCount = ShapeUtil.Numel(batch);
        if (c.Numel == 0) return c;

        float* pa = (float*)a.DataPointer, pb = (float*)b.DataPointer, pc = (float*)c.DataPointer;
        int ldb = transposeB ? K : N;
        long aStride = (long)M * K, bStride = (long)K * N, cStride = (long)M * N;

        // b shared by every batch entry (b 2-D, or its batch dims all 1) and a not broadcast: one GEMM of
        // batch·M rows reuses every packed panel of b across the whole batch.
        if (ShapeUtil.Numel(bBatch) == 1 && ShapeUtil.Numel(aBatch) == batchCount && batchCount * M <= int.MaxValue)
        {
            CpuGemm.Gemm(false, transposeB, (int)(batchCount * M), N, K, alpha, pa, K, pb, GemmBType.F32, ldb, 0f, pc, N, null, Threads);
            return c;
        }

        // Element offsets of each batch entry in a and b (stride 0 along broadcast dimensions).
        var aOff = OpShapes.BatchOffsets(aBatch, batch, aStride);
        var bOff = OpShapes.BatchOffsets(bBatch, batch, bStride);
        long macs = (long)M * N * K;
        if (Threads > 1 && batchCount > 1 && macs < SmallGemmMacs)
        {
            nint ia = (nint)pa, ib = (nint)pb, ic = (nint)pc;
            Parallel.For(0, batchCount, new ParallelOptions { MaxDegreeOfParallelism = Threads }, i =>
                CpuGemm.Gemm(false, transposeB, M, N, K, alpha, (float*)ia + aOff[i], K, (float*)ib + bOff[i], GemmBType.F32, ldb,
                    0f, (float*)ic + i * cStride, N, null, 1));
        }
        else
        {
            for (long i = 0; i < batchCount; i++)
                CpuGemm.Gemm(false, transposeB, M, N, K, alpha, pa + aOff[i], K, pb + bOff[i], GemmBType.F32, ldb,
                    0f, pc + i * cStride, N, null, Threads);
        }
        return c;
    }

    /// <inheritdoc/>
    public unsafe Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        const string op = "Linear";
        RequireF32(x, op, "x");
        RequireCpu(weight, op, "weight");
        if (bias != null) RequireCpu(bias, op, "bias");
        var shape = OpShapes.Linear(x, weight, bias);
        int outF = shape[^1], inF = weight.Size(1);
        var y = Empty(shape);
        if (y.Numel == 0) return y;
        long rows = ShapeUtil.Numel(x.ShapeSpan[..^1]);
        if (rows > int.MaxValue)
            throw new ArgumentException($"{op}: x [{ShapeUtil.Format(x.ShapeSpan)}] has {rows} rows, more than a GEMM takes");

        float[]? biasF32 = null;
        if (bias != null && bias.DType != DType.F32) biasF32 = bias.ToFloatArray();
        var bType = weight.DType switch { DType.BF16 => GemmBType.BF16, DType.F16 => GemmBType.F16, _ => GemmBType.F32 };
        fixed (float* pbConv = biasF32)
        {
            float* pbias = bias == null ? null : biasF32 != null ? pbConv : (float*)bias.DataPointer;
            CpuGemm.Gemm(false, true, (int)rows, outF, inF, 1f, (float*)x.DataPointer, inF, (void*)weight.DataPointer, bType, inF,
                0f, (float*)y.DataPointer, outF, pbias, Threads);
        }
        return y;
    }
}
