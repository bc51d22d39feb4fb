using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastVideo.Backends.Cpu;

/// <summary>
/// Register-blocked GEMM micro-kernels over packed panels (<see cref="GemmPack"/>). Each computes one MR×NR
/// tile of C = alpha·Σₖ A_panel[k]ᵀ·B_panel[k] + beta·C + bias, keeping the whole tile in registers: per k step
/// it loads NR/lanes vectors of B and broadcasts MR values of A (one FMA per accumulator).
/// Shapes (measured on Zen 5, see docs/PERF.md): Vector512 14×32 uses 28 of the 32 zmm registers for
/// accumulators, 2 for B and 1 for the broadcast; Vector256 6×16 uses 12 of 16 ymm the same way.
/// A tile at the matrix edge is computed into a scratch tile and copied (see <see cref="CpuGemm"/>).
/// </summary>
internal static unsafe class GemmKernels
{
    public enum Kind { Avx512, Avx2, Scalar }

    /// <summary>The kernel for this machine, fixed at startup (a JIT-time constant in optimised code).</summary>
    public static readonly Kind Selected =
        Vector512.IsHardwareAccelerated ? Kind.Avx512 : Vector256.IsHardwareAccelerated ? Kind.Avx2 : Kind.Scalar;

    /// <summary>Tile rows (A values broadcast per k step).</summary>
    public static readonly int MR = Selected switch { Kind.Avx512 => 14, Kind.Avx2 => 6, _ => 4 };

    /// <summary>Tile columns (B values loaded per k step).</summary>
    public static readonly int NR = Selected switch { Kind.Avx512 => 32, Kind.Avx2 => 16, _ => 8 };

    /// <summary>
    /// One full MR×NR tile at <paramref name="c"/> (row stride <paramref name="ldc"/>). beta = 0 does not read C;
    /// <paramref name="bias"/> (NR values) may be null.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile(int kc, float* pa, float* pb, float* c, long ldc, float alpha, float beta, float* bias)
    {
        if (Selected == Kind.Avx512) Kernel14x32(kc, pa, pb, c, ldc, alpha, beta, bias);
        else if (Selected == Kind.Avx2) Kernel6x16(kc, pa, pb, c, ldc, alpha, beta, bias);
        else KernelScalar(kc, pa, pb, c, ldc, alpha, beta, bias);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> acc, Vector512<float> alpha, Vector512<float> beta, bool readC, Vector512<float> bias)
    {
        var r = Vector512.FusedMultiplyAdd(acc, alpha, bias);
        if (readC) r = Vector512.FusedMultiplyAdd(Vector512.Load(c), beta, r);
        Vector512.Store(r, c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector256<float> acc, Vector256<float> alpha, Vector256<float> beta, bool readC, Vector256<float> bias)
    {
        var r = Vector256.FusedMultiplyAdd(acc, alpha, bias);
        if (readC) r = Vector256.FusedMultiplyAdd(Vector256.Load(c), beta, r);
        Vector256.Store(r, c);
    }

    /// <summary>Portable 4×8 tile for machines without 256-bit SIMD.</summary>
    private static void KernelScalar(int kc, float* pa, float* pb, float* c, long ldc, float alpha, float beta, float* bias)
    {
        const int mr = 4, nr = 8;
        float* acc = stackalloc float[mr * nr];
        for (int t = 0; t < mr * nr; t++) acc[t] = 0f;
        for (int k = 0; k < kc; k++, pa += mr, pb += nr)
            for (int i = 0; i < mr; i++)
            {
                float a = pa[i];
                for (int j = 0; j < nr; j++) acc[i * nr + j] += a * pb[j];
            }
        for (int i = 0; i < mr; i++)
            for (int j = 0; j < nr; j++)
            {
                float r = alpha * acc[i * nr + j] + (bias == null ? 0f : bias[j]);
                if (beta != 0f) r += beta * c[i * ldc + j];
                c[i * ldc + j] = r;
            }
    }

    /// <summary>14×32 tile with Vector512 (28 accumulators): C[0..14, 0..32) = alpha·Σₖ pa[k·14+i]·pb[k·32+j] + beta·C + bias[j].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel14x32(int kc, float* pa, float* pb, float* c, long ldc, float alpha, float beta, float* bias)
    {
        // The tile's 28 cache lines of C are read (beta ≠ 0) or written after the k loop; ask for them now so
        // the misses overlap the FMAs instead of following them.
        for (int i = 0; i < 14; i++)
        {
            Sse.Prefetch0(c + i * ldc);
            Sse.Prefetch0(c + i * ldc + 16);
        }
        Vector512<float> c0_0 = default; Vector512<float> c0_1 = default;
        Vector512<float> c1_0 = default; Vector512<float> c1_1 = default;
        Vector512<float> c2_0 = default; Vector512<float> c2_1 = default;
        Vector512<float> c3_0 = default; Vector512<float> c3_1 = default;
        Vector512<float> c4_0 = default; Vector512<float> c4_1 = default;
        Vector512<float> c5_0 = default; Vector512<float> c5_1 = default;
        Vector512<float> c6_0 = default; Vector512<float> c6_1 = default;
        Vector512<float> c7_0 = default; Vector512<float> c7_1 = default;
        Vector512<float> c8_0 = default; Vector512<float> c8_1 = default;
        Vector512<float> c9_0 = default; Vector512<float> c9_1 = default;
        Vector512<float> c10_0 = default; Vector512<float> c10_1 = default;
        Vector512<float> c11_0 = default; Vector512<float> c11_1 = default;
        Vector512<float> c12_0 = default; Vector512<float> c12_1 = default;
        Vector512<float> c13_0 = default; Vector512<float> c13_1 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector512.Load(pb + 0); var b1 = Vector512.Load(pb + 16);
            var a0 = Vector512.Create(pa[0]); c0_0 = Vector512.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Vector512.FusedMultiplyAdd(a0, b1, c0_1);
            var a1 = Vector512.Create(pa[1]); c1_0 = Vector512.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Vector512.FusedMultiplyAdd(a1, b1, c1_1);
            var a2 = Vector512.Create(pa[2]); c2_0 = Vector512.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Vector512.FusedMultiplyAdd(a2, b1, c2_1);
            var a3 = Vector512.Create(pa[3]); c3_0 = Vector512.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Vector512.FusedMultiplyAdd(a3, b1, c3_1);
            var a4 = Vector512.Create(pa[4]); c4_0 = Vector512.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Vector512.FusedMultiplyAdd(a4, b1, c4_1);
            var a5 = Vector512.Create(pa[5]); c5_0 = Vector512.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Vector512.FusedMultiplyAdd(a5, b1, c5_1);
            var a6 = Vector512.Create(pa[6]); c6_0 = Vector512.FusedMultiplyAdd(a6, b0, c6_0); c6_1 = Vector512.FusedMultiplyAdd(a6, b1, c6_1);
            var a7 = Vector512.Create(pa[7]); c7_0 = Vector512.FusedMultiplyAdd(a7, b0, c7_0); c7_1 = Vector512.FusedMultiplyAdd(a7, b1, c7_1);
            var a8 = Vector512.Create(pa[8]); c8_0 = Vector512.FusedMultiplyAdd(a8, b0, c8_0); c8_1 = Vector512.FusedMultiplyAdd(a8, b1, c8_1);
            var a9 = Vector512.Create(pa[9]); c9_0 = Vector512.FusedMultiplyAdd(a9, b0, c9_0); c9_1 = Vector512.FusedMultiplyAdd(a9, b1, c9_1);
            var a10 = Vector512.Create(pa[10]); c10_0 = Vector512.FusedMultiplyAdd(a10, b0, c10_0); c10_1 = Vector512.FusedMultiplyAdd(a10, b1, c10_1);
            var a11 = Vector512.Create(pa[11]); c11_0 = Vector512.FusedMultiplyAdd(a11, b0, c11_0); c11_1 = Vector512.FusedMultiplyAdd(a11, b1, c11_1);
            var a12 = Vector512.Create(pa[12]); c12_0 = Vector512.FusedMultiplyAdd(a12, b0, c12_0); c12_1 = Vector512.FusedMultiplyAdd(a12, b1, c12_1);
            var a13 = Vector512.Create(pa[13]); c13_0 = Vector512.FusedMultiplyAdd(a13, b0, c13_0); c13_1 = Vector512.FusedMultiplyAdd(a13, b1, c13_1);
            pa += 14;
            pb += 32;
        }
        var va = Vector512.Create(alpha);
        var vb = Vector512.Create(beta);
        bool readC = beta != 0f;
        var z0 = bias == null ? Vector512<float>.Zero : Vector512.Load(bias + 0);
        var z1 = bias == null ? Vector512<float>.Zero : Vector512.Load(bias + 16);
        Store(c + 0 * ldc + 0, c0_0, va, vb, readC, z0); Store(c + 0 * ldc + 16, c0_1, va, vb, readC, z1);
        Store(c + 1 * ldc + 0, c1_0, va, vb, readC, z0); Store(c + 1 * ldc + 16, c1_1, va, vb, readC, z1);
        Store(c + 2 * ldc + 0, c2_0, va, vb, readC, z0); Store(c + 2 * ldc + 16, c2_1, va, vb, readC, z1);
        Store(c + 3 * ldc + 0, c3_0, va, vb, readC, z0); Store(c + 3 * ldc + 16, c3_1, va, vb, readC, z1);
        Store(c + 4 * ldc + 0, c4_0, va, vb, readC, z0); Store(c + 4 * ldc + 16, c4_1, va, vb, readC, z1);
        Store(c + 5 * ldc + 0, c5_0, va, vb, readC, z0); Store(c + 5 * ldc + 16, c5_1, va, vb, readC, z1);
        Store(c + 6 * ldc + 0, c6_0, va, vb, readC, z0); Store(c + 6 * ldc + 16, c6_1, va, vb, readC, z1);
        Store(c + 7 * ldc + 0, c7_0, va, vb, readC, z0); Store(c + 7 * ldc + 16, c7_1, va, vb, readC, z1);
        Store(c + 8 * ldc + 0, c8_0, va, vb, readC, z0); Store(c + 8 * ldc + 16, c8_1, va, vb, readC, z1);
        Store(c + 9 * ldc + 0, c9_0, va, vb, readC, z0); Store(c + 9 * ldc + 16, c9_1, va, vb, readC, z1);
        Store(c + 10 * ldc + 0, c10_0, va, vb, readC, z0); Store(c + 10 * ldc + 16, c10_1, va, vb, readC, z1);
        Store(c + 11 * ldc + 0, c11_0, va, vb, readC, z0); Store(c + 11 * ldc + 16, c11_1, va, vb, readC, z1);
        Store(c + 12 * ldc + 0, c12_0, va, vb, readC, z0); Store(c + 12 * ldc + 16, c12_1, va, vb, readC, z1);
        Store(c + 13 * ldc + 0, c13_0, va, vb, readC, z0); Store(c + 13 * ldc + 16, c13_1, va, vb, readC, z1);
    }

    /// <summary>6×16 tile with Vector256 (12 accumulators): C[0..6, 0..16) = alpha·Σₖ pa[k·6+i]·pb[k·16+j] + beta·C + bias[j].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16(int kc, float* pa, float* pb, float* c, long ldc, float alpha, float beta, float* bias)
    {
        Vector256<float> c0_0 = default; Vector256<float> c0_1 = default;
        Vector256<float> c1_0 = default; Vector256<float> c1_1 = default;
        Vector256<float> c2_0 = default; Vector256<float> c2_1 = default;
        Vector256<float> c3_0 = default; Vector256<float> c3_1 = default;
        Vector256<float> c4_0 = default; Vector256<float> c4_1 = default;
        Vector256<float> c5_0 = default; Vector256<float> c5_1 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector256.Load(pb + 0); var b1 = Vector256.Load(pb + 8);
            var a0 = Vector256.Create(pa[0]); c0_0 = Vector256.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Vector256.FusedMultiplyAdd(a0, b1, c0_1);
            var a1 = Vector256.Create(pa[1]); c1_0 = Vector256.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Vector256.FusedMultiplyAdd(a1, b1, c1_1);
            var a2 = Vector256.Create(pa[2]); c2_0 = Vector256.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Vector256.FusedMultiplyAdd(a2, b1, c2_1);
            var a3 = Vector256.Create(pa[3]); c3_0 = Vector256.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Vector256.FusedMultiplyAdd(a3, b1, c3_1);
            var a4 = Vector256.Create(pa[4]); c4_0 = Vector256.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Vector256.FusedMultiplyAdd(a4, b1, c4_1);
            var a5 = Vector256.Create(pa[5]); c5_0 = Vector256.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Vector256.FusedMultiplyAdd(a5, b1, c5_1);
            pa += 6;
            pb += 16;
        }
        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        bool readC = beta != 0f;
        var z0 = bias == null ? Vector256<float>.Zero : Vector256.Load(bias + 0);
        var z1 = bias == null ? Vector256<float>.Zero : Vector256.Load(bias + 8);
        Store(c + 0 * ldc + 0, c0_0, va, vb, readC, z0); Store(c + 0 * ldc + 8, c0_1, va, vb, readC, z1);
        Store(c + 1 * ldc + 0, c1_0, va, vb, readC, z0); Store(c + 1 * ldc + 8, c1_1, va, vb, readC, z1);
        Store(c + 2 * ldc + 0, c2_0, va, vb, readC, z0); Store(c + 2 * ldc + 8, c2_1, va, vb, readC, z1);
        Store(c + 3 * ldc + 0, c3_0, va, vb, readC, z0); Store(c + 3 * ldc + 8, c3_1, va, vb, readC, z1);
        Store(c + 4 * ldc + 0, c4_0, va, vb, readC, z0); Store(c + 4 * ldc + 8, c4_1, va, vb, readC, z1);
        Store(c + 5 * ldc + 0, c5_0, va, vb, readC, z0); Store(c + 5 * ldc + 8, c5_1, va, vb, readC, z1);
    }
}
