using FastVideo.Attention;
using FastVideo.Models.Dits.Wan;
using NUnit.Framework;

namespace FastVideo.Tests.Models;

/// <summary>Host-side pieces of the Wan transformer against independent double-precision references.</summary>
public class WanTransformerUnitTests
{
    /// <summary>
    /// diffusers' WanRotaryPosEmbed written out literally in double: per-part tables (t, h, w) of repeat-interleaved
    /// frequencies, concatenated, split with the forward's sizes, expanded over the grid; then 0::2 / 1::2.
    /// D = 64 is not a multiple of 6, so the forward split (22, 21, 21) differs from the part sizes (24, 20, 20).
    /// </summary>
    [TestCase(32, 3, 4, 6)]
    [TestCase(64, 2, 3, 5)]
    [TestCase(128, 1, 2, 1)]
    [TestCase(6, 5, 1, 2)]
    [TestCase(96, 2, 2, 3)]
    [TestCase(4, 3, 2, 2)]
    [TestCase(2, 3, 1, 2)]
    public void RopeTablesFollowDiffusersConstruction(int d, int t, int h, int w)
    {
        int maxLen = 16;
        int hd = 2 * (d / 6), td = d - 2 * hd;
        var full = new double[maxLen, d];   // angle per position and concatenated channel
        int c0 = 0;
        foreach (int part in new[] { td, hd, hd })
        {
            for (int j = 0; j < part / 2; j++)
            {
                double freq = 1.0 / Math.Pow(10000.0, 2.0 * j / part);
                for (int p = 0; p < maxLen; p++) full[p, c0 + 2 * j] = full[p, c0 + 2 * j + 1] = p * freq;
            }
            c0 += part;
        }
        int[] split = { d - 2 * (d / 3), d / 3, d / 3 };
        var (cos, sin) = WanRotaryPosEmbed.PairTables(d, maxLen, new VideoGrid(t, h, w));
        int row = 0;
        for (int f = 0; f < t; f++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++, row++)
                    for (int c = 0; c < d; c++)
                    {
                        int pos = c < split[0] ? f : c < split[0] + split[1] ? y : x;
                        if (c % 2 == 0)
                            Assert.That(cos[row * d / 2 + c / 2], Is.EqualTo((float)Math.Cos(full[pos, c])).Within(1e-7), $"cos token {row} channel {c}");
                        else
                            Assert.That(sin[row * d / 2 + c / 2], Is.EqualTo((float)Math.Sin(full[pos, c])).Within(1e-7), $"sin token {row} channel {c}");
                    }
    }

    [Test]
    public void RopeRejectsGridsBeyondMaxSeqLen()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WanRotaryPosEmbed.PairTables(32, 8, new VideoGrid(9, 1, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => WanRotaryPosEmbed.PairTables(31, 8, new VideoGrid(1, 1, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => WanRotaryPosEmbed.PairTables(0, 8, new VideoGrid(1, 1, 1)));
    }

    /// <summary>
    /// The float32 sinusoid against the same formula in double: layout [cos | sin], frequencies exp(−ln(10⁴)·i/half).
    /// The float32 rounding of the frequency and of t·freq bounds the difference by about |t|·2⁻²² ≈ 2.4e-4 at t = 999.
    /// </summary>
    [TestCase(0f, 256)]
    [TestCase(37f, 256)]
    [TestCase(999f, 256)]
    [TestCase(500.5f, 6)]
    public void TimestepSinusoidMatchesDoubleFormula(float t, int dim)
    {
        var r = WanTimestepSinusoid.Compute(new[] { 1f, t }, dim);
        Assert.That(r.Length, Is.EqualTo(2 * dim));
        int half = dim / 2;
        double bound = 1e-6 + Math.Abs(t) * Math.Pow(2, -22);
        for (int i = 0; i < half; i++)
        {
            double freq = Math.Exp(-Math.Log(10000.0) * i / half);
            Assert.That(r[dim + i], Is.EqualTo(Math.Cos(t * freq)).Within(bound), $"cos {i}");
            Assert.That(r[dim + half + i], Is.EqualTo(Math.Sin(t * freq)).Within(bound), $"sin {i}");
            Assert.That(r[i], Is.EqualTo(Math.Cos(freq)).Within(1e-6), $"row 0 cos {i}");
        }
        if (t == 0f)
            Assert.That(r.Skip(dim).ToArray(), Is.EqualTo(Enumerable.Repeat(1f, half).Concat(Enumerable.Repeat(0f, half)).ToArray()));
    }

    [Test]
    public void ConfigParsesTheGoldenConfigs()
    {
        var t2v = WanTransformerConfig.FromFile(Path.Combine(WanGolden.ModelDir("wan_transformer_t2v"), "config.json"));
        Assert.That(t2v.PatchSize, Is.EqualTo(new[] { 1, 2, 2 }));
        Assert.That((t2v.NumAttentionHeads, t2v.AttentionHeadDim, t2v.InnerDim), Is.EqualTo((2, 32, 64)));
        Assert.That((t2v.InChannels, t2v.OutChannels, t2v.TextDim, t2v.FreqDim, t2v.FfnDim, t2v.NumLayers), Is.EqualTo((16, 16, 32, 256, 128, 2)));
        Assert.That(t2v.Eps, Is.EqualTo(1e-6f));
        Assert.That(t2v.CrossAttnNorm, Is.True);
        Assert.That(t2v.IsImageToVideo, Is.False);
        Assert.That(t2v.AddedKvProjDim, Is.Null);
        var i2v = WanTransformerConfig.FromFile(Path.Combine(WanGolden.ModelDir("wan_transformer_i2v"), "config.json"));
        Assert.That((i2v.InChannels, i2v.ImageDim, i2v.AddedKvProjDim, i2v.IsImageToVideo), Is.EqualTo((36, (int?)32, (int?)64, true)));
    }

    [Test]
    public void ConfigRejectsInconsistentValues()
    {
        Assert.Throws<InvalidDataException>(() => WanTransformerConfig.FromJson("""{"_class_name": "WanVACETransformer3DModel"}"""));
        Assert.Throws<InvalidDataException>(() => WanTransformerConfig.FromJson("""{"added_kv_proj_dim": 1280}"""));   // ≠ inner 5120
        Assert.Throws<InvalidDataException>(() => WanTransformerConfig.FromJson("""{"patch_size": [1, 2]}"""));
        Assert.Throws<InvalidDataException>(() => WanTransformerConfig.FromJson("""{"patch_size": [1, 0, 2]}"""));
        Assert.Throws<InvalidDataException>(() => WanTransformerConfig.FromJson("""{"num_layers": "40"}"""));
        Assert.Throws<InvalidDataException>(() => WanTransformerConfig.FromJson("""{"attention_head_dim": 33}"""));
        Assert.Throws<InvalidDataException>(() => WanTransformerConfig.FromJson("""{"image_dim": 1280, "pos_embed_seq_len": 513}"""));
        var n = Assert.Throws<InvalidDataException>(() => WanTransformerConfig.FromJson("""{"num_layers": null}""", "x/config.json"));
        Assert.That(n!.Message, Does.Contain("x/config.json").And.Contain("num_layers is null"));
        Assert.Throws<InvalidDataException>(() => WanTransformerConfig.FromJson("""{"eps": null}"""));
        var ok = WanTransformerConfig.FromJson("""{"image_dim": 1280, "added_kv_proj_dim": 5120, "in_channels": 36}""");
        Assert.That(ok.InnerDim, Is.EqualTo(5120));
    }

    /// <summary>Values diffusers 0.35.2 builds a model from, read as diffusers reads them.</summary>
    [Test]
    public void ConfigAcceptsWhatDiffusersAccepts()
    {
        static WanTransformerConfig P(string json) => WanTransformerConfig.FromJson(json);
        // out_channels: absent → the default 16; null or 0 → in_channels (`out_channels or in_channels`).
        Assert.That(P("""{"in_channels": 36}""").OutChannels, Is.EqualTo(16));
        Assert.That(P("""{"in_channels": 36, "out_channels": null}""").OutChannels, Is.EqualTo(36));
        Assert.That(P("""{"in_channels": 48, "out_channels": 0}""").OutChannels, Is.EqualTo(48));
        // qk_norm is passed to the blocks and ignored there: every value, null included, is the same model.
        Assert.That(P("""{"qk_norm": null}""").QkNorm, Is.Null);
        Assert.That(P("""{"qk_norm": "rms_norm"}""").QkNorm, Is.EqualTo("rms_norm"));
        Assert.That(P("""{"qk_norm": true}""").QkNorm, Is.EqualTo("true"));
        // cross_attn_norm null is falsy: Identity.
        Assert.That(P("""{"cross_attn_norm": null}""").CrossAttnNorm, Is.False);
        Assert.That(P("""{"cross_attn_norm": false}""").CrossAttnNorm, Is.False);
        // image features without image projections, projections without image features, pos_embed without an image embedder.
        Assert.That(P("""{"image_dim": 1280}""").AddedKvProjDim, Is.Null);
        Assert.That(P("""{"added_kv_proj_dim": 5120}""").ImageDim, Is.Null);
        Assert.That(P("""{"pos_embed_seq_len": 514}""").HasImagePosEmbed, Is.False);
        Assert.That(P("""{"image_dim": 1280, "added_kv_proj_dim": 5120, "pos_embed_seq_len": 514}""").HasImagePosEmbed, Is.True);
        // odd sinusoid width, small even head dims, no blocks; unknown keys are ignored as diffusers ignores them.
        var c = P("""{"freq_dim": 9, "attention_head_dim": 4, "num_layers": 0, "patch_size": [2, 1, 3], "eps": 1e-5, "rope_max_seq_len": 64, "window_size": [-1, -1]}""");
        Assert.That((c.FreqDim, c.AttentionHeadDim, c.NumLayers, c.Eps, c.RopeMaxSeqLen), Is.EqualTo((9, 4, 0, 1e-5f, 64)));
        Assert.That(c.PatchSize, Is.EqualTo(new[] { 2, 1, 3 }));
    }

    /// <summary>An odd sinusoid width: [cos | sin | 0], as diffusers pads it.</summary>
    [Test]
    public void OddTimestepSinusoidEndsWithAZero()
    {
        var odd = WanTimestepSinusoid.Compute(new[] { 7f, 300f }, 9);
        var even = WanTimestepSinusoid.Compute(new[] { 7f, 300f }, 8);
        for (int r = 0; r < 2; r++)
        {
            Assert.That(odd.AsSpan(r * 9, 8).ToArray(), Is.EqualTo(even.AsSpan(r * 8, 8).ToArray()), $"row {r}");
            Assert.That(odd[r * 9 + 8], Is.EqualTo(0f));
        }
    }
}
