namespace FastVideo.Backends.Cpu;

/// <summary>
/// Single-precision GEMM on row-major matrices: C = alpha·op(A)·op(B) + beta·C, op = identity or transpose.
/// A is M×K (or K×M when transA), B is K×N (or N×K when transB); lda/ldb/ldc are row strides in elements.
/// Multithreaded internally. Other CPU ops (convolution via im2col) call it.
/// </summary>
internal static unsafe class CpuGemm
{
    // Placeholder: naive loops, to be replaced by the blocked Vector512 kernel.
    public static void Sgemm(bool transA, bool transB, int M, int N, int K, float alpha,
        float* A, int lda, float* B, int ldb, float beta, float* C, int ldc)
    {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
            {
                float acc = 0;
                for (int k = 0; k < K; k++)
                {
                    float av = transA ? A[(long)k * lda + i] : A[(long)i * lda + k];
                    float bv = transB ? B[(long)j * ldb + k] : B[(long)k * ldb + j];
                    acc += av * bv;
                }
                float* c = C + (long)i * ldc + j;
                *c = beta == 0 ? alpha * acc : alpha * acc + beta * *c;
            }
    }
}
