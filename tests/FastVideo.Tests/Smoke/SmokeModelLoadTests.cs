using System.Diagnostics;
using FastVideo.Backends;
using FastVideo.Backends.Cpu;
using FastVideo.Entrypoints;
using FastVideo.Loading;
using FastVideo.Models.Dits.Wan;
using FastVideo.Models.Encoders.Umt5;
using FastVideo.Models.Schedulers;
using FastVideo.Models.Smoke;
using FastVideo.Models.Tokenizers;
using FastVideo.Models.Vaes.Wan;
using FastVideo.Tensors;
using NUnit.Framework;

namespace FastVideo.Tests.Smoke;

/// <summary>Every component of the smoke folder goes through the project's real loaders (which reject missing and
/// unexpected parameters), and the smoke preset runs end to end on the CPU backend.</summary>
public class SmokeModelLoadTests
{
    private static IBackend Backend => CpuBackend.Default;
    private static DiffusersFolder Pipeline => DiffusersFolder.Open(SmokeFolderFixture.Folder);

    [Test]
    public void PipelineFolderOpensAsAWan21T2VCheckpoint()
    {
        var p = Pipeline;
        Assert.That(p.ClassName, Is.EqualTo("WanPipeline"));
        Assert.That(p.Components.Select(c => (c.Name, c.Library, c.ClassName, c.Kind)), Is.EqualTo(new[]
        {
            ("scheduler", (string?)"diffusers", "UniPCMultistepScheduler", ComponentKind.Scheduler),
            ("text_encoder", "transformers", "UMT5EncoderModel", ComponentKind.Model),
            ("tokenizer", "transformers", "T5Tokenizer", ComponentKind.Tokenizer),
            ("transformer", "diffusers", "WanTransformer3DModel", ComponentKind.Model),
            ("vae", "diffusers", "AutoencoderKLWan", ComponentKind.Model),
        }));
        Assert.That(p.AbsentComponents, Is.EqualTo(new[] { "transformer_2" }));
        Assert.That(p.Attributes.ContainsKey(SmokeModel.MarkerKey), Is.True);
        // The transformer component opened on its own, as `fastvideo run-module` does.
        Assert.That(ComponentFolder.Open(Path.Combine(SmokeFolderFixture.Folder, "text_encoder")).ClassName, Is.EqualTo("UMT5EncoderModel"));
    }

    [Test]
    public void TransformerLoadsWithBf16Weights()
    {
        using var model = WanTransformer3DModel.FromComponent(Backend, Pipeline["transformer"]);
        Assert.That(model.Config.InnerDim, Is.EqualTo(SmokeModel.Transformer.InnerDim));
        Assert.That(model.Config.TextDim, Is.EqualTo(SmokeModel.TextEncoderDModel));
        Assert.That(model.Config.NumLayers, Is.EqualTo(2));
        using var weights = SafetensorsFile.Open(Path.Combine(SmokeFolderFixture.Folder, "transformer", "diffusion_pytorch_model.safetensors"));
        Assert.That(weights.Entries.Select(e => e.DType).Distinct(), Is.EqualTo(new[] { DType.BF16 }));
    }

    [Test]
    public void TextEncoderLoadsWithTheTokenizerVocabulary()
    {
        using var model = Umt5EncoderModel.FromFolder(Backend, Path.Combine(SmokeFolderFixture.Folder, "text_encoder"));
        var tok = T5Tokenizer.FromFolder(Path.Combine(SmokeFolderFixture.Folder, "tokenizer"));
        Assert.That(model.Config.VocabSize, Is.EqualTo(tok.Count));
        Assert.That(model.Config.DModel, Is.EqualTo(SmokeModel.TextEncoderDModel));
    }

    [Test]
    public void VaeLoads()
    {
        using var vae = AutoencoderKLWan.FromPretrained(Path.Combine(SmokeFolderFixture.Folder, "vae"), Backend);
        Assert.That(vae.Config.BaseDim, Is.EqualTo(SmokeModel.Vae.BaseDim));
        Assert.That(vae.Config.ZDim, Is.EqualTo(16));
    }

    [Test]
    public void SchedulerIsWanUniPCWithFlowShift3()
    {
        var config = SchedulerConfig.Load(Path.Combine(SmokeFolderFixture.Folder, "scheduler", "scheduler_config.json"));
        Assert.That(config, Is.InstanceOf<UniPCMultistepConfig>());
        Assert.That(config.FlowShift, Is.EqualTo(3.0));
        using var s = config.CreateScheduler();
        s.SetTimesteps(SmokeModel.Preset.Steps);
        Assert.That(s.Timesteps[0], Is.EqualTo(999f));
    }

    [Test]
    public void WeightsFollowTheGoldenInitScales()
    {
        using var t = SafetensorsFile.Open(Path.Combine(SmokeFolderFixture.Folder, "text_encoder", "model.safetensors"));
        var (m, s) = Stats(t.Read<float>("encoder.block.0.layer.0.SelfAttention.q.weight"));
        Assert.That(m, Is.EqualTo(0).Within(0.01));
        Assert.That(s, Is.EqualTo(1 / Math.Sqrt(SmokeModel.TextEncoderDModel)).Within(0.05 / Math.Sqrt(SmokeModel.TextEncoderDModel)), "N(0, 1/fan_in)");
        (m, s) = Stats(t.Read<float>("shared.weight"));
        Assert.That(s, Is.EqualTo(1).Within(0.02), "embeddings N(0, 1)");
        (m, s) = Stats(t.Read<float>("encoder.final_layer_norm.weight"));
        Assert.That(m, Is.EqualTo(1).Within(0.05), "norm gains 1 + N(0, 0.1²)");
        using var v = SafetensorsFile.Open(Path.Combine(SmokeFolderFixture.Folder, "vae", "diffusion_pytorch_model.safetensors"));
        var w = v.Read<float>("decoder.conv_out.weight");
        (_, s) = Stats(w);
        Assert.That(s, Is.EqualTo(Math.Sqrt(0.25 / (w.Length / 3))).Within(0.1 * Math.Sqrt(0.25 / (w.Length / 3))), "last VAE conv N(0, 0.25/fan_in)");
    }

    private static (double Mean, double Std) Stats(float[] x)
    {
        double mean = x.Average(v => (double)v);
        return (mean, Math.Sqrt(x.Average(v => (v - mean) * (v - mean))));
    }

    /// <summary>
    /// The smoke preset end to end through the real entry point and pipeline (<see cref="VideoGenerator"/>,
    /// WanPipeline stages: tokenize to <see cref="SmokeModel.MaxSequenceLength"/>, UMT5, the UniPC loop with
    /// classifier-free guidance, the VAE decode), with every setting taken from <see cref="SmokeModel.Preset"/>.
    /// Reports the load time and the time of each stage.
    /// </summary>
    [Test]
    public void SmokePresetGeneratesAVideoQuicklyThroughTheRealPipeline()
    {
        var p = SmokeModel.Preset;
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        using var generator = VideoGenerator.FromPretrained(SmokeFolderFixture.Folder);
        long loadMs = sw.ElapsedMilliseconds;
        using var result = generator.Generate(new GenerationRequest
        {
            Prompt = "A cat walks on the grass, realistic style.",
            NegativePrompt = p.NegativePrompt,
            Height = p.Height,
            Width = p.Width,
            NumFrames = p.NumFrames,
            Steps = p.Steps,
            GuidanceScale = p.GuidanceScale,
            FlowShift = p.FlowShift,
            MaxSequenceLength = p.MaxSequenceLength,
            Seed = p.Seed,
            Fps = p.Fps,
        });
        var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds;
        TestContext.Out.WriteLine($"smoke preset {p.Width}x{p.Height}x{p.NumFrames}, {p.Steps} steps: load {loadMs} ms, "
            + string.Join(", ", result.Timings.Select(t => $"{t.Stage} {t.Elapsed.TotalMilliseconds:F0} ms"))
            + $"; total wall {sw.ElapsedMilliseconds} ms, CPU {cpuMs:F0} ms");

        Assert.That(result.Request.MaxSequenceLength, Is.EqualTo(SmokeModel.MaxSequenceLength));
        Assert.That(result.FloatFrames.Shape, Is.EqualTo(new[] { p.NumFrames, p.Height, p.Width, 3 }));
        var v = result.FloatFrames.ToArray<float>();
        Assert.That(v.All(x => x >= 0f && x <= 1f), Is.True, "frames in [0, 1]");
        Assert.That(Stats(v).Std, Is.GreaterThan(1e-3), "not a constant video");
        // CPU time (all threads), not wall: the test machine's two cores are shared with parallel builds.
        Assert.That(cpuMs, Is.LessThan(20_000), "the smoke preset must stay far below the 30 s budget of a 2-core machine");
    }
}
