namespace FastVideo.Tests.Schedulers;

/// <summary>Settings of the float64 UniPC reference (the diffusers config keys it models).</summary>
internal sealed record UniPCReferenceOptions
{
    public int SolverOrder { get; init; } = 2;
    public bool LowerOrderFinal { get; init; } = true;
    public int[] DisableCorrector { get; init; } = [];
    public bool PredictX0 { get; init; } = true;
    public bool Bh1 { get; init; }
    public string PredictionType { get; init; } = "flow_prediction";
    public bool Thresholding { get; init; }
    public double ThresholdRatio { get; init; } = 0.995;
    public double SampleMaxValue { get; init; } = 1.0;
    /// <summary>Flow sigmas (α = 1 − σ, σ_t = σ) or VP sigmas (α = 1/√(σ² + 1), σ_t = σ·α).</summary>
    public bool Flow { get; init; } = true;
}

/// <summary>
/// An independent float64 UniPC with flow sigmas (α = 1 − σ) or VP sigmas, written from the algorithm as diffusers states it, on
/// plain arrays: the double-precision reference for configurations the goldens do not cover (orders, bh1/bh2, the
/// data- and noise-prediction forms, prediction types, thresholding, disable_corrector, lower_order_final). It
/// takes the scheduler's float32 sigmas so that only the step arithmetic is compared. Samples are [batch, rest]
/// flattened; <paramref name="batch"/> matters only for thresholding.
/// </summary>
internal sealed class UniPCReference(double[] sigmas, UniPCReferenceOptions o, int batch = 1)
{
    private readonly List<double[]> _history = new(); // newest last, at most SolverOrder entries
    private double[]? _last;
    private int _lowerOrderNums, _thisOrder;

    public int Steps => sigmas.Length - 1;

    private (double Alpha, double Sigma) AlphaSigma(double s)
    {
        if (o.Flow) return (1 - s, s);
        double a = 1 / Math.Sqrt(s * s + 1);
        return (a, s * a);
    }

    private double Lambda(double s)
    {
        var (a, st) = AlphaSigma(s);
        return Math.Log(a) - Math.Log(st);
    }

    public double[] Step(double[] v, int i, double[] x)
    {
        var m = Convert(v, i, x);

        if (i > 0 && _last != null && !o.DisableCorrector.Contains(i - 1))
            x = Update(i, i - 1, _thisOrder, _last, m, corrector: true);

        _history.Add(m);
        if (_history.Count > o.SolverOrder) _history.RemoveAt(0);

        int order = o.LowerOrderFinal ? Math.Min(o.SolverOrder, Steps - i) : o.SolverOrder;
        _thisOrder = Math.Min(order, _lowerOrderNums + 1);
        _last = x;
        var next = Update(i + 1, i, _thisOrder, x, null, corrector: false);
        _lowerOrderNums = Math.Min(_lowerOrderNums + 1, o.SolverOrder);
        return next;
    }

    /// <summary>The model output as the solver's variable: x0 (data form, then thresholded) or ε (noise form).</summary>
    private double[] Convert(double[] v, int i, double[] x)
    {
        double raw = sigmas[i];
        var (a, s) = AlphaSigma(raw);
        var m = new double[x.Length];
        for (int e = 0; e < m.Length; e++)
        {
            m[e] = (o.PredictX0, o.PredictionType) switch
            {
                (true, "flow_prediction") => x[e] - raw * v[e],
                (true, "epsilon") => (x[e] - s * v[e]) / a,
                (true, "sample") => v[e],
                (true, "v_prediction") => a * x[e] - s * v[e],
                (false, "epsilon") => v[e],
                (false, "sample") => (x[e] - a * v[e]) / s,
                (false, "v_prediction") => a * v[e] + s * x[e],
                _ => throw new ArgumentException(o.PredictionType),
            };
        }
        if (o.PredictX0 && o.Thresholding) Threshold(m);
        return m;
    }

    /// <summary>Per batch entry: s = min(max(quantile(|x0|, ratio), 1), sample_max_value); x0 = clamp(x0, −s, s)/s.</summary>
    private void Threshold(double[] m)
    {
        int per = m.Length / batch;
        for (int b = 0; b < batch; b++)
        {
            var abs = new double[per];
            for (int e = 0; e < per; e++) abs[e] = Math.Abs(m[b * per + e]);
            Array.Sort(abs);
            double rank = o.ThresholdRatio * (per - 1);
            int lo = (int)Math.Floor(rank), hi = (int)Math.Ceiling(rank);
            double q = abs[lo] + (rank - lo) * (abs[hi] - abs[lo]);
            double s = Math.Min(Math.Max(q, 1), o.SampleMaxValue);
            for (int e = 0; e < per; e++) m[b * per + e] = Math.Clamp(m[b * per + e], -s, s) / s;
        }
    }

    /// <summary>One UniP (toward σ[t] from σ[s0]) or UniC update; history entry −(k+1) sits at σ[s0 − k].</summary>
    private double[] Update(int t, int s0, int order, double[] x, double[]? modelT, bool corrector)
    {
        var (alphaT, sigmaT) = AlphaSigma(sigmas[t]);
        var (alphaS0, sigmaS0) = AlphaSigma(sigmas[s0]);
        double lamS0 = Lambda(sigmas[s0]);
        double h = Lambda(sigmas[t]) - lamS0;
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

        double hh = o.PredictX0 ? -h : h;
        double hPhi1 = Math.Exp(hh) - 1, hPhiK = hPhi1 / hh - 1, bH = o.Bh1 ? hh : hPhi1;
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

        double xScale = o.PredictX0 ? sigmaT / sigmaS0 : alphaT / alphaS0;
        double outScale = o.PredictX0 ? alphaT : sigmaT;
        var y = new double[x.Length];
        for (int e = 0; e < y.Length; e++)
        {
            double res = 0;
            for (int k = 0; k < d1s.Count; k++) res += rhos[k] * d1s[k][e];
            if (corrector) res += rhos[^1] * (modelT![e] - m0[e]);
            y[e] = xScale * x[e] - outScale * hPhi1 * m0[e] - outScale * bH * res;
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
