using System.Runtime.InteropServices;
using FastVideo.Backends.Cpu;
using FastVideo.Tests.Support;
using NUnit.Framework;
using R = FastVideo.Tests.Parity.DoubleReference;

namespace FastVideo.Tests.Ops;

/// <summary>
/// Every length 0..300 through the SIMD drivers with guard zones before and after the output, so that a
/// vector store past the end (or before the start) of a buffer is caught, and every tail length is checked
/// against the double reference.
/// </summary>
public unsafe class SimdDriverSweepTests
{
    private const int Guard = 64;
    private const uint Sentinel = 0x7FC0DEADu; // a NaN payload no op produces

    private sealed class Guarded : IDisposable
    {
        public readonly float* Base;
        public readonly int N;
        public float* P => Base + Guard;

        public Guarded(int n)
        {
            N = n;
            Base = (float*)NativeMemory.AlignedAlloc((nuint)((n + 2 * Guard) * sizeof(float)), 64);
            for (int i = 0; i < n + 2 * Guard; i++) ((uint*)Base)[i] = Sentinel;
        }

        public void AssertGuardsIntact(string what)
        {
            for (int i = 0; i < Guard; i++)
            {
                Assert.That(((uint*)Base)[i], Is.EqualTo(Sentinel), $"{what}: write before the buffer at -{Guard - i}");
                Assert.That(((uint*)P)[N + i], Is.EqualTo(Sentinel), $"{what}: write past the end at +{i}");
            }
        }

        public void Dispose() => NativeMemory.AlignedFree(Base);
    }

    [Test]
    public void UnaryAllLengths()
    {
        for (int n = 0; n <= 300; n++)
        {
            var xv = Numerics.RandomUniform(n, n, -6f, 6f);
            using var x = new Guarded(n);
            using var y = new Guarded(n);
            for (int i = 0; i < n; i++) x.P[i] = xv[i];
            CpuSimd.Unary(x.P, y.P, n, new GeluErfOp());
            y.AssertGuardsIntact($"Gelu n={n}");
            x.AssertGuardsIntact($"Gelu input n={n}");
            var got = new ReadOnlySpan<float>(y.P, n).ToArray();
            if (n > 0) Numerics.AssertRelL2(got, xv.Select(v => R.GeluExact(v)).ToArray(), 1e-6, $"Gelu n={n}");

            CpuSimd.Unary(x.P, x.P, n, new SiluOp()); // in place
            x.AssertGuardsIntact($"Silu in place n={n}");
            if (n > 0) Numerics.AssertRelL2(new ReadOnlySpan<float>(x.P, n), xv.Select(v => R.Silu(v)).ToArray(), 1e-6, $"Silu n={n}");
        }
    }

    [Test]
    public void BinaryAndTernaryAllLengthsWithScalarOperands()
    {
        for (int n = 0; n <= 300; n++)
        {
            var av = Numerics.RandomNormal(n, 2 * n);
            var bv = Numerics.RandomNormal(n, 2 * n + 1);
            using var a = new Guarded(n);
            using var b = new Guarded(n);
            using var y = new Guarded(n);
            for (int i = 0; i < n; i++) { a.P[i] = av[i]; b.P[i] = bv[i]; }
            float s = 1.75f;
            foreach (var (sa, sb) in new[] { (false, false), (true, false), (false, true), (true, true) })
            {
                float* pa = sa ? &s : a.P, pb = sb ? &s : b.P;
                CpuSimd.Binary(pa, sa, pb, sb, y.P, n, new SubOp());
                y.AssertGuardsIntact($"Sub n={n} {sa}/{sb}");
                for (int i = 0; i < n; i++)
                    Assert.That(y.P[i], Is.EqualTo((sa ? s : av[i]) - (sb ? s : bv[i])), $"Sub n={n} [{i}] {sa}/{sb}");
                CpuSimd.Ternary(pa, sa, pb, sb, b.P, false, y.P, n, new ModulateOp());
                y.AssertGuardsIntact($"Modulate n={n} {sa}/{sb}");
                for (int i = 0; i < n; i++)
                {
                    double e = (double)(sa ? s : av[i]) * (1 + (double)(sb ? s : bv[i])) + bv[i];
                    Assert.That(y.P[i], Is.EqualTo(e).Within(1e-6 * (1 + Math.Abs(e))), $"Modulate n={n} [{i}] {sa}/{sb}");
                }
            }
        }
    }

    [Test]
    public void ReductionsAllLengths()
    {
        for (int n = 0; n <= 300; n++)
        {
            var xv = Numerics.RandomNormal(n, 7 * n + 3);
            using var x = new Guarded(n);
            for (int i = 0; i < n; i++) x.P[i] = xv[i] + 100f;
            double sum = 0, sq = 0;
            for (int i = 0; i < n; i++) { sum += x.P[i]; sq += (double)x.P[i] * x.P[i]; }
            Assert.That(CpuReduce.Sum(x.P, n), Is.EqualTo(sum).Within(1e-12 * (1 + Math.Abs(sum))), $"Sum n={n}");
            Assert.That(CpuReduce.SumSquares(x.P, n), Is.EqualTo(sq).Within(1e-12 * (1 + sq)), $"SumSquares n={n}");
            float max = n == 0 ? float.NegativeInfinity : new ReadOnlySpan<float>(x.P, n).ToArray().Max();
            Assert.That(CpuReduce.Max(x.P, n), Is.EqualTo(max), $"Max n={n}");
        }
    }

    [Test]
    public void FastExpIsAccurateAndHandlesTheEdges()
    {
        int n = 1 << 16;
        var xv = Numerics.RandomUniform(n, 5, -87f, 88.7f);
        fixed (float* px = xv)
        {
            double worst = 0;
            for (int i = 0; i + 16 <= n; i += 16)
            {
                var v = CpuExp.Exp(System.Runtime.Intrinsics.Vector512.Load(px + i));
                var w = CpuExp.Exp(System.Runtime.Intrinsics.Vector256.Load(px + i));
                for (int k = 0; k < 16; k++)
                {
                    double e = Math.Exp(xv[i + k]);
                    worst = Math.Max(worst, Math.Abs(v[k] - e) / e);
                    Assert.That(CpuExp.Exp(xv[i + k]), Is.EqualTo(v[k]), "scalar and vector forms agree");
                    if (k < 8) Assert.That(w[k], Is.EqualTo(v[k]), "256 and 512 forms agree");
                }
            }
            Assert.That(worst, Is.LessThan(1.2e-7), "max relative error");
        }
        Assert.That(CpuExp.Exp(0f), Is.EqualTo(1f));
        Assert.That(CpuExp.Exp(89f), Is.EqualTo(float.PositiveInfinity));
        Assert.That(CpuExp.Exp(float.PositiveInfinity), Is.EqualTo(float.PositiveInfinity));
        Assert.That(CpuExp.Exp(float.NegativeInfinity), Is.EqualTo(0f));
        Assert.That(CpuExp.Exp(-200f), Is.EqualTo(0f));
        Assert.That(float.IsNaN(CpuExp.Exp(float.NaN)));
        Assert.That(float.IsNaN(CpuExp.Exp(System.Runtime.Intrinsics.Vector512.Create(float.NaN))[0]));
        // Subnormal results: within one subnormal step of the true value.
        foreach (float x in new[] { -88f, -95f, -100f, -103f })
            Assert.That((double)CpuExp.Exp(x), Is.EqualTo(Math.Exp(x)).Within(1.5e-45 + 1e-7 * Math.Exp(x)), $"exp({x})");
    }
}
