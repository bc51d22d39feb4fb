using FastVideo.Loading;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Loading;

public class DiffusersFolderTests
{
    private static string Pipeline => Golden.Path_("wan_pipeline_t2v", "pipeline");

    [Test]
    public void ReadsTheGoldenWanPipelineFolder()
    {
        var p = DiffusersFolder.Open(Pipeline);
        Assert.That(p.ClassName, Is.EqualTo("WanPipeline"));
        Assert.That(p.DiffusersVersion, Is.EqualTo("0.35.2"));
        Assert.That(p.FolderPath, Is.EqualTo(Pipeline));
        Assert.That(p.Components.Select(c => c.Name), Is.EqualTo(new[] { "scheduler", "text_encoder", "tokenizer", "transformer", "vae" }));
        Assert.That(p.AbsentComponents, Is.EqualTo(new[] { "transformer_2" }));
        Assert.That(p.Attributes.Keys, Is.EquivalentTo(new[] { "_class_name", "_diffusers_version", "boundary_ratio", "expand_timesteps" }));
        Assert.That(p.Index.GetFloatOrNull("boundary_ratio"), Is.Null);
        Assert.That(p.Index.GetBool("expand_timesteps"), Is.False);
        Assert.That(p.HasComponent("transformer_2"), Is.False);

        var tr = p.Component("transformer");
        Assert.That((tr.Library, tr.ClassName, tr.Kind), Is.EqualTo(("diffusers", "WanTransformer3DModel", ComponentKind.Model)));
        Assert.That(tr.FolderPath, Is.EqualTo(Path.Combine(Pipeline, "transformer")));
        Assert.That(tr.ConfigPath, Is.EqualTo(Path.Combine(Pipeline, "transformer", "config.json")));
        Assert.That(tr.Config.ClassName, Is.EqualTo("WanTransformer3DModel"));
        Assert.That(tr.Config.GetInt("num_layers"), Is.EqualTo(2));
        Assert.That(tr.Config.GetInt("attention_head_dim") * tr.Config.GetInt("num_attention_heads"), Is.EqualTo(64));
        Assert.That(tr.Config.GetIntArray("patch_size"), Is.EqualTo(new[] { 1, 2, 2 }));
        Assert.That(tr.Config.GetFloat("eps"), Is.EqualTo(1e-6f));
        Assert.That(tr.Config.GetString("qk_norm"), Is.EqualTo("rms_norm_across_heads"));
        Assert.That(tr.Config.GetBool("cross_attn_norm"), Is.True);
        Assert.That(tr.Config.GetIntOrNull("image_dim"), Is.Null);
        Assert.That(tr.Config.GetInt("image_dim", 7), Is.EqualTo(7), "null takes the default");
        using (var w = tr.OpenWeights())
            Assert.That(w.Entry("patch_embedding.weight").Shape, Is.EqualTo(new[] { 64, 16, 1, 2, 2 }));

        var sched = p["scheduler"];
        Assert.That((sched.ClassName, sched.Kind), Is.EqualTo(("UniPCMultistepScheduler", ComponentKind.Scheduler)));
        Assert.That(Path.GetFileName(sched.ConfigPath), Is.EqualTo("scheduler_config.json"));
        Assert.That(sched.Config.GetFloat("flow_shift"), Is.EqualTo(3f));
        Assert.That(sched.Config.GetString("prediction_type"), Is.EqualTo("flow_prediction"));
        Assert.That(sched.Config.GetBool("use_flow_sigmas"), Is.True);
        Assert.That(sched.Config.GetIntArray("disable_corrector"), Is.Empty);
        Assert.That(sched.Config.GetFloatOrNull("sigma_max"), Is.Null);
        Assert.That(sched.HasWeights, Is.False);

        var tok = p["tokenizer"];
        Assert.That((tok.Library, tok.ClassName, tok.Kind), Is.EqualTo(("transformers", "T5Tokenizer", ComponentKind.Tokenizer)));
        Assert.That(File.Exists(Path.Combine(tok.FolderPath, "spiece.model")));
        Assert.That(tok.HasWeights, Is.False);

        var te = p["text_encoder"];
        Assert.That((te.Library, te.ClassName, te.Kind), Is.EqualTo(("transformers", "UMT5EncoderModel", ComponentKind.Model)));
        Assert.That(te.Config.ClassName, Is.EqualTo("UMT5EncoderModel"), "architectures[0]");
        Assert.That(te.Config.GetInt("d_model"), Is.EqualTo(32));
        using (var w = te.OpenWeights())
        {
            Assert.That(w.Entry("shared.weight").Shape, Is.EqualTo(new[] { 1104, 32 }));
            using var e = w.LoadF32("shared.weight");
            Assert.That(e.DType, Is.EqualTo(DType.F32));
        }

        var vae = p["vae"];
        Assert.That(vae.Config.GetFloatArray("latents_mean"), Has.Length.EqualTo(16));
        Assert.That(vae.Config.GetFloatArray("latents_std"), Has.Length.EqualTo(16));
        Assert.That(vae.Config.GetBoolArray("temperal_downsample"), Is.EqualTo(new[] { false, true, true }));
    }

    [Test]
    public void AbsentAndUnknownComponentsAreNamed()
    {
        var p = DiffusersFolder.Open(Pipeline);
        var absent = Assert.Throws<ModelFolderException>(() => p.Component("transformer_2"))!;
        Assert.That(absent.Message, Does.Contain("'transformer_2'").And.Contain("declared absent").And.Contain("transformer, vae"));
        var unknown = Assert.Throws<ModelFolderException>(() => p.Component("image_encoder"))!;
        Assert.That(unknown.Message, Does.Contain("no component 'image_encoder'"));
    }

    [Test]
    public void OpensFromTheModelIndexFilePathToo()
    {
        var p = DiffusersFolder.Open(Path.Combine(Pipeline, "model_index.json"));
        Assert.That(p.FolderPath, Is.EqualTo(Pipeline));
    }

    // ---- hand-made pipeline folders for the error paths ----

    private static void MakeModel(string dir, string cls, bool weights = true)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), $"{{\"_class_name\": \"{cls}\", \"dim\": 4}}");
        if (!weights) return;
        using var t = Tensor.FromHost<float>(new float[] { 1, 2 }, 2);
        SafetensorsWriter.Save(Path.Combine(dir, "diffusion_pytorch_model.safetensors"), new Dictionary<string, Tensor> { ["w"] = t });
    }

    private static TempDir MakePipeline()
    {
        var d = new TempDir();
        File.WriteAllText(d.File("model_index.json"), """
            {
              "_class_name": "WanPipeline",
              "_diffusers_version": "0.35.2",
              "boundary_ratio": 0.875,
              "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
              "tokenizer": ["transformers", "T5TokenizerFast"],
              "transformer": ["diffusers", "WanTransformer3DModel"],
              "transformer_2": [null, null],
              "vae": ["diffusers", "AutoencoderKLWan"]
            }
            """);
        Directory.CreateDirectory(d.File("scheduler"));
        File.WriteAllText(Path.Combine(d.File("scheduler"), "scheduler_config.json"), "{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\", \"shift\": 5.0}");
        Directory.CreateDirectory(d.File("tokenizer"));
        MakeModel(d.File("transformer"), "WanTransformer3DModel");
        MakeModel(d.File("vae"), "AutoencoderKLWan");
        return d;
    }

    [Test]
    public void HandMadePipelineOpens()
    {
        using var d = MakePipeline();
        var p = DiffusersFolder.Open(d.Path);
        Assert.That(p.Index.GetFloatOrNull("boundary_ratio"), Is.EqualTo(0.875f));
        Assert.That(p["tokenizer"].Kind, Is.EqualTo(ComponentKind.Tokenizer));
        Assert.That(p["tokenizer"].HasConfig, Is.False, "a tokenizer needs no config");
        Assert.That(p["scheduler"].Config.GetFloat("shift"), Is.EqualTo(5f));
        using var w = p["vae"].OpenWeights();
        Assert.That(w.Names, Is.EqualTo(new[] { "w" }));
    }

    [Test]
    public void MissingModelIndexSaysNotAPipelineAndWhatIsThere()
    {
        using var d = new TempDir();
        MakeModel(d.Path, "WanTransformer3DModel");
        var ex = Assert.Throws<ModelFolderException>(() => DiffusersFolder.Open(d.Path))!;
        Assert.That(ex.FolderPath, Is.EqualTo(d.Path));
        Assert.That(ex.Message, Does.Contain("not a diffusers pipeline folder").And.Contain("model_index.json"));
        Assert.That(ex.Message, Does.Contain("config.json, diffusion_pytorch_model.safetensors"), "lists the contents");
        Assert.That(ex.Message, Does.Contain("ComponentFolder.Open"), "hints at the single-component reader");

        var none = Assert.Throws<ModelFolderException>(() => DiffusersFolder.Open(d.File("nowhere")))!;
        Assert.That(none.Message, Does.Contain("not found"));
    }

    [Test]
    public void ComponentFolderMissingOnDiskIsNamed()
    {
        using var d = MakePipeline();
        Directory.Delete(d.File("vae"), recursive: true);
        var ex = Assert.Throws<ModelFolderException>(() => DiffusersFolder.Open(d.Path))!;
        Assert.That(ex.Message, Does.Contain("component 'vae' (diffusers.AutoencoderKLWan) has no folder vae/"));

        // Without validation the folder opens; the problem surfaces when the component is used.
        var p = DiffusersFolder.Open(d.Path, validate: false);
        var cfg = Assert.Throws<ModelFolderException>(() => _ = p["vae"].Config)!;
        Assert.That(cfg.Message, Does.Contain("component 'vae'").And.Contain("config.json"));
        Assert.Throws<ModelFolderException>(() => p["vae"].OpenWeights());
    }

    [Test]
    public void ComponentWithoutConfigOrWeightsIsNamed()
    {
        using var d = MakePipeline();
        File.Delete(Path.Combine(d.File("scheduler"), "scheduler_config.json"));
        File.Delete(Path.Combine(d.File("transformer"), "diffusion_pytorch_model.safetensors"));
        File.WriteAllBytes(Path.Combine(d.File("transformer"), "diffusion_pytorch_model.bin"), new byte[8]);
        var ex = Assert.Throws<ModelFolderException>(() => DiffusersFolder.Open(d.Path))!;
        Assert.That(ex.Message, Does.Contain("component 'scheduler' (FlowMatchEulerDiscreteScheduler) has no scheduler_config.json"));
        Assert.That(ex.Message, Does.Contain("component 'transformer' (WanTransformer3DModel) has no safetensors weights"));
        var p = DiffusersFolder.Open(d.Path, validate: false);
        var w = Assert.Throws<ModelFolderException>(() => p["transformer"].OpenWeights())!;
        Assert.That(w.Message, Does.Contain("diffusion_pytorch_model.bin").And.Contain("not supported"));
    }

    [TestCase("{\"vae\": [\"diffusers\", \"AutoencoderKLWan\"]}", "_class_name", "is missing")]
    [TestCase("{\"_class_name\": \"P\", \"vae\": [\"diffusers\", null]}", "vae", "no class")]
    [TestCase("{\"_class_name\": \"P\", \"vae\": [\"diffusers\", \"A\"], \"vae\": [\"diffusers\", \"B\"]}", "vae", "appears twice")]
    [TestCase("{\"_class_name\": \"P\", \"..\": [\"diffusers\", \"A\"]}", "..", "not a valid component folder name")]
    [TestCase("{\"_class_name\": \"P\", ", null, "not valid JSON")]
    [TestCase("[\"P\"]", null, "must be a JSON object")]
    public void MalformedModelIndexNamesFileAndKey(string json, string? key, string expect)
    {
        using var d = new TempDir();
        File.WriteAllText(d.File("model_index.json"), json);
        var ex = Assert.Throws<ConfigException>(() => DiffusersFolder.Open(d.Path))!;
        Assert.That(ex.FilePath, Is.EqualTo(d.File("model_index.json")));
        Assert.That(ex.Key, Is.EqualTo(key));
        Assert.That(ex.Message, Does.StartWith(d.File("model_index.json")).And.Contain(expect));
    }

    [Test]
    public void NonComponentListsAreAttributes()
    {
        using var d = new TempDir();
        File.WriteAllText(d.File("model_index.json"), "{\"_class_name\": \"P\", \"sizes\": [1, 2], \"names\": [\"a\", \"b\", \"c\"], \"flag\": true}");
        var p = DiffusersFolder.Open(d.Path);
        Assert.That(p.Components, Is.Empty);
        Assert.That(p.Attributes.Keys, Is.EquivalentTo(new[] { "_class_name", "sizes", "names", "flag" }));
        Assert.That(p.Index.GetIntArray("sizes"), Is.EqualTo(new[] { 1, 2 }));
    }
}
