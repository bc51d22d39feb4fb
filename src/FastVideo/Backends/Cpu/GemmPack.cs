using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FastVideo.Tensors;

namespace FastVideo.Backends.Cpu;

/// <summary>
/// Packing of GEMM operands into the micro-panel layouts the micro-kernels stream through:
/// A block (mc×kc) → ⌈mc/MR⌉ panels, each kc steps of MR consecutive row values (panel[k·MR + i]);
/// B block (kc×nc) → ⌈nc/NR⌉ panels, each kc steps of NR consecutive column values (panel[k·NR + j]).
/// Rows/columns past the matrix edge are zero, so the kernels always compute full tiles.
/// B of BF16/F16 storage is converted to F32 here, one block at a time, never as a whole matrix.
/// </summary>
internal static unsafe class GemmPack
{
    /// <summary>
    /// Packs rows [i0, i0+mc) and depth [k0, k0+kc) of op(A). A is row-major M×K (lda) or, when
    /// <paramref name="transA"/>, K×M (lda).
    /// </summary>
    public static void PackA(bool transA, float* A, int lda, int i0, int mc, int k0, int kc, int mr, float* dst)
    {
        for (int p = 0; p < mc; p += mr)
        {
            int rows = Math.Min(mr, mc - p);
            float* panel = dst + (long)p * kc;
            if (transA)
            {
                // op(A)[i, k] = A[k, i]: each k step is a contiguous run of rows.
                for (int k = 0; k < kc; k++)
                {
                    float* src = A + (long)(k0 + k) * lda + i0 + p;
                    float* d = panel + (long)k * mr;
                    int i = 0;
                    for (; i < rows; i++) d[i] = src[i];
                    for (; i < mr; i++) d[i] = 0f;
                }
            }
            else
            {
                for (int i = 0; i < rows; i++)
                {
                    float* src = A + (long)(i0 + p + i) * lda + k0;
                    float* d = panel + i;
                    for (int k = 0; k < kc; k++) d[(long)k * mr] = src[k];
                }
                for (int i = rows; i < mr; i++)
                    for (int k = 0; k < kc; k++) panel[(long)k * mr + i] = 0f;
            }
        }
    }

    /// <summary>
    /// Packs columns [j0, j0+nc) and depth [k0, k0+kc) of op(B), converting <paramref name="bType"/> to F32.
    /// B is row-major K×N (ldb) or, when <paramref name="transB"/>, N×K (ldb), as a Linear weight [out, in].
    /// </summary>
    public static void PackB(bool transB, void* B, GemmBType bType, int ldb, int j0, int nc, int k0, int kc, int nr, float* dst)
    {
        for (int p = 0; p < nc; p += nr)
        {
            int cols = Math.Min(nr, nc - p);
            float* panel = dst + (long)p * kc;
            if (transB)
            {
                // op(B)[k, j] = B[j, k]: read each row of B contiguously, write it down one panel column.
                for (int j = 0; j < cols; j++)
                {
                    long row = (long)(j0 + p + j) * ldb + k0;
                    float* d = panel + j;
                    switch (bType)
                    {
                        case GemmBType.F32:
                            {
                                float* src = (float*)B + row;
                                for (int k = 0; k < kc; k++) d[(long)k * nr] = src[k];
                                break;
                            }
                        case GemmBType.BF16:
                            {
                                ushort* src = (ushort*)B + row;
                                for (int k = 0; k < kc; k++) d[(long)k * nr] = BFloat16.BitsToSingle(src[k]);
                                break;
                            }
                        default:
                            {
                                Half* src = (Half*)B + row;
                                for (int k = 0; k < kc; k++) d[(long)k * nr] = (float)src[k];
                                break;
                            }
                    }
                }
                for (int j = cols; j < nr; j++)
                    for (int k = 0; k < kc; k++) panel[(long)k * nr + j] = 0f;
            }
            else
            {
                // op(B)[k, j] = B[k, j]: each k step is a contiguous run of columns.
                for (int k = 0; k < kc; k++)
                {
                    long row = (long)(k0 + k) * ldb + j0 + p;
                    float* d = panel + (long)k * nr;
                    ConvertRow(B, bType, row, d, cols);
                    for (int j = cols; j < nr; j++) d[j] = 0f;
                }
            }
        }
    }

    /// <summary>d[0..n) = (float)B[offset + 0..n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ConvertRow(void* B, GemmBType bType, long offset, float* d, int n)
    {
        int j = 0;
        switch (bType)
        {
            case GemmBType.F32:
                {
                    float* src = (float*)B + offset;
                    if (Vector512.IsHardwareAccelerated)
                        for (; j + 16 <= n; j += 16) Vector512.Store(Vector512.Load(src + j), d + j);
                    else if (Vector256.IsHardwareAccelerated)
                        for (; j + 8 <= n; j += 8) Vector256.Store(Vector256.Load(src + j), d + j);
                    for (; j < n; j++) d[j] = src[j];
                    break;
                }
            case GemmBType.BF16:
                {
                    ushort* src = (ushort*)B + offset;
                    if (Vector512.IsHardwareAccelerated)
                        for (; j + 16 <= n; j += 16)
                            Vector512.Store(Vector512.ShiftLeft(Vector512.WidenLower(Vector256.Load(src + j).ToVector512Unsafe()), 16).AsSingle(), d + j);
                    for (; j < n; j++) d[j] = BFloat16.BitsToSingle(src[j]);
                    break;
                }
            default:
                {
                    Half* src = (Half*)B + offset;
                    for (; j < n; j++) d[j] = (float)src[j];
                    break;
                }
        }
    }
}
