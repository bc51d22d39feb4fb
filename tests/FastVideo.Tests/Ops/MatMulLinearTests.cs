using FastVideo.Backends;
using FastVideo.Backends.Cpu;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Ops;

/// <summary><see cref="IBackend.MatMul"/> and <see cref="IBackend.Linear"/> on the CPU backend against double references.</summary>
public class MatMulLinearTests
{
    private static readonly IBackend Cpu = CpuBackend.Default;

    /// <summary>Broadcast batch index → flat index in a tensor with batch shape <paramref name="own"/>.</summary>
    private static long Flat(int[] batchIdx, int[] own)
    {
        int lead = batchIdx.Length - own.Length;
        long f = 0;
        for (int d = 0; d < own.Length; d++) f = f * own[d] + (own[d] == 1 ? 0 : batchIdx[d + lead]);
        return f;
    }

    private static void CheckMatMul(int[] aShape, int[] bShape, bool transposeB, float alpha, int[] expectShape, int seed = 1)
    {
        int M = aShape[^2], K = aShape[^1], N = transposeB ? bShape[^2] : bShape[^1];
        var aVals = Numerics.RandomNormal((int)ShapeUtil.Numel(aShape), seed);
        var bVals = Numerics.RandomNormal((int)ShapeUtil.Numel(bShape), seed + 1);
        using var a = Tensor.FromHost<float>(aVals, aShape);
        using var b = Tensor.FromHost<float>(bVals, bShape);
        using var c = Cpu.MatMul(a, b, transposeB, alpha);
        Assert.That(c.Shape, Is.EqualTo(expectShape), "result shape");

        int[] batch = expectShape[..^2];
        int[] aB = aShape[..^2], bB = bShape[..^2];
        long count = ShapeUtil.Numel(batch);
        var expected = new double[count * M * N];
        var idx = new int[batch.Length];
        for (long t = 0; t < count; t++)
        {
            long ao = Flat(idx, aB) * M * K, bo = Flat(idx, bB) * K * N;
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++)
                {
                    double s = 0;
                    for (int k = 0; k < K; k++)
                        s += (double)aVals[ao + (long)i * K + k] * bVals[bo + (transposeB ? (long)j * K + k : (long)k * N + j)];
                    expected[t * M * N + (long)i * N + j] = alpha * s;
                }
            for (int d = batch.Length - 1; d >= 0; d--) { if (++idx[d] < batch[d]) break; idx[d] = 0; }
        }
        Numerics.AssertRelL2(c.ToArray<float>(), expected, 1e-5,
            $"MatMul a [{ShapeUtil.Format(aShape)}] b [{ShapeUtil.Format(bShape)}] transposeB={transposeB}");
    }

    [Test]
    public void MatMul2D() => CheckMatMul([17, 9], [9, 33], false, 1f, [17, 33]);

    [Test]
    public void MatMulOnes() => CheckMatMul([1, 1], [1, 1], false, 1f, [1, 1]);

    [Test]
    public void MatMulRowVector() => CheckMatMul([1, 40], [40, 70], false, 1f, [1, 70]);

    [Test]
    public void MatMulTransposedBWithAlpha() => CheckMatMul([65, 257], [129, 257], true, 0.125f, [65, 129]);

    [Test]
    public void MatMulBatchedSharedB() => CheckMatMul([2, 3, 13, 20], [20, 11], false, 1f, [2, 3, 13, 11]);

    [Test]
    public void MatMulBatchedBothSides() => CheckMatMul([4, 7, 5], [4, 5, 6], false, 1f, [4, 7, 6]);

    [Test]
    public void MatMulBroadcastBatch() => CheckMatMul([3, 1, 7, 5], [4, 6, 5], true, 2f, [3, 4, 7, 6]);

    [Test]
    public void MatMulBroadcastA() => CheckMatMul([9, 12], [2, 3, 12, 10], false, 1f, [2, 3, 9, 10]);

    [Test]
    public void MatMulManySmallBatches() => CheckMatMul([2, 24, 31, 16], [2, 24, 16, 31], false, 0.25f, [2, 24, 31, 31]);

    [Test]
    public void MatMulRejectsBadShapes()
    {
        using var a = Tensor.FromHost<float>(new float[6], 2, 3);
        using var b = Tensor.FromHost<float>(new float[8], 4, 2);
        var e = Assert.Throws<ShapeMismatchException>(() => Cpu.MatMul(a, b).Dispose())!;
        Assert.That(e.Message, Does.Contain("MatMul").And.Contain("[2, 3]").And.Contain("[4, 2]"));
        using var v = Tensor.FromHost<float>(new float[3], 3);
        Assert.Throws<ShapeMismatchException>(() => Cpu.MatMul(v, b).Dispose());
        using var b3 = Tensor.FromHost<float>(new float[3 * 3 * 2], 3, 3, 2);
        using var a3 = Tensor.FromHost<float>(new float[2 * 2 * 3], 2, 2, 3);
        Assert.Throws<ShapeMismatchException>(() => Cpu.MatMul(a3, b3).Dispose());
        using var h = Tensor.FromHost<Half>(new Half[6], 3, 2);
        Assert.Throws<ArgumentException>(() => Cpu.MatMul(a, h).Dispose());
    }

    /// <summary>Weight values as the GEMM sees them (after rounding to the weight dtype).</summary>
    private static (Tensor W, float[] Rounded) MakeWeight(DType dtype, int outF, int inF, int seed)
    {
        var w = Numerics.RandomNormal(outF * inF, seed, 0.2f);
        using var f = Tensor.FromHost<float>(w, outF, inF);
        Tensor t = dtype switch
        {
            DType.F32 => f.Share(),
            DType.BF16 => Tensor.FromHost<BFloat16>(w.Select(v => (BFloat16)v).ToArray(), outF, inF),
            DType.F16 => Tensor.FromHost<Half>(w.Select(v => (Half)v).ToArray(), outF, inF),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
        };
        return (t, t.ToFloatArray());
    }

    [TestCase(DType.F32, true)]
    [TestCase(DType.F32, false)]
    [TestCase(DType.BF16, true)]
    [TestCase(DType.BF16, false)]
    [TestCase(DType.F16, true)]
    [TestCase(DType.F16, false)]
    public void LinearMatchesReference(DType wType, bool withBias)
    {
        foreach (var (xShape, outF) in new (int[], int)[] { ([1], 1), ([2, 3, 37], 29), ([1, 5, 300], 65), ([130, 64], 257), ([23], 600) })
        {
            int inF = xShape[^1];
            long rows = ShapeUtil.Numel(xShape) / inF;
            var xv = Numerics.RandomNormal((int)ShapeUtil.Numel(xShape), 11);
            using var x = Tensor.FromHost<float>(xv, xShape);
            var (w, wr) = MakeWeight(wType, outF, inF, 12);
            using var _w = w;
            Tensor? bias = null;
            float[]? br = null;
            if (withBias)
            {
                var bv = Numerics.RandomNormal(outF, 13);
                bias = wType == DType.F32 ? Tensor.FromHost<float>(bv, outF) : Tensor.FromHost<BFloat16>(bv.Select(v => (BFloat16)v).ToArray(), outF);
                br = bias.ToFloatArray();
            }
            using var _b = bias;
            using var y = Cpu.Linear(x, w, bias);
            var expectShape = xShape.ToArray();
            expectShape[^1] = outF;
            Assert.That(y.Shape, Is.EqualTo(expectShape));
            var expected = new double[rows * outF];
            for (long r = 0; r < rows; r++)
                for (int o = 0; o < outF; o++)
                {
                    double s = br?[o] ?? 0;
                    for (int k = 0; k < inF; k++) s += (double)xv[r * inF + k] * wr[(long)o * inF + k];
                    expected[r * outF + o] = s;
                }
            Numerics.AssertRelL2(y.ToArray<float>(), expected, 1e-5, $"Linear x [{ShapeUtil.Format(xShape)}] W {wType} [{outF}, {inF}] bias={withBias}");
        }
    }

    [Test]
    public void LinearRejectsBadArguments()
    {
        using var x = Tensor.FromHost<float>(new float[6], 2, 3);
        using var w = Tensor.FromHost<float>(new float[8], 2, 4);
        var e = Assert.Throws<ShapeMismatchException>(() => Cpu.Linear(x, w).Dispose())!;
        Assert.That(e.Message, Does.Contain("Linear").And.Contain("[2, 3]").And.Contain("[2, 4]"));
        using var w3 = Tensor.FromHost<float>(new float[6], 2, 3);
        using var badBias = Tensor.FromHost<float>(new float[3], 3);
        e = Assert.Throws<ShapeMismatchException>(() => Cpu.Linear(x, w3, badBias).Dispose())!;
        Assert.That(e.Message, Does.Contain("bias"));
        using var wi = Tensor.FromHost<int>(new int[6], 2, 3);
        Assert.Throws<ArgumentException>(() => Cpu.Linear(x, wi).Dispose());
        using var xh = Tensor.FromHost<Half>(new Half[6], 2, 3);
        Assert.Throws<ArgumentException>(() => Cpu.Linear(xh, w3).Dispose());
    }
}
