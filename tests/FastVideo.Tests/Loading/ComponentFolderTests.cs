using FastVideo.Loading;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Loading;

public class ComponentFolderTests
{
    /// <summary>Every golden <c>*/model</c> folder (real save_pretrained output) opens as a lone component with its weights.</summary>
    [TestCase("wan_transformer_t2v", "diffusers", "WanTransformer3DModel", "patch_embedding.weight")]
    [TestCase("wan_transformer_i2v", "diffusers", "WanTransformer3DModel", "condition_embedder.image_embedder.ff.net.0.proj.weight")]
    [TestCase("wan_vae", "diffusers", "AutoencoderKLWan", "decoder.conv_out.weight")]
    [TestCase("umt5_encoder", "transformers", "UMT5EncoderModel", "shared.weight")]
    [TestCase("clip_vision", "transformers", "CLIPVisionModelWithProjection", "vision_model.embeddings.patch_embedding.weight")]
    public void OpensGoldenModelFolders(string golden, string library, string cls, string tensor)
    {
        var dir = Golden.Path_(golden, "model");
        var c = ComponentFolder.Open(dir);
        Assert.That(c.Name, Is.EqualTo("model"));
        Assert.That(c.Library, Is.EqualTo(library));
        Assert.That(c.ClassName, Is.EqualTo(cls));
        Assert.That(c.Kind, Is.EqualTo(ComponentKind.Model));
        Assert.That(c.FolderPath, Is.EqualTo(dir));
        Assert.That(c.Config.FilePath, Is.EqualTo(Path.Combine(dir, "config.json")));
        Assert.That(c.HasWeights);
        using var w = c.OpenWeights();
        Assert.That(w.Contains(tensor), $"{tensor} in {w.Description}");
        Assert.That(w.Names.Count(), Is.GreaterThan(10));
    }

    [Test]
    public void OpensSchedulerAndTokenizerFolders()
    {
        var s = ComponentFolder.Open(Golden.Path_("wan_pipeline_t2v", "scheduler_flowmatch"));
        Assert.That((s.ClassName, s.Kind, s.Library), Is.EqualTo(("FlowMatchEulerDiscreteScheduler", ComponentKind.Scheduler, "diffusers")));
        Assert.That(s.Config.GetFloat("shift"), Is.EqualTo(3f));
        Assert.That(s.Config.GetFloatOrNull("shift_terminal"), Is.Null);

        var t = ComponentFolder.Open(Golden.Path_("wan_pipeline_t2v", "pipeline", "tokenizer"));
        Assert.That((t.ClassName, t.Kind), Is.EqualTo(("T5Tokenizer", ComponentKind.Tokenizer)));
        Assert.That(t.Config.GetBool("legacy"), Is.True);
    }

    [Test]
    public void AWholePipelineIsRefusedNamingItsComponents()
    {
        var ex = Assert.Throws<ModelFolderException>(() => ComponentFolder.Open(Golden.Path_("wan_pipeline_t2v", "pipeline")))!;
        Assert.That(ex.Message, Does.Contain("whole diffusers pipeline").And.Contain("transformer, vae"));
    }

    [Test]
    public void FoldersThatAreNotComponents()
    {
        using var d = new TempDir();
        File.WriteAllText(d.File("notes.txt"), "x");
        var empty = Assert.Throws<ModelFolderException>(() => ComponentFolder.Open(d.Path))!;
        Assert.That(empty.Message, Does.Contain("looked for config.json, scheduler_config.json, tokenizer_config.json").And.Contain("notes.txt"));

        File.WriteAllText(d.File("config.json"), "{\"hidden_size\": 3}");
        var noClass = Assert.Throws<ConfigException>(() => ComponentFolder.Open(d.Path))!;
        Assert.That(noClass.Message, Does.Contain(d.File("config.json")).And.Contain("_class_name").And.Contain("architectures"));

        File.WriteAllText(d.File("config.json"), "{\"architectures\": []}");
        var emptyArch = Assert.Throws<ConfigException>(() => ComponentFolder.Open(d.Path))!;
        Assert.That(emptyArch.Key, Is.EqualTo("architectures"));

        File.WriteAllText(d.File("config.json"), "{\"architectures\": [\"Foo\"]}");
        var c = ComponentFolder.Open(d.Path + Path.DirectorySeparatorChar);
        Assert.That((c.ClassName, c.Library, c.Name), Is.EqualTo(("Foo", "transformers", Path.GetFileName(d.Path))));
        Assert.That(c.HasWeights, Is.False);
        var w = Assert.Throws<ModelFolderException>(() => c.OpenWeights())!;
        Assert.That(w.Message, Does.Contain("no safetensors weights"));

        Assert.Throws<ModelFolderException>(() => ComponentFolder.Open(d.File("missing")));
        Assert.Throws<ModelFolderException>(() => ComponentFolder.Open(d.File("notes.txt")));
    }

    [TestCase("UniPCMultistepScheduler", ComponentKind.Scheduler)]
    [TestCase("FlowMatchEulerDiscreteScheduler", ComponentKind.Scheduler)]
    [TestCase("T5TokenizerFast", ComponentKind.Tokenizer)]
    [TestCase("AutoTokenizer", ComponentKind.Tokenizer)]
    [TestCase("CLIPImageProcessor", ComponentKind.Processor)]
    [TestCase("CLIPFeatureExtractor", ComponentKind.Processor)]
    [TestCase("CLIPVisionModelWithProjection", ComponentKind.Model)]
    [TestCase("AutoencoderKLWan", ComponentKind.Model)]
    public void KindFromClassName(string cls, ComponentKind kind) => Assert.That(ComponentFolder.KindOf(cls), Is.EqualTo(kind));
}
