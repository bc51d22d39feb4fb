namespace FastVideo.Tests.Schedulers;

/// <summary>
/// An independent float64 UniPC (bh2, data prediction, flow sigmas) written from the algorithm as diffusers
/// states it, on plain arrays: the double-precision reference for configurations the goldens do not cover
/// (orders 1 and 3, disable_corrector, one step). It takes the scheduler's float32 sigmas so that only the step
/// arithmetic is compared.
/// </summary>
internal sealed class UniPCReference(double[] sigmas, int solverOrder, bool lowerOrderFinal, int[] disableCorrector)
{
    private readonly List<double[]> _history = new(); // newest last, at most solverOrder entries
    private double[]? _last;
    private int _lowerOrderNums, _thisOrder;

    public int Steps => sigmas.Length - 1;

    private static double Lambda(double s) => Math.Log(1 - s) - Math.Log(s);

    public double[] Step(double[] v, int i, double[] x)
    {
        var x0 = new double[x.Length];
        for (int e = 0; e < x.Length; e++) x0[e] = x[e] - sigmas[i] * v[e];

        if (i > 0 && _last != null && !disableCorrector.Contains(i - 1))
            x = Update(i, i - 1, _thisOrder, _last, x0, corrector: true);

        _history.Add(x0);
        if (_history.Count > solverOrder) _history.RemoveAt(0);

        int order = lowerOrderFinal ? Math.Min(solverOrder, Steps - i) : solverOrder;
        _thisOrder = Math.Min(order, _lowerOrderNums + 1);
        _last = x;
        var next = Update(i + 1, i, _thisOrder, x, null, corrector: false);
        _lowerOrderNums = Math.Min(_lowerOrderNums + 1, solverOrder);
        return next;
    }

    /// <summary>One UniP (toward σ[t] from σ[s0]) or UniC update; history entry −(k+1) sits at σ[s0 − k].</summary>
    private double[] Update(int t, int s0, int order, double[] x, double[]? modelT, bool corrector)
    {
        double sigmaT = sigmas[t], sigmaS0 = sigmas[s0], alphaT = 1 - sigmaT;
        double lamS0 = Lambda(sigmaS0);
        double h = Lambda(sigmaT) - lamS0;
        var m0 = _history[^1];

        var rks = new double[order];
        var d1s = new List<double[]>();
        for (int k = 1; k < order; k++)
        {
            var mk = _history[^(k + 1)];
            double rk = (Lambda(sigmas[s0 - k]) - lamS0) / h;
            rks[k - 1] = rk;
            var d = new double[x.Length];
            for (int e = 0; e < d.Length; e++) d[e] = (mk[e] - m0[e]) / rk;
            d1s.Add(d);
        }
        rks[order - 1] = 1;

        double hh = -h, hPhi1 = Math.Exp(hh) - 1, hPhiK = hPhi1 / hh - 1, bH = hPhi1;
        var r = new double[order, order];
        var b = new double[order];
        double fact = 1;
        for (int i = 1; i <= order; i++)
        {
            for (int j = 0; j < order; j++) r[i - 1, j] = Math.Pow(rks[j], i - 1);
            b[i - 1] = hPhiK * fact / bH;
            fact *= i + 1;
            hPhiK = hPhiK / hh - 1 / fact;
        }

        double[] rhos;
        if (!corrector) rhos = order == 1 ? [] : order == 2 ? [0.5] : Solve(r, b, order - 1);
        else rhos = order == 1 ? [0.5] : Solve(r, b, order);

        var y = new double[x.Length];
        for (int e = 0; e < y.Length; e++)
        {
            double res = 0;
            for (int k = 0; k < d1s.Count; k++) res += rhos[k] * d1s[k][e];
            if (corrector) res += rhos[^1] * (modelT![e] - m0[e]);
            y[e] = sigmaT / sigmaS0 * x[e] - alphaT * hPhi1 * m0[e] - alphaT * bH * res;
        }
        return y;
    }

    /// <summary>Gaussian elimination with partial pivoting on the leading n×n block.</summary>
    private static double[] Solve(double[,] a0, double[] b0, int n)
    {
        var a = new double[n, n];
        var b = new double[n];
        for (int i = 0; i < n; i++)
        {
            b[i] = b0[i];
            for (int j = 0; j < n; j++) a[i, j] = a0[i, j];
        }
        for (int c = 0; c < n; c++)
        {
            int p = c;
            for (int i = c + 1; i < n; i++) if (Math.Abs(a[i, c]) > Math.Abs(a[p, c])) p = i;
            for (int j = 0; j < n; j++) (a[c, j], a[p, j]) = (a[p, j], a[c, j]);
            (b[c], b[p]) = (b[p], b[c]);
            for (int i = c + 1; i < n; i++)
            {
                double f = a[i, c] / a[c, c];
                for (int j = c; j < n; j++) a[i, j] -= f * a[c, j];
                b[i] -= f * b[c];
            }
        }
        var x = new double[n];
        for (int i = n - 1; i >= 0; i--)
        {
            double s = b[i];
            for (int j = i + 1; j < n; j++) s -= a[i, j] * x[j];
            x[i] = s / a[i, i];
        }
        return x;
    }
}
