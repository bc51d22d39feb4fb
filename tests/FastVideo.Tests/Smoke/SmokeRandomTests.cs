using FastVideo.Models.Smoke;
using NUnit.Framework;

namespace FastVideo.Tests.Smoke;

public class SmokeRandomTests
{
    [Test]
    public void SplitMix64MatchesTheReferenceSequence()
    {
        // Reference outputs of splitmix64 seeded with 1234567 (Vigna's splitmix64.c, as used to seed xoshiro).
        var r = new SmokeRandom(1234567);
        Assert.That(r.NextUInt64(), Is.EqualTo(6457827717110365317UL));
        Assert.That(r.NextUInt64(), Is.EqualTo(3203168211198807973UL));
        Assert.That(r.NextUInt64(), Is.EqualTo(9817491932198370423UL));
        Assert.That(r.NextUInt64(), Is.EqualTo(4593380528125082431UL));
        Assert.That(r.NextUInt64(), Is.EqualTo(16408922859458223821UL));
    }

    [Test]
    public void LogAgreesWithMathLogToAFewUlp()
    {
        var r = new SmokeRandom(7);
        double worst = 0;
        var xs = new List<double> { 1.0, 0.5, 2.0, Math.Sqrt(2), Math.Sqrt(0.5), 1e-300, 1.0 - 1e-16, double.Epsilon * (1L << 52), 1e300 };
        for (int i = 0; i < 20000; i++) xs.Add(1.0 - r.NextDouble());
        foreach (var x in xs)
        {
            double expected = Math.Log(x), actual = SmokeRandom.Log(x);
            double err = expected == 0 ? Math.Abs(actual) : Math.Abs(actual - expected) / Math.Abs(expected);
            worst = Math.Max(worst, err);
        }
        Assert.That(worst, Is.LessThan(1e-15));
        Assert.That(SmokeRandom.Log(1.0), Is.EqualTo(0.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SmokeRandom.Log(0.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SmokeRandom.Log(-1.0));
    }

    [Test]
    public void CosSin2PiAgreeWithMathCosSin()
    {
        var r = new SmokeRandom(8);
        double worst = 0;
        var vs = new List<double> { 0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1 - 1e-16 };
        for (int i = 0; i < 20000; i++) vs.Add(r.NextDouble());
        foreach (var v in vs)
        {
            var (cos, sin) = SmokeRandom.CosSin2Pi(v);
            worst = Math.Max(worst, Math.Max(Math.Abs(cos - Math.Cos(2 * Math.PI * v)), Math.Abs(sin - Math.Sin(2 * Math.PI * v))));
        }
        Assert.That(worst, Is.LessThan(1e-15));
        Assert.That(SmokeRandom.Cos2Pi(0), Is.EqualTo(1.0));
        Assert.That(SmokeRandom.Cos2Pi(0.5), Is.EqualTo(-1.0));
        Assert.That(SmokeRandom.CosSin2Pi(0.25).Sin, Is.EqualTo(1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SmokeRandom.Cos2Pi(1.0));
    }

    [Test]
    public void NormalsHaveUnitMomentsAndGaussianTails()
    {
        var r = new SmokeRandom(42);
        const int n = 200_000;
        double sum = 0, sum2 = 0, sum4 = 0;
        int beyond2 = 0;
        for (int i = 0; i < n; i++)
        {
            double x = r.NextNormal();
            sum += x;
            sum2 += x * x;
            sum4 += x * x * x * x;
            if (Math.Abs(x) > 2) beyond2++;
        }
        double mean = sum / n, variance = sum2 / n - mean * mean;
        Assert.That(mean, Is.EqualTo(0).Within(0.01));          // σ/√n ≈ 0.0022
        Assert.That(variance, Is.EqualTo(1).Within(0.015));
        Assert.That(sum4 / n, Is.EqualTo(3).Within(0.1));        // kurtosis of a Gaussian
        Assert.That(beyond2 / (double)n, Is.EqualTo(0.0455).Within(0.003)); // P(|x| > 2)
    }

    [Test]
    public void StreamsPerNameAreIndependentOfEachOtherAndReproducible()
    {
        var a1 = SmokeRandom.ForName(1, "blocks.0.attn1.to_q.weight");
        var a2 = SmokeRandom.ForName(1, "blocks.0.attn1.to_q.weight");
        var b = SmokeRandom.ForName(1, "blocks.0.attn1.to_k.weight");
        var c = SmokeRandom.ForName(2, "blocks.0.attn1.to_q.weight");
        ulong x = a1.NextUInt64();
        Assert.That(a2.NextUInt64(), Is.EqualTo(x));
        Assert.That(b.NextUInt64(), Is.Not.EqualTo(x));
        Assert.That(c.NextUInt64(), Is.Not.EqualTo(x));
    }
}
