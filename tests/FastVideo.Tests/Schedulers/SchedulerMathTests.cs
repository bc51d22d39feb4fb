using FastVideo.Models.Schedulers;
using NUnit.Framework;

namespace FastVideo.Tests.Schedulers;

/// <summary>
/// The scalar routines behind the schedules against float64 definitions: torch's float32 linspace (the beta
/// schedules), numpy's float64 linspace, and the Beta(0.6, 0.6) quantile of the beta sigma schedule.
/// </summary>
[TestFixture]
public sealed class SchedulerMathTests
{
    [TestCase(0.0001, 0.02, 1000)]
    [TestCase(0.0291547594742265, 0.109544511501033, 1000)]
    [TestCase(0.3, -2.5, 17)]
    [TestCase(-3.3, 7.7, 257)]
    [TestCase(0.1, 0.9, 2)]
    [TestCase(0.1, 0.9, 1)]
    public void TorchLinspaceF32_IsTheFloat32RoundingOfTheLine(double start, double end, int n)
    {
        var y = NumpyMath.TorchLinspaceF32(start, end, n);
        Assert.That(y, Has.Length.EqualTo(n));
        Assert.That(y[0], Is.EqualTo((float)start));
        if (n > 1) Assert.That(y[^1], Is.EqualTo((float)end));
        float s = (float)start, e = (float)end;
        // a few float32 rounding steps of the larger endpoint: the step and each product/sum round once
        float big = Math.Max(Math.Abs(s), Math.Abs(e));
        double ulp = MathF.BitIncrement(big) - big;
        for (int i = 0; i < n; i++)
        {
            double exact = n == 1 ? s : s + (double)i / (n - 1) * ((double)e - s);
            Assert.That(Math.Abs(y[i] - exact), Is.LessThanOrEqualTo(4 * ulp), $"element {i}");
        }
    }

    [Test]
    public void NumpyLinspace_EndsExactly_AndStepsUniformly()
    {
        var y = NumpyMath.Linspace(1.0, 0.001, 51);
        Assert.That(y[0], Is.EqualTo(1.0));
        Assert.That(y[50], Is.EqualTo(0.001));
        for (int i = 0; i < 50; i++) Assert.That(y[i], Is.EqualTo(i * ((0.001 - 1.0) / 50) + 1.0), $"element {i}");
        Assert.That(NumpyMath.Linspace(3, 7, 1), Is.EqualTo(new[] { 3.0 }));
        Assert.That(NumpyMath.Linspace(3, 7, 0), Is.Empty);
    }

    [TestCase(0.6, 0.6)]
    [TestCase(2.0, 5.0)]
    [TestCase(0.3, 1.7)]
    public void BetaPpf_InvertsTheCdf(double a, double b)
    {
        // the CDF of BetaReference (a power series, independent of the continued fraction)
        Assert.That(BetaDistribution.Ppf(0, a, b), Is.EqualTo(0.0));
        Assert.That(BetaDistribution.Ppf(1, a, b), Is.EqualTo(1.0));
        Assert.That(BetaDistribution.Ppf(-0.1, a, b), Is.NaN);
        foreach (double p in new[] { 1e-9, 1e-4, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.9999, 1 - 1e-9 })
        {
            double x = BetaDistribution.Ppf(p, a, b);
            Assert.That(BetaReference.Cdf(x, a, b), Is.EqualTo(p).Within(1e-12 + 1e-10 * p), $"p = {p}");
        }
        if (a == b) Assert.That(BetaDistribution.Ppf(0.5, a, b), Is.EqualTo(0.5).Within(1e-15), "symmetric distribution: median ½");
    }

    [Test]
    public void NumpyLogF32_IsWithinFourUlpOfTheLogarithm()
    {
        // numpy's vectorised float32 log: a rational approximation, documented at ≤ 3.83 ulp
        var rng = new Random(3);
        for (int k = 0; k < 20000; k++)
        {
            float x = (float)Math.Exp(rng.NextDouble() * 160 - 80);
            double exact = Math.Log(x);
            float ulp = MathF.BitIncrement((float)Math.Abs(exact)) - (float)Math.Abs(exact);
            Assert.That(Math.Abs(NumpyMath.LogF32(x) - exact), Is.LessThanOrEqualTo(4 * ulp + 1e-45), $"log({x:R})");
        }
        Assert.That(NumpyMath.LogF32(1f), Is.EqualTo(0f));
        Assert.That(NumpyMath.LogF32(0f), Is.EqualTo(float.NegativeInfinity));
    }
}
