using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;
using static FastVideo.Tests.Ops.OpTestUtil;
using R = FastVideo.Tests.Parity.DoubleReference;

namespace FastVideo.Tests.Ops;

public class NormOpTests
{
    private static readonly int[][] RowShapes = [[3, 1, 7], [1], [5, 33], [2, 3, 300], [4, 16], [40, 1025], [1, 1, 4099]];

    [Test]
    public void SoftmaxMatchesDoubleReference()
    {
        foreach (var shape in RowShapes)
        {
            var (x, xv) = Uniform(11, -30f, 30f, shape);
            using var _x = x;
            using var y = Cpu.Softmax(x);
            Numerics.AssertRelL2(y.ToArray<float>(), R.Softmax(D(xv), shape[^1]), 1e-6, $"Softmax {S(shape)}");
        }
    }

    [Test]
    public void SoftmaxSubtractsTheMaxAndHandlesMinusInfinity()
    {
        var v = new[] { 1000f, 999f, 998f, float.NegativeInfinity, -1000f, 88f, 89f, 90f };
        using var x = Tensor.FromHost<float>(v, 2, 4);
        using var y = Cpu.Softmax(x);
        var r = y.ToArray<float>();
        Assert.That(r.All(float.IsFinite), "no overflow");
        Numerics.AssertRelL2(r, R.Softmax(D(v), 4), 1e-6, "Softmax large");
        Assert.That(r[3], Is.EqualTo(0f));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void LayerNormMatchesDoubleReference(bool affine)
    {
        foreach (var shape in RowShapes)
        {
            int c = shape[^1];
            var (x, xv) = Normal(12, shape);
            var (w, wv) = Normal(13, c);
            var (b, bv) = Normal(14, c);
            using var _x = x;
            using var _w = w;
            using var _b = b;
            using var y = affine ? Cpu.LayerNorm(x, w, b, 1e-6f) : Cpu.LayerNorm(x, null, null, 1e-5f);
            var e = R.LayerNorm(D(xv), c, affine ? D(wv) : null, affine ? D(bv) : null, affine ? 1e-6 : 1e-5);
            Numerics.AssertRelL2(y.ToArray<float>(), e, 1e-6, $"LayerNorm {S(shape)} affine={affine}");
        }
    }

    [Test]
    public void LayerNormKeepsPrecisionForRowsWithALargeMean()
    {
        int rows = 9, c = 1536;
        var xv = Numerics.RandomNormal(rows * c, 15);
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < c; i++) xv[r * c + i] = xv[r * c + i] * 0.5f + 3000f * (r + 1);
        using var x = Tensor.FromHost<float>(xv, rows, c);
        using var y = Cpu.LayerNorm(x, null, null, 1e-6f);
        var e = R.LayerNorm(D(xv), c, null, null, 1e-6);
        Numerics.AssertRelL2(y.ToArray<float>(), e, 1e-6, "LayerNorm large mean");
        Numerics.AssertClose(y.ToArray<float>(), e.Select(v => (float)v).ToArray(), 1e-5, 1e-5, "LayerNorm large mean, per element");
    }

    [Test]
    public void RmsNormMatchesDoubleReference()
    {
        foreach (var shape in RowShapes)
        {
            int c = shape[^1];
            var (x, xv) = Normal(16, shape);
            var (w, wv) = Normal(17, c);
            using var _x = x;
            using var _w = w;
            using var y = Cpu.RmsNorm(x, w, 1e-6f);
            Numerics.AssertRelL2(y.ToArray<float>(), R.RmsNorm(D(xv), c, D(wv), 1e-6), 1e-6, $"RmsNorm {S(shape)}");
            using var y2 = Cpu.RmsNorm(x, null, 1e-5f);
            Numerics.AssertRelL2(y2.ToArray<float>(), R.RmsNorm(D(xv), c, null, 1e-5), 1e-6, $"RmsNorm no weight {S(shape)}");
        }
    }

    [Test]
    public void NormsAcceptBf16Parameters()
    {
        var (x, xv) = Normal(18, 3, 7);
        var wv = Numerics.RandomNormal(7, 19).Select(v => BFloat16.BitsToSingle(BFloat16.RoundToBits(v))).ToArray();
        using var _x = x;
        using var w32 = Tensor.FromHost<float>(wv, 7);
        using var w16 = Cpu.Cast(w32, DType.BF16);
        using var y = Cpu.RmsNorm(x, w16, 1e-6f);
        Numerics.AssertRelL2(y.ToArray<float>(), R.RmsNorm(D(xv), 7, D(wv), 1e-6), 1e-6, "RmsNorm bf16 weight");
    }

    private static IEnumerable<TestCaseData> ChannelCases()
    {
        yield return new TestCaseData(new[] { 2, 5, 3, 4, 6 }, new[] { 5, 1, 1, 1 }).SetName("RmsNormChannels[2x5x3x4x6, gamma 5x1x1x1]");
        yield return new TestCaseData(new[] { 1, 7, 9 }, new[] { 7 }).SetName("RmsNormChannels[1x7x9, gamma 7]");
        yield return new TestCaseData(new[] { 2, 3 }, new[] { 3, 1 }).SetName("RmsNormChannels[2x3, gamma 3x1]");
        yield return new TestCaseData(new[] { 1, 16, 4, 33, 35 }, new[] { 16, 1, 1, 1 }).SetName("RmsNormChannels[1x16x4x33x35]");
        yield return new TestCaseData(new[] { 3, 1, 5, 5 }, new[] { 1, 1, 1 }).SetName("RmsNormChannels[3x1x5x5]");
    }

    [TestCaseSource(nameof(ChannelCases))]
    public void RmsNormChannelsMatchesDoubleReference(int[] shape, int[] gammaShape)
    {
        int c = shape[1];
        var (x, xv) = Normal(20, shape);
        var (g, gv) = Normal(21, gammaShape);
        var (b, bv) = Normal(22, gammaShape);
        using var _x = x;
        using var _g = g;
        using var _b = b;
        using var y = Cpu.RmsNormChannels(x, g, b);
        Numerics.AssertRelL2(y.ToArray<float>(), R.RmsNormChannels(D(xv), shape, D(gv), D(bv), 1e-12), 1e-6, "with gamma/bias");
        using var y2 = Cpu.RmsNormChannels(x, null, null);
        Numerics.AssertRelL2(y2.ToArray<float>(), R.RmsNormChannels(D(xv), shape, null, null, 1e-12), 1e-6, "plain");
        Assert.That(c, Is.EqualTo(gv.Length));
    }

    [Test]
    public void RmsNormChannelsClampsTinyNorms()
    {
        using var x = Cpu.Zeros([1, 4, 3]);
        using var y = Cpu.RmsNormChannels(x, null, null, 1e-12f);
        Assert.That(y.ToArray<float>(), Is.All.EqualTo(0f), "0 / max(0, eps) = 0, not NaN");
    }

    private static readonly int[][] RopeShapes = [[2, 5, 3, 8], [1, 7, 2, 34], [2, 3, 1, 2], [1, 1, 1, 128], [2, 64, 5, 96]];

    [Test]
    public void ApplyRopeMatchesDoubleReference()
    {
        foreach (var shape in RopeShapes)
        {
            int n = shape[1], half = shape[3] / 2;
            var (x, xv) = Normal(23, shape);
            var angles = Numerics.RandomUniform(n * half, 24, -10f, 10f);
            var cv = angles.Select(a => MathF.Cos(a)).ToArray();
            var sv = angles.Select(a => MathF.Sin(a)).ToArray();
            using var _x = x;
            using var cos = Tensor.FromHost<float>(cv, n, half);
            using var sin = Tensor.FromHost<float>(sv, n, half);
            using var y = Cpu.ApplyRope(x, cos, sin);
            Numerics.AssertRelL2(y.ToArray<float>(), R.Rope(D(xv), shape, D(cv), D(sv)), 1e-6, $"Rope {S(shape)}");
        }
    }

    [Test]
    public void ApplyRopeRejectsMismatchedTables()
    {
        using var x = Cpu.Zeros([1, 5, 2, 8]);
        using var cos = Cpu.Zeros([5, 8]);
        using var sin = Cpu.Zeros([5, 4]);
        var e = Assert.Throws<ShapeMismatchException>(() => Cpu.ApplyRope(x, cos, sin).Dispose())!;
        Assert.That(e.Message, Does.Contain("ApplyRope").And.Contain("cos").And.Contain("[5, 4]").And.Contain("[5, 8]"));
    }

    [TestCase(DType.F32, DType.I32)]
    [TestCase(DType.BF16, DType.I64)]
    [TestCase(DType.F16, DType.I32)]
    public void EmbeddingGathersRows(DType wtype, DType itype)
    {
        int vocab = 11, d = 19;
        var wv = Numerics.RandomNormal(vocab * d, 25);
        using var w32 = Tensor.FromHost<float>(wv, vocab, d);
        using var w = Cpu.Cast(w32, wtype);
        var wq = w.ToFloatArray(); // the stored (rounded) weights are the reference
        var ids = new[] { 3, 0, 10, 10, 5, 1, 7, 2, 9, 4, 6, 8 };
        using var idt = itype == DType.I32
            ? Tensor.FromHost<int>(ids, 3, 4)
            : Tensor.FromHost<long>(ids.Select(i => (long)i).ToArray(), 3, 4);
        using var y = Cpu.Embedding(w, idt);
        Assert.That(y.ShapeSpan.ToArray(), Is.EqualTo(new[] { 3, 4, d }));
        Assert.That(y.DType, Is.EqualTo(DType.F32));
        var expected = ids.SelectMany(i => wq.Skip(i * d).Take(d)).ToArray();
        Assert.That(y.ToArray<float>(), Is.EqualTo(expected));
    }

    [TestCase(11)]
    [TestCase(-1)]
    public void EmbeddingRejectsOutOfRangeIds(int bad)
    {
        using var w = Cpu.Zeros([11, 4]);
        using var ids = Tensor.FromHost<long>(new long[] { 0, bad, 2 }, 3);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Cpu.Embedding(w, ids).Dispose())!;
        Assert.That(e.Message, Does.Contain($"id {bad}").And.Contain("size 11"));
    }

    private static IEnumerable<TestCaseData> ReduceCases()
    {
        int[][] shapes = [[3, 1, 7], [5], [4, 0, 3], [3, 70, 400], [2, 3, 1029]];
        foreach (var shape in shapes)
            for (int dim = 0; dim < shape.Length; dim++)
                foreach (var keep in new[] { false, true })
                    yield return new TestCaseData(shape, dim, keep).SetName($"Reduce[{S(shape)} dim {dim}{(keep ? " keep" : "")}]");
    }

    [TestCaseSource(nameof(ReduceCases))]
    public void SumAndMeanMatchDoubleReference(int[] shape, int dim, bool keepDim)
    {
        var (x, xv) = Normal(26, shape);
        for (int i = 0; i < xv.Length; i++) xv[i] += 10f; // a mean far from 0: tests double accumulation
        using var _x = x;
        using var xs = Tensor.FromHost<float>(xv, shape);
        using var s = Cpu.Sum(xs, dim, keepDim);
        using var m = Cpu.Mean(xs, dim, keepDim);
        var outShape = shape.ToList();
        if (keepDim) outShape[dim] = 1;
        else outShape.RemoveAt(dim);
        Assert.That(s.ShapeSpan.ToArray(), Is.EqualTo(outShape.ToArray()));
        Assert.That(m.ShapeSpan.ToArray(), Is.EqualTo(outShape.ToArray()));
        var es = R.Reduce(D(xv), shape, dim, mean: false);
        var em = R.Reduce(D(xv), shape, dim, mean: true);
        if (es.Length == 0) return;
        Numerics.AssertRelL2(s.ToArray<float>(), es, 1e-7, "Sum");
        if (shape[dim] == 0) Assert.That(m.ToArray<float>(), Is.All.NaN, "mean over an empty dimension");
        else Numerics.AssertRelL2(m.ToArray<float>(), em, 1e-7, "Mean");
    }

    [Test]
    public void NormParameterShapeErrorsNameOpAndShapes()
    {
        using var x = Cpu.Zeros([3, 7]);
        using var w = Cpu.Zeros([6]);
        var e = Assert.Throws<ShapeMismatchException>(() => Cpu.LayerNorm(x, w, null, 1e-5f).Dispose())!;
        Assert.That(e.Message, Does.Contain("LayerNorm").And.Contain("weight").And.Contain("[7]").And.Contain("[6]").And.Contain("[3, 7]"));
        var e2 = Assert.Throws<ShapeMismatchException>(() => Cpu.RmsNormChannels(x, w, null).Dispose())!;
        Assert.That(e2.Message, Does.Contain("RmsNormChannels").And.Contain("gamma"));
        using var i = Cpu.Zeros([3], DType.I32);
        Assert.Throws<ArgumentException>(() => Cpu.Softmax(i).Dispose());
    }
}
