using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FastVideo.Backends.Cpu;

/// <summary>
/// The im2col matrix of one sample, packed straight into the GEMM's B micro-panels (<see cref="IGemmBPacker"/>)
/// instead of being written out whole and packed again: col[k, j] = x[c, ti, hi, wi] for output position
/// j = (to·Ho + ho)·Wo + wo and k = ((c·KT + kt)·KH + kh)·KW + kw, with ti = to·ST − Front + kt,
/// hi = ho·SH − Top + kh, wi = wo·SW − Left + kw, and 0 outside the input (zero padding) — the same matrix as
/// <see cref="ConvIm2Col"/>. Each panel's NR columns are cut once into runs that stay inside one output row;
/// per k a run is then one contiguous (SW = 1) or strided copy between two zeroed ends, read from input rows
/// that stay in cache across the KT·KH·KW taps of a channel.
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

    /// <summary>One run of a panel's columns inside a single output row.</summary>
    private struct Run
    {
        public int Offset;   // first column of the run within the panel
        public int Wo0;      // output column of that first column
        public int Length;
        public int T0, H0;   // to·ST − Front and ho·SH − Top: add kt, kh for the input frame and row
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(int j0, int nc, int k0, int kc, int nr, float* dst)
    {
        ref readonly var g = ref _g;
        int wo = g.Wo;
        Run* runs = stackalloc Run[nr];
        fixed (int* loArr = _lo, hiArr = _hi)
        {
            for (int p = 0; p < nc; p += nr)
            {
                int cols = Math.Min(nr, nc - p);
                float* panel = dst + (long)p * kc;

                // Cut the panel's columns into runs, one per output row they touch.
                int count = 0;
                for (int j = j0 + p, end = j0 + p + cols, offset = 0; j < end; count++)
                {
                    int row = j / wo, w0 = j - row * wo;
                    int len = Math.Min(wo - w0, end - j);
                    int to = row / g.Ho, ho = row - to * g.Ho;
                    runs[count] = new Run { Offset = offset, Wo0 = w0, Length = len, T0 = to * g.ST - g.PadFront, H0 = ho * g.SH - g.PadTop };
                    offset += len;
                    j += len;
                }

                // k → (c, kt, kh, kw), then stepped incrementally.
                int kw = k0 % g.KW, rest = k0 / g.KW;
                int kh = rest % g.KH; rest /= g.KH;
                int kt = rest % g.KT;
                int c = rest / g.KT;
                for (int k = 0; k < kc; k++)
                {
                    float* d = panel + (long)k * nr;
                    int lo = loArr[kw], hi = hiArr[kw], off = kw - g.PadLeft;
                    for (int r = 0; r < count; r++)
                    {
                        ref readonly Run run = ref runs[r];
                        float* ds = d + run.Offset;
                        int ti = run.T0 + kt, hiIn = run.H0 + kh;
                        if ((uint)ti >= (uint)g.T || (uint)hiIn >= (uint)g.H)
                        {
                            Zero(ds, run.Length);
                            continue;
                        }
                        int a = Math.Max(run.Wo0, lo), b = Math.Min(run.Wo0 + run.Length, hi);
                        if (b < a) b = a;
                        Zero(ds, a - run.Wo0);
                        Zero(ds + (b - run.Wo0), run.Wo0 + run.Length - b);
                        float* src = _x + (((long)c * g.T + ti) * g.H + hiIn) * g.W + off;
                        if (g.SW == 1)
                            Copy(ds + (a - run.Wo0), src + a, b - a);
                        else
                            for (int i = a; i < b; i++) ds[i - run.Wo0] = src[(long)i * g.SW];
                    }
                    Zero(d + cols, nr - cols);
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
