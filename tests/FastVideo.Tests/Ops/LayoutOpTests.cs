using FastVideo.Backends.Cpu;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;
using static FastVideo.Tests.Ops.OpTestUtil;
using R = FastVideo.Tests.Parity.DoubleReference;

namespace FastVideo.Tests.Ops;

public class LayoutOpTests
{
    private static readonly DType[] AllTypes = [DType.F32, DType.F16, DType.BF16, DType.I32, DType.I64, DType.U8, DType.Bool];

    /// <summary>A tensor of <paramref name="dtype"/> whose values are distinct small integers (exact in every dtype but Bool/U8 wrap).</summary>
    private static (Tensor T, double[] V) Ramp(DType dtype, int[] shape, int seed)
    {
        int n = Numel(shape);
        var rng = new Random(seed);
        var f = new float[n];
        for (int i = 0; i < n; i++) f[i] = dtype == DType.Bool ? rng.Next(2) : dtype == DType.U8 ? rng.Next(256) : rng.Next(-1000, 1000);
        using var t32 = Tensor.FromHost<float>(f, shape);
        var t = Cpu.Cast(t32, dtype);
        return (t, Values(t)); // the stored values (bf16 rounds integers above 256)
    }

    private static double[] Values(Tensor t) => t.ToFloatArray().Select(v => (double)v).ToArray();

    [Test]
    public void CopyIsExactForEveryDType()
    {
        foreach (var dt in AllTypes)
            foreach (var shape in new[] { new[] { 3, 1, 7 }, new[] { 0, 5 }, new[] { 300, 1001 } })
            {
                var (x, v) = Ramp(dt, shape, 1);
                using var _x = x;
                using var y = Cpu.Copy(x);
                Assert.That(y.DType, Is.EqualTo(dt));
                Assert.That(y.ShapeSpan.ToArray(), Is.EqualTo(shape));
                Assert.That(y.AsSpan<byte>().SequenceEqual(x.AsSpan<byte>()), $"{dt} {S(shape)}");
                Assert.That(y.DataPointer, Is.Not.EqualTo(x.DataPointer).Or.EqualTo(0));
            }
    }

    /// <summary>Independent float→bf16 nearest-even: the two neighbouring bf16 values compared in double.</summary>
    private static ushort Bf16Reference(float f)
    {
        if (float.IsNaN(f)) return 0x7FC0;
        uint u = BitConverter.SingleToUInt32Bits(f);
        uint down = u & 0xFFFF0000u, up = down + 0x10000u;
        double fd = f, dd = BitConverter.UInt32BitsToSingle(down), du = BitConverter.UInt32BitsToSingle(up);
        if (float.IsInfinity(f)) return (ushort)(u >> 16);
        if (float.IsInfinity((float)du)) du = Math.CopySign(Math.Pow(2, 128), fd); // rounding past the largest finite bf16 gives ∞
        double ed = Math.Abs(fd - dd), eu = Math.Abs(du - fd);
        if (ed < eu) return (ushort)(down >> 16);
        if (eu < ed) return (ushort)(up >> 16);
        return ((down >> 16) & 1) == 0 ? (ushort)(down >> 16) : (ushort)(up >> 16);
    }

    [Test]
    public void CastF32ToBf16RoundsToNearestEven()
    {
        var rng = new Random(3);
        var v = new List<float> { 0f, -0f, 1f, -1f, float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, float.Epsilon, 1e-40f };
        for (int i = 0; i < 2000; i++)
        {
            uint bits = (uint)rng.Next() << 1 ^ (uint)rng.Next(2);
            if ((bits & 0x7F800000u) == 0x7F800000u) bits &= 0xBFFFFFFFu; // keep finite
            if (i % 4 == 0) bits = bits & 0xFFFF0000u | 0x8000u;           // exact ties
            v.Add(BitConverter.UInt32BitsToSingle(bits));
        }
        var arr = v.ToArray();
        using var x = Tensor.FromHost<float>(arr, arr.Length);
        using var y = Cpu.Cast(x, DType.BF16);
        var got = y.ToArray<BFloat16>();
        for (int i = 0; i < arr.Length; i++)
            Assert.That(got[i].Bits, Is.EqualTo(Bf16Reference(arr[i])), $"[{i}] {arr[i]:R} (bits {BitConverter.SingleToUInt32Bits(arr[i]):X8})");
        using var nan = Tensor.FromHost<float>(Enumerable.Repeat(float.NaN, 40).ToArray(), 40);
        using var nb = Cpu.Cast(nan, DType.BF16);
        Assert.That(nb.ToArray<BFloat16>().All(b => b.IsNaN), "NaN stays NaN in the vector and scalar paths");
        using var back = Cpu.Cast(y, DType.F32);
        Assert.That(back.ToArray<float>().Select((f, i) => BitConverter.SingleToUInt32Bits(f) == (uint)got[i].Bits << 16).All(b => b), "bf16→f32 is exact");
    }

    private static IEnumerable<TestCaseData> CastPairs()
    {
        foreach (var from in AllTypes)
            foreach (var to in AllTypes)
                yield return new TestCaseData(from, to).SetName($"Cast[{from}→{to}]");
    }

    [TestCaseSource(nameof(CastPairs))]
    public void CastEveryPair(DType from, DType to)
    {
        // Values exact in the source dtype; the expected conversion follows the documented rules.
        float[] f = from switch
        {
            DType.Bool => [0, 1, 1, 0, 1],
            DType.U8 => [0, 1, 7, 128, 255],
            DType.F16 or DType.BF16 => [0, -0f, 1.5f, -2.5f, 3.75f, 100f, -7f, 0.5f, 255f],
            _ => [0, 1.5f, -2.5f, 3.75f, 100f, -7f, 0.5f, 255f, -1e4f],
        };
        if (from is DType.I32 or DType.I64) f = f.Select(MathF.Truncate).ToArray();
        var input = Enumerable.Range(0, 37).Select(i => f[i % f.Length]).ToArray(); // > one vector for the SIMD paths
        using var x32 = Tensor.FromHost<float>(input, 37);
        using var x = Cpu.Cast(x32, from);
        using var y = Cpu.Cast(x, to);
        Assert.That(y.DType, Is.EqualTo(to));
        var got = y.ToFloatArray();
        for (int i = 0; i < input.Length; i++)
        {
            double v = input[i];
            double e = to switch
            {
                DType.Bool => v != 0 ? 1 : 0,
                DType.I32 or DType.I64 => Math.Truncate(v),
                DType.U8 => unchecked((byte)(long)Math.Truncate(v)), // truncate, then wrap (two's complement) as PyTorch on x86
                DType.BF16 => BFloat16.BitsToSingle(BFloat16.RoundToBits((float)v)),
                _ => v,
            };
            Assert.That(got[i], Is.EqualTo((float)e), $"{from}→{to} [{i}] from {v}");
        }
    }

    [Test]
    public void CastFloatToHalfMatchesSystemHalf()
    {
        var v = Numerics.RandomNormal(1001, 4, 100f).Append(70000f).Append(-1e-7f).ToArray();
        using var x = Tensor.FromHost<float>(v, v.Length);
        using var y = Cpu.Cast(x, DType.F16);
        Assert.That(y.ToArray<Half>(), Is.EqualTo(v.Select(f => (Half)f).ToArray()));
    }

    private static IEnumerable<TestCaseData> ConcatCases()
    {
        yield return new TestCaseData(new[] { new[] { 3, 1, 7 }, new[] { 3, 2, 7 }, new[] { 3, 0, 7 } }, 1);
        yield return new TestCaseData(new[] { new[] { 2, 5 }, new[] { 1, 5 } }, 0);
        yield return new TestCaseData(new[] { new[] { 4, 3, 1 }, new[] { 4, 3, 5 } }, -1);
        yield return new TestCaseData(new[] { new[] { 7 } }, 0);
        yield return new TestCaseData(new[] { new[] { 2, 40, 300 }, new[] { 2, 41, 300 } }, 1);
    }

    [TestCaseSource(nameof(ConcatCases))]
    public void ConcatAnyDimAnyDType(int[][] shapes, int dim)
    {
        foreach (var dt in new[] { DType.F32, DType.BF16, DType.I64, DType.U8 })
        {
            var parts = shapes.Select((s, i) => Ramp(dt, s, 10 + i)).ToList();
            try
            {
                int d = dim < 0 ? dim + shapes[0].Length : dim;
                using var y = Cpu.Concat(parts.Select(p => p.T).ToList(), dim);
                Assert.That(y.DType, Is.EqualTo(dt));
                var e = R.Concat(parts.Select((p, i) => (p.V, shapes[i])).ToList(), d);
                Assert.That(Values(y), Is.EqualTo(e), $"{dt}");
            }
            finally
            {
                foreach (var p in parts) p.T.Dispose();
            }
        }
    }

    [Test]
    public void SliceAndSplitEveryDim()
    {
        int[] shape = [4, 5, 6];
        foreach (var dt in new[] { DType.F32, DType.F16, DType.I64, DType.Bool })
        {
            var (x, v) = Ramp(dt, shape, 20);
            using var _x = x;
            for (int d = 0; d < 3; d++)
            {
                foreach (var (start, len) in new[] { (0, 1), (1, 2), (0, shape[d]), (shape[d] - 1, 1), (2, 0) })
                {
                    using var y = Cpu.Slice(x, d, start, len);
                    Assert.That(Values(y), Is.EqualTo(R.Slice(v, shape, d, start, len)), $"{dt} dim {d} [{start}, +{len})");
                }
                var sizes = d == 0 ? new[] { 1, 0, 3 } : d == 1 ? new[] { 2, 3 } : new[] { 1, 1, 4 };
                var parts = Cpu.Split(x, sizes, d - 3);
                try
                {
                    int at = 0;
                    for (int i = 0; i < sizes.Length; i++)
                    {
                        Assert.That(Values(parts[i]), Is.EqualTo(R.Slice(v, shape, d, at, sizes[i])), $"{dt} split dim {d} part {i}");
                        at += sizes[i];
                    }
                }
                finally
                {
                    foreach (var p in parts) p.Dispose();
                }
            }
        }
        var (big, bv) = Ramp(DType.F32, [3, 200, 300], 21);
        using var _big = big;
        using var s = Cpu.Slice(big, 1, 17, 150);
        Assert.That(Values(s), Is.EqualTo(R.Slice(bv, [3, 200, 300], 1, 17, 150)));
    }

    private static IEnumerable<TestCaseData> PermuteCases()
    {
        (int[] Shape, int[] Dims)[] cases =
        [
            ([7], [0]), ([3, 5], [1, 0]), ([3, 1, 7], [2, 0, 1]), ([2, 3, 4, 5], [0, 2, 1, 3]), ([2, 3, 4, 5], [0, 3, 1, 2]),
            ([2, 3, 4, 5], [3, 2, 1, 0]), ([2, 3, 4, 5, 6], [0, 2, 3, 4, 1]), ([2, 3, 4, 5, 6], [0, 4, 1, 2, 3]),
            ([1, 2, 3, 2, 3, 5], [0, 1, 3, 2, 4, 5]), ([2, 3, 2, 2, 3, 4], [0, 5, 1, 3, 2, 4]), ([130, 257], [1, 0]),
            ([2, 67, 3, 129], [0, 3, 2, 1]), ([1, 33, 40, 1, 65], [0, 4, 2, 3, 1]), ([0, 3, 2], [2, 0, 1]), ([4, 1, 1], [-1, 0, 1]),
        ];
        foreach (var (s, d) in cases) yield return new TestCaseData(s, d).SetName($"Permute[{S(s)} by {string.Join(",", d)}]");
    }

    [TestCaseSource(nameof(PermuteCases))]
    public void PermuteAnyRankAnyDType(int[] shape, int[] dims)
    {
        var norm = dims.Select(d => d < 0 ? d + shape.Length : d).ToArray();
        foreach (var dt in new[] { DType.F32, DType.BF16, DType.I64, DType.U8 })
        {
            var (x, v) = Ramp(dt, shape, 30);
            using var _x = x;
            using var y = Cpu.Permute(x, dims);
            Assert.That(y.ShapeSpan.ToArray(), Is.EqualTo(norm.Select(d => shape[d]).ToArray()));
            Assert.That(Values(y), Is.EqualTo(R.Permute(v, shape, norm)), $"{dt}");
        }
    }

    [Test]
    public void LayoutErrorsNameOpArgumentAndShapes()
    {
        using var a = Cpu.Zeros([2, 3]);
        using var b = Cpu.Zeros([2, 4]);
        var e = Assert.Throws<ShapeMismatchException>(() => Cpu.Concat([a, b], 0).Dispose())!;
        Assert.That(e.Message, Does.Contain("Concat").And.Contain("tensors[1]").And.Contain("[2, 4]").And.Contain("[2, 3]"));
        using var c = Cpu.Zeros([2, 3], DType.BF16);
        Assert.That(Assert.Throws<ArgumentException>(() => Cpu.Concat([a, c], 0).Dispose())!.Message, Does.Contain("BF16"));
        var s = Assert.Throws<ArgumentOutOfRangeException>(() => Cpu.Slice(a, 1, 2, 2).Dispose())!;
        Assert.That(s.Message, Does.Contain("Slice").And.Contain("[2, 4)").And.Contain("[2, 3]"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Cpu.Slice(a, 2, 0, 1).Dispose());
        var p = Assert.Throws<ArgumentException>(() => Cpu.Permute(a, [0, 0]).Dispose())!;
        Assert.That(p.Message, Does.Contain("Permute").And.Contain("[0, 0]"));
        var sp = Assert.Throws<ShapeMismatchException>(() => Cpu.Split(a, [1, 1], 1))!;
        Assert.That(sp.Message, Does.Contain("Split").And.Contain("[1, 1]").And.Contain("[2, 3]"));
    }

    [Test]
    public void SingleThreadedAndParallelAgreeBitwise()
    {
        using var one = new CpuBackend { Threads = 1 };
        var (x, _) = Normal(40, 3, 130, 257);
        var (w, _) = Normal(41, 257);
        using var _x = x;
        using var _w = w;
        Tensor[] Run(CpuBackend be) =>
        [
            be.Gelu(x), be.Softmax(x), be.LayerNorm(x, w, w, 1e-6f), be.Add(x, w), be.Permute(x, [2, 0, 1]),
            be.Sum(x, 1), be.RmsNormChannels(x, null, null), be.Cast(x, DType.BF16),
        ];
        var a = Run(Cpu);
        var b = Run(one);
        try
        {
            for (int i = 0; i < a.Length; i++) Assert.That(a[i].AsSpan<byte>().SequenceEqual(b[i].AsSpan<byte>()), $"op #{i}");
        }
        finally
        {
            foreach (var t in a.Concat(b)) t.Dispose();
        }
    }
}
