namespace FastVideo.Tests.Parity;

/// <summary>
/// Naive double-precision references for the op set, written for clarity only (direct index arithmetic,
/// no vectorisation, no shared code with the backends). Arrays are row-major with an explicit shape.
/// Used by the op tests and by the parity suite as the independent judge.
/// </summary>
public static class DoubleReference
{
    public static long Numel(int[] shape)
    {
        long n = 1;
        foreach (int d in shape) n *= d;
        return n;
    }

    public static long[] Strides(int[] shape)
    {
        var s = new long[shape.Length];
        long acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    /// <summary>Multi-index of flat position <paramref name="flat"/> in <paramref name="shape"/>.</summary>
    public static int[] Unravel(long flat, int[] shape)
    {
        var idx = new int[shape.Length];
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            idx[i] = (int)(flat % shape[i]);
            flat /= shape[i];
        }
        return idx;
    }

    public static int[] BroadcastShape(params int[][] shapes)
    {
        int rank = shapes.Max(s => s.Length);
        var r = Enumerable.Repeat(1, rank).ToArray();
        foreach (var s in shapes)
            for (int i = 0; i < s.Length; i++)
            {
                int o = rank - s.Length + i;
                if (s[i] != 1)
                {
                    if (r[o] != 1 && r[o] != s[i]) throw new ArgumentException("shapes do not broadcast");
                    r[o] = s[i];
                }
            }
        return r;
    }

    /// <summary>Element of an operand of shape <paramref name="shape"/> seen at output index <paramref name="outIdx"/> under broadcasting.</summary>
    public static double At(double[] data, int[] shape, int[] outIdx)
    {
        long off = 0, stride = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            int o = outIdx.Length - shape.Length + i;
            int idx = shape[i] == 1 ? 0 : outIdx[o];
            off += idx * stride;
            stride *= shape[i];
        }
        return data[off];
    }

    /// <summary>y = f(operands...) with NumPy broadcasting.</summary>
    public static double[] Map(int[] outShape, Func<double[], double> f, params (double[] Data, int[] Shape)[] operands)
    {
        var y = new double[Numel(outShape)];
        var args = new double[operands.Length];
        for (long i = 0; i < y.Length; i++)
        {
            var idx = Unravel(i, outShape);
            for (int k = 0; k < operands.Length; k++) args[k] = At(operands[k].Data, operands[k].Shape, idx);
            y[i] = f(args);
        }
        return y;
    }

    // ---- special functions -----------------------------------------------------------------------------

    /// <summary>
    /// erf in double: Maclaurin series for |x| &lt; 3 (terms computed by recurrence, error ≈ 1e-14), and
    /// 1 − erfc with erfc from its Laplace continued fraction for |x| ≥ 3.
    /// </summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double ax = Math.Abs(x);
        if (ax >= 3) return Math.Sign(x) * (1 - ErfcLarge(ax));
        double term = ax, sum = ax, x2 = ax * ax;
        for (int n = 1; n < 200; n++)
        {
            term *= -x2 / n;
            double add = term / (2 * n + 1);
            sum += add;
            if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
        }
        return Math.Sign(x) * 2 / Math.Sqrt(Math.PI) * sum;
    }

    /// <summary>erfc in double with relative accuracy also for large positive x.</summary>
    public static double Erfc(double x) => x >= 3 ? ErfcLarge(x) : 1 - Erf(x);

    /// <summary>erfc(x) = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), x ≥ 3, evaluated bottom-up.</summary>
    private static double ErfcLarge(double x)
    {
        double f = x;
        for (int k = 300; k >= 1; k--) f = x + k / 2.0 / f;
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
    }

    public static double GeluExact(double x) => x >= 0 ? x * (1 - 0.5 * Erfc(x / Math.Sqrt(2))) : x * 0.5 * Erfc(-x / Math.Sqrt(2));

    /// <summary>0.5·x·(1 + tanh(u)), with 1 + tanh(u) evaluated as 2/(1 + e^(−2u)) so that the far negative tail keeps its digits.</summary>
    public static double GeluTanh(double x)
    {
        double u = Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x);
        double onePlusTanh = u >= 0 ? 1 + Math.Tanh(u) : 2 / (1 + Math.Exp(-2 * u));
        return 0.5 * x * onePlusTanh;
    }

    public static double Silu(double x) => x / (1 + Math.Exp(-x));

    // ---- row ops over the last dimension -----------------------------------------------------------------

    public static double[] Softmax(double[] x, int c)
    {
        var y = new double[x.Length];
        for (int r = 0; r * c < x.Length; r++)
        {
            double max = double.NegativeInfinity;
            for (int i = 0; i < c; i++) max = Math.Max(max, x[r * c + i]);
            double sum = 0;
            for (int i = 0; i < c; i++) sum += Math.Exp(x[r * c + i] - max);
            for (int i = 0; i < c; i++) y[r * c + i] = Math.Exp(x[r * c + i] - max) / sum;
        }
        return y;
    }

    public static double[] LayerNorm(double[] x, int c, double[]? w, double[]? b, double eps)
    {
        var y = new double[x.Length];
        for (int r = 0; r * c < x.Length; r++)
        {
            double mean = 0, var = 0;
            for (int i = 0; i < c; i++) mean += x[r * c + i];
            mean /= c;
            for (int i = 0; i < c; i++) var += (x[r * c + i] - mean) * (x[r * c + i] - mean);
            var /= c;
            for (int i = 0; i < c; i++)
                y[r * c + i] = (x[r * c + i] - mean) / Math.Sqrt(var + eps) * (w?[i] ?? 1) + (b?[i] ?? 0);
        }
        return y;
    }

    /// <summary>LayerNorm (no affine) over the last dimension, then ·(1 + scale) + shift broadcast to x.</summary>
    public static double[] LayerNormModulate(double[] x, int[] xs, double[] scale, double[] shift, int[] ms, double eps) =>
        Map(xs, v => v[0] * (1 + v[1]) + v[2], (LayerNorm(x, xs[^1], null, null, eps), xs), (scale, ms), (shift, ms));

    public static double[] RmsNorm(double[] x, int c, double[]? w, double eps)
    {
        var y = new double[x.Length];
        for (int r = 0; r * c < x.Length; r++)
        {
            double ms = 0;
            for (int i = 0; i < c; i++) ms += x[r * c + i] * x[r * c + i];
            ms /= c;
            for (int i = 0; i < c; i++) y[r * c + i] = x[r * c + i] / Math.Sqrt(ms + eps) * (w?[i] ?? 1);
        }
        return y;
    }

    /// <summary>x [N, C, S...]: y = x / max(‖x[n, :, s]‖₂, eps) · √C · gamma[c] + bias[c].</summary>
    public static double[] RmsNormChannels(double[] x, int[] shape, double[]? gamma, double[]? bias, double eps)
    {
        int n = shape[0], c = shape[1];
        long s = Numel(shape) / Math.Max(1L, (long)n * c);
        var y = new double[x.Length];
        for (int ni = 0; ni < n; ni++)
            for (long si = 0; si < s; si++)
            {
                double ss = 0;
                for (int ci = 0; ci < c; ci++) { double v = x[(ni * c + ci) * s + si]; ss += v * v; }
                double den = Math.Max(Math.Sqrt(ss), eps);
                for (int ci = 0; ci < c; ci++)
                {
                    long k = (ni * c + ci) * s + si;
                    y[k] = x[k] / den * Math.Sqrt(c) * (gamma?[ci] ?? 1) + (bias?[ci] ?? 0);
                }
            }
        return y;
    }

    /// <summary>x [B, N, H, D], cos/sin [N, D/2], interleaved pairs.</summary>
    public static double[] Rope(double[] x, int[] shape, double[] cos, double[] sin)
    {
        int b = shape[0], n = shape[1], h = shape[2], d = shape[3];
        var y = new double[x.Length];
        for (int bi = 0; bi < b; bi++)
            for (int ni = 0; ni < n; ni++)
                for (int hi = 0; hi < h; hi++)
                    for (int i = 0; i < d / 2; i++)
                    {
                        long k = (((long)bi * n + ni) * h + hi) * d + 2 * i;
                        double c = cos[ni * (d / 2) + i], s = sin[ni * (d / 2) + i];
                        y[k] = x[k] * c - x[k + 1] * s;
                        y[k + 1] = x[k] * s + x[k + 1] * c;
                    }
        return y;
    }

    /// <summary>Σ or mean over <paramref name="dim"/>; output laid out as the input without that dimension.</summary>
    public static double[] Reduce(double[] x, int[] shape, int dim, bool mean)
    {
        long outer = 1, inner = 1;
        for (int i = 0; i < dim; i++) outer *= shape[i];
        for (int i = dim + 1; i < shape.Length; i++) inner *= shape[i];
        int len = shape[dim];
        var y = new double[outer * inner];
        for (long o = 0; o < outer; o++)
            for (long j = 0; j < inner; j++)
            {
                double s = 0;
                for (int r = 0; r < len; r++) s += x[(o * len + r) * inner + j];
                y[o * inner + j] = mean ? s / len : s;
            }
        return y;
    }

    // ---- layout --------------------------------------------------------------------------------------

    public static double[] Permute(double[] x, int[] shape, int[] dims)
    {
        var outShape = dims.Select(d => shape[d]).ToArray();
        var inStrides = Strides(shape);
        var y = new double[x.Length];
        for (long i = 0; i < y.Length; i++)
        {
            var idx = Unravel(i, outShape);
            long off = 0;
            for (int k = 0; k < dims.Length; k++) off += idx[k] * inStrides[dims[k]];
            y[i] = x[off];
        }
        return y;
    }

    public static double[] Slice(double[] x, int[] shape, int dim, int start, int length)
    {
        var outShape = (int[])shape.Clone();
        outShape[dim] = length;
        var inStrides = Strides(shape);
        var y = new double[Numel(outShape)];
        for (long i = 0; i < y.Length; i++)
        {
            var idx = Unravel(i, outShape);
            idx[dim] += start;
            long off = 0;
            for (int k = 0; k < idx.Length; k++) off += idx[k] * inStrides[k];
            y[i] = x[off];
        }
        return y;
    }

    public static double[] Concat(IReadOnlyList<(double[] Data, int[] Shape)> parts, int dim)
    {
        var outShape = (int[])parts[0].Shape.Clone();
        outShape[dim] = parts.Sum(p => p.Shape[dim]);
        var y = new double[Numel(outShape)];
        for (long i = 0; i < y.Length; i++)
        {
            var idx = Unravel(i, outShape);
            int k = 0, at = idx[dim];
            while (at >= parts[k].Shape[dim]) { at -= parts[k].Shape[dim]; k++; }
            idx[dim] = at;
            var st = Strides(parts[k].Shape);
            long off = 0;
            for (int j = 0; j < idx.Length; j++) off += idx[j] * st[j];
            y[i] = parts[k].Data[off];
        }
        return y;
    }

    // ---- GEMM, convolution, attention ------------------------------------------------------------------

    /// <summary>a [batch..., M, K] · b [batch..., K, N] (or [.., N, K] transposed); b's batch broadcasts.</summary>
    public static double[] MatMul(double[] a, int[] aShape, double[] b, int[] bShape, bool transposeB, double alpha)
    {
        int m = aShape[^2], k = aShape[^1];
        int n = transposeB ? bShape[^2] : bShape[^1];
        long batch = Numel(aShape) / ((long)m * k);
        long bBatch = Numel(bShape) / ((long)k * n);
        var y = new double[batch * m * n];
        for (long t = 0; t < batch; t++)
        {
            long tb = bBatch == 1 ? 0 : t;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++)
                    {
                        double bv = transposeB ? b[(tb * n + j) * k + p] : b[(tb * k + p) * n + j];
                        s += a[(t * m + i) * k + p] * bv;
                    }
                    y[(t * m + i) * n + j] = alpha * s;
                }
        }
        return y;
    }

    /// <summary>y = x·Wᵀ + bias; x [..., in], W [out, in].</summary>
    public static double[] Linear(double[] x, int inF, double[] w, int outF, double[]? bias)
    {
        long rows = x.Length / inF;
        var y = new double[rows * outF];
        for (long r = 0; r < rows; r++)
            for (int o = 0; o < outF; o++)
            {
                double s = bias?[o] ?? 0;
                for (int i = 0; i < inF; i++) s += x[r * inF + i] * w[(long)o * inF + i];
                y[r * outF + o] = s;
            }
        return y;
    }

    /// <summary>
    /// 3-D convolution with zero padding, x [N, C, T, H, W], w [O, C, kT, kH, kW]; 2-D is the kT = T = 1 case.
    /// pad = (front, back, top, bottom, left, right). Returns the output and its shape.
    /// </summary>
    public static (double[] Y, int[] Shape) Conv3d(double[] x, int[] xs, double[] w, int[] ws, double[]? bias,
        (int T, int H, int W) stride, (int F, int Bk, int Tp, int Bt, int L, int R) pad)
    {
        int n = xs[0], c = xs[1], t = xs[2], h = xs[3], wd = xs[4];
        int o = ws[0], kt = ws[2], kh = ws[3], kw = ws[4];
        int to = (t + pad.F + pad.Bk - kt) / stride.T + 1;
        int ho = (h + pad.Tp + pad.Bt - kh) / stride.H + 1;
        int wo = (wd + pad.L + pad.R - kw) / stride.W + 1;
        var y = new double[(long)n * o * to * ho * wo];
        for (int ni = 0; ni < n; ni++)
            for (int oi = 0; oi < o; oi++)
                for (int a = 0; a < to; a++)
                    for (int bb = 0; bb < ho; bb++)
                        for (int cc = 0; cc < wo; cc++)
                        {
                            double s = bias?[oi] ?? 0;
                            for (int ci = 0; ci < c; ci++)
                                for (int p = 0; p < kt; p++)
                                    for (int q = 0; q < kh; q++)
                                        for (int r = 0; r < kw; r++)
                                        {
                                            int ti = a * stride.T + p - pad.F, hi = bb * stride.H + q - pad.Tp, wi = cc * stride.W + r - pad.L;
                                            if (ti < 0 || ti >= t || hi < 0 || hi >= h || wi < 0 || wi >= wd) continue;
                                            s += x[((((long)ni * c + ci) * t + ti) * h + hi) * wd + wi] *
                                                 w[((((long)oi * c + ci) * kt + p) * kh + q) * kw + r];
                                        }
                            y[((((long)ni * o + oi) * to + a) * ho + bb) * wo + cc] = s;
                        }
        return (y, [n, o, to, ho, wo]);
    }

    /// <summary>[..., H, W] → [..., 2H, 2W], nearest neighbour.</summary>
    public static double[] UpsampleNearest2x(double[] x, int[] shape)
    {
        int h = shape[^2], w = shape[^1];
        long planes = x.Length / ((long)h * w);
        var y = new double[x.Length * 4];
        for (long p = 0; p < planes; p++)
            for (int i = 0; i < 2 * h; i++)
                for (int j = 0; j < 2 * w; j++)
                    y[(p * 2 * h + i) * 2 * w + j] = x[(p * h + i / 2) * w + j / 2];
        return y;
    }

    /// <summary>softmax(q·kᵀ·scale + mask)·v; q [B, H, Nq, D], k [B, H, Nk, D], v [B, H, Nk, Dv], mask broadcast to [B, H, Nq, Nk].</summary>
    public static double[] Attention(double[] q, int[] qs, double[] k, int[] ks, double[] v, int[] vs, double[]? mask, int[]? ms, double scale)
    {
        int b = qs[0], h = qs[1], nq = qs[2], d = qs[3], nk = ks[2], dv = vs[3];
        var y = new double[(long)b * h * nq * dv];
        var logits = new double[nk];
        for (int bi = 0; bi < b; bi++)
            for (int hi = 0; hi < h; hi++)
                for (int i = 0; i < nq; i++)
                {
                    double max = double.NegativeInfinity;
                    for (int j = 0; j < nk; j++)
                    {
                        double s = 0;
                        for (int p = 0; p < d; p++) s += q[(((long)bi * h + hi) * nq + i) * d + p] * k[(((long)bi * h + hi) * nk + j) * d + p];
                        s *= scale;
                        if (mask != null) s += At(mask, ms!, [bi, hi, i, j]);
                        logits[j] = s;
                        max = Math.Max(max, s);
                    }
                    // Every score −∞ (or no keys): the row attends to nothing and gives 0 (IBackend.Attention, PyTorch SDPA).
                    if (double.IsNegativeInfinity(max)) continue;
                    double sum = 0;
                    for (int j = 0; j < nk; j++) { logits[j] = Math.Exp(logits[j] - max); sum += logits[j]; }
                    for (int p = 0; p < dv; p++)
                    {
                        double acc = 0;
                        for (int j = 0; j < nk; j++) acc += logits[j] * v[(((long)bi * h + hi) * nk + j) * dv + p];
                        y[(((long)bi * h + hi) * nq + i) * dv + p] = acc / sum;
                    }
                }
        return y;
    }
}
