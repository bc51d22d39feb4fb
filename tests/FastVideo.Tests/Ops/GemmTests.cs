using FastVideo.Backends.Cpu;
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
        RunCase(false, false, 45, 67, 89, alpha, beta, threads: 2);
        RunCase(true, true, 23, 130, 41, alpha, beta, threads: 1);
    }

    /// <summary>Shapes that cross the K-block (K &gt; KC), M-block and N-block boundaries, and odd thread counts.</summary>
    [TestCase(150, 520, 700, 1)]
    [TestCase(301, 70, 530, 2)]
    [TestCase(97, 1100, 260, 3)]
    [TestCase(530, 33, 17, 2)]
    public void CrossesCacheBlocks(int M, int N, int K, int threads)
    {
        RunCase(false, false, M, N, K, 1f, 0.5f, threads);
        RunCase(true, true, M, N, K, 0.75f, 0f, threads, seed: 7);
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
