using FastVideo.Backends.Cpu;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Ops;

/// <summary>CPU flash attention against a naive double-precision softmax(q·kᵀ·scale + mask)·v.</summary>
public class AttentionTests
{
    private const double Tol = 1e-5;
    private static readonly CpuBackend Cpu = CpuBackend.Default;

    /// <summary>
    /// Naive attention in double. The mask is given already broadcast to [B, H, Nq, Nk] (maskAt). A row whose
    /// scores are all −∞ gives 0, as PyTorch's scaled_dot_product_attention.
    /// </summary>
    private static double[] Reference(float[] q, float[] k, float[] v, int b, int h, int nq, int nk, int d, int dv,
        Func<int, int, int, int, float>? maskAt, float scale)
    {
        var o = new double[b * h * nq * dv];
        var s = new double[nk];
        for (int bi = 0; bi < b; bi++)
            for (int hi = 0; hi < h; hi++)
            {
                int bh = bi * h + hi;
                for (int i = 0; i < nq; i++)
                {
                    double max = double.NegativeInfinity;
                    for (int j = 0; j < nk; j++)
                    {
                        double dot = 0;
                        for (int e = 0; e < d; e++) dot += (double)q[(bh * nq + i) * d + e] * k[(bh * nk + j) * d + e];
                        s[j] = dot * scale + (maskAt == null ? 0 : maskAt(bi, hi, i, j));
                        max = Math.Max(max, s[j]);
                    }
                    if (double.IsNegativeInfinity(max)) continue; // fully masked: zeros
                    double sum = 0;
                    for (int j = 0; j < nk; j++) { s[j] = Math.Exp(s[j] - max); sum += s[j]; }
                    for (int j = 0; j < nk; j++)
                        for (int e = 0; e < dv; e++)
                            o[(bh * nq + i) * dv + e] += s[j] / sum * v[(bh * nk + j) * dv + e];
                }
            }
        return o;
    }

    private static void Check(int b, int h, int nq, int nk, int d, int dv, int[]? maskShape = null,
        Func<int, float[]>? maskValues = null, float? scale = null, int seed = 3, float qScale = 1f)
    {
        var q = Numerics.RandomNormal(b * h * nq * d, seed, qScale);
        var k = Numerics.RandomNormal(b * h * nk * d, seed + 1);
        var v = Numerics.RandomNormal(b * h * nk * dv, seed + 2);
        float sc = scale ?? 1f / MathF.Sqrt(Math.Max(d, 1));
        float[]? m = null;
        Func<int, int, int, int, float>? maskAt = null;
        if (maskShape != null)
        {
            int n = maskShape.Aggregate(1, (x, y) => x * y);
            m = maskValues?.Invoke(n) ?? Numerics.RandomNormal(n, seed + 3, 2f);
            var full = new[] { b, h, nq, nk };
            var padded = Enumerable.Repeat(1, 4 - maskShape.Length).Concat(maskShape).ToArray();
            var strides = new int[4];
            for (int i = 3, acc = 1; i >= 0; i--) { strides[i] = padded[i] == 1 ? 0 : acc; acc *= padded[i]; }
            var mm = m;
            maskAt = (bi, hi, i, j) => mm[bi * strides[0] + hi * strides[1] + i * strides[2] + j * strides[3]];
        }
        var expected = Reference(q, k, v, b, h, nq, nk, d, dv, maskAt, sc);

        using var qt = Tensor.FromHost<float>(q, b, h, nq, d);
        using var kt = Tensor.FromHost<float>(k, b, h, nk, d);
        using var vt = Tensor.FromHost<float>(v, b, h, nk, dv);
        using var mt = m == null ? null : Tensor.FromHost<float>(m, maskShape!);
        foreach (bool narrow in new[] { false, true })
        {
            AttentionKernel.t_forceVector256 = narrow;
            try
            {
                using var o = Cpu.Attention(qt, kt, vt, mt, sc);
                Assert.That(o.Shape, Is.EqualTo(new[] { b, h, nq, dv }));
                var actual = o.ToArray<float>();
                Numerics.AssertRelL2(actual, expected, Tol,
                    $"attention B{b} H{h} Nq{nq} Nk{nk} D{d} Dv{dv} mask [{(maskShape == null ? "" : string.Join(",", maskShape))}] {(narrow ? "Vector256" : "widest")}");
            }
            finally { AttentionKernel.t_forceVector256 = false; }
        }
    }

    [Test] public void NoMask_Small() => Check(2, 3, 5, 7, 16, 16);
    [Test] public void NoMask_D17_OddEverything() => Check(1, 2, 9, 13, 17, 17);
    [Test] public void NoMask_D32_CrossAttentionShape() => Check(2, 2, 11, 67, 32, 32);
    [Test] public void NoMask_D40_DvDiffers() => Check(1, 3, 6, 5, 40, 24);
    [Test] public void NoMask_D128_SeveralKeyAndQueryBlocks() => Check(1, 2, 70, 130, 128, 128);
    [Test] public void SingleQuery_Nq1() => Check(2, 2, 1, 70, 64, 64);
    [Test] public void SingleKey_Nk1_ReturnsV() => Check(2, 3, 9, 1, 16, 20);
    [Test] public void SingleQuerySingleKey() => Check(1, 1, 1, 1, 1, 1);
    [Test] public void Large_N300_ExercisesTiling() => Check(1, 2, 300, 300, 64, 64);
    [Test] public void LargeLogits_AreStable() => Check(1, 2, 37, 150, 24, 24, scale: 4f, qScale: 3f);

    [Test] public void Mask_B11Nk_Padding() =>
        // T5-style key padding: 0 for kept keys, float.MinValue for padded ones.
        Check(2, 3, 7, 70, 16, 16, [2, 1, 1, 70], n => Enumerable.Range(0, n).Select(i => i % 70 >= 50 + i / 70 * 7 ? float.MinValue : 0f).ToArray());

    [Test] public void Mask_1HNqNk() => Check(2, 3, 9, 11, 17, 17, [1, 3, 9, 11]);
    [Test] public void Mask_BHNqNk() => Check(2, 2, 65, 66, 32, 16, [2, 2, 65, 66]);
    [Test] public void Mask_Rank2Causal_NegativeInfinity() =>
        Check(1, 2, 70, 70, 16, 16, [70, 70], n => Enumerable.Range(0, n).Select(i => i % 70 > i / 70 ? float.NegativeInfinity : 0f).ToArray());
    [Test] public void Mask_BroadcastAlongKeys() => Check(2, 2, 5, 9, 8, 8, [2, 2, 5, 1]);

    [Test]
    public void FullyMaskedRows_FloatMinValue_GiveUniformAverage()
    {
        // Rows 0 and 3 of every head fully masked with float.MinValue: the scores stay finite (they all round to
        // MinValue), so PyTorch's softmax is uniform and the row is the mean of v. Checked against the reference.
        Check(1, 2, 5, 80, 16, 16, [1, 1, 5, 80],
            n => Enumerable.Range(0, n).Select(i => i / 80 is 0 or 3 || i % 80 % 3 == 0 ? float.MinValue : 0f).ToArray());

        var v = Numerics.RandomNormal(80 * 16, 11);
        using var q = Tensor.FromHost<float>(Numerics.RandomNormal(16, 12), 1, 1, 1, 16);
        using var k = Tensor.FromHost<float>(Numerics.RandomNormal(80 * 16, 13), 1, 1, 80, 16);
        using var vt = Tensor.FromHost<float>(v, 1, 1, 80, 16);
        using var mask = Tensor.FromHost<float>(Enumerable.Repeat(float.MinValue, 80).ToArray(), 1, 1, 1, 80);
        using var o = Cpu.Attention(q, k, vt, mask, 0.25f);
        var mean = new double[16];
        for (int j = 0; j < 80; j++) for (int e = 0; e < 16; e++) mean[e] += v[j * 16 + e] / 80.0;
        Numerics.AssertRelL2(o.ToArray<float>(), mean, Tol, "MinValue-masked row = mean of v");
    }

    [Test]
    public void FullyMaskedRows_NegativeInfinity_GiveZero_OtherRowsUnaffected()
    {
        // Rows 1 and 4 are −∞ everywhere (zeros, as PyTorch SDPA); the others keep a partly −∞ mask whose first
        // key block (keys 0..63) is fully masked, so the running max starts at −∞ and must recover.
        Check(1, 2, 6, 130, 16, 16, [1, 1, 6, 130],
            n => Enumerable.Range(0, n).Select(i => i / 130 is 1 or 4 || i % 130 < 64 ? float.NegativeInfinity : 0f).ToArray());

        using var q = Tensor.FromHost<float>(Numerics.RandomNormal(2 * 8, 1), 1, 1, 2, 8);
        using var k = Tensor.FromHost<float>(Numerics.RandomNormal(3 * 8, 2), 1, 1, 3, 8);
        using var v = Tensor.FromHost<float>(Numerics.RandomNormal(3 * 8, 3), 1, 1, 3, 8);
        using var mask = Tensor.FromHost<float>(new[] { float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity, 0f, 0f, 0f }, 2, 3);
        using var o = Cpu.Attention(q, k, v, mask, 1f);
        var r = o.ToArray<float>();
        Assert.That(r[..8], Is.All.EqualTo(0f), "fully −∞ row");
        Assert.That(r[8..].All(float.IsFinite) && r[8..].Any(x => x != 0f), Is.True, "unmasked row");
    }

    [Test]
    public void BadShapes_ThrowNamingTheProblem()
    {
        using var q = Tensor.FromHost<float>(new float[2 * 3 * 4 * 8], 2, 3, 4, 8);
        using var k = Tensor.FromHost<float>(new float[2 * 3 * 5 * 8], 2, 3, 5, 8);
        using var v = Tensor.FromHost<float>(new float[2 * 3 * 5 * 6], 2, 3, 5, 6);
        using var kBadD = Tensor.FromHost<float>(new float[2 * 3 * 5 * 7], 2, 3, 5, 7);
        using var vBadN = Tensor.FromHost<float>(new float[2 * 3 * 4 * 6], 2, 3, 4, 6);
        using var q3 = Tensor.FromHost<float>(new float[3 * 4 * 8], 3, 4, 8);
        using var badMask = Tensor.FromHost<float>(new float[2 * 1 * 4 * 4], 2, 1, 4, 4);
        using var rank5Mask = Tensor.FromHost<float>(new float[20], 1, 1, 1, 4, 5);
        using var qHalf = Tensor.FromHost<Half>(new Half[2 * 3 * 4 * 8], 2, 3, 4, 8);

        Assert.That(() => Cpu.Attention(q, kBadD, v, null, 1f),
            Throws.InstanceOf<ShapeMismatchException>().With.Message.Contains("k must be [2, 3, Nk, 8]"));
        Assert.That(() => Cpu.Attention(q, k, vBadN, null, 1f),
            Throws.InstanceOf<ShapeMismatchException>().With.Message.Contains("v must be [2, 3, 5, Dv]"));
        Assert.That(() => Cpu.Attention(q3, k, v, null, 1f),
            Throws.InstanceOf<ShapeMismatchException>().With.Message.Contains("q must be [B, H, Nq, D]"));
        Assert.That(() => Cpu.Attention(q, k, v, badMask, 1f),
            Throws.InstanceOf<ShapeMismatchException>().With.Message.Contains("does not broadcast to [2, 3, 4, 5]"));
        Assert.That(() => Cpu.Attention(q, k, v, rank5Mask, 1f),
            Throws.InstanceOf<ShapeMismatchException>().With.Message.Contains("rank ≤ 4"));
        Assert.That(() => Cpu.Attention(qHalf, k, v, null, 1f),
            Throws.ArgumentException.With.Message.Contains("q must be F32"));
    }
}
