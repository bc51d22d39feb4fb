namespace FastVideo.Models.Schedulers;

/// <summary>
/// The sigma transforms diffusers' flow schedulers share, on a numpy array of sigmas that is either float64
/// (<c>f32</c> false: the default linspace schedule) or float32 (true: sigmas or timesteps a caller
/// passed, which diffusers converts with <c>astype(np.float32)</c>). A float32 array keeps numpy 1.x semantics:
/// each operation with a Python scalar rounds the scalar to float32 and the result to float32; emulating one
/// float32 operation by the double operation and a rounding is exact (53 ≥ 2·24 + 2 bits).
/// </summary>
internal static class SigmaSchedules
{
    private static double R(double v, bool f32) => f32 ? (float)v : v;

    /// <summary>Static shift: σ' = s·σ / (1 + (s − 1)·σ).</summary>
    public static void Shift(double[] sigmas, bool f32, double shift)
    {
        double s = R(shift, f32), sm1 = R(shift - 1, f32);
        for (int i = 0; i < sigmas.Length; i++)
        {
            double x = sigmas[i];
            sigmas[i] = R(R(s * x, f32) / R(1 + R(sm1 * x, f32), f32), f32);
        }
    }

    /// <summary>
    /// Resolution-dependent shift (diffusers <c>time_shift(mu, 1.0, σ)</c>): exponential σ' = e^μ / (e^μ + (1/σ − 1)),
    /// linear σ' = μ / (μ + (1/σ − 1)).
    /// </summary>
    public static void TimeShift(double[] sigmas, bool f32, string type, double mu)
    {
        double m = type switch
        {
            "exponential" => Math.Exp(mu),
            "linear" => mu,
            _ => throw new ArgumentException($"unknown time_shift_type \"{type}\" (expected \"exponential\" or \"linear\")", nameof(type)),
        };
        m = R(m, f32);
        for (int i = 0; i < sigmas.Length; i++)
        {
            double x = sigmas[i];
            double odds = R(R(1 / x, f32) - 1, f32); // (1/t − 1) ** 1.0 is exact
            sigmas[i] = R(m / R(m + odds, f32), f32);
        }
    }

    /// <summary>
    /// <c>stretch_shift_to_terminal</c>: with z = 1 − σ and k = z[−1] / (1 − terminal), σ' = 1 − z/k, so the last
    /// sigma becomes <paramref name="terminal"/>. For a float32 array k is a numpy float64 scalar (float32 scalar /
    /// Python float), rounded to float32 when it divides the array.
    /// </summary>
    public static void StretchToTerminal(double[] sigmas, bool f32, double terminal)
    {
        if (sigmas.Length == 0) return;
        var z = new double[sigmas.Length];
        for (int i = 0; i < z.Length; i++) z[i] = R(1 - sigmas[i], f32);
        double k = R(z[^1] / (1 - terminal), f32);
        for (int i = 0; i < z.Length; i++) sigmas[i] = R(1 - R(z[i] / k, f32), f32);
    }

    /// <summary>Karras et al. (2022): σ_i = (σ_max^{1/7} + i/(n−1)·(σ_min^{1/7} − σ_max^{1/7}))^7, float64.</summary>
    public static double[] Karras(double sigmaMin, double sigmaMax, int n)
    {
        const double Rho = 7.0;
        var ramp = NumpyMath.Linspace(0, 1, n);
        double minInv = Math.Pow(sigmaMin, 1 / Rho), maxInv = Math.Pow(sigmaMax, 1 / Rho);
        var s = new double[n];
        for (int i = 0; i < n; i++) s[i] = Math.Pow(maxInv + ramp[i] * (minInv - maxInv), Rho);
        return s;
    }

    /// <summary>Exponential (log-linear) schedule: σ_i = exp(linspace(log σ_max, log σ_min, n)), float64.</summary>
    public static double[] Exponential(double sigmaMin, double sigmaMax, int n)
    {
        var l = NumpyMath.Linspace(Math.Log(sigmaMax), Math.Log(sigmaMin), n);
        for (int i = 0; i < n; i++) l[i] = Math.Exp(l[i]);
        return l;
    }

    /// <summary>Beta schedule: σ_i = σ_min + ppf_{Beta(0.6, 0.6)}(1 − i/(n−1))·(σ_max − σ_min), float64.</summary>
    public static double[] Beta(double sigmaMin, double sigmaMax, int n, double alpha = 0.6, double beta = 0.6)
    {
        var u = NumpyMath.Linspace(0, 1, n);
        var s = new double[n];
        for (int i = 0; i < n; i++) s[i] = sigmaMin + BetaDistribution.Ppf(1 - u[i], alpha, beta) * (sigmaMax - sigmaMin);
        return s;
    }
}
