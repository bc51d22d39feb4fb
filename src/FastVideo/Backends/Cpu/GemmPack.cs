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
    /// <summary>Floats a pack buffer needs past its end: transposed A columns are stored 16 lanes wide for MR = 14.</summary>
    public const int SlackFloats = 16;

    /// <summary>
    /// Packs rows [i0, i0+mc) and depth [k0, k0+kc) of op(A). A is row-major M×K (lda) or, when
    /// <paramref name="transA"/>, K×M (lda).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
                float* src = A + (long)(i0 + p) * lda + k0;
                int k = 0;
                // Rows are contiguous in k: transpose 16 k × up to 16 rows at a time in registers. With MR = 14 the
                // 16 columns of 14 are stored back to back as 14 vectors; another MR stores one 16-lane column per
                // k step, overlapping the next (hence SlackFloats past the buffer's end).
                if (Vector512.IsHardwareAccelerated && mr == 14)
                    for (; k + 16 <= kc; k += 16)
                        GemmTranspose.Transpose16To14<F32Load>((byte*)(src + k), (long)lda * 4, rows, panel + (long)k * mr);
                else if (Vector512.IsHardwareAccelerated && mr <= 16)
                    for (; k + 16 <= kc; k += 16)
                        GemmTranspose.Transpose16<F32Load>((byte*)(src + k), (long)lda * 4, rows, panel + (long)k * mr, mr);
                for (; k < kc; k++)
                {
                    float* d = panel + (long)k * mr;
                    int i = 0;
                    for (; i < rows; i++) d[i] = src[(long)i * lda + k];
                    for (; i < mr; i++) d[i] = 0f;
                }
            }
        }
    }

    /// <summary>
    /// Packs columns [j0, j0+nc) and depth [k0, k0+kc) of op(B), converting <paramref name="bType"/> to F32.
    /// B is row-major K×N (ldb) or, when <paramref name="transB"/>, N×K (ldb), as a Linear weight [out, in].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(bool transB, void* B, GemmBType bType, int ldb, int j0, int nc, int k0, int kc, int nr, float* dst)
    {
        for (int p = 0; p < nc; p += nr)
        {
            int cols = Math.Min(nr, nc - p);
            float* panel = dst + (long)p * kc;
            if (transB)
            {
                // op(B)[k, j] = B[j, k]: rows of B are contiguous in k; transpose 16×16 blocks in registers.
                if (Vector512.IsHardwareAccelerated && nr % 16 == 0)
                {
                    switch (bType)
                    {
                        case GemmBType.F32: PackBTransposed<F32Load>(B, ldb, j0 + p, cols, k0, kc, nr, panel); break;
                        case GemmBType.BF16: PackBTransposed<Bf16Load>(B, ldb, j0 + p, cols, k0, kc, nr, panel); break;
                        default: PackBTransposed<F16Load>(B, ldb, j0 + p, cols, k0, kc, nr, panel); break;
                    }
                    continue;
                }
                for (int j = 0; j < cols; j++)
                {
                    long row = (long)(j0 + p + j) * ldb + k0;
                    float* d = panel + j;
                    for (int k = 0; k < kc; k++) d[(long)k * nr] = Element(B, bType, row + k);
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

    /// <summary>One panel of a transposed B (rows j0..j0+cols of B, each contiguous in k) with AVX-512.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackBTransposed<T>(void* B, int ldb, int j0, int cols, int k0, int kc, int nr, float* panel) where T : IRowLoad
    {
        int size = T.Size;
        for (int h = 0; h < nr; h += 16)
        {
            int rows = Math.Clamp(cols - h, 0, 16);
            byte* src = (byte*)B + ((long)(j0 + h) * ldb + k0) * size;
            int k = 0;
            if (rows > 0)
                for (; k + 16 <= kc; k += 16)
                    GemmTranspose.Transpose16<T>(src + (long)k * size, (long)ldb * size, rows, panel + (long)k * nr + h, nr);
            for (; k < kc; k++)
            {
                float* d = panel + (long)k * nr + h;
                int j = 0;
                for (; j < rows; j++) d[j] = T.LoadOne(src + ((long)j * ldb + k) * size);
                for (; j < 16; j++) d[j] = 0f;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Element(void* B, GemmBType bType, long i) => bType switch
    {
        GemmBType.F32 => ((float*)B)[i],
        GemmBType.BF16 => BFloat16.BitsToSingle(((ushort*)B)[i]),
        _ => (float)((Half*)B)[i],
    };

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
                            Vector512.Store(Bf16Load.Load((byte*)(src + j)), d + j);
                    for (; j < n; j++) d[j] = BFloat16.BitsToSingle(src[j]);
                    break;
                }
            default:
                {
                    Half* src = (Half*)B + offset;
                    if (Vector512.IsHardwareAccelerated)
                        for (; j + 16 <= n; j += 16) Vector512.Store(F16Load.Load((byte*)(src + j)), d + j);
                    for (; j < n; j++) d[j] = (float)src[j];
                    break;
                }
        }
    }
}
