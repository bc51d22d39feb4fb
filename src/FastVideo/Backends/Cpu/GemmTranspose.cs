using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastVideo.Tensors;

namespace FastVideo.Backends.Cpu;

/// <summary>Loads 16 consecutive elements of one storage type as F32 (the conversion step of packing).</summary>
internal unsafe interface IRowLoad
{
    /// <summary>Element size in bytes.</summary>
    static abstract int Size { get; }
    static abstract Vector512<float> Load(byte* p);
    static abstract float LoadOne(byte* p);
}

internal unsafe struct F32Load : IRowLoad
{
    public static int Size => 4;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(byte* p) => Vector512.Load((float*)p);
    public static float LoadOne(byte* p) => *(float*)p;
}

/// <summary>bf16 → f32 is exact: the 16 bits become the top half of the f32.</summary>
internal unsafe struct Bf16Load : IRowLoad
{
    public static int Size => 2;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(byte* p) =>
        Vector512.ShiftLeft(Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)p)), 16).AsSingle();
    public static float LoadOne(byte* p) => BFloat16.BitsToSingle(*(ushort*)p);
}

/// <summary>
/// f16 → f32, exact for every input (.NET exposes no vcvtph2ps for 512-bit vectors, so by bit arithmetic):
/// the magnitude bits shifted into f32 position read as a float 2^-112 times the value, for normal and subnormal
/// halves alike, so one multiply by 2^112 rescales; the all-ones exponent (inf/NaN) is forced back to 0xFF.
/// </summary>
internal unsafe struct F16Load : IRowLoad
{
    public static int Size => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(byte* p) => Convert(Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)p)));
    public static float LoadOne(byte* p) => (float)*(Half*)p;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Convert(Vector512<uint> h)
    {
        var mag = (h & Vector512.Create(0x7FFFu)) << 13;
        var scaled = (mag.AsSingle() * Vector512.Create(5.192296858534828e33f)).AsUInt32(); // 2^112
        var infNan = Vector512.Equals(h & Vector512.Create(0x7C00u), Vector512.Create(0x7C00u));
        var special = mag | Vector512.Create(0x7F80_0000u);
        var bits = Vector512.ConditionalSelect(infNan, special, scaled);
        return (bits | ((h & Vector512.Create(0x8000u)) << 16)).AsSingle();
    }
}

/// <summary>16×16 transposes of F32 blocks in zmm registers (AVX-512 only), converting on load.</summary>
internal static unsafe class GemmTranspose
{
    /// <summary>
    /// Reads rows r = 0..15 of 16 elements at src + r·srcStrideBytes (rows ≥ <paramref name="rows"/> read as zero)
    /// and writes column c (16 floats, lane r = row r) to dst + c·dstStride, for c = 0..15 in increasing order,
    /// so a dstStride below 16 leaves each column's trailing lanes overwritten by the next column, and the last
    /// column's 16 - dstStride extra lanes past dst + 15·dstStride + dstStride (the caller's slack).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose16<T>(byte* src, long srcStrideBytes, int rows, float* dst, long dstStride) where T : IRowLoad =>
        Transpose<T>(src, srcStrideBytes, rows, dst, dstStride, packed14: false);

    /// <summary>
    /// As <see cref="Transpose16{T}"/> for at most 14 rows, writing the first 14 lanes of each column back to back:
    /// 16 columns × 14 = 224 floats at <paramref name="dst"/> as 14 full-vector stores (64-byte aligned when dst
    /// is), instead of 16 overlapping stores that mostly straddle two cache lines.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose16To14<T>(byte* src, long srcStrideBytes, int rows, float* dst) where T : IRowLoad =>
        Transpose<T>(src, srcStrideBytes, rows, dst, 14, packed14: true);

    // Too large to inline; one call per 256 elements costs nothing, but it must not start in tier 0.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose<T>(byte* src, long srcStrideBytes, int rows, float* dst, long dstStride, bool packed14) where T : IRowLoad
    {
        var r0 = Row<T>(src, srcStrideBytes, rows, 0); var r1 = Row<T>(src, srcStrideBytes, rows, 1);
        var r2 = Row<T>(src, srcStrideBytes, rows, 2); var r3 = Row<T>(src, srcStrideBytes, rows, 3);
        var r4 = Row<T>(src, srcStrideBytes, rows, 4); var r5 = Row<T>(src, srcStrideBytes, rows, 5);
        var r6 = Row<T>(src, srcStrideBytes, rows, 6); var r7 = Row<T>(src, srcStrideBytes, rows, 7);
        var r8 = Row<T>(src, srcStrideBytes, rows, 8); var r9 = Row<T>(src, srcStrideBytes, rows, 9);
        var r10 = Row<T>(src, srcStrideBytes, rows, 10); var r11 = Row<T>(src, srcStrideBytes, rows, 11);
        var r12 = Row<T>(src, srcStrideBytes, rows, 12); var r13 = Row<T>(src, srcStrideBytes, rows, 13);
        var r14 = Row<T>(src, srcStrideBytes, rows, 14); var r15 = Row<T>(src, srcStrideBytes, rows, 15);

        // Stage 1: interleave row pairs within each 128-bit lane.
        var t0 = Avx512F.UnpackLow(r0, r1); var t1 = Avx512F.UnpackHigh(r0, r1);
        var t2 = Avx512F.UnpackLow(r2, r3); var t3 = Avx512F.UnpackHigh(r2, r3);
        var t4 = Avx512F.UnpackLow(r4, r5); var t5 = Avx512F.UnpackHigh(r4, r5);
        var t6 = Avx512F.UnpackLow(r6, r7); var t7 = Avx512F.UnpackHigh(r6, r7);
        var t8 = Avx512F.UnpackLow(r8, r9); var t9 = Avx512F.UnpackHigh(r8, r9);
        var t10 = Avx512F.UnpackLow(r10, r11); var t11 = Avx512F.UnpackHigh(r10, r11);
        var t12 = Avx512F.UnpackLow(r12, r13); var t13 = Avx512F.UnpackHigh(r12, r13);
        var t14 = Avx512F.UnpackLow(r14, r15); var t15 = Avx512F.UnpackHigh(r14, r15);

        // Stage 2: u[4g + c] holds, in 128-bit lane L, rows 4g..4g+3 of column 4L + c.
        var u0 = Lo64(t0, t2); var u1 = Hi64(t0, t2); var u2 = Lo64(t1, t3); var u3 = Hi64(t1, t3);
        var u4 = Lo64(t4, t6); var u5 = Hi64(t4, t6); var u6 = Lo64(t5, t7); var u7 = Hi64(t5, t7);
        var u8 = Lo64(t8, t10); var u9 = Hi64(t8, t10); var u10 = Lo64(t9, t11); var u11 = Hi64(t9, t11);
        var u12 = Lo64(t12, t14); var u13 = Hi64(t12, t14); var u14 = Lo64(t13, t15); var u15 = Hi64(t13, t15);

        // Stages 3 and 4: gather the four 128-bit lanes of each column (0x88 takes lanes 0 and 2 of each source, 0xDD lanes 1 and 3).
        var c0 = Columns(u0, u4, u8, u12, out var c8, out var c4, out var c12);
        var c1 = Columns(u1, u5, u9, u13, out var c9, out var c5, out var c13);
        var c2 = Columns(u2, u6, u10, u14, out var c10, out var c6, out var c14);
        var c3 = Columns(u3, u7, u11, u15, out var c11, out var c7, out var c15);

        if (packed14)
        {
            // Output vector v holds floats 16v..16v+15 of the run, i.e. parts of columns ⌊16v/14⌋ and the next.
            Vector512.Store(Avx512F.PermuteVar16x32x2(c0, Pack14[0], c1), dst);
            Vector512.Store(Avx512F.PermuteVar16x32x2(c1, Pack14[1], c2), dst + 16);
            Vector512.Store(Avx512F.PermuteVar16x32x2(c2, Pack14[2], c3), dst + 32);
            Vector512.Store(Avx512F.PermuteVar16x32x2(c3, Pack14[3], c4), dst + 48);
            Vector512.Store(Avx512F.PermuteVar16x32x2(c4, Pack14[4], c5), dst + 64);
            Vector512.Store(Avx512F.PermuteVar16x32x2(c5, Pack14[5], c6), dst + 80);
            Vector512.Store(Avx512F.PermuteVar16x32x2(c6, Pack14[6], c7), dst + 96);
            Vector512.Store(Avx512F.PermuteVar16x32x2(c8, Pack14[0], c9), dst + 112);
            Vector512.Store(Avx512F.PermuteVar16x32x2(c9, Pack14[1], c10), dst + 128);
            Vector512.Store(Avx512F.PermuteVar16x32x2(c10, Pack14[2], c11), dst + 144);
            Vector512.Store(Avx512F.PermuteVar16x32x2(c11, Pack14[3], c12), dst + 160);
            Vector512.Store(Avx512F.PermuteVar16x32x2(c12, Pack14[4], c13), dst + 176);
            Vector512.Store(Avx512F.PermuteVar16x32x2(c13, Pack14[5], c14), dst + 192);
            Vector512.Store(Avx512F.PermuteVar16x32x2(c14, Pack14[6], c15), dst + 208);
            return;
        }
        Vector512.Store(c0, dst); Vector512.Store(c1, dst + dstStride);
        Vector512.Store(c2, dst + 2 * dstStride); Vector512.Store(c3, dst + 3 * dstStride);
        Vector512.Store(c4, dst + 4 * dstStride); Vector512.Store(c5, dst + 5 * dstStride);
        Vector512.Store(c6, dst + 6 * dstStride); Vector512.Store(c7, dst + 7 * dstStride);
        Vector512.Store(c8, dst + 8 * dstStride); Vector512.Store(c9, dst + 9 * dstStride);
        Vector512.Store(c10, dst + 10 * dstStride); Vector512.Store(c11, dst + 11 * dstStride);
        Vector512.Store(c12, dst + 12 * dstStride); Vector512.Store(c13, dst + 13 * dstStride);
        Vector512.Store(c14, dst + 14 * dstStride); Vector512.Store(c15, dst + 15 * dstStride);
    }

    /// <summary>
    /// vpermt2ps indices for output vector v = 0..6 of 8 columns × 14 rows: lane l is float g = 16v + l of the
    /// run, row g mod 14 of column ⌊g/14⌋; that column is the first source (column ⌊16v/14⌋, index r) or the
    /// next one (second source, index 16 + r).
    /// </summary>
    private static readonly Vector512<int>[] Pack14 = BuildPack14();

    private static Vector512<int>[] BuildPack14()
    {
        var r = new Vector512<int>[7];
        var lanes = new int[16];
        for (int v = 0; v < 7; v++)
        {
            int first = 16 * v / 14;
            for (int l = 0; l < 16; l++)
            {
                int g = 16 * v + l;
                lanes[l] = (g / 14 == first ? 0 : 16) + g % 14;
            }
            r[v] = Vector512.Create(lanes);
        }
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Row<T>(byte* src, long stride, int rows, int r) where T : IRowLoad =>
        r < rows ? T.Load(src + r * stride) : Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Lo64(Vector512<float> a, Vector512<float> b) =>
        Avx512F.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Hi64(Vector512<float> a, Vector512<float> b) =>
        Avx512F.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();

    /// <summary>From u (rows 0-3), v (4-7), w (8-11), x (12-15) of columns c, c+4, c+8, c+12: those four full columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Columns(Vector512<float> u, Vector512<float> v, Vector512<float> w, Vector512<float> x,
        out Vector512<float> col8, out Vector512<float> col4, out Vector512<float> col12)
    {
        var a0 = Avx512F.Shuffle4x128(u, v, 0x88); // c rows 0-3, c+8 rows 0-3, c rows 4-7, c+8 rows 4-7
        var a1 = Avx512F.Shuffle4x128(u, v, 0xDD); // the same for c+4 and c+12
        var b0 = Avx512F.Shuffle4x128(w, x, 0x88);
        var b1 = Avx512F.Shuffle4x128(w, x, 0xDD);
        col8 = Avx512F.Shuffle4x128(a0, b0, 0xDD);
        col4 = Avx512F.Shuffle4x128(a1, b1, 0x88);
        col12 = Avx512F.Shuffle4x128(a1, b1, 0xDD);
        return Avx512F.Shuffle4x128(a0, b0, 0x88);
    }
}
