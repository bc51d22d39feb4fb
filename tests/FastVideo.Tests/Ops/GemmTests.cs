using FastVideo.Backends.Cpu;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Ops;

/// <summary>
/// The packed GEMM core (<see cref="CpuGemm"/>) against a naive double-precision reference: every transpose,
/// alpha/beta, strided operands, ragged shapes around the micro-tile and cache-block sizes, 1..3 threads,
/// and guard values around C that must never be written.
/// </summary>
public class GemmTests
{
    /// <summary>op(A)·op(B) in double; A/B given with their leading dimensions.</summary>
    internal static double[] Reference(bool transA, bool transB, int M, int N, int K, float alpha, float[] A, int lda,
        float[] B, int ldb, float beta, float[] C, int ldc)
    {
        var r = new double[(long)M * N];
        var row = new double[N];
        for (int i = 0; i < M; i++)
        {
            Array.Clear(row);
            for (int k = 0; k < K; k++)
            {
                double av = transA ? A[(long)k * lda + i] : A[(long)i * lda + k];
                if (transB)
                    for (int j = 0; j < N; j++) row[j] += av * B[(long)j * ldb + k];
                else
                {
                    long o = (long)k * ldb;
                    for (int j = 0; j < N; j++) row[j] += av * B[o + j];
                }
            }
            for (int j = 0; j < N; j++)
                r[(long)i * N + j] = alpha * row[j] + (beta == 0 ? 0 : beta * (double)C[(long)i * ldc + j]);
        }
        return r;
    }

    private const float Guard = -12345.5f;

    /// <summary>Runs one case with padded leading dimensions and guard cells; checks values and guards.</summary>
    private static unsafe void RunCase(bool transA, bool transB, int M, int N, int K, float alpha, float beta, int threads, int pad = 3, int seed = 1)
    {
        int lda = (transA ? M : K) + pad, ldb = (transB ? K : N) + pad, ldc = N + pad;
        int aRows = transA ? K : M, bRows = transB ? N : K;
        var A = Numerics.RandomUniform(Math.Max(aRows * lda, 1), seed);
        var B = Numerics.RandomUniform(Math.Max(bRows * ldb, 1), seed + 1);
        var C = Numerics.RandomUniform(Math.Max(M * ldc, 1), seed + 2);
        for (int i = 0; i < M; i++)
            for (int j = N; j < ldc; j++) C[(long)i * ldc + j] = Guard;
        if (beta == 0) // beta = 0 must not read C: NaN there must not leak into the result
            for (int i = 0; i < M; i++) C[(long)i * ldc] = float.NaN;
        var expected = Reference(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        fixed (float* pa = A, pb = B, pc = C)
            CpuGemm.Gemm(transA, transB, M, N, K, alpha, pa, lda, pb, GemmBType.F32, ldb, beta, pc, ldc, null, threads);
        var actual = new float[(long)M * N];
        for (int i = 0; i < M; i++)
        {
            Array.Copy(C, (long)i * ldc, actual, (long)i * N, N);
            for (int j = N; j < ldc; j++)
                Assert.That(C[(long)i * ldc + j], Is.EqualTo(Guard), $"guard cell C[{i}, {j}] beyond N = {N} was written");
        }
        Numerics.AssertRelL2(actual, expected, 1e-5, $"sgemm tA={transA} tB={transB} {M}x{N}x{K} alpha={alpha} beta={beta} threads={threads}");
    }

    [TestCase(1, 1, 1)]
    [TestCase(1, 37, 5)]
    [TestCase(37, 1, 5)]
    [TestCase(1, 1, 300)]
    [TestCase(17, 33, 9)]
    [TestCase(65, 129, 257)]
    [TestCase(3, 70, 2)]
    [TestCase(200, 5, 31)]
    [TestCase(31, 97, 600)]
    public void AllTransposes(int M, int N, int K)
    {
        foreach (bool tA in new[] { false, true })
            foreach (bool tB in new[] { false, true })
                RunCase(tA, tB, M, N, K, 1f, 0f, threads: 2);
    }

    [TestCase(1f, 1f)]
    [TestCase(0.5f, -2f)]
    [TestCase(-1.25f, 0f)]
    [TestCase(0f, 0.75f)]
    public void AlphaBeta(float alpha, float beta)
    {
        RunCase(false, true, 3, 100, 40, alpha, beta, threads: 2);
        RunCase(true, false, 2, 130, 19, alpha, beta, threads: 2);
        RunCase(false, false, 45, 67, 89, alpha, beta, threads: 2);
        RunCase(true, true, 23, 130, 41, alpha, beta, threads: 1);
    }

    /// <summary>Shapes that cross the K-block (K &gt; KC = 1024), M-block (M &gt; MC = 112) and N-block (N &gt; NC = 1024) boundaries, and odd thread counts.</summary>
    [TestCase(30, 2100, 270, 1)]
    [TestCase(301, 70, 1100, 2)]
    [TestCase(97, 300, 100, 3)]
    [TestCase(530, 33, 17, 2)]
    public void CrossesCacheBlocks(int M, int N, int K, int threads)
    {
        RunCase(false, false, M, N, K, 1f, 0.5f, threads);
        RunCase(true, true, M, N, K, 0.75f, 0f, threads, seed: 7);
    }

    /// <summary>BF16/F16 B operands (converted while packing, or streamed by the few-rows path) in both layouts.</summary>
    [TestCase(DType.BF16)]
    [TestCase(DType.F16)]
    [TestCase(DType.F32)]
    public unsafe void TypedB(DType dtype)
    {
        var bType = dtype switch { DType.BF16 => GemmBType.BF16, DType.F16 => GemmBType.F16, _ => GemmBType.F32 };
        foreach (var (M, N, K) in new[] { (1, 150, 70), (3, 64, 33), (4, 200, 17), (5, 70, 45), (33, 97, 300) })
            foreach (bool tB in new[] { false, true })
            {
                int ldb = (tB ? K : N) + 1, ldc = N + 2;
                var A = Numerics.RandomUniform(M * K, 21);
                var Bf = Numerics.RandomUniform((tB ? N : K) * ldb, 22);
                var Bh = new ushort[Bf.Length];
                for (int i = 0; i < Bf.Length; i++)
                {
                    Bh[i] = bType == GemmBType.BF16 ? BFloat16.RoundToBits(Bf[i]) : BitConverter.HalfToUInt16Bits((Half)Bf[i]);
                    if (bType != GemmBType.F32)
                        Bf[i] = bType == GemmBType.BF16 ? BFloat16.BitsToSingle(Bh[i]) : (float)BitConverter.UInt16BitsToHalf(Bh[i]);
                }
                var bias = Numerics.RandomUniform(N, 23);
                var C = new float[M * ldc];
                var expected = Reference(false, tB, M, N, K, 0.5f, A, K, Bf, ldb, 0f, C, ldc);
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < N; j++) expected[i * N + j] += bias[j];
                fixed (float* pa = A, pc = C, pbias = bias, pbf = Bf)
                fixed (ushort* pbh = Bh)
                    CpuGemm.Gemm(false, tB, M, N, K, 0.5f, pa, K, bType == GemmBType.F32 ? pbf : pbh, bType, ldb, 0f, pc, ldc, pbias, 2);
                var actual = new float[M * N];
                for (int i = 0; i < M; i++) Array.Copy(C, i * ldc, actual, i * N, N);
                Numerics.AssertRelL2(actual, expected, 1e-5, $"{bType} B, tB={tB}, {M}x{N}x{K}");
            }
    }

    [Test]
    public void KZeroScalesC()
    {
        RunCase(false, false, 5, 7, 0, 1f, 0.5f, threads: 2);
        RunCase(false, true, 5, 7, 0, 1f, 0f, threads: 2);
    }

    [Test]
    public unsafe void SgemmEntryMatchesPackedRowMajor()
    {
        const int M = 19, N = 21, K = 23;
        var A = Numerics.RandomNormal(M * K, 3);
        var B = Numerics.RandomNormal(K * N, 4);
        var C = new float[M * N];
        fixed (float* pa = A, pb = B, pc = C)
            CpuGemm.Sgemm(false, false, M, N, K, 1f, pa, K, pb, N, 0f, pc, N);
        Numerics.AssertRelL2(C, Reference(false, false, M, N, K, 1f, A, K, B, N, 0f, C, N), 1e-5, "Sgemm");
    }
}

/// <summary>The vectorised f16 → f32 conversion used while packing F16 weights, for every one of the 65536 inputs.</summary>
public class GemmConversionTests
{
    [Test]
    public unsafe void F16ToF32IsExactForAllValues()
    {
        Assume.That(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, "needs AVX-512");
        var bits = new ushort[65536];
        for (int i = 0; i < bits.Length; i++) bits[i] = (ushort)i;
        var got = new float[16];
        fixed (ushort* p = bits)
            for (int i = 0; i < bits.Length; i += 16)
            {
                System.Runtime.Intrinsics.Vector512.Store(F16Load.Load((byte*)(p + i)), (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref got[0]));
                for (int j = 0; j < 16; j++)
                {
                    float want = (float)BitConverter.UInt16BitsToHalf(bits[i + j]);
                    if (float.IsNaN(want)) Assert.That(float.IsNaN(got[j]), $"0x{bits[i + j]:X4} should be NaN, got {got[j]}");
                    else Assert.That(BitConverter.SingleToUInt32Bits(got[j]), Is.EqualTo(BitConverter.SingleToUInt32Bits(want)), $"0x{bits[i + j]:X4}");
                }
            }
    }
}
