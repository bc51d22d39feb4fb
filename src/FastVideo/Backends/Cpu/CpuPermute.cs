using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FastVideo.Backends.Cpu;

/// <summary>
/// Dimension reordering on raw host buffers, for any element size. The permutation is first reduced:
/// unit dimensions dropped, neighbours that stay adjacent and in order in the input merged. Then either the
/// innermost output dimension is contiguous in the input too (copy rows), or it is a transpose of two
/// dimensions repeated over the others, done in square tiles so that both the strided reads and the
/// contiguous writes stay in L1.
/// </summary>
internal static unsafe class CpuPermute
{
    /// <summary>Tile edge in elements for the transposing case (32×32 floats = 4 KiB per side).</summary>
    private const int Tile = 32;

    public static void Run(byte* src, byte* dst, ReadOnlySpan<int> shape, ReadOnlySpan<int> dims, int elementSize, int threads)
    {
        int rank = shape.Length;
        var inStrides = new long[rank];
        long acc = 1;
        for (int i = rank - 1; i >= 0; i--) { inStrides[i] = acc; acc *= shape[i]; }
        long numel = acc;
        if (numel == 0) return;

        var d = new List<long>();
        var s = new List<long>();
        for (int i = 0; i < rank; i++)
        {
            long size = shape[dims[i]], stride = inStrides[dims[i]];
            if (size == 1) continue;
            if (d.Count > 0 && s[^1] == stride * size) { d[^1] *= size; s[^1] = stride; }
            else { d.Add(size); s.Add(stride); }
        }
        if (d.Count == 0 || (d.Count == 1 && s[0] == 1))
        {
            CpuBackend.ParallelCopy(src, dst, numel * elementSize, threads);
            return;
        }
        switch (elementSize)
        {
            case 1: Dispatch((byte*)src, (byte*)dst, d.ToArray(), s.ToArray(), threads); break;
            case 2: Dispatch((ushort*)src, (ushort*)dst, d.ToArray(), s.ToArray(), threads); break;
            case 4: Dispatch((uint*)src, (uint*)dst, d.ToArray(), s.ToArray(), threads); break;
            case 8: Dispatch((ulong*)src, (ulong*)dst, d.ToArray(), s.ToArray(), threads); break;
            default: throw new NotSupportedException($"Permute: element size {elementSize}");
        }
    }

    /// <summary>Runs the reduced permutation: dims = reduced output dimensions, strides = input stride (elements) of each.</summary>
    private static void Dispatch<T>(T* src, T* dst, long[] dims, long[] strides, int threads) where T : unmanaged
    {
        int m = dims.Length;
        var outStrides = new long[m];
        long acc = 1;
        for (int i = m - 1; i >= 0; i--) { outStrides[i] = acc; acc *= dims[i]; }
        long last = dims[m - 1];

        if (strides[m - 1] == 1)
        {
            // Rows contiguous on both sides: copy each output row from its input position.
            long rows = acc / last;
            CpuParallel.For(rows, last, threads, (r0, r1) =>
            {
                for (long r = r0; r < r1; r++)
                {
                    long inOff = 0, rem = r;
                    for (int i = m - 2; i >= 0; i--) { inOff += rem % dims[i] * strides[i]; rem /= dims[i]; }
                    Buffer.MemoryCopy(src + inOff, dst + r * last, last * sizeof(T), last * sizeof(T));
                }
            });
            return;
        }

        // Transpose: a = the output dimension that is fastest in the input, b = the last output dimension.
        int a = 0;
        for (int i = 1; i < m - 1; i++) if (strides[i] < strides[a]) a = i;
        long na = dims[a], nb = last, sa = strides[a], sb = strides[m - 1], oa = outStrides[a];
        long tilesA = (na + Tile - 1) / Tile, tilesB = (nb + Tile - 1) / Tile;
        long outer = acc / (na * nb);
        CpuParallel.For(outer * tilesA * tilesB, (long)Tile * Tile, threads, (t0, t1) =>
        {
            for (long t = t0; t < t1; t++)
            {
                long tb = t % tilesB, ta = t / tilesB % tilesA, o = t / (tilesA * tilesB);
                long inOff = 0, outOff = 0;
                for (int i = m - 2; i >= 0; i--)
                {
                    if (i == a) continue;
                    long idx = o % dims[i];
                    o /= dims[i];
                    inOff += idx * strides[i];
                    outOff += idx * outStrides[i];
                }
                long a0 = ta * Tile, a1 = Math.Min(na, a0 + Tile), b0 = tb * Tile, b1 = Math.Min(nb, b0 + Tile);
                T* ib = src + inOff;
                T* ob = dst + outOff;
                long a8 = a0, b8 = b0;
                if (sizeof(T) == 4 && sa == 1 && Avx.IsSupported)
                {
                    // Whole 8×8 blocks in registers; the ragged right and bottom edges fall to the scalar loop.
                    a8 = a0 + ((a1 - a0) & ~7L);
                    b8 = b0 + ((b1 - b0) & ~7L);
                    for (long ia = a0; ia < a8; ia += 8)
                        for (long jb = b0; jb < b8; jb += 8)
                            Transpose8x8((float*)(ib + ia + jb * sb), sb, (float*)(ob + ia * oa + jb), oa);
                }
                for (long ia = a0; ia < a1; ia++)
                {
                    T* orow = ob + ia * oa;
                    T* icol = ib + ia * sa;
                    for (long jb = ia < a8 ? b8 : b0; jb < b1; jb++) orow[jb] = icol[jb * sb];
                }
            }
        });
    }

    /// <summary>
    /// dst row i (8 floats at dst + i·dstStride) = column i of the 8×8 block whose row j is the 8 floats at
    /// src + j·srcStride. The classic AVX sequence: unpack pairs, shuffle quads, swap 128-bit halves.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, long srcStride, float* dst, long dstStride)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + srcStride);
        var r2 = Avx.LoadVector256(src + 2 * srcStride);
        var r3 = Avx.LoadVector256(src + 3 * srcStride);
        var r4 = Avx.LoadVector256(src + 4 * srcStride);
        var r5 = Avx.LoadVector256(src + 5 * srcStride);
        var r6 = Avx.LoadVector256(src + 6 * srcStride);
        var r7 = Avx.LoadVector256(src + 7 * srcStride);
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * dstStride, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * dstStride, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * dstStride, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * dstStride, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * dstStride, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * dstStride, Avx.Permute2x128(u3, u7, 0x31));
    }
}
