using FastVideo.Loading;
using FastVideo.Models.Smoke;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Smoke;

/// <summary>
/// The recipes' parameter lists and config files are generalisations of real library output: with the goldens'
/// configs they must reproduce the goldens' safetensors headers (names, shapes) and config.json bytes exactly.
/// </summary>
public class SmokeRecipeTests
{
    private static void AssertSameHeader(IReadOnlyList<ParameterSpec> specs, string goldenFile)
    {
        using var golden = SafetensorsFile.Open(goldenFile);
        var expected = golden.Entries.ToDictionary(e => e.Name, e => string.Join(",", e.Shape));
        var actual = specs.ToDictionary(s => s.Name, s => string.Join(",", s.Shape));
        Assert.That(actual.Keys.Except(expected.Keys), Is.Empty, "names the golden does not have");
        Assert.That(expected.Keys.Except(actual.Keys), Is.Empty, "golden names the recipe lacks");
        foreach (var (name, shape) in expected)
            Assert.That(actual[name], Is.EqualTo(shape), name);
        Assert.That(golden.Metadata["format"], Is.EqualTo("pt"));
    }

    private static readonly SmokeTransformerRecipe GoldenTransformer = new()
    {
        NumAttentionHeads = 2, AttentionHeadDim = 32, TextDim = 32, FfnDim = 128, NumLayers = 2, FreqDim = 256,
    };

    private static readonly SmokeVaeRecipe GoldenVae = new() { BaseDim = 8, NumResBlocks = 2 };

    private static readonly SmokeUmt5Recipe GoldenUmt5 = new() { VocabSize = 1104, DModel = 32, DKv = 16, DFf = 64, NumHeads = 2, NumLayers = 2 };

    [Test]
    public void TransformerRecipeWithGoldenConfigMatchesGoldenCheckpoint()
    {
        AssertSameHeader(GoldenTransformer.Parameters(), Golden.Path_("wan_pipeline_t2v", "pipeline", "transformer", "diffusion_pytorch_model.safetensors"));
        Assert.That(GoldenTransformer.Parameters().Sum(p => p.Count), Is.EqualTo(161_536), "README: 161,536 parameters");
    }

    [Test]
    public void VaeRecipeWithGoldenConfigMatchesGoldenCheckpoint()
    {
        AssertSameHeader(GoldenVae.Parameters(), Golden.Path_("wan_vae", "model", "diffusion_pytorch_model.safetensors"));
        Assert.That(GoldenVae.Parameters().Sum(p => p.Count), Is.EqualTo(924_491), "README: 924,491 parameters");
    }

    [Test]
    public void Umt5RecipeWithGoldenConfigMatchesGoldenCheckpoint()
    {
        AssertSameHeader(GoldenUmt5.Parameters(), Golden.Path_("umt5_encoder", "model", "model.safetensors"));
        Assert.That(GoldenUmt5.Parameters().Sum(p => p.Count), Is.EqualTo(56_096), "README: 56,096 parameters");
    }

    [Test]
    public void VaeRecipeGeneralisesToOneResBlockAndOtherWidths()
    {
        // One residual block per stage: encoder down_blocks = res, down2d, res, down3d, res, down3d, res (0..6);
        // decoder stages have 2 resnets. Widths follow base_dim 12.
        var p = new SmokeVaeRecipe { BaseDim = 12, NumResBlocks = 1 }.Parameters().ToDictionary(s => s.Name, s => s.Shape);
        Assert.That(p.Keys.Where(k => k.StartsWith("encoder.down_blocks.", StringComparison.Ordinal)).Select(k => k.Split('.')[2]).Distinct().Count(), Is.EqualTo(7));
        Assert.That(p["encoder.down_blocks.1.resample.1.weight"], Is.EqualTo(new[] { 12, 12, 3, 3 }));
        Assert.That(p.ContainsKey("encoder.down_blocks.1.time_conv.weight"), Is.False, "stage 0 downsamples in space only");
        Assert.That(p["encoder.down_blocks.3.time_conv.weight"], Is.EqualTo(new[] { 24, 24, 3, 1, 1 }));
        Assert.That(p["encoder.down_blocks.5.time_conv.weight"], Is.EqualTo(new[] { 48, 48, 3, 1, 1 }));
        Assert.That(p["encoder.down_blocks.6.conv1.weight"], Is.EqualTo(new[] { 48, 48, 3, 3, 3 }));
        Assert.That(p.ContainsKey("decoder.up_blocks.0.resnets.2.conv1.weight"), Is.False);
        Assert.That(p["decoder.up_blocks.1.resnets.0.conv1.weight"], Is.EqualTo(new[] { 48, 24, 3, 3, 3 }));
        Assert.That(p["decoder.up_blocks.3.resnets.0.conv1.weight"], Is.EqualTo(new[] { 12, 12, 3, 3, 3 }));
        Assert.That(p["decoder.conv_out.weight"], Is.EqualTo(new[] { 3, 12, 3, 3, 3 }));
    }

    [Test]
    public void ConfigFilesAreByteIdenticalToLibraryOutputForTheGoldenConfigs()
    {
        var dir = Golden.Path_("wan_pipeline_t2v", "pipeline");
        Assert.That(PyJson.Dumps(GoldenTransformer.Config()), Is.EqualTo(File.ReadAllText(Path.Combine(dir, "transformer", "config.json"))));
        Assert.That(PyJson.Dumps(GoldenVae.Config()), Is.EqualTo(File.ReadAllText(Path.Combine(dir, "vae", "config.json"))));
        Assert.That(PyJson.Dumps(GoldenUmt5.Config()), Is.EqualTo(File.ReadAllText(Path.Combine(dir, "text_encoder", "config.json"))));
        Assert.That(PyJson.Dumps(SmokeModelWriter.SchedulerConfig()), Is.EqualTo(File.ReadAllText(Path.Combine(dir, "scheduler", "scheduler_config.json"))));
    }

    [Test]
    public void ModelIndexIsTheGoldensPlusTheSmokeMarker()
    {
        var golden = File.ReadAllText(Golden.Path_("wan_pipeline_t2v", "pipeline", "model_index.json"));
        var ours = PyJson.Dumps(SmokeModelWriter.ModelIndex());
        var marker = $"  \"{SmokeModel.MarkerKey}\": \"{SmokeModel.FolderName}\",\n";
        Assert.That(ours, Does.Contain(marker));
        Assert.That(ours.Replace(marker, ""), Is.EqualTo(golden));
    }

    [Test]
    public void SpecialTokensMapIsByteIdenticalToTheGoldens()
    {
        // Same special tokens and 100 extra ids; only the ids differ between the fixture and the smoke vocabulary,
        // and this file has none.
        Assert.That(SmokeTokenizerFiles.SpecialTokensMap(), Is.EqualTo(File.ReadAllText(Golden.Path_("wan_pipeline_t2v", "pipeline", "tokenizer", "special_tokens_map.json"))));
    }

    [Test]
    public void PyJsonFormatsFloatsAsPythonRepr()
    {
        Assert.That(PyJson.FormatFloat(3.0), Is.EqualTo("3.0"));
        Assert.That(PyJson.FormatFloat(-0.0), Is.EqualTo("-0.0"));
        Assert.That(PyJson.FormatFloat(1e-6), Is.EqualTo("1e-06"));
        Assert.That(PyJson.FormatFloat(0.0001), Is.EqualTo("0.0001"));
        Assert.That(PyJson.FormatFloat(0.00001), Is.EqualTo("1e-05"));
        Assert.That(PyJson.FormatFloat(0.995), Is.EqualTo("0.995"));
        Assert.That(PyJson.FormatFloat(-0.7571), Is.EqualTo("-0.7571"));
        Assert.That(PyJson.FormatFloat(0.1 + 0.2), Is.EqualTo("0.30000000000000004"));
    }
}
