using FastVideo.Backends.Cpu;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Ops;

/// <summary>Conv2d, Conv3d and UpsampleNearest2x of the CPU backend against naive double-precision loops.</summary>
public class ConvTests
{
    private const double Tol = 1e-5;
    private static readonly CpuBackend Cpu = CpuBackend.Default;

    /// <summary>
    /// Direct 3-D convolution in double: y[n,o,t,i,j] = b[o] + Σ w[o,c,d,a,e]·x[n,c,t·sT−pf+d, i·sH−pt+a, j·sW−pl+e].
    /// </summary>
    internal static double[] ReferenceConv3d(float[] x, int[] xs, float[] w, int[] ws, float[]? bias,
        (int T, int H, int W) s, (int F, int Bk, int Tp, int Bt, int L, int R) p, out int[] outShape)
    {
        int n = xs[0], c = xs[1], t = xs[2], h = xs[3], wd = xs[4];
        int o = ws[0], kt = ws[2], kh = ws[3], kw = ws[4];
        int to = (t + p.F + p.Bk - kt) / s.T + 1, ho = (h + p.Tp + p.Bt - kh) / s.H + 1, wo = (wd + p.L + p.R - kw) / s.W + 1;
        outShape = [n, o, to, ho, wo];
        var y = new double[n * o * to * ho * wo];
        int idx = 0;
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < o; oc++)
                for (int ot = 0; ot < to; ot++)
                    for (int oi = 0; oi < ho; oi++)
                        for (int oj = 0; oj < wo; oj++)
                        {
                            double acc = bias == null ? 0 : bias[oc];
                            for (int ic = 0; ic < c; ic++)
                                for (int d = 0; d < kt; d++)
                                {
                                    int ti = ot * s.T - p.F + d;
                                    if (ti < 0 || ti >= t) continue;
                                    for (int a = 0; a < kh; a++)
                                    {
                                        int hi = oi * s.H - p.Tp + a;
                                        if (hi < 0 || hi >= h) continue;
                                        for (int e = 0; e < kw; e++)
                                        {
                                            int wi = oj * s.W - p.L + e;
                                            if (wi < 0 || wi >= wd) continue;
                                            acc += (double)w[(((oc * c + ic) * kt + d) * kh + a) * kw + e]
                                                 * x[(((b * c + ic) * t + ti) * h + hi) * wd + wi];
                                        }
                                    }
                                }
                            y[idx++] = acc;
                        }
        return y;
    }

    private static float[] RoundBf16(float[] v) => v.Select(f => BFloat16.BitsToSingle(BFloat16.RoundToBits(f))).ToArray();

    private static Tensor Weight(float[] w, int[] shape, DType dtype) => dtype switch
    {
        DType.F32 => Tensor.FromHost<float>(w, shape),
        DType.BF16 => Tensor.FromHost<BFloat16>(w.Select(f => (BFloat16)f).ToArray(), shape),
        DType.F16 => Tensor.FromHost<Half>(w.Select(f => (Half)f).ToArray(), shape),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    /// <summary>Weights as the kernel sees them after the dtype round trip, for the reference.</summary>
    private static float[] Rounded(float[] w, DType dtype) => dtype switch
    {
        DType.BF16 => RoundBf16(w),
        DType.F16 => w.Select(f => (float)(Half)f).ToArray(),
        _ => w,
    };

    private static void Check3d(int[] xs, int[] ws, bool withBias, (int, int, int) stride,
        (int, int, int, int, int, int) pad, DType wdtype = DType.F32, int seed = 1)
    {
        var x = Numerics.RandomNormal(xs.Aggregate(1, (a, b) => a * b), seed);
        var w = Numerics.RandomNormal(ws.Aggregate(1, (a, b) => a * b), seed + 1, 0.3f);
        var bias = withBias ? Numerics.RandomNormal(ws[0], seed + 2) : null;
        var expected = ReferenceConv3d(x, xs, Rounded(w, wdtype), ws, bias, stride, pad, out var outShape);
        using var xt = Tensor.FromHost<float>(x, xs);
        using var wt = Weight(w, ws, wdtype);
        using var bt = bias == null ? null : Tensor.FromHost<float>(bias, ws[0]);
        using var y = Cpu.Conv3d(xt, wt, bt, stride, pad);
        Assert.That(y.Shape, Is.EqualTo(outShape));
        Numerics.AssertRelL2(y.ToArray<float>(), expected, Tol, $"conv3d x [{string.Join(",", xs)}] w [{string.Join(",", ws)}] {wdtype}");
    }

    private static void Check2d(int[] xs, int[] ws, bool withBias, (int H, int W) stride,
        (int T, int B, int L, int R) pad, DType wdtype = DType.F32, int seed = 1, DType biasDtype = DType.F32)
    {
        var x = Numerics.RandomNormal(xs.Aggregate(1, (a, b) => a * b), seed);
        var w = Numerics.RandomNormal(ws.Aggregate(1, (a, b) => a * b), seed + 1, 0.3f);
        var bias = withBias ? Numerics.RandomNormal(ws[0], seed + 2) : null;
        var expected = ReferenceConv3d(x, [xs[0], xs[1], 1, xs[2], xs[3]], Rounded(w, wdtype), [ws[0], ws[1], 1, ws[2], ws[3]],
            bias == null ? null : Rounded(bias, biasDtype), (1, stride.H, stride.W), (0, 0, pad.T, pad.B, pad.L, pad.R), out var outShape);
        using var xt = Tensor.FromHost<float>(x, xs);
        using var wt = Weight(w, ws, wdtype);
        using var bt = bias == null ? null : Weight(bias, [ws[0]], biasDtype);
        using var y = Cpu.Conv2d(xt, wt, bt, stride, pad);
        Assert.That(y.Shape, Is.EqualTo(new[] { outShape[0], outShape[1], outShape[3], outShape[4] }));
        Numerics.AssertRelL2(y.ToArray<float>(), expected, Tol, $"conv2d x [{string.Join(",", xs)}] w [{string.Join(",", ws)}] {wdtype}");
    }

    [Test] public void Conv2d_3x3_Stride1_SymmetricPadding_Bias() => Check2d([2, 3, 7, 9], [5, 3, 3, 3], true, (1, 1), (1, 1, 1, 1));
    [Test] public void Conv2d_3x3_Stride2_WanDownsamplePadding() => Check2d([1, 4, 9, 11], [6, 4, 3, 3], true, (2, 2), (0, 1, 0, 1));
    [Test] public void Conv2d_AsymmetricPaddingAndStrides_NonSquareKernel() => Check2d([2, 3, 6, 5], [4, 3, 3, 2], true, (2, 1), (2, 0, 1, 3));
    [Test] public void Conv2d_Stride2_PaddingOnAllSides() => Check2d([1, 3, 9, 10], [4, 3, 3, 3], true, (2, 2), (1, 1, 1, 1));
    [Test] public void Conv2d_Stride3_LeftPaddingTwo_Kernel5() => Check2d([1, 2, 8, 13], [3, 2, 5, 5], false, (3, 3), (2, 1, 2, 0));
    [Test] public void Conv2d_Pointwise_IsPlainGemm() => Check2d([2, 6, 5, 7], [4, 6, 1, 1], true, (1, 1), (0, 0, 0, 0));
    [Test] public void Conv2d_1x1_Stride2_UsesIm2Col() => Check2d([1, 5, 7, 6], [3, 5, 1, 1], false, (2, 2), (0, 0, 0, 0));
    [Test] public void Conv2d_PatchEmbedding_KernelEqualsStride8() => Check2d([1, 3, 16, 24], [6, 3, 8, 8], false, (8, 8), (0, 0, 0, 0));
    [Test] public void Conv2d_KernelLargerThanInputWithPadding() => Check2d([1, 2, 2, 3], [3, 2, 3, 3], true, (1, 1), (1, 1, 1, 1));
    [Test] public void Conv2d_SinglePixelSingleChannel() => Check2d([1, 1, 1, 1], [1, 1, 1, 1], true, (1, 1), (0, 0, 0, 0));
    [Test] public void Conv2d_Bf16Weights() => Check2d([1, 5, 8, 7], [7, 5, 3, 3], true, (1, 1), (1, 1, 1, 1), DType.BF16);
    [Test] public void Conv2d_Bf16WeightsAndBias() => Check2d([2, 4, 5, 6], [3, 4, 3, 3], true, (1, 1), (1, 1, 1, 1), DType.BF16, biasDtype: DType.BF16);
    [Test] public void Conv2d_F16Weights() => Check2d([1, 5, 8, 7], [7, 5, 3, 3], true, (2, 2), (0, 1, 0, 1), DType.F16);

    [Test] public void Conv3d_Causal3x3x3() => Check3d([1, 4, 5, 6, 7], [5, 4, 3, 3, 3], true, (1, 1, 1), (2, 0, 1, 1, 1, 1));
    [Test] public void Conv3d_Causal3x3x3_Batch2_SingleFrame() => Check3d([2, 3, 1, 5, 4], [4, 3, 3, 3, 3], true, (1, 1, 1), (2, 0, 1, 1, 1, 1));
    [Test] public void Conv3d_TimeConv3x1x1_Causal() => Check3d([1, 6, 4, 5, 3], [12, 6, 3, 1, 1], true, (1, 1, 1), (2, 0, 0, 0, 0, 0));
    [Test] public void Conv3d_TimeDownsample3x1x1_Stride2() => Check3d([1, 4, 7, 3, 5], [4, 4, 3, 1, 1], true, (2, 1, 1), (0, 0, 0, 0, 0, 0));
    [Test] public void Conv3d_WanPatchEmbedding_1x2x2_Stride1x2x2() => Check3d([1, 5, 3, 6, 8], [7, 5, 1, 2, 2], true, (1, 2, 2), (0, 0, 0, 0, 0, 0));
    [Test] public void Conv3d_Stride2_AllSidesPadded() => Check3d([1, 3, 5, 7, 9], [4, 3, 3, 3, 3], true, (2, 2, 2), (1, 1, 1, 1, 1, 1));
    [Test] public void Conv3d_Pointwise() => Check3d([2, 5, 3, 4, 5], [6, 5, 1, 1, 1], true, (1, 1, 1), (0, 0, 0, 0, 0, 0));
    [Test] public void Conv3d_AllPaddingSidesDifferent() => Check3d([1, 2, 3, 4, 5], [3, 2, 2, 3, 2], false, (1, 2, 1), (1, 2, 0, 2, 3, 1));
    [Test] public void Conv3d_Bf16Weights() => Check3d([1, 3, 3, 4, 5], [4, 3, 3, 3, 3], true, (1, 1, 1), (2, 0, 1, 1, 1, 1), DType.BF16);

    // More than GemmSmallM.MaxRows output channels: B goes to the GEMM through ConvPackB (no column matrix).
    // K = 40·27 = 1080 > KC: two K slices, the second starting mid-channel.
    [Test] public void Conv3d_PackedB_DeepReduction_TwoKSlices() => Check3d([1, 40, 3, 9, 37], [6, 40, 3, 3, 3], true, (1, 1, 1), (2, 0, 1, 1, 1, 1));
    // P = 2·23·45 = 2070 > NC, Wo = 45: panels of 32 columns straddle output rows and frames, the last is ragged.
    [Test] public void Conv3d_PackedB_WideOutput_SeveralColumnBlocks() => Check3d([1, 5, 2, 23, 45], [7, 5, 3, 3, 3], true, (1, 1, 1), (2, 0, 1, 1, 1, 1));
    // Wo = 7: one panel spans several output rows; stride 2 gathers, left-only padding clips one side.
    [Test] public void Conv3d_PackedB_Strided_NarrowRows() => Check3d([2, 3, 5, 11, 13], [9, 3, 3, 3, 3], false, (2, 2, 2), (1, 1, 1, 1, 2, 0));
    [Test] public void Conv2d_PackedB_KernelWiderThanInput() => Check2d([1, 2, 3, 2], [5, 2, 3, 5], true, (1, 1), (1, 1, 2, 2));

    [Test]
    public void Conv3d_PackedB_EqualsIm2ColSlabsBitForBit()
    {
        // Same kernels, blocking and K slices: packing B from the input must not change a single bit.
        var x = Numerics.RandomNormal(1 * 41 * 3 * 7 * 34, 5);
        var w = Numerics.RandomNormal(8 * 41 * 27, 6, 0.3f);
        var bias = Numerics.RandomNormal(8, 7);
        using var xt = Tensor.FromHost<float>(x, 1, 41, 3, 7, 34);
        using var wt = Tensor.FromHost<float>(w, 8, 41, 3, 3, 3);
        using var bt = Tensor.FromHost<float>(bias, 8);
        using var packed = Cpu.Conv3d(xt, wt, bt, (1, 1, 1), (2, 0, 1, 1, 1, 1));
        ConvDriver.t_columnBudgetOverride = 1L << 24; // slab path, one slab
        try
        {
            using var slabs = Cpu.Conv3d(xt, wt, bt, (1, 1, 1), (2, 0, 1, 1, 1, 1));
            Assert.That(packed.ToArray<float>(), Is.EqualTo(slabs.ToArray<float>()));
        }
        finally { ConvDriver.t_columnBudgetOverride = 0; }
    }

    [Test]
    public void Conv3d_ManySlabs_MatchesSingleSlab()
    {
        // A budget of 40 floats forces one output row per slab (K = 54, Wo = 6), so every slab boundary,
        // including frame boundaries inside the flattened (to, ho) row index, is crossed.
        ConvDriver.t_columnBudgetOverride = 40;
        try { Check3d([2, 2, 3, 5, 6], [3, 2, 3, 3, 3], true, (1, 1, 1), (2, 0, 1, 1, 1, 1)); }
        finally { ConvDriver.t_columnBudgetOverride = 0; }
        ConvDriver.t_columnBudgetOverride = 54 * 6 * 4; // 4 rows per slab: slabs straddle frames (Ho = 5)
        try { Check3d([1, 2, 3, 5, 6], [3, 2, 3, 3, 3], true, (1, 1, 1), (2, 0, 1, 1, 1, 1)); }
        finally { ConvDriver.t_columnBudgetOverride = 0; }
    }

    [Test]
    public void Upsample_RepeatsEveryElementTwice([Values(new[] { 2, 3, 5, 7 }, new[] { 5, 1 }, new[] { 1, 1, 1 }, new[] { 3, 9 })] int[] shape)
    {
        int h = shape[^2], w = shape[^1], lead = shape[..^2].Aggregate(1, (a, b) => a * b);
        var x = Numerics.RandomNormal(lead * h * w, 7);
        using var xt = Tensor.FromHost<float>(x, shape);
        using var y = Cpu.UpsampleNearest2x(xt);
        var expectedShape = shape.ToArray();
        expectedShape[^2] *= 2;
        expectedShape[^1] *= 2;
        Assert.That(y.Shape, Is.EqualTo(expectedShape));
        var actual = y.ToArray<float>();
        for (int l = 0; l < lead; l++)
            for (int i = 0; i < 2 * h; i++)
                for (int j = 0; j < 2 * w; j++)
                    Assert.That(actual[(l * 2 * h + i) * 2 * w + j], Is.EqualTo(x[(l * h + i / 2) * w + j / 2]), $"[{l}, {i}, {j}]");
    }

    [Test]
    public void BadShapes_ThrowNamingTheProblem()
    {
        using var x4 = Tensor.FromHost<float>(new float[2 * 3 * 4 * 5], 2, 3, 4, 5);
        using var w4 = Tensor.FromHost<float>(new float[6 * 4 * 3 * 3], 6, 4, 3, 3);
        using var w4ok = Tensor.FromHost<float>(new float[6 * 3 * 3 * 3], 6, 3, 3, 3);
        using var big = Tensor.FromHost<float>(new float[6 * 3 * 9 * 9], 6, 3, 9, 9);
        using var bias5 = Tensor.FromHost<float>(new float[5], 5);
        using var x5 = Tensor.FromHost<float>(new float[2 * 3 * 2 * 4 * 5], 2, 3, 2, 4, 5);
        using var w5 = Tensor.FromHost<float>(new float[6 * 3 * 3 * 3 * 3], 6, 3, 3, 3, 3);
        using var xb = Tensor.FromHost<BFloat16>(new BFloat16[2 * 3 * 4 * 5], 2, 3, 4, 5);

        Assert.That(() => Cpu.Conv2d(x4, w4, null, (1, 1), (1, 1, 1, 1)),
            Throws.InstanceOf<ShapeMismatchException>().With.Message.Contains("input channels").And.Message.Contains("Conv2d"));
        Assert.That(() => Cpu.Conv2d(x4, w4ok, bias5, (1, 1), (1, 1, 1, 1)),
            Throws.InstanceOf<ShapeMismatchException>().With.Message.Contains("bias must be [6]"));
        Assert.That(() => Cpu.Conv2d(x4, big, null, (1, 1), (0, 0, 0, 0)),
            Throws.InstanceOf<ShapeMismatchException>().With.Message.Contains("does not fit"));
        Assert.That(() => Cpu.Conv2d(x4, w4ok, null, (0, 1), (0, 0, 0, 0)),
            Throws.ArgumentException.With.Message.Contains("stride"));
        Assert.That(() => Cpu.Conv2d(x4, w4ok, null, (1, 1), (0, -1, 0, 0)),
            Throws.ArgumentException.With.Message.Contains("padding"));
        Assert.That(() => Cpu.Conv2d(x5, w4ok, null, (1, 1), (0, 0, 0, 0)),
            Throws.InstanceOf<ShapeMismatchException>().With.Message.Contains("[N, C, H, W]"));
        Assert.That(() => Cpu.Conv2d(xb, w4ok, null, (1, 1), (0, 0, 0, 0)),
            Throws.ArgumentException.With.Message.Contains("x must be F32"));
        Assert.That(() => Cpu.Conv3d(x5, w4ok, null, (1, 1, 1), (0, 0, 0, 0, 0, 0)),
            Throws.InstanceOf<ShapeMismatchException>().With.Message.Contains("[O, C, kT, kH, kW]"));
        Assert.That(() => Cpu.Conv3d(x5, w5, null, (1, 1, 1), (0, 0, 1, 1, 1, 1)),
            Throws.InstanceOf<ShapeMismatchException>().With.Message.Contains("does not fit")); // T = 2 < kT = 3
        using var x1 = Tensor.FromHost<float>(new float[3], 3);
        Assert.That(() => Cpu.UpsampleNearest2x(x1), Throws.InstanceOf<ShapeMismatchException>().With.Message.Contains("rank"));
    }
}
