using FastVideo.Tensors;

namespace FastVideo.Backends.Cpu;

/// <summary>Element type of the B operand of <see cref="CpuGemm"/>: converted to F32 while packing.</summary>
internal enum GemmBType : byte { F32, BF16, F16 }

/// <summary>
/// Single-precision GEMM on row-major matrices: C = alpha·op(A)·op(B) + beta·C, op = identity or transpose.
/// A is M×K (or K×M when transA), B is K×N (or N×K when transB); lda/ldb/ldc are row strides in elements.
/// Multithreaded internally. Other CPU ops (convolution via im2col) call it.
/// </summary>
internal static unsafe class CpuGemm
{
    /// <summary>C = alpha·op(A)·op(B) + beta·C with all processors. beta = 0 never reads C (NaN in C is overwritten).</summary>
    public static void Sgemm(bool transA, bool transB, int M, int N, int K, float alpha,
        float* A, int lda, float* B, int ldb, float beta, float* C, int ldc)
        => Gemm(transA, transB, M, N, K, alpha, A, lda, B, GemmBType.F32, ldb, beta, C, ldc, null, Environment.ProcessorCount);

    /// <summary>
    /// The general entry: B of element type <paramref name="bType"/> (converted to F32 while packing), an optional
    /// F32 <paramref name="bias"/> of N values added to every row (C = alpha·op(A)·op(B) + beta·C + bias), and an
    /// explicit degree of parallelism.
    /// </summary>
    public static void Gemm(bool transA, bool transB, int M, int N, int K, float alpha,
        float* A, int lda, void* B, GemmBType bType, int ldb, float beta, float* C, int ldc, float* bias, int threads)
    {
        // Placeholder: naive loops, to be replaced by the blocked Vector512 kernel.
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
            {
                float acc = 0;
                for (int k = 0; k < K; k++)
                {
                    float av = transA ? A[(long)k * lda + i] : A[(long)i * lda + k];
                    long bi = transB ? (long)j * ldb + k : (long)k * ldb + j;
                    float bv = bType switch
                    {
                        GemmBType.F32 => ((float*)B)[bi],
                        GemmBType.BF16 => BFloat16.BitsToSingle(((ushort*)B)[bi]),
                        _ => (float)((Half*)B)[bi],
                    };
                    acc += av * bv;
                }
                float* c = C + (long)i * ldc + j;
                float r = beta == 0 ? alpha * acc : alpha * acc + beta * *c;
                *c = bias == null ? r : r + bias[j];
            }
    }
}
