namespace FastVideo.Tests.Schedulers;

/// <summary>
/// An independent Beta(a, b) CDF and quantile for the tests: B(x; a, b) = x^a Σ_k (1 − b)_k x^k/(k!(a + k)) (power
/// series), normalised by B(a, b) = B(½; a, b) + B(½; b, a), with I_x(a, b) = 1 − I_{1−x}(b, a) above ½ so that the
/// series always runs at x ≤ ½; the quantile by bisection. (The implementation uses a continued fraction.)
/// </summary>
internal static class BetaReference
{
    private static double Incomplete(double x, double a, double b)
    {
        double sum = 0, term = 1; // (1 − b)_k x^k / k!
        for (int k = 0; k < 4000; k++)
        {
            double add = term / (a + k);
            sum += add;
            if (Math.Abs(add) < 1e-18 * Math.Abs(sum)) break;
            term *= (k + 1 - b) * x / (k + 1);
        }
        return Math.Pow(x, a) * sum;
    }

    public static double Cdf(double x, double a, double b)
    {
        double total = Incomplete(0.5, a, b) + Incomplete(0.5, b, a);
        return x <= 0.5 ? Incomplete(x, a, b) / total : 1 - Incomplete(1 - x, b, a) / total;
    }

    public static double Ppf(double p, double a, double b)
    {
        if (p <= 0) return 0;
        if (p >= 1) return 1;
        double lo = 0, hi = 1;
        for (int i = 0; i < 100; i++)
        {
            double mid = (lo + hi) / 2;
            if (Cdf(mid, a, b) < p) lo = mid; else hi = mid;
        }
        return (lo + hi) / 2;
    }
}
