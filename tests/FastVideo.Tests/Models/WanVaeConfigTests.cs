using System.Text.Json.Nodes;
using FastVideo.Models.Vaes.Wan;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Models;

/// <summary>WanVaeConfig: every config.json key read, diffusers defaults for absent keys, the structure derived as diffusers indexes it, clear errors naming the key.</summary>
[TestFixture]
public class WanVaeConfigTests
{
    private static JsonObject GoldenConfig() =>
        JsonNode.Parse(File.ReadAllText(Golden.Path_("wan_vae", "model", "config.json")))!.AsObject();

    private static WanVaeConfigException Rejects(JsonObject json) =>
        Assert.Throws<WanVaeConfigException>(() => WanVaeConfig.FromJson(json.ToJsonString(), "test/config.json"))!;

    [Test]
    public void ReadsTheGoldenConfig()
    {
        var c = WanVaeConfig.FromJson(GoldenConfig().ToJsonString());
        Assert.Multiple(() =>
        {
            Assert.That(c.BaseDim, Is.EqualTo(8));
            Assert.That(c.DecoderBaseDim, Is.EqualTo(8), "decoder_base_dim null → base_dim");
            Assert.That(c.ZDim, Is.EqualTo(16));
            Assert.That(c.DimMult, Is.EqualTo(new[] { 1, 2, 4, 4 }));
            Assert.That(c.NumResBlocks, Is.EqualTo(2));
            Assert.That(c.AttnScales, Is.Empty);
            Assert.That(c.TemperalDownsample, Is.EqualTo(new[] { false, true, true }));
            Assert.That(c.LatentsMean[0], Is.EqualTo(-0.7571f));
            Assert.That(c.LatentsStd[15], Is.EqualTo(1.916f));
            Assert.That(c.TemporalCompression, Is.EqualTo(4));
            Assert.That(c.SpatialCompression, Is.EqualTo(8));
            Assert.That(c.PatchSize, Is.Null);
        });
    }

    [Test]
    public void AbsentKeysTakeDiffusersDefaults()
    {
        // The shape of the released Wan2.1 VAE config, which predates in/out_channels, patch_size and the scale factors.
        var c = WanVaeConfig.FromJson("""{"_class_name": "AutoencoderKLWan", "base_dim": 96, "z_dim": 16}""");
        Assert.Multiple(() =>
        {
            Assert.That(c.BaseDim, Is.EqualTo(96));
            Assert.That(c.DecoderBaseDim, Is.EqualTo(96));
            Assert.That(c.DimMult, Is.EqualTo(new[] { 1, 2, 4, 4 }));
            Assert.That(c.InChannels, Is.EqualTo(3));
            Assert.That(c.OutChannels, Is.EqualTo(3));
            Assert.That(c.LatentsStd, Has.Length.EqualTo(16));
            Assert.That(c.ScaleFactorTemporal, Is.EqualTo(4));
        });
    }

    [Test]
    public void DecoderBaseDimIsRead()
    {
        var j = GoldenConfig();
        j["decoder_base_dim"] = 12;
        Assert.That(WanVaeConfig.FromJson(j.ToJsonString()).DecoderBaseDim, Is.EqualTo(12));
    }

    [Test]
    public void ReadsTheWan22Structure()
    {
        // The shape of the Wan2.2 TI2V VAE config (residual blocks, 2×2 patches, 48 latent channels), narrowed.
        var j = GoldenConfig();
        j["is_residual"] = true;
        j["patch_size"] = 2;
        j["in_channels"] = 12;
        j["out_channels"] = 12;
        j["decoder_base_dim"] = 16;
        j["z_dim"] = 48;
        j["latents_mean"] = new JsonArray(Enumerable.Range(0, 48).Select(i => (JsonNode?)JsonValue.Create(0.01 * i)).ToArray());
        j["latents_std"] = new JsonArray(Enumerable.Range(0, 48).Select(i => (JsonNode?)JsonValue.Create(1.0 + 0.01 * i)).ToArray());
        j["scale_factor_spatial"] = 16;
        var c = WanVaeConfig.FromJson(j.ToJsonString());
        Assert.Multiple(() =>
        {
            Assert.That(c.IsResidual, Is.True);
            Assert.That(c.PatchSize, Is.EqualTo(2));
            Assert.That(c.SpatialCompression, Is.EqualTo(16));
            Assert.That(c.VideoInChannels, Is.EqualTo(3));
            Assert.That(c.VideoOutChannels, Is.EqualTo(3));
            Assert.That(c.DecoderDims, Is.EqualTo(new[] { 64, 64, 64, 32, 16 }));
        });
    }

    [Test]
    public void DerivesStagesFromDiffusersIndexing()
    {
        var j = GoldenConfig();
        j["dim_mult"] = new JsonArray(1, 2);
        j["temperal_downsample"] = new JsonArray(false, true, true);   // diffusers reads [0] in the encoder, [::-1][0] in the decoder
        var c = WanVaeConfig.FromJson(j.ToJsonString());
        Assert.Multiple(() =>
        {
            Assert.That(c.EncoderHalvesTime(0), Is.False);
            Assert.That(c.DecoderDoublesTime(0), Is.True);
            Assert.That(c.TemporalCompression, Is.EqualTo(1));
            Assert.That(c.TemporalUpsampling, Is.EqualTo(2));
            Assert.That(c.SpatialCompression, Is.EqualTo(2), "one halving per stage but the last");
            Assert.That(c.ScaleFactorSpatial, Is.EqualTo(8), "scale_factor_* are read as written (the pipelines' values)");
        });

        j = GoldenConfig();
        j["attn_scales"] = new JsonArray(1.0, 0.25, 0.3);
        c = WanVaeConfig.FromJson(j.ToJsonString());
        Assert.That(Enumerable.Range(0, c.Stages).Select(c.EncoderStageHasAttention), Is.EqualTo(new[] { true, false, true, false }));
        Assert.That(c.EncoderHasAttention, Is.True);
        Assert.That((c with { IsResidual = true }).EncoderHasAttention, Is.False, "the residual encoder has no attention blocks");
    }

    [Test]
    public void LatentStatisticsOfAnotherLengthThanZDimLoad()
    {
        // diffusers builds AutoencoderKLWan(z_dim=8) with its 16 default latents_mean/std and encodes/decodes with
        // it; only the pipelines' per-channel (de)normalisation cannot broadcast.
        var j = GoldenConfig();
        j["z_dim"] = 8;
        var c = WanVaeConfig.FromJson(j.ToJsonString(), "test/config.json");
        Assert.That((c.ZDim, c.LatentsMean.Length, c.HasLatentStatistics), Is.EqualTo((8, 16, false)));
        j = GoldenConfig();
        j["latents_std"] = new JsonArray(1.0, 2.0);
        Assert.That(WanVaeConfig.FromJson(j.ToJsonString()).HasLatentStatistics, Is.False);
        Assert.That(WanVaeConfig.FromJson(GoldenConfig().ToJsonString()).HasLatentStatistics, Is.True);
    }

    [Test]
    public void RejectsInconsistentValues()
    {
        var j = GoldenConfig();
        j["temperal_downsample"] = new JsonArray(true, true);
        Assert.That(Rejects(j).Message, Does.Contain("temperal_downsample [True, True] has 2 entries").And.Contain("at least 3"));

        j = GoldenConfig();
        j["patch_size"] = 2;
        Assert.That(Rejects(j).Message, Does.Contain("in_channels = 3 is not a multiple of patch_size² = 4"));

        j = GoldenConfig();
        j["is_residual"] = true;
        j["dim_mult"] = new JsonArray(1, 1, 8);
        j["temperal_downsample"] = new JsonArray(false, true);
        Assert.That(Rejects(j).Message, Does.Contain("is_residual: decoder stage 1 maps 64 → 8 channels"));

        j = GoldenConfig();
        j["num_res_blocks"] = 0;
        Assert.That(Rejects(j).Message, Does.Contain("num_res_blocks must be positive"));

        j = GoldenConfig();
        j["_class_name"] = "AutoencoderKL";
        Assert.That(Rejects(j).Message, Does.Contain("_class_name"));
    }

    [Test]
    public void RejectsWrongTypesNamingTheKey()
    {
        var j = GoldenConfig();
        j["z_dim"] = "sixteen";
        Assert.That(Rejects(j).Message, Does.Contain("'z_dim'").And.Contain("integer"));

        j = GoldenConfig();
        j["dim_mult"] = 4;
        Assert.That(Rejects(j).Message, Does.Contain("'dim_mult'"));

        Assert.Throws<WanVaeConfigException>(() => WanVaeConfig.FromJson("{ not json", "x.json"));
    }
}
