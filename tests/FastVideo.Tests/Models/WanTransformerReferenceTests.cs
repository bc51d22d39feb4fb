using FastVideo.Models.Dits.Wan;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;
using static FastVideo.Tests.Models.WanGolden;

namespace FastVideo.Tests.Models;

/// <summary>
/// Configurations and inputs no golden covers, on tiny random models, against the naive double-precision
/// <see cref="WanReferenceModel"/> (relative L2 ≤ 1e-5 and atol = rtol = 1e-4 elementwise).
/// </summary>
public class WanTransformerReferenceTests
{
    /// <summary>Small T2V base: 2 heads of 8, odd text width, odd freq_dim (diffusers pads the sinusoid with a zero).</summary>
    internal static readonly WanTransformerConfig Tiny = new()
    {
        PatchSize = new[] { 1, 2, 2 }, NumAttentionHeads = 2, AttentionHeadDim = 8, InChannels = 3, OutChannels = 5,
        TextDim = 7, FreqDim = 9, FfnDim = 24, NumLayers = 2, CrossAttnNorm = true, Eps = 1e-6f,
    };

    internal static WanTransformerConfig TinyI2V(int imageDim = 6) =>
        Tiny with { ImageDim = imageDim, AddedKvProjDim = Tiny.InnerDim, InChannels = 4 };

    /// <summary>
    /// Random inputs for <paramref name="c"/>; runs the model and the reference, compares. timesteps holds B values
    /// (tsSeq 0) or B·tsSeq values; image shape null for none.
    /// </summary>
    internal static void AssertMatchesReference(WanTransformerConfig c, int[] hs, float[] timesteps, int tsSeq, int textLen, int[]? imageShape, int seed)
    {
        var ck = WanTinyCheckpoint.Random(c, seed);
        using var model = ck.Load();
        int b = hs[0];
        var hidden = Numerics.RandomNormal(hs.Aggregate(1, (x, y) => x * y), seed + 1);
        var text = Numerics.RandomNormal(b * textLen * c.TextDim, seed + 2);
        var image = imageShape is null ? null : Numerics.RandomNormal(imageShape.Aggregate(1, (x, y) => x * y), seed + 3);
        var (expected, shape) = new WanReferenceModel(ck).Forward(hidden, hs, timesteps, tsSeq, text, new[] { b, textLen, c.TextDim }, image, imageShape);

        using var scope = TensorScope.Begin();
        var be = Backend;
        var ts = Tensor.FromHost<float>(be.Allocator, timesteps, tsSeq == 0 ? new[] { b } : new[] { b, tsSeq });
        var img = image is null ? null : Tensor.FromHost<float>(be.Allocator, image, imageShape!);
        var y = model.Forward(Tensor.FromHost<float>(be.Allocator, hidden, hs), ts, Tensor.FromHost<float>(be.Allocator, text, new[] { b, textLen, c.TextDim }), img);
        Assert.That(y.Shape, Is.EqualTo(shape), "output shape");
        var actual = y.ToArray<float>();
        Numerics.AssertRelL2(actual, expected, 1e-5, "vs double reference");
        Numerics.AssertClose(actual, expected.Select(v => (float)v).ToArray(), 1e-4, 1e-4, "vs double reference");
    }

    /// <summary>
    /// Patch sizes, head dims and shapes: [1,2,3] with W not a multiple (the remainder is dropped as the strided
    /// conv drops it), [2,2,2] with odd T, [1,1,1]; head dim 64 (forward split 22/21/21 ≠ parts 24/20/20), 96
    /// (multiple of 6), 4 (empty h/w parts); in ≠ out channels; cross_attn_norm false; other eps.
    /// </summary>
    [TestCase(new[] { 1, 2, 3 }, 2, 8, new[] { 1, 3, 2, 4, 7 }, true, 1e-6f)]
    [TestCase(new[] { 2, 2, 2 }, 1, 64, new[] { 1, 3, 3, 4, 6 }, false, 1e-5f)]
    [TestCase(new[] { 1, 1, 1 }, 1, 96, new[] { 1, 3, 2, 3, 1 }, true, 1e-6f)]
    [TestCase(new[] { 1, 2, 2 }, 3, 4, new[] { 1, 3, 3, 2, 4 }, false, 1e-6f)]
    public void T2VConfigsMatchReference(int[] patch, int heads, int headDim, int[] hs, bool crossAttnNorm, float eps)
    {
        var c = Tiny with { PatchSize = patch, NumAttentionHeads = heads, AttentionHeadDim = headDim, CrossAttnNorm = crossAttnNorm, Eps = eps };
        AssertMatchesReference(c, hs, new[] { 500f }, 0, 5, null, seed: 100 + headDim);
    }

    /// <summary>Batch 2 with distinct timesteps and a text length other than 512.</summary>
    [Test]
    public void T2VBatchOfTwoMatchesReference() =>
        AssertMatchesReference(Tiny, new[] { 2, 3, 2, 4, 6 }, new[] { 999f, 37f }, 0, 9, null, seed: 7);

    /// <summary>
    /// Wan2.2 TI2V timesteps [B, N]: one per patch token (here 2·2·3 = 12), embedded per token and added to the
    /// modulation of that token in every block and at the output.
    /// </summary>
    [Test]
    public void PerTokenTimestepsMatchReference()
    {
        int n = 2 * 2 * 3;
        var ts = Enumerable.Range(0, 2 * n).Select(i => i < n ? 1f + 40f * i : 900f - 13f * (i - n)).ToArray();
        AssertMatchesReference(Tiny, new[] { 2, 3, 2, 4, 6 }, ts, n, 5, null, seed: 8);
    }

    /// <summary>
    /// I2V context cut at total − 512 (Python slices): text of 512 (the usual cut between image and text), 510 (the
    /// cut falls inside the image tokens), 300 (inside the text: image part = 5 image + 93 text tokens) and 7 (empty
    /// image part: everything through to_k/to_v, no image attention). Batch 2, 5 image tokens.
    /// </summary>
    [TestCase(512)]
    [TestCase(510)]
    [TestCase(300)]
    [TestCase(7)]
    public void I2VTextLengthsMatchReference(int textLen)
    {
        var c = TinyI2V();
        AssertMatchesReference(c, new[] { 2, 4, 1, 2, 4 }, new[] { 250f, 3f }, 0, textLen, new[] { 2, 5, c.ImageDim!.Value }, seed: 20 + textLen);
    }

    /// <summary>
    /// FLF2V: image features [2B, Li, D] of first and last frames viewed as [B, 2Li, D], plus the learned pos_embed
    /// [1, 2Li, D] (or [1, 1, D], broadcast), before the image embedder.
    /// </summary>
    [TestCase(6)]
    [TestCase(1)]
    public void Flf2vPosEmbedMatchesReference(int posLen)
    {
        var c = TinyI2V() with { PosEmbedSeqLen = posLen };
        AssertMatchesReference(c, new[] { 2, 4, 1, 2, 4 }, new[] { 600f, 60f }, 0, 512, new[] { 4, 3, c.ImageDim!.Value }, seed: 30 + posLen);
    }

    /// <summary>image_dim without added_kv_proj_dim: the image tokens join the text context and go through to_k/to_v.</summary>
    [Test]
    public void ImageWithoutImageProjectionsMatchesReference()
    {
        var c = TinyI2V() with { AddedKvProjDim = null };
        AssertMatchesReference(c, new[] { 1, 4, 1, 2, 2 }, new[] { 10f }, 0, 512, new[] { 1, 4, c.ImageDim!.Value }, seed: 40);
    }

    /// <summary>added_kv_proj_dim without image_dim: the first total − 512 text tokens go through the image projections.</summary>
    [Test]
    public void ImageProjectionsWithoutImageMatchReference()
    {
        var c = Tiny with { AddedKvProjDim = Tiny.InnerDim };
        AssertMatchesReference(c, new[] { 1, 3, 1, 2, 2 }, new[] { 10f }, 0, 515, null, seed: 41);
    }
}
