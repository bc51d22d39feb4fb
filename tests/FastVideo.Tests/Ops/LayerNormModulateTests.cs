using FastVideo.Backends;
using FastVideo.Backends.Cpu;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;
using static FastVideo.Tests.Ops.OpTestUtil;
using R = FastVideo.Tests.Parity.DoubleReference;

namespace FastVideo.Tests.Ops;

/// <summary>
/// The fused adaLN op <see cref="IBackend.LayerNormModulate"/>: the CPU override against its default composition
/// (LayerNorm then Modulate; bit-identical by construction) and a naive double reference (relative L2 ≤ 1e-6),
/// on odd sizes with per-sample and per-token modulation; and the modulation row layout the fused paths share.
/// </summary>
public class LayerNormModulateTests
{
    /// <summary>(x, scale/shift) shapes: per sample, per token, shared per token, rank 4, rank 1, SIMD tails.</summary>
    private static readonly (int[] X, int[] M)[] Shapes =
    [
        ([2, 5, 33], [2, 1, 33]), ([2, 5, 33], [2, 5, 33]), ([3, 1, 7], [3, 1, 7]), ([1, 9, 1], [1, 1, 1]),
        ([2, 7, 301], [2, 1, 301]), ([3, 11, 17], [3, 11, 17]), ([2, 5, 15], [5, 15]), ([4, 3, 5, 9], [4, 3, 1, 9]),
        ([2, 3, 5, 7], [2, 1, 5, 7]), ([7], [7]), ([1, 3, 1025], [1, 1, 1025]),
    ];

    [Test]
    public void CpuOverrideIsBitIdenticalToTheComposition()
    {
        foreach (var threads in new[] { 1, 3 })
        {
            using var cpu = new CpuBackend { Threads = threads };
            int seed = 0;
            foreach (var (xs, ms) in Shapes)
            {
                var (x, _) = Normal(++seed, xs);
                var (scale, _) = Normal(++seed, ms);
                var (shift, _) = Normal(++seed, ms);
                using var _x = x;
                using var _s = scale;
                using var _h = shift;
                using var fused = cpu.LayerNormModulate(x, scale, shift, 1e-6f);
                using var composed = FusedOps.LayerNormModulate(cpu, x, scale, shift, 1e-6f);
                Assert.That(fused.ShapeSpan.ToArray(), Is.EqualTo(xs));
                Assert.That(fused.ToArray<float>(), Is.EqualTo(composed.ToArray<float>()), $"{S(xs)} by {S(ms)}, {threads} threads");
            }
        }
    }

    [Test]
    public void CpuOverrideMatchesANaiveDoubleReference()
    {
        var rng = new Random(17);
        for (int k = 0; k < 24; k++)
        {
            int b = rng.Next(1, 4), n = rng.Next(1, 12), c = 2 * rng.Next(1, 200) + 1;
            bool perToken = k % 2 == 1;
            int[] xs = [b, n, c], ms = perToken ? [b, n, c] : [b, 1, c];
            float offset = k % 3 == 2 ? 500f : 0f;
            var (x, xv) = Uniform(100 + k, offset - 2f, offset + 2f, xs);
            var (scale, sv) = Normal(200 + k, ms);
            var (shift, hv) = Normal(300 + k, ms);
            using var _x = x;
            using var _s = scale;
            using var _h = shift;
            using var y = Cpu.LayerNormModulate(x, scale, shift, 1e-5f);
            var expected = NaiveLayerNormModulate(xv, sv, hv, b, n, c, perToken, 1e-5);
            Numerics.AssertRelL2(y.ToArray<float>(), expected, 1e-6, $"{S(xs)} by {S(ms)}");
            Numerics.AssertRelL2(y.ToArray<float>(), R.LayerNormModulate(D(xv), xs, D(sv), D(hv), ms, 1e-5), 1e-6, $"{S(xs)} by {S(ms)} (Map)");
        }
    }

    /// <summary>Textbook loops in double: mean, biased variance, normalise, modulate.</summary>
    private static double[] NaiveLayerNormModulate(float[] x, float[] scale, float[] shift, int b, int n, int c, bool perToken, double eps)
    {
        var y = new double[x.Length];
        for (int i = 0; i < b; i++)
            for (int t = 0; t < n; t++)
            {
                int row = (i * n + t) * c, mod = (perToken ? i * n + t : i) * c;
                double mean = 0, var = 0;
                for (int j = 0; j < c; j++) mean += x[row + j];
                mean /= c;
                for (int j = 0; j < c; j++) var += (x[row + j] - mean) * (x[row + j] - mean);
                double rstd = 1 / Math.Sqrt(var / c + eps);
                for (int j = 0; j < c; j++)
                    y[row + j] = (x[row + j] - mean) * rstd * (1 + (double)scale[mod + j]) + shift[mod + j];
            }
        return y;
    }

    [Test]
    public void Bf16InputIsWidenedFirst()
    {
        var (x, _) = Normal(5, 2, 3, 19);
        var (scale, _) = Normal(6, 2, 1, 19);
        var (shift, _) = Normal(7, 2, 1, 19);
        using var _x = x;
        using var _s = scale;
        using var _h = shift;
        using var xb = Cpu.Cast(x, DType.BF16);
        using var xw = Cpu.Cast(xb, DType.F32);
        using var y = Cpu.LayerNormModulate(xb, scale, shift, 1e-6f);
        using var expected = FusedOps.LayerNormModulate(Cpu, xw, scale, shift, 1e-6f);
        Assert.That(y.DType, Is.EqualTo(DType.F32));
        Assert.That(y.ToArray<float>(), Is.EqualTo(expected.ToArray<float>()));
    }

    [Test]
    public void MismatchedModulationIsRejected()
    {
        using var x = Cpu.Zeros([2, 3, 5]);
        using var bad = Cpu.Zeros([2, 1, 4]);
        using var good = Cpu.Zeros([2, 1, 5]);
        Assert.Throws<ShapeMismatchException>(() => Cpu.LayerNormModulate(x, bad, bad, 1e-6f).Dispose());
        Assert.Throws<ShapeMismatchException>(() => Cpu.LayerNormModulate(x, good, bad, 1e-6f).Dispose());
        using var i32 = Cpu.Zeros([2, 1, 5], DType.I32);
        Assert.Throws<ArgumentException>(() => Cpu.LayerNormModulate(x, i32, good, 1e-6f).Dispose());
    }

    [Test]
    public void ModulationRowsIndexLikeTheFusedKernel()
    {
        // per sample: [B, N, C] by [B, 1, C] → rows grouped by N, one modulation row per sample
        Assert.That(ModulationRows.TryCreate([2, 5, 7], [2, 1, 7], [2, 1, 7]), Is.EqualTo(new ModulationRows(10, 7, 5, 7, 0)));
        // per token: [B, N, C] by [B, N, C]
        Assert.That(ModulationRows.TryCreate([2, 5, 7], [2, 5, 7], [2, 5, 7]), Is.EqualTo(new ModulationRows(10, 7, 5, 35, 7)));
        // shared: [1, 1, C], [C], [N, C]
        Assert.That(ModulationRows.TryCreate([2, 5, 7], [1, 1, 7], [1, 1, 7]), Is.EqualTo(new ModulationRows(10, 7, 5, 0, 0)));
        Assert.That(ModulationRows.TryCreate([2, 5, 7], [7], [7]), Is.EqualTo(new ModulationRows(10, 7, 5, 0, 0)));
        Assert.That(ModulationRows.TryCreate([2, 5, 7], [5, 7], [5, 7]), Is.EqualTo(new ModulationRows(10, 7, 5, 0, 7)));
        Assert.That(ModulationRows.TryCreate([4, 3, 5, 9], [4, 3, 1, 9], [4, 3, 1, 9]), Is.EqualTo(new ModulationRows(60, 9, 5, 9, 0)));
        // composition only: mixed leading broadcast, scale ≠ shift shape, wrong C
        Assert.That(ModulationRows.TryCreate([2, 3, 5, 7], [2, 1, 5, 7], [2, 1, 5, 7]), Is.Null);
        Assert.That(ModulationRows.TryCreate([2, 5, 7], [2, 1, 7], [2, 5, 7]), Is.Null);
        Assert.That(ModulationRows.TryCreate([2, 5, 7], [2, 1, 1], [2, 1, 1]), Is.Null);
        var m = ModulationRows.TryCreate([2, 5, 7], [2, 5, 7], [2, 5, 7])!.Value;
        Assert.That(m.Offset(7), Is.EqualTo(7 * 7));
    }

    [Test]
    public void BackendsWithoutAnOverrideGetTheComposition()
    {
        // FaultyBackend forwards LayerNorm and Modulate unchanged and has no LayerNormModulate of its own (not disposed: it owns Cpu).
        IBackend plain = new Parity.FaultyBackend(Cpu);
        var (x, _) = Normal(9, 2, 4, 13);
        var (scale, _) = Normal(10, 2, 4, 13);
        var (shift, _) = Normal(11, 2, 4, 13);
        using var _x = x;
        using var _s = scale;
        using var _h = shift;
        using var y = plain.LayerNormModulate(x, scale, shift, 1e-6f);
        using var expected = Cpu.LayerNormModulate(x, scale, shift, 1e-6f);
        Assert.That(y.ToArray<float>(), Is.EqualTo(expected.ToArray<float>()));
    }
}
