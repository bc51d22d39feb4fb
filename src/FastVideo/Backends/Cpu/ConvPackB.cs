using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastVideo.Backends.Cpu;

/// <summary>
/// The im2col matrix of one sample, packed straight into the GEMM's B micro-panels (<see cref="IGemmBPacker"/>)
/// instead of being written out whole and packed again: col[k, j] = x[c, ti, hi, wi] for output position
/// j = (to·Ho + ho)·Wo + wo and k = ((c·KT + kt)·KH + kh)·KW + kw, with ti = to·ST − Front + kt,
/// hi = ho·SH − Top + kh, wi = wo·SW − Left + kw, and 0 outside the input (zero padding) — the same matrix as
/// <see cref="ConvIm2Col"/>. The columns are cut once per call into pieces that stay inside one output row and
/// one panel; per k a piece is then one contiguous (SW = 1) or strided copy between two zeroed ends.
/// </summary>
internal sealed unsafe class ConvPackB : IGemmBPacker
{
    private readonly ConvGeometry _g;
    private readonly float* _x;
    /// <summary>Per kw: output columns [lo, hi) whose input column wo·SW − Left + kw lies inside [0, W).</summary>
    private readonly int[] _lo, _hi;

    /// <param name="g">Convolution shape.</param>
    /// <param name="x">One sample of the input, [C, T, H, W].</param>
    public ConvPackB(in ConvGeometry g, float* x)
    {
        _g = g;
        _x = x;
        _lo = new int[g.KW];
        _hi = new int[g.KW];
        for (int kw = 0; kw < g.KW; kw++)
        {
            int off = kw - g.PadLeft;
            int lo = off >= 0 ? 0 : (-off + g.SW - 1) / g.SW;
            int hi = g.W - 1 - off < 0 ? 0 : (g.W - 1 - off) / g.SW + 1;
            _lo[kw] = Math.Min(lo, g.Wo);
            _hi[kw] = Math.Clamp(hi, _lo[kw], g.Wo);
        }
    }

    /// <summary>Columns of one output row that fall in one panel: copied together at every k.</summary>
    private struct Piece
    {
        public long Dst;     // offset of the piece's first column in the packed block at k = 0 (panel·nr·kc + lane)
        public int Wo0;      // output column of that first column
        public int Length;
        public int T0, H0;   // to·ST − Front and ho·SH − Top: add kt, kh for the input frame and row
    }

    /// <summary>Most pieces <see cref="Pack"/> cuts nc columns into: one per panel plus one per output-row change.</summary>
    private static int MaxPieces(int nc, int nr, int wo) => (nc + nr - 1) / nr + nc / Math.Max(wo, 1) + 1;

    /// <inheritdoc/>
    /// <remarks>
    /// k is the outer loop, so for each k the pieces are read in column order: consecutive pieces of one output
    /// row read consecutive input addresses, and the KW taps of a row re-read what the previous tap brought into L1.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(int j0, int nc, int k0, int kc, int nr, float* dst)
    {
        ref readonly var g = ref _g;
        int wo = g.Wo;
        int max = MaxPieces(nc, nr, wo);
        Piece* pieces = stackalloc Piece[max];

        // Cut [j0, j0 + nc) at output-row and panel boundaries.
        int count = 0;
        for (int j = j0, end = j0 + nc; j < end; count++)
        {
            int row = j / wo, w0 = j - row * wo, local = j - j0;
            int panel = local / nr, lane = local - panel * nr;
            int len = Math.Min(Math.Min(wo - w0, end - j), nr - lane);
            int to = row / g.Ho, ho = row - to * g.Ho;
            pieces[count] = new Piece
            {
                Dst = (long)panel * nr * kc + lane, Wo0 = w0, Length = len,
                T0 = to * g.ST - g.PadFront, H0 = ho * g.SH - g.PadTop,
            };
            j += len;
        }
        int tail = nc % nr; // columns of the last panel past nc are zero
        float* tailDst = tail == 0 ? null : dst + (long)(nc / nr) * nr * kc + tail;

        fixed (int* loArr = _lo, hiArr = _hi)
        {
            // k → (c, kt, kh, kw), then stepped incrementally.
            int kw = k0 % g.KW, rest = k0 / g.KW;
            int kh = rest % g.KH; rest /= g.KH;
            int kt = rest % g.KT;
            int c = rest / g.KT;
            for (int k = 0; k < kc; k++)
            {
                long kOff = (long)k * nr;
                int lo = loArr[kw], hi = hiArr[kw], off = kw - g.PadLeft;
                float* plane = _x + (long)c * g.T * g.H * g.W + off;
                for (int r = 0; r < count; r++)
                {
                    ref readonly Piece piece = ref pieces[r];
                    float* ds = dst + piece.Dst + kOff;
                    int ti = piece.T0 + kt, hiIn = piece.H0 + kh;
                    int w0 = piece.Wo0, w1 = w0 + piece.Length;
                    if ((uint)ti >= (uint)g.T || (uint)hiIn >= (uint)g.H)
                    {
                        Zero(ds, piece.Length);
                        continue;
                    }
                    float* src = plane + ((long)ti * g.H + hiIn) * g.W;
                    if (w0 >= lo && w1 <= hi && g.SW == 1)
                    {
                        Copy(ds, src + w0, piece.Length); // the common case: the whole piece inside the input
                        continue;
                    }
                    int a = Math.Max(w0, lo), b = Math.Min(w1, hi);
                    if (b < a) b = a;
                    Zero(ds, a - w0);
                    Zero(ds + (b - w0), w1 - b);
                    if (g.SW == 1)
                        Copy(ds + (a - w0), src + a, b - a);
                    else
                        for (int i = a; i < b; i++) ds[i - w0] = src[(long)i * g.SW];
                }
                if (tailDst != null) Zero(tailDst + kOff, nr - tail);
                if (++kw == g.KW)
                {
                    kw = 0;
                    if (++kh == g.KH)
                    {
                        kh = 0;
                        if (++kt == g.KT) { kt = 0; c++; }
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* d, float* s, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16) Vector512.Store(Vector512.Load(s + i), d + i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) Vector256.Store(Vector256.Load(s + i), d + i);
        for (; i < n; i++) d[i] = s[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Zero(float* d, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16) Vector512.Store(Vector512<float>.Zero, d + i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) Vector256.Store(Vector256<float>.Zero, d + i);
        for (; i < n; i++) d[i] = 0f;
    }
}
