using System.Text;
using NUnit.Framework;

namespace FastVideo.Tests.Support;

/// <summary>Comparison helpers shared by op, model and golden tests.</summary>
public static class Numerics
{
    /// <summary>‖a − b‖₂ / max(‖b‖₂, tiny), computed in double.</summary>
    public static double RelL2(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), "length");
        double num = 0, den = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = actual[i] - expected[i];
            num += d * d;
            den += expected[i] * expected[i];
        }
        return Math.Sqrt(num) / Math.Max(Math.Sqrt(den), 1e-300);
    }

    public static double RelL2(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        var e = new double[expected.Length];
        for (int i = 0; i < e.Length; i++) e[i] = expected[i];
        return RelL2(actual, e);
    }

    /// <summary>Asserts finite values and relative L2 error ≤ tol.</summary>
    public static void AssertRelL2(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double tol, string what)
    {
        for (int i = 0; i < actual.Length; i++)
            if (!float.IsFinite(actual[i]) && double.IsFinite(expected[i]))
                Assert.Fail($"{what}: non-finite value {actual[i]} at {i} (expected {expected[i]})");
        double err = RelL2(actual, expected);
        Assert.That(err, Is.LessThanOrEqualTo(tol), $"{what}: relative L2 error {err:E3} > {tol:E1}");
    }

    /// <summary>
    /// numpy.allclose semantics: |a − e| ≤ atol + rtol·|e| elementwise. On failure prints the worst and the
    /// first few offending pairs, then stops.
    /// </summary>
    public static void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double atol, double rtol, string what)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{what}: element count");
        int bad = 0, worst = -1;
        double worstExcess = 0, maxAbs = 0;
        var sb = new StringBuilder();
        for (int i = 0; i < actual.Length; i++)
        {
            double d = Math.Abs((double)actual[i] - expected[i]);
            maxAbs = Math.Max(maxAbs, double.IsNaN(d) ? double.PositiveInfinity : d);
            double lim = atol + rtol * Math.Abs(expected[i]);
            if (!(d <= lim))
            {
                if (bad < 5) sb.Append($"\n  [{i}] actual {actual[i]:G9} expected {expected[i]:G9} diff {d:E3}");
                bad++;
                if (double.IsNaN(d) || d - lim > worstExcess) { worstExcess = double.IsNaN(d) ? double.PositiveInfinity : d - lim; worst = i; }
            }
        }
        if (bad > 0)
            Assert.Fail($"{what}: {bad}/{actual.Length} values outside atol {atol:E1} rtol {rtol:E1}; max abs diff {maxAbs:E3}; worst at [{worst}]{sb}");
    }

    /// <summary>Deterministic N(0,1)-ish values (Box-Muller over System.Random with a fixed seed).</summary>
    public static float[] RandomNormal(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var r = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            r[i] = (float)(scale * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return r;
    }

    public static float[] RandomUniform(int n, int seed, float lo = -1f, float hi = 1f)
    {
        var rng = new Random(seed);
        var r = new float[n];
        for (int i = 0; i < n; i++) r[i] = (float)(lo + (hi - lo) * rng.NextDouble());
        return r;
    }
}
