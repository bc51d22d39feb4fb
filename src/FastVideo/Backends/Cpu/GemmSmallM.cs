using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastVideo.Backends.Cpu;

/// <summary>
/// GEMM with very few rows of C (M ≤ <see cref="MaxRows"/>: the time-embedding and pooled-text Linears), where
/// packing B would cost as much as the product and an MR-row tile would be mostly padding. Streams op(B) once,
/// converting on load, with all M rows of A in flight: bound by memory bandwidth on B, as it should be.
/// AVX-512 only; other machines use the packed path for every shape.
/// </summary>
internal static unsafe class GemmSmallM
{
    public const int MaxRows = 4;

    /// <summary>Same contract as <see cref="CpuGemm.Gemm"/>, for 1 ≤ M ≤ <see cref="MaxRows"/>, K ≥ 1, alpha ≠ 0.</summary>
    public static void Run(bool transA, bool transB, int M, int N, int K, float alpha,
        float* A, int lda, void* B, GemmBType bType, int ldb, float beta, float* C, int ldc, float* bias, int threads)
    {
        // op(A) rows copied contiguous (at most 4·K floats): the inner loops then read each with unit stride.
        var rented = ArrayPool<float>.Shared.Rent(M * K);
        try
        {
            fixed (float* a = rented)
            {
                for (int i = 0; i < M; i++)
                    for (int k = 0; k < K; k++)
                        a[(long)i * K + k] = transA ? A[(long)k * lda + i] : A[(long)i * lda + k];
                var job = new Job { M = M, K = K, Alpha = alpha, A = a, B = B, Ldb = ldb, Beta = beta, C = C, Ldc = ldc, Bias = bias };
                // Column chunks of 64 (the !transB kernel's width) split across threads.
                int chunks = (N + 63) / 64;
                int parts = (long)M * N * K < CpuGemm.ParallelMinMacs ? 1 : Math.Min(Math.Max(threads, 1), chunks);
                if (parts == 1)
                    Columns(in job, transB, bType, 0, N);
                else
                    Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
                    {
                        int j0 = (int)((long)chunks * p / parts) * 64, j1 = Math.Min((int)((long)chunks * (p + 1) / parts) * 64, N);
                        Columns(in job, transB, bType, j0, j1);
                    });
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    private struct Job
    {
        public int M, K, Ldb, Ldc;
        public float Alpha, Beta;
        public float* A, C, Bias;
        public void* B;
    }

    private static void Columns(in Job job, bool transB, GemmBType bType, int j0, int j1)
    {
        switch (bType, transB)
        {
            case (GemmBType.F32, true): Dots<F32Load>(in job, j0, j1); break;
            case (GemmBType.BF16, true): Dots<Bf16Load>(in job, j0, j1); break;
            case (GemmBType.F16, true): Dots<F16Load>(in job, j0, j1); break;
            case (GemmBType.F32, false): Axpys<F32Load>(in job, j0, j1); break;
            case (GemmBType.BF16, false): Axpys<Bf16Load>(in job, j0, j1); break;
            default: Axpys<F16Load>(in job, j0, j1); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(in Job job, int i, int j, float dot)
    {
        float* c = job.C + (long)i * job.Ldc + j;
        float r = job.Alpha * dot + (job.Bias == null ? 0f : job.Bias[j]);
        if (job.Beta != 0f) r += job.Beta * *c;
        *c = r;
    }

    /// <summary>
    /// B is N×K (a Linear weight): C[i, j] = dot(A row i, B row j). Four B rows at a time against every row of A:
    /// 16 independent accumulator chains hide the FMA latency, each loaded A vector serves four columns.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dots<T>(in Job job, int j0, int j1) where T : IRowLoad
    {
        int M = job.M, K = job.K, size = T.Size;
        float* a0 = job.A, a1 = a0 + (M > 1 ? K : 0), a2 = a0 + (M > 2 ? 2 * K : 0), a3 = a0 + (M > 3 ? 3 * K : 0);
        var dot = stackalloc float[16];
        int j = j0;
        for (; j + 4 <= j1; j += 4)
        {
            long rowBytes = (long)job.Ldb * size;
            byte* b0 = (byte*)job.B + j * rowBytes, b1 = b0 + rowBytes, b2 = b1 + rowBytes, b3 = b2 + rowBytes;
            Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default;
            Vector512<float> s20 = default, s21 = default, s22 = default, s23 = default, s30 = default, s31 = default, s32 = default, s33 = default;
            int k = 0;
            for (; k + 16 <= K; k += 16)
            {
                long o = (long)k * size;
                var w0 = T.Load(b0 + o); var w1 = T.Load(b1 + o); var w2 = T.Load(b2 + o); var w3 = T.Load(b3 + o);
                var x = Vector512.Load(a0 + k);
                s00 = Vector512.FusedMultiplyAdd(x, w0, s00); s01 = Vector512.FusedMultiplyAdd(x, w1, s01);
                s02 = Vector512.FusedMultiplyAdd(x, w2, s02); s03 = Vector512.FusedMultiplyAdd(x, w3, s03);
                x = Vector512.Load(a1 + k);
                s10 = Vector512.FusedMultiplyAdd(x, w0, s10); s11 = Vector512.FusedMultiplyAdd(x, w1, s11);
                s12 = Vector512.FusedMultiplyAdd(x, w2, s12); s13 = Vector512.FusedMultiplyAdd(x, w3, s13);
                x = Vector512.Load(a2 + k);
                s20 = Vector512.FusedMultiplyAdd(x, w0, s20); s21 = Vector512.FusedMultiplyAdd(x, w1, s21);
                s22 = Vector512.FusedMultiplyAdd(x, w2, s22); s23 = Vector512.FusedMultiplyAdd(x, w3, s23);
                x = Vector512.Load(a3 + k);
                s30 = Vector512.FusedMultiplyAdd(x, w0, s30); s31 = Vector512.FusedMultiplyAdd(x, w1, s31);
                s32 = Vector512.FusedMultiplyAdd(x, w2, s32); s33 = Vector512.FusedMultiplyAdd(x, w3, s33);
            }
            dot[0] = Vector512.Sum(s00); dot[1] = Vector512.Sum(s01); dot[2] = Vector512.Sum(s02); dot[3] = Vector512.Sum(s03);
            dot[4] = Vector512.Sum(s10); dot[5] = Vector512.Sum(s11); dot[6] = Vector512.Sum(s12); dot[7] = Vector512.Sum(s13);
            dot[8] = Vector512.Sum(s20); dot[9] = Vector512.Sum(s21); dot[10] = Vector512.Sum(s22); dot[11] = Vector512.Sum(s23);
            dot[12] = Vector512.Sum(s30); dot[13] = Vector512.Sum(s31); dot[14] = Vector512.Sum(s32); dot[15] = Vector512.Sum(s33);
            for (; k < K; k++)
            {
                long o = (long)k * size;
                float w0 = T.LoadOne(b0 + o), w1 = T.LoadOne(b1 + o), w2 = T.LoadOne(b2 + o), w3 = T.LoadOne(b3 + o);
                float x0 = a0[k], x1 = a1[k], x2 = a2[k], x3 = a3[k];
                dot[0] += x0 * w0; dot[1] += x0 * w1; dot[2] += x0 * w2; dot[3] += x0 * w3;
                dot[4] += x1 * w0; dot[5] += x1 * w1; dot[6] += x1 * w2; dot[7] += x1 * w3;
                dot[8] += x2 * w0; dot[9] += x2 * w1; dot[10] += x2 * w2; dot[11] += x2 * w3;
                dot[12] += x3 * w0; dot[13] += x3 * w1; dot[14] += x3 * w2; dot[15] += x3 * w3;
            }
            for (int i = 0; i < M; i++)
                for (int c = 0; c < 4; c++) Store(in job, i, j + c, dot[i * 4 + c]);
        }
        for (; j < j1; j++)
        {
            byte* b = (byte*)job.B + (long)j * job.Ldb * size;
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            int k = 0;
            for (; k + 16 <= K; k += 16)
            {
                var w = T.Load(b + (long)k * size);
                s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a0 + k), w, s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.Load(a1 + k), w, s1);
                s2 = Vector512.FusedMultiplyAdd(Vector512.Load(a2 + k), w, s2);
                s3 = Vector512.FusedMultiplyAdd(Vector512.Load(a3 + k), w, s3);
            }
            float d0 = Vector512.Sum(s0), d1 = Vector512.Sum(s1), d2 = Vector512.Sum(s2), d3 = Vector512.Sum(s3);
            for (; k < K; k++)
            {
                float w = T.LoadOne(b + (long)k * size);
                d0 += a0[k] * w; d1 += a1[k] * w; d2 += a2[k] * w; d3 += a3[k] * w;
            }
            Store(in job, 0, j, d0);
            if (M > 1) Store(in job, 1, j, d1);
            if (M > 2) Store(in job, 2, j, d2);
            if (M > 3) Store(in job, 3, j, d3);
        }
    }

    /// <summary>B is K×N: C row i = Σₖ A[i, k]·B row k, 64 columns at a time (16 accumulators for 4 rows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Axpys<T>(in Job job, int j0, int j1) where T : IRowLoad
    {
        int M = job.M, K = job.K, size = T.Size;
        float* a0 = job.A, a1 = a0 + (M > 1 ? K : 0), a2 = a0 + (M > 2 ? 2 * K : 0), a3 = a0 + (M > 3 ? 3 * K : 0);
        var acc = stackalloc float[4 * 64];
        for (int j = j0; j < j1; j += 64)
        {
            int n = Math.Min(64, j1 - j);
            if (n == 64)
            {
                Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
                Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
                for (int k = 0; k < K; k++)
                {
                    byte* b = (byte*)job.B + ((long)k * job.Ldb + j) * size;
                    var b0 = T.Load(b); var b1 = T.Load(b + 16 * size); var b2 = T.Load(b + 32 * size); var b3 = T.Load(b + 48 * size);
                    var x0 = Vector512.Create(a0[k]); var x1 = Vector512.Create(a1[k]); var x2 = Vector512.Create(a2[k]); var x3 = Vector512.Create(a3[k]);
                    c00 = Vector512.FusedMultiplyAdd(x0, b0, c00); c01 = Vector512.FusedMultiplyAdd(x0, b1, c01);
                    c02 = Vector512.FusedMultiplyAdd(x0, b2, c02); c03 = Vector512.FusedMultiplyAdd(x0, b3, c03);
                    c10 = Vector512.FusedMultiplyAdd(x1, b0, c10); c11 = Vector512.FusedMultiplyAdd(x1, b1, c11);
                    c12 = Vector512.FusedMultiplyAdd(x1, b2, c12); c13 = Vector512.FusedMultiplyAdd(x1, b3, c13);
                    c20 = Vector512.FusedMultiplyAdd(x2, b0, c20); c21 = Vector512.FusedMultiplyAdd(x2, b1, c21);
                    c22 = Vector512.FusedMultiplyAdd(x2, b2, c22); c23 = Vector512.FusedMultiplyAdd(x2, b3, c23);
                    c30 = Vector512.FusedMultiplyAdd(x3, b0, c30); c31 = Vector512.FusedMultiplyAdd(x3, b1, c31);
                    c32 = Vector512.FusedMultiplyAdd(x3, b2, c32); c33 = Vector512.FusedMultiplyAdd(x3, b3, c33);
                }
                c00.Store(acc); c01.Store(acc + 16); c02.Store(acc + 32); c03.Store(acc + 48);
                c10.Store(acc + 64); c11.Store(acc + 80); c12.Store(acc + 96); c13.Store(acc + 112);
                c20.Store(acc + 128); c21.Store(acc + 144); c22.Store(acc + 160); c23.Store(acc + 176);
                c30.Store(acc + 192); c31.Store(acc + 208); c32.Store(acc + 224); c33.Store(acc + 240);
            }
            else
            {
                for (int t = 0; t < 4 * 64; t++) acc[t] = 0f;
                for (int k = 0; k < K; k++)
                {
                    byte* b = (byte*)job.B + ((long)k * job.Ldb + j) * size;
                    float x0 = a0[k], x1 = a1[k], x2 = a2[k], x3 = a3[k];
                    for (int jj = 0; jj < n; jj++)
                    {
                        float w = T.LoadOne(b + (long)jj * size);
                        acc[jj] += x0 * w; acc[64 + jj] += x1 * w; acc[128 + jj] += x2 * w; acc[192 + jj] += x3 * w;
                    }
                }
            }
            for (int i = 0; i < M; i++)
                for (int jj = 0; jj < n; jj++) Store(in job, i, j + jj, acc[i * 64 + jj]);
        }
    }
}
