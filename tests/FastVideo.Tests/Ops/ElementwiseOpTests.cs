using FastVideo.Backends;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;
using static FastVideo.Tests.Ops.OpTestUtil;
using R = FastVideo.Tests.Parity.DoubleReference;

namespace FastVideo.Tests.Ops;

public class ElementwiseOpTests
{
    /// <summary>(a, b) shape pairs: same shape, row vector, per-channel, scalar, outer product, rank 0, empty, large (parallel).</summary>
    private static readonly (int[] A, int[] B)[] Pairs =
    [
        ([3, 1, 7], [7]), ([3, 1, 7], [1]), ([5, 1, 1], [5, 4, 3]), ([3, 4], [3, 1]), ([2, 3, 4, 5], [3, 1, 1]),
        ([7], [7]), ([1], [1]), ([4, 1], [1, 5]), ([], [4]), ([2, 3], []), ([0, 3], [3]), ([3, 1, 7], [3, 5, 1]),
        ([37, 1029], [1029]), ([2, 16, 33, 65], [16, 1, 1]), ([70001], [70001]), ([1, 67, 1031], [67, 1]),
        ([2, 1, 3, 1, 5], [1, 4, 1, 6, 1]),
    ];

    private static IEnumerable<TestCaseData> BinaryCases()
    {
        foreach (var op in new[] { "Add", "Sub", "Mul", "Div" })
            foreach (var (a, b) in Pairs)
                yield return new TestCaseData(op, a, b).SetName($"{op}[{S(a)} + {S(b)}]");
    }

    [TestCaseSource(nameof(BinaryCases))]
    public void BinaryBroadcastMatchesDoubleReference(string op, int[] aShape, int[] bShape)
    {
        var (a, av) = Normal(1, aShape);
        // Divisors kept away from zero: |b| in [0.5, 2] with random sign.
        var bv = Numerics.RandomUniform(Numel(bShape), 2, 0.5f, 2f);
        var signs = Numerics.RandomUniform(bv.Length, 3);
        for (int i = 0; i < bv.Length; i++) if (signs[i] < 0) bv[i] = -bv[i];
        using var _a = a;
        using var b = Tensor.FromHost<float>(bv, bShape);
        using var y = op switch
        {
            "Add" => Cpu.Add(a, b),
            "Sub" => Cpu.Sub(a, b),
            "Mul" => Cpu.Mul(a, b),
            _ => Cpu.Div(a, b),
        };
        Func<double[], double> f = op switch
        {
            "Add" => x => x[0] + x[1],
            "Sub" => x => x[0] - x[1],
            "Mul" => x => x[0] * x[1],
            _ => x => x[0] / x[1],
        };
        var shape = R.BroadcastShape(aShape, bShape);
        Assert.That(y.ShapeSpan.ToArray(), Is.EqualTo(shape));
        var expected = R.Map(shape, f, (D(av), aShape), (D(bv), bShape));
        Numerics.AssertRelL2(y.ToArray<float>(), expected, 1e-6, op);
    }

    [Test]
    public void AxpbyAndScale()
    {
        var (a, av) = Normal(4, 3, 1, 7);
        var (b, bv) = Normal(5, 3, 1, 7);
        using var _a = a;
        using var _b = b;
        using var y = Cpu.Axpby(0.75f, a, -1.25f, b);
        Numerics.AssertRelL2(y.ToArray<float>(), av.Select((x, i) => 0.75 * x - 1.25 * bv[i]).ToArray(), 1e-6, "Axpby");
        using var s = Cpu.Scale(a, -2.5f, 0.125f);
        Numerics.AssertRelL2(s.ToArray<float>(), av.Select(x => -2.5 * x + 0.125).ToArray(), 1e-6, "Scale");
        var (big, bigv) = Normal(6, 40001);
        using var _big = big;
        using var s2 = Cpu.Scale(big, 3f);
        Assert.That(s2.ToArray<float>(), Is.EqualTo(bigv.Select(x => x * 3f).ToArray()), "Scale without bias is exactly x·s");
    }

    private static IEnumerable<TestCaseData> TernaryCases()
    {
        (int[] X, int[] B, int[] C)[] shapes =
        [
            ([2, 5, 7], [2, 1, 7], [2, 1, 7]), ([3, 1, 7], [7], [1]), ([4, 3, 5, 5], [4, 3, 1, 1], [3, 1, 1]),
            ([1], [1], [1]), ([2, 5, 7], [2, 5, 7], [2, 5, 7]), ([5, 7], [7], [5, 1]), ([2, 300, 129], [2, 1, 129], [129]),
        ];
        foreach (var op in new[] { "Modulate", "AddGated" })
            foreach (var (x, b, c) in shapes)
                yield return new TestCaseData(op, x, b, c).SetName($"{op}[{S(x)}, {S(b)}, {S(c)}]");
    }

    [TestCaseSource(nameof(TernaryCases))]
    public void TernaryBroadcastMatchesDoubleReference(string op, int[] xs, int[] bs, int[] cs)
    {
        var (x, xv) = Normal(7, xs);
        var (b, bv) = Normal(8, bs);
        var (c, cv) = Normal(9, cs);
        using var _x = x;
        using var _b = b;
        using var _c = c;
        using var y = op == "Modulate" ? Cpu.Modulate(x, b, c) : Cpu.AddGated(x, b, c);
        Func<double[], double> f = op == "Modulate" ? v => v[0] * (1 + v[1]) + v[2] : v => v[0] + v[1] * v[2];
        Assert.That(y.ShapeSpan.ToArray(), Is.EqualTo(xs));
        Numerics.AssertRelL2(y.ToArray<float>(), R.Map(xs, f, (D(xv), xs), (D(bv), bs), (D(cv), cs)), 1e-6, op);
    }

    [Test]
    public void ModulateRejectsOperandsThatWidenX()
    {
        using var x = Cpu.Zeros([7]);
        using var scale = Cpu.Zeros([3, 7]);
        using var shift = Cpu.Zeros([7]);
        var e = Assert.Throws<ShapeMismatchException>(() => Cpu.Modulate(x, scale, shift).Dispose())!;
        Assert.That(e.Message, Does.Contain("Modulate").And.Contain("scale [3, 7]").And.Contain("x [7]"));
    }

    [Test]
    public void ClampPropagatesNaNAndBounds()
    {
        using var x = Tensor.FromHost<float>(new[] { -3f, -1f, 0f, 0.5f, 2f, float.NaN, float.PositiveInfinity, float.NegativeInfinity }, 8);
        using var y = Cpu.Clamp(x, -1f, 1f);
        var r = y.ToArray<float>();
        Assert.That(r[..5], Is.EqualTo(new[] { -1f, -1f, 0f, 0.5f, 1f }));
        Assert.That(float.IsNaN(r[5]), "NaN stays NaN");
        Assert.That(r[6..], Is.EqualTo(new[] { 1f, -1f }));
        Assert.Throws<ArgumentException>(() => Cpu.Clamp(x, 2f, 1f).Dispose());
    }

    [TestCase("GeluExact")]
    [TestCase("GeluTanh")]
    [TestCase("Silu")]
    public void ActivationsMatchDoubleReference(string op)
    {
        foreach (var shape in new[] { new[] { 3, 1, 7 }, new[] { 1 }, new[] { 0 }, new[] { 5, 33 }, new[] { 41, 1000 } })
        {
            var (x, xv) = Uniform(10, -8f, 8f, shape);
            using var _x = x;
            using var y = Apply(op, x);
            Func<double, double> f = Ref(op);
            Numerics.AssertRelL2(y.ToArray<float>(), xv.Select(v => f(v)).ToArray(), 1e-6, $"{op} {S(shape)}");
        }
    }

    /// <summary>
    /// Per-element relative error over a dense grid including the far negative tail where y is tiny. For the
    /// tanh form the bound is scaled by max(1, |2u|): u is computed in float, and exp(−2u) turns its rounding
    /// error ε·|u| into a relative error of about 2|u|·ε (PyTorch's float tanh form returns 0 there instead).
    /// </summary>
    [TestCase("GeluExact", 3e-7)]
    [TestCase("GeluTanh", 1e-6)]
    [TestCase("Silu", 1e-6)]
    public void ActivationsArePreciseElementwise(string op, double tol)
    {
        int n = 40001;
        var xv = new float[n];
        for (int i = 0; i < n; i++) xv[i] = -12f + 24f * i / (n - 1);
        using var x = Tensor.FromHost<float>(xv, n);
        using var y = Apply(op, x);
        var r = y.ToArray<float>();
        var f = Ref(op);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < n; i++)
        {
            double e = f(xv[i]);
            if (Math.Abs(e) < 1e-30) continue; // below float's normal range
            double u = Math.Sqrt(2 / Math.PI) * (xv[i] + 0.044715 * xv[i] * xv[i] * xv[i]);
            double rel = Math.Abs(r[i] - e) / Math.Abs(e) / (op == "GeluTanh" ? Math.Max(1, Math.Abs(2 * u)) : 1);
            if (rel > worst) { worst = rel; at = i; }
        }
        TestContext.Out.WriteLine($"{op}: worst (scaled) relative error {worst:E3} at x = {(at >= 0 ? xv[at] : 0)}");
        Assert.That(worst, Is.LessThanOrEqualTo(tol), $"{op}: worst relative error {worst:E3} at x = {(at >= 0 ? xv[at] : 0)}");
    }

    [Test]
    public void DoubleReferenceErfIsAccurate()
    {
        // Values from the definition (high-precision tables).
        Assert.That(R.Erf(0.5), Is.EqualTo(0.5204998778130465).Within(1e-15));
        Assert.That(R.Erf(1.0), Is.EqualTo(0.8427007929497149).Within(1e-15));
        Assert.That(R.Erf(2.5), Is.EqualTo(0.999593047982555).Within(1e-14)); // series cancellation costs a digit here
        Assert.That(R.Erfc(3.0), Is.EqualTo(2.209049699858544e-05).Within(1e-18));
        Assert.That(R.Erfc(5.0), Is.EqualTo(1.537459794428035e-12).Within(1e-25));
        Assert.That(R.Erf(2.9999999) - (1 - R.Erfc(3.0000001)), Is.LessThan(1e-9), "continuous at the switch");
    }

    private static Tensor Apply(string op, Tensor x) => op switch
    {
        "GeluExact" => Cpu.Gelu(x),
        "GeluTanh" => Cpu.Gelu(x, GeluApproximation.Tanh),
        _ => Cpu.Silu(x),
    };

    private static Func<double, double> Ref(string op) => op switch
    {
        "GeluExact" => R.GeluExact,
        "GeluTanh" => R.GeluTanh,
        _ => R.Silu,
    };

    [TestCase(DType.F32, 1.5f)]
    [TestCase(DType.BF16, -2.75f)]
    [TestCase(DType.F16, 3.5f)]
    [TestCase(DType.I32, 7f)]
    [TestCase(DType.I64, -9f)]
    [TestCase(DType.U8, 200f)]
    [TestCase(DType.Bool, 1f)]
    public void FullFillsEveryDType(DType dtype, float value)
    {
        foreach (var shape in new[] { new[] { 3, 1, 7 }, new[] { 0 }, new[] { 70001 } })
        {
            using var t = Cpu.Full(shape, value, dtype);
            Assert.That(t.DType, Is.EqualTo(dtype));
            Assert.That(t.ShapeSpan.ToArray(), Is.EqualTo(shape));
            Assert.That(t.ToFloatArray().All(v => v == value), $"{dtype} {S(shape)}");
        }
        using var z = Cpu.Zeros([5], dtype);
        Assert.That(z.ToFloatArray(), Is.All.EqualTo(0f));
    }

    [Test]
    public void ElementwiseOpsRejectNonF32WithOpArgumentAndShape()
    {
        using var a = Cpu.Zeros([3, 4]);
        using var b = Cpu.Zeros([4], DType.BF16);
        var e = Assert.Throws<ArgumentException>(() => Cpu.Add(a, b).Dispose())!;
        Assert.That(e.Message, Does.Contain("Add").And.Contain("b").And.Contain("F32").And.Contain("BF16").And.Contain("[4]"));
        var g = Assert.Throws<ArgumentException>(() => Cpu.Gelu(b).Dispose())!;
        Assert.That(g.Message, Does.Contain("Gelu").And.Contain("BF16"));
    }

    [Test]
    public void BroadcastMismatchNamesOpAndBothShapes()
    {
        using var a = Cpu.Zeros([3, 4]);
        using var b = Cpu.Zeros([5]);
        var e = Assert.Throws<ShapeMismatchException>(() => Cpu.Mul(a, b).Dispose())!;
        Assert.That(e.Message, Does.Contain("Mul").And.Contain("[3, 4]").And.Contain("[5]"));
        using var c = Cpu.Zeros([3, 5]);
        var e2 = Assert.Throws<ShapeMismatchException>(() => Cpu.Axpby(1, a, 1, c).Dispose())!;
        Assert.That(e2.Message, Does.Contain("Axpby").And.Contain("[3, 4]").And.Contain("[3, 5]"));
    }
}
