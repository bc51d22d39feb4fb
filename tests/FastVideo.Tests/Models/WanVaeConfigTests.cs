using System.Text.Json.Nodes;
using FastVideo.Models.Vaes.Wan;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Models;

/// <summary>WanVaeConfig: every config.json key read, diffusers defaults for absent keys, clear errors naming the key.</summary>
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
    public void RejectsIsResidual()
    {
        var j = GoldenConfig();
        j["is_residual"] = true;
        Assert.That(Rejects(j).Message, Does.Contain("is_residual").And.Contain("test/config.json"));
    }

    [Test]
    public void RejectsPatchSize()
    {
        var j = GoldenConfig();
        j["patch_size"] = 2;
        Assert.That(Rejects(j).Message, Does.Contain("patch_size = 2"));
    }

    [Test]
    public void RejectsAttentionScales()
    {
        var j = GoldenConfig();
        j["attn_scales"] = new JsonArray(0.5);
        Assert.That(Rejects(j).Message, Does.Contain("attn_scales"));
    }

    [Test]
    public void RejectsInconsistentValues()
    {
        var j = GoldenConfig();
        j["latents_mean"] = new JsonArray(1.0, 2.0);
        Assert.That(Rejects(j).Message, Does.Contain("latents_mean has 2 values"));

        j = GoldenConfig();
        j["temperal_downsample"] = new JsonArray(true, true);
        Assert.That(Rejects(j).Message, Does.Contain("temperal_downsample has 2 entries"));

        j = GoldenConfig();
        j["scale_factor_spatial"] = 16;
        Assert.That(Rejects(j).Message, Does.Contain("scale_factor_spatial"));

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
