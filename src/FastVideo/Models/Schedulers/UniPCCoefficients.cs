namespace FastVideo.Models.Schedulers;

/// <summary>
/// The scalars of one UniPC update (flow sigmas: α = 1 − σ, σ_t = σ; VP sigmas: α = 1/√(σ² + 1), σ_t = σ·α), computed in float32 with the operation order of
/// diffusers' 0-dim torch tensors. The tensor update is then (diffusers' order of operations)
/// <code>
/// x_next = SampleScale·x − M0Scale·m0 − BaseScale·(Σ_k Rhos[k]·(m_k − m0)/Rks[k] + RhoNew·(m_new − m0))
/// </code>
/// over the older history entries m_k (k = 1 .. order−1); the <see cref="RhoNew"/> term belongs to the corrector
/// (UniC) only. With h = λ_t − λ_s0, r_k = (λ_sk − λ_s0)/h, hh = −h in the
/// data-prediction form (<c>predict_x0</c>) and h in the noise-prediction form, h_φ1 = expm1(hh), B(h) = hh (bh1) or
/// expm1(hh) (bh2), and ρ from the order conditions R·ρ = b (R[i][j] = r_j^i, b_i = h_φ_{i+1}·(i+1)!/B(h); the
/// predictor of order 2 and the corrector of order 1 use ρ = ½) and λ(σ) = log α − log σ_t: data form SampleScale = σ_t/σ_s0,
/// M0Scale = α_t·h_φ1, BaseScale = α_t·B(h); noise form SampleScale = α_t/α_s0, M0Scale = σ_t·h_φ1, BaseScale = σ_t·B(h).
/// </summary>
internal readonly record struct UniPCCoefficients(float SampleScale, float M0Scale, float BaseScale, float[] Rhos, float[] Rks, float RhoNew)
{
    /// <summary>
    /// diffusers' <c>_sigma_to_alpha_sigma_t</c> in float32: flow sigmas α = 1 − σ, σ_t = σ; VP sigmas
    /// α = 1/√(σ² + 1), σ_t = σ·α.
    /// </summary>
    public static (float Alpha, float Sigma) AlphaSigma(float sigma, bool flow)
    {
        if (flow) return (1f - sigma, sigma);
        float alpha = 1f / MathF.Sqrt(sigma * sigma + 1f);
        return (alpha, sigma * alpha);
    }

    /// <summary>λ = log(α) − log(σ_t), in float32 (λ(0) = +∞).</summary>
    public static float Lambda(float sigma, bool flow = true)
    {
        var (a, s) = AlphaSigma(sigma, flow);
        return MathF.Log(a) - MathF.Log(s);
    }

    /// <summary>
    /// Coefficients of a predictor (<paramref name="corrector"/> false) or corrector step of
    /// <paramref name="order"/>, from the target σ_t, the current σ_s0 and the σ of the older history entries
    /// (<paramref name="olderSigmas"/>[k−1] belongs to history entry m_k, k = 1..order−1).
    /// </summary>
    public static UniPCCoefficients Compute(float sigmaT, float sigmaS0, ReadOnlySpan<float> olderSigmas, int order, bool corrector,
        bool predictX0 = true, bool bh1 = false, bool flow = true)
    {
        if (order < 1) throw new ArgumentOutOfRangeException(nameof(order), order, "UniPC order must be at least 1");
        if (olderSigmas.Length != order - 1)
            throw new ArgumentException($"UniPC order {order} needs {order - 1} older sigmas, got {olderSigmas.Length}", nameof(olderSigmas));

        float lambdaT = Lambda(sigmaT, flow), lambdaS0 = Lambda(sigmaS0, flow);
        (float alphaT, sigmaT) = AlphaSigma(sigmaT, flow);
        (float alphaS0, sigmaS0) = AlphaSigma(sigmaS0, flow);
        float h = lambdaT - lambdaS0;

        // rks = [r_1 .. r_{order-1}, 1]
        var rks = new float[order];
        for (int k = 1; k < order; k++) rks[k - 1] = (Lambda(olderSigmas[k - 1], flow) - lambdaS0) / h;
        rks[order - 1] = 1f;

        float hh = predictX0 ? -h : h;
        float hPhi1 = NumpyMath.Expm1(hh);
        float hPhiK = hPhi1 / hh - 1f;
        float bH = bh1 ? hh : NumpyMath.Expm1(hh);

        // R[i][j] = rks[j]^i, b[i] = h_phi_{i+1}·(i+1)! / B(h)
        var r = new float[order, order];
        var b = new float[order];
        long factorial = 1;
        for (int i = 1; i <= order; i++)
        {
            for (int j = 0; j < order; j++) r[i - 1, j] = PowF(rks[j], i - 1);
            b[i - 1] = hPhiK * factorial / bH;
            factorial *= i + 1;
            hPhiK = hPhiK / hh - (float)(1.0 / factorial);
        }

        float sampleScale = predictX0 ? sigmaT / sigmaS0 : alphaT / alphaS0;
        float scaleT = predictX0 ? alphaT : sigmaT;
        float m0Scale = scaleT * hPhi1;
        float baseScale = scaleT * bH;
        float[] rhos;
        float rhoNew = 0f;
        if (!corrector) rhos = order == 1 ? [] : order == 2 ? [0.5f] : SolveF32(Sub(r, order - 1), b.AsSpan(0, order - 1).ToArray());
        else
        {
            var all = order == 1 ? [0.5f] : SolveF32(r, b);
            rhos = all[..^1];
            rhoNew = all[^1];
        }
        return new UniPCCoefficients(sampleScale, m0Scale, baseScale, rhos, rks[..^1], rhoNew);
    }

    /// <summary>torch.pow for the small integer exponents used here (x⁰ = 1, x¹ = x, x² = x·x, x³ = x·x·x).</summary>
    private static float PowF(float x, int e) => e switch
    {
        0 => 1f,
        1 => x,
        2 => x * x,
        3 => x * x * x,
        _ => MathF.Pow(x, e),
    };

    private static float[,] Sub(float[,] a, int n)
    {
        var s = new float[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) s[i, j] = a[i, j];
        return s;
    }

    /// <summary>
    /// Solves a·x = b in float32 by LU with partial pivoting (as LAPACK sgesv behind torch.linalg.solve:
    /// the column below the pivot is scaled by the pivot's reciprocal, then forward and back substitution).
    /// </summary>
    internal static float[] SolveF32(float[,] a, float[] b)
    {
        int n = b.Length;
        a = (float[,])a.Clone();
        var x = (float[])b.Clone();
        for (int c = 0; c < n; c++)
        {
            int p = c;
            for (int i = c + 1; i < n; i++)
                if (MathF.Abs(a[i, c]) > MathF.Abs(a[p, c])) p = i;
            if (a[p, c] == 0f) throw new InvalidOperationException("UniPC: singular coefficient matrix (repeated sigmas in the history?)");
            if (p != c)
            {
                for (int j = 0; j < n; j++) (a[c, j], a[p, j]) = (a[p, j], a[c, j]);
                (x[c], x[p]) = (x[p], x[c]);
            }
            float inv = 1f / a[c, c];
            for (int i = c + 1; i < n; i++)
            {
                float l = a[i, c] * inv;
                a[i, c] = l;
                for (int j = c + 1; j < n; j++) a[i, j] -= l * a[c, j];
            }
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) x[i] -= a[i, j] * x[j];
        for (int i = n - 1; i >= 0; i--)
        {
            for (int j = i + 1; j < n; j++) x[i] -= a[i, j] * x[j];
            x[i] /= a[i, i];
        }
        return x;
    }
}
