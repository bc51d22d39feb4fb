using FastVideo.Models.Dits.Wan;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;
using static FastVideo.Tests.Models.WanGolden;

namespace FastVideo.Tests.Models;

/// <summary>
/// Input forms diffusers accepts (timestep shapes, batches, shapes that are not patch multiples) give what
/// diffusers gives; patchify and unpatchify against explicit index loops.
/// </summary>
public class WanTransformerInputTests
{
    private static Tensor F32(float[] v, params int[] shape) => Tensor.FromHost<float>(Backend.Allocator, v, shape);

    private static float[] Rand(int seed, params int[] shape) => Numerics.RandomNormal(shape.Aggregate(1, (a, b) => a * b), seed);

    /// <summary>Rows [start, start + count) of dimension 0 of a row-major array of <paramref name="shape"/>.</summary>
    private static float[] Rows(float[] v, int[] shape, int start, int count)
    {
        int row = shape.Skip(1).Aggregate(1, (a, b) => a * b);
        return v.AsSpan(start * row, count * row).ToArray();
    }

    /// <summary>
    /// A batch of two equals two batch-1 runs: T2V, I2V (image tokens per sample) and FLF2V (two image rows per
    /// sample), each sample with its own timestep and context.
    /// </summary>
    [TestCase("t2v")]
    [TestCase("i2v")]
    [TestCase("flf2v")]
    public void BatchOfTwoEqualsTwoSingleRuns(string kind)
    {
        var c = kind switch
        {
            "t2v" => WanTransformerReferenceTests.Tiny,
            "i2v" => WanTransformerReferenceTests.TinyI2V(),
            _ => WanTransformerReferenceTests.TinyI2V() with { PosEmbedSeqLen = 6 },
        };
        using var model = WanTinyCheckpoint.Random(c, 50).Load();
        int textLen = c.ImageDim is null ? 6 : 512, imagesPerSample = c.PosEmbedSeqLen is null ? 1 : 2;
        int[] hs = { 2, c.InChannels, 2, 4, 6 }, txs = { 2, textLen, c.TextDim }, ims = { 2 * imagesPerSample, 3, c.ImageDim ?? 1 };
        float[] x = Rand(1, hs), text = Rand(2, txs), image = Rand(3, ims), ts = { 871f, 12.5f };
        using var scope = TensorScope.Begin();
        Tensor? Img(int start, int count) => c.ImageDim is null ? null
            : F32(Rows(image, ims, start * imagesPerSample, count * imagesPerSample), count * imagesPerSample, ims[1], ims[2]);
        var both = model.Forward(F32(x, hs), F32(ts, 2), F32(text, txs), Img(0, 2)).ToArray<float>();
        for (int s = 0; s < 2; s++)
        {
            var one = model.Forward(F32(Rows(x, hs, s, 1), [1, .. hs[1..]]), F32(new[] { ts[s] }, 1), F32(Rows(text, txs, s, 1), [1, .. txs[1..]]), Img(s, 1));
            Numerics.AssertClose(one.ToArray<float>(), Rows(both, [2, .. one.Shape[1..]], s, 1), 1e-6, 1e-6, $"{kind} sample {s}");
        }
    }

    /// <summary>
    /// Timestep forms that diffusers treats alike: [B] F32, [B] I64 (<c>.float()</c>), [1] (broadcast over the
    /// batch), [B, 1] (the per-token path with one value) and [B, N] holding each sample's value for every token.
    /// </summary>
    [Test]
    public void TimestepFormsAgree()
    {
        var c = WanTransformerReferenceTests.Tiny;
        using var model = WanTinyCheckpoint.Random(c, 60).Load();
        int[] hs = { 2, 3, 1, 4, 2 }, txs = { 2, 4, c.TextDim };
        float[] x = Rand(1, hs), text = Rand(2, txs);
        int n = 2 * 1;
        using var scope = TensorScope.Begin();
        float[] Run(Tensor t) => model.Forward(F32(x, hs), t, F32(text, txs)).ToArray<float>();
        var reference = Run(F32(new[] { 400f, 400f }, 2));
        Numerics.AssertClose(Run(F32(new[] { 400f }, 1)), reference, 0, 0, "[1] broadcast");
        Numerics.AssertClose(Run(F32(new[] { 400f, 400f }, 2, 1)), reference, 0, 0, "[B, 1]");
        Numerics.AssertClose(Run(Tensor.FromHost<long>(Backend.Allocator, new[] { 400L, 400L }, new[] { 2 })), reference, 0, 0, "I64");
        Numerics.AssertClose(Run(F32(Enumerable.Repeat(400f, 2 * n).ToArray(), 2, n)), reference, 1e-6, 1e-6, "[B, N] per token");
        Numerics.AssertClose(Run(F32(Enumerable.Repeat(400f, n).ToArray(), 1, n)), reference, 1e-6, 1e-6, "[1, N] per token");
        Numerics.AssertClose(model.Forward(F32(x, hs), new[] { 400f }, F32(text, txs)).ToArray<float>(), reference, 0, 0, "host [1]");
    }

    [Test]
    public void TimestepShapesDiffusersRejectsAreRejected()
    {
        var c = WanTransformerReferenceTests.Tiny;
        using var model = WanTinyCheckpoint.Random(c, 61).Load();
        using var scope = TensorScope.Begin();
        var x = F32(Rand(1, 2, 3, 1, 4, 2), 2, 3, 1, 4, 2);
        var text = F32(Rand(2, 2, 4, c.TextDim), 2, 4, c.TextDim);
        var scalar = Assert.Throws<ShapeMismatchException>(() => model.Forward(x, F32(new[] { 5f }), text));
        Assert.That(scalar!.Message, Does.Contain("0-d").And.Contain("[2]"));
        Assert.Throws<ShapeMismatchException>(() => model.Forward(x, F32(new[] { 1f, 2f, 3f }, 3), text));
        var seq = Assert.Throws<ShapeMismatchException>(() => model.Forward(x, F32(new float[6], 2, 3), text));
        Assert.That(seq!.Message, Does.Contain("[2, 2]"));
        Assert.Throws<ShapeMismatchException>(() => model.Forward(x, F32(new float[4], 2, 2, 1), text));
        Assert.Throws<ArgumentException>(() => model.Forward(x, Tensor.FromHost<byte>(Backend.Allocator, new byte[2], new[] { 2 }), text));
        Assert.Throws<ArgumentException>(() => model.Forward(x, F32(new[] { 1f, float.PositiveInfinity }, 2), text));
    }

    /// <summary>
    /// Patch [1, 2, 3] on a latent whose H and W are not multiples: the patch embedding equals the strided
    /// convolution written as loops over the kept region, and the output is proj_out's rows placed back with
    /// out[b, c, f·pt + i, y·ph + j, x·pw + k] = proj_out[b, (f, y, x), ((i·ph + j)·pw + k)·C + c], exactly.
    /// </summary>
    [Test]
    public void PatchifyAndUnpatchifyFollowIndexLoops()
    {
        var c = WanTransformerReferenceTests.Tiny with { PatchSize = new[] { 1, 2, 3 }, NumLayers = 1 };
        var ck = WanTinyCheckpoint.Random(c, 70);
        using var model = ck.Load();
        int[] hs = { 2, 3, 2, 5, 8 };                 // grid 2 × 2 × 2; one row of H and two columns of W dropped
        int gf = 2, gh = 2, gw = 2, inner = c.InnerDim, cout = c.OutChannels;
        var x = Rand(5, hs);
        float[]? patches = null, proj = null;
        using var scope = TensorScope.Begin();
        var y = model.Forward(F32(x, hs), F32(new[] { 3f, 4f }, 2), F32(Rand(6, 2, 3, c.TextDim), 2, 3, c.TextDim), null, (name, t) =>
        {
            if (name == "patch_embedding") patches = t.ToArray<float>();
            if (name == "proj_out") proj = t.ToArray<float>();
        });
        Assert.That(y.Shape, Is.EqualTo(new[] { 2, cout, 2, 4, 6 }));
        var w = ck.Params["patch_embedding.weight"].Values;
        var bias = ck.Params["patch_embedding.bias"].Values;
        var expected = new double[2 * inner * gf * gh * gw];
        for (int b = 0; b < 2; b++)
            for (int o = 0; o < inner; o++)
                for (int f = 0; f < gf; f++)
                    for (int yy = 0; yy < gh; yy++)
                        for (int xx = 0; xx < gw; xx++)
                        {
                            double s = bias[o];
                            for (int ci = 0; ci < 3; ci++)
                                for (int j = 0; j < 2; j++)
                                    for (int k = 0; k < 3; k++)
                                        s += (double)w[((o * 3 + ci) * 2 + j) * 3 + k] * x[(((b * 3 + ci) * 2 + f) * 5 + yy * 2 + j) * 8 + xx * 3 + k];
                            expected[(((b * inner + o) * gf + f) * gh + yy) * gw + xx] = s;
                        }
        Numerics.AssertRelL2(patches!, expected, 1e-6, "patch_embedding [B, inner, T', H', W']");

        var output = y.ToArray<float>();
        for (int b = 0; b < 2; b++)
            for (int f = 0; f < gf; f++)
                for (int yy = 0; yy < gh; yy++)
                    for (int xx = 0; xx < gw; xx++)
                        for (int j = 0; j < 2; j++)
                            for (int k = 0; k < 3; k++)
                                for (int ci = 0; ci < cout; ci++)
                                {
                                    int token = (f * gh + yy) * gw + xx;
                                    float want = proj![(b * gf * gh * gw + token) * cout * 6 + (j * 3 + k) * cout + ci];
                                    float got = output[(((b * cout + ci) * 2 + f) * 4 + yy * 2 + j) * 6 + xx * 3 + k];
                                    Assert.That(got, Is.EqualTo(want), $"b {b} c {ci} t {f} h {yy * 2 + j} w {xx * 3 + k}");
                                }
    }

    [Test]
    public void LatentSmallerThanThePatchIsRejected()
    {
        var c = WanTransformerReferenceTests.Tiny with { PatchSize = new[] { 2, 2, 2 } };
        using var model = WanTinyCheckpoint.Random(c, 71).Load();
        using var scope = TensorScope.Begin();
        var e = Assert.Throws<ShapeMismatchException>(() =>
            model.Forward(F32(new float[3 * 1 * 4 * 4], 1, 3, 1, 4, 4), F32(new[] { 1f }, 1), F32(new float[7], 1, 1, 7)));
        Assert.That(e!.Message, Does.Contain("dimension 2 (T) is 1, smaller than the patch size 2"));
    }
}
