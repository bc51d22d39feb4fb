using FastVideo.Loading;
using FastVideo.Tests.Loading;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Cli;

/// <summary>
/// Every component golden reproduced through <c>fastvideo run-module</c> (in-process), atol = rtol = 1e-4:
/// the command must load the folder, read the inputs by name, run the right forward and write the outputs
/// under the goldens' names.
/// </summary>
public class RunModuleGoldenTests
{
    private const double Tol = 1e-4;

    /// <summary>
    /// Runs the component in <paramref name="component"/>/model on the inputs of <paramref name="caseFile"/>
    /// (copied alone into an inputs file) and compares every named output with the golden.
    /// </summary>
    private static void AssertReproduces(string component, string caseFile, string[] inputs, string[] outputs, params string[] extraArgs)
    {
        using var dir = new TempDir();
        var golden = Golden.Path_(component, caseFile);
        var inPath = dir.File("in.safetensors");
        var outPath = dir.File("out.safetensors");
        CliTestSupport.CopyTensors(golden, inPath, inputs);
        string[] args = ["run-module", Golden.Path_(component, "model"), "--inputs", inPath, "--output", outPath, .. extraArgs];
        var run = CliTestSupport.Run(args);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Stderr, Is.Empty);
        AssertOutputs(outPath, golden, outputs);
    }

    private static void AssertOutputs(string outPath, string golden, string[] outputs)
    {
        using var actual = SafetensorsFile.Open(outPath);
        using var expected = SafetensorsFile.Open(golden);
        Assert.That(actual.Names.Order(), Is.EqualTo(outputs.Order()), "output names");
        foreach (var name in outputs)
        {
            Assert.That(actual.Entry(name).Shape, Is.EqualTo(expected.Entry(name).Shape), $"{name} shape");
            Numerics.AssertClose(actual.Read<float>(name), expected.Read<float>(name), Tol, Tol, name);
        }
    }

    private static readonly string[] T2VInputs = ["hidden_states", "timestep", "encoder_hidden_states"];

    [Test]
    public void TransformerT2VCaseA_FromTheGoldenFileItself()
    {
        // The golden file also holds 'output': tensors that are not inputs are ignored (and said so).
        using var dir = new TempDir();
        var golden = Golden.Path_("wan_transformer_t2v", "case_a.safetensors");
        var outPath = dir.File("out.safetensors");
        var run = CliTestSupport.Run("run-module", Golden.Path_("wan_transformer_t2v", "model"), "--inputs", golden, "--output", outPath);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Stdout, Does.Contain("WanTransformer3DModel (transformer)").And.Contain("ignoring 1 other tensor(s) in the inputs: output"));
        AssertOutputs(outPath, golden, ["output"]);
    }

    [Test]
    public void TransformerT2VCaseB() =>
        AssertReproduces("wan_transformer_t2v", "case_b.safetensors", T2VInputs, ["output"]);

    [Test]
    public void TransformerI2VCaseA() =>
        AssertReproduces("wan_transformer_i2v", "case_a.safetensors", [.. T2VInputs, "encoder_hidden_states_image"], ["output"], "--kind", "transformer");

    [Test]
    public void Umt5CaseA() =>
        AssertReproduces("umt5_encoder", "case_a.safetensors", ["input_ids", "attention_mask"], ["last_hidden_state", "wan_prompt_embeds"]);

    [Test]
    public void Umt5CaseB() =>
        AssertReproduces("umt5_encoder", "case_b.safetensors", ["input_ids", "attention_mask"], ["last_hidden_state", "wan_prompt_embeds"], "--device", "cpu");

    [Test]
    public void ClipCaseA() =>
        AssertReproduces("clip_vision", "case_a.safetensors", ["pixel_values"], ["penultimate_hidden_state", "last_hidden_state", "image_embeds"]);

    [Test]
    public void VaeEncode9f() =>
        AssertReproduces("wan_vae", "encode_9f.safetensors", ["video"], ["latent_mean", "quant_conv_output", "latent_normalized"]);

    [Test]
    public void VaeEncode1f() =>
        AssertReproduces("wan_vae", "encode_1f.safetensors", ["video"], ["latent_mean", "quant_conv_output", "latent_normalized"], "--kind", "vae-encode");

    [Test]
    public void VaeDecode3f() =>
        AssertReproduces("wan_vae", "decode_3f.safetensors", ["latents"], ["video", "video_pre_clamp"]);

    [Test]
    public void VaeDecode1f_FromTheGoldenFileWithKind()
    {
        // decode_1f.safetensors holds both 'latents' and the expected 'video': --kind picks the direction.
        using var dir = new TempDir();
        var golden = Golden.Path_("wan_vae", "decode_1f.safetensors");
        var outPath = dir.File("out.safetensors");
        var run = CliTestSupport.Run("run-module", Golden.Path_("wan_vae", "model"), "-i", golden, "-o", outPath, "--kind", "vae-decode");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        AssertOutputs(outPath, golden, ["video", "video_pre_clamp"]);
    }

    [Test, Category("Gpu")]
    public void OnCudaTheTransformerAndVaeGoldensHold()
    {
        // The CUDA backend's default is the exact FP32 op contract, so the model tolerance applies unchanged.
        FastVideo.Tests.Cuda.Gpu.GpuTestSupport.RequireDevice();
        AssertReproduces("wan_transformer_t2v", "case_b.safetensors", T2VInputs, ["output"], "--device", "cuda");
        AssertReproduces("wan_vae", "decode_3f.safetensors", ["latents"], ["video", "video_pre_clamp"], "--device", "cuda");
        AssertReproduces("umt5_encoder", "case_a.safetensors", ["input_ids", "attention_mask"], ["last_hidden_state", "wan_prompt_embeds"], "--device", "cuda");
    }

    [Test]
    public void ClipFromAShardedFolder()
    {
        // A transformers folder with model.safetensors.index.json + shards (how large checkpoints ship).
        using var dir = new TempDir();
        var model = Directory.CreateDirectory(dir.File("clip")).FullName;
        File.Copy(Golden.Path_("clip_vision", "model", "config.json"), Path.Combine(model, "config.json"));
        ShardedSafetensorsTests.Split(Golden.Path_("clip_vision", "model", "model.safetensors"), model, "model", 2);
        var golden = Golden.Path_("clip_vision", "case_a.safetensors");
        var outPath = dir.File("out.safetensors");
        var run = CliTestSupport.Run("run-module", model, "--inputs", golden, "--output", outPath);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        AssertOutputs(outPath, golden, ["penultimate_hidden_state", "last_hidden_state", "image_embeds"]);
    }
}
