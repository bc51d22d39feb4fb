using System.Runtime.CompilerServices;

namespace FastVideo.Backends.Cpu;

/// <summary>
/// im2col for a slab of output rows. An output row is one (to, ho) pair with its Wo positions; rows are
/// numbered r = to·Ho + ho, so a slab [r0, r0 + n) is a contiguous range of the flattened output plane
/// and its GEMM result lands directly in the output tensor.
/// The column matrix is [K, n·Wo] row-major: col[k, r·Wo + wo] = x[c, ti, hi, wi] with
/// ti = to·ST − Front + kt, hi = ho·SH − Top + kh, wi = wo·SW − Left + kw, and 0 outside the input (zero padding).
/// </summary>
internal static unsafe class ConvIm2Col
{
    /// <summary>Fills reduction row <paramref name="k"/> of the column matrix for output rows [r0, r0 + rows).</summary>
    /// <param name="g">Convolution shape.</param>
    /// <param name="x">One sample of the input, [C, T, H, W].</param>
    /// <param name="col">Column matrix [K, rows·Wo].</param>
    /// <param name="r0">First output row of the slab.</param>
    /// <param name="rows">Output rows in the slab.</param>
    /// <param name="k">Reduction index ((c·KT + kt)·KH + kh)·KW + kw.</param>
    public static void FillRow(in ConvGeometry g, float* x, float* col, int r0, int rows, int k)
    {
        int kw = k % g.KW, rest = k / g.KW;
        int kh = rest % g.KH; rest /= g.KH;
        int kt = rest % g.KT;
        int c = rest / g.KT;
        int wo = g.Wo;
        float* dst = col + (long)k * rows * wo;

        // wi = wo·SW + off is inside [0, W) exactly for wo in [lo, hi): computed once per reduction row so the
        // inner loop is a plain copy (stride 1) or gather (stride > 1) without bounds tests.
        int off = kw - g.PadLeft;
        int lo = off >= 0 ? 0 : (-off + g.SW - 1) / g.SW;
        int hi = g.W - 1 - off < 0 ? 0 : (g.W - 1 - off) / g.SW + 1;
        lo = Math.Min(lo, wo);
        hi = Math.Clamp(hi, lo, wo);

        int to = r0 / g.Ho, ho = r0 % g.Ho;
        for (int r = 0; r < rows; r++, dst += wo)
        {
            int ti = to * g.ST - g.PadFront + kt;
            int hiIn = ho * g.SH - g.PadTop + kh;
            if (++ho == g.Ho) { ho = 0; to++; }
            if ((uint)ti >= (uint)g.T || (uint)hiIn >= (uint)g.H)
            {
                new Span<float>(dst, wo).Clear();
                continue;
            }
            float* src = x + (((long)c * g.T + ti) * g.H + hiIn) * g.W + off;
            if (lo > 0) new Span<float>(dst, lo).Clear();
            if (hi < wo) new Span<float>(dst + hi, wo - hi).Clear();
            if (g.SW == 1)
                Unsafe.CopyBlockUnaligned(dst + lo, src + lo, (uint)(hi - lo) * sizeof(float));
            else
                for (int i = lo; i < hi; i++) dst[i] = src[(long)i * g.SW];
        }
    }
}
