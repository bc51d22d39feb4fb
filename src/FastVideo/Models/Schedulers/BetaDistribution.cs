namespace FastVideo.Models.Schedulers;

/// <summary>
/// The inverse CDF (percent-point function) of the Beta(a, b) distribution, as <c>scipy.stats.beta.ppf</c>, for
/// diffusers' beta sigma schedules ("Beta Sampling is All You Need", a = b = 0.6). The regularized incomplete beta
/// function I_x(a, b) is evaluated by its continued fraction (modified Lentz), on the side of the mean where it
/// converges fast (I_x(a, b) = 1 − I_{1−x}(b, a) on the other side); the inverse is found by bisection on [0, 1]
/// to the last bit of a double, far below the 1e−5 at which sigmas are compared.
/// </summary>
internal static class BetaDistribution
{
    /// <summary>x with I_x(a, b) = p; p = 0 → 0, p = 1 → 1, NaN outside [0, 1].</summary>
    public static double Ppf(double p, double a, double b)
    {
        if (!(a > 0) || !(b > 0)) throw new ArgumentOutOfRangeException(nameof(a), $"Beta parameters must be positive, got a = {a}, b = {b}");
        if (double.IsNaN(p) || p < 0 || p > 1) return double.NaN;
        if (p == 0) return 0;
        if (p == 1) return 1;
        double lo = 0, hi = 1;
        for (int it = 0; it < 200; it++)
        {
            double mid = 0.5 * (lo + hi);
            if (mid <= lo || mid >= hi) break; // adjacent doubles: converged
            if (RegularizedIncompleteBeta(mid, a, b) < p) lo = mid;
            else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    /// <summary>I_x(a, b) = B(x; a, b) / B(a, b), the Beta(a, b) CDF.</summary>
    public static double RegularizedIncompleteBeta(double x, double a, double b)
    {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        // x^a (1 − x)^b / B(a, b), in logs
        double front = Math.Exp(a * Math.Log(x) + b * Math.Log(1 - x) - LogBeta(a, b));
        if (x < (a + 1) / (a + b + 2)) return front * ContinuedFraction(x, a, b) / a;
        return 1 - front * ContinuedFraction(1 - x, b, a) / b;
    }

    /// <summary>
    /// The continued fraction 1/(1 + d₁/(1 + d₂/(1 + …))) of I_x(a, b) with d_{2m+1} = −(a+m)(a+b+m)x / ((a+2m)(a+2m+1))
    /// and d_{2m} = m(b−m)x / ((a+2m−1)(a+2m)), by the modified Lentz method.
    /// </summary>
    private static double ContinuedFraction(double x, double a, double b)
    {
        const double Tiny = 1e-300, Eps = 1e-16;
        double c = 1, d = 1 - (a + b) * x / (a + 1);
        if (Math.Abs(d) < Tiny) d = Tiny;
        d = 1 / d;
        double f = d;
        for (int m = 1; m <= 10000; m++)
        {
            int m2 = 2 * m;
            double even = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 + even * d;
            if (Math.Abs(d) < Tiny) d = Tiny;
            c = 1 + even / c;
            if (Math.Abs(c) < Tiny) c = Tiny;
            d = 1 / d;
            f *= d * c;
            double odd = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 + odd * d;
            if (Math.Abs(d) < Tiny) d = Tiny;
            c = 1 + odd / c;
            if (Math.Abs(c) < Tiny) c = Tiny;
            d = 1 / d;
            double delta = d * c;
            f *= delta;
            if (Math.Abs(delta - 1) < Eps) break;
        }
        return f;
    }

    private static double LogBeta(double a, double b) => LogGamma(a) + LogGamma(b) - LogGamma(a + b);

    // Lanczos approximation, g = 7, nine terms (relative error ~1e−15 for positive arguments).
    private static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];

    /// <summary>log Γ(x) for x &gt; 0 (reflection below 0.5).</summary>
    public static double LogGamma(double x)
    {
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        x -= 1;
        double sum = Lanczos[0];
        for (int i = 1; i < Lanczos.Length; i++) sum += Lanczos[i] / (x + i);
        double t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }
}
