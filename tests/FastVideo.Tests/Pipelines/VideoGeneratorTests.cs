using System.Reflection;
using System.Text.Json.Nodes;
using FastVideo.Entrypoints;
using FastVideo.Loading;
using FastVideo.Media;
using FastVideo.Pipelines;
using FastVideo.Pipelines.Wan;
using FastVideo.Tensors;
using FastVideo.Tests.Loading;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Pipelines;

/// <summary>
/// <see cref="VideoGenerator"/> on the saved tiny T2V pipeline: progress, cancellation, errors for unsupported or
/// missing classes and components, NaN latents, device and attention options, saving.
/// </summary>
public class VideoGeneratorTests
{
    private static string T2VFolder => Golden.Path_("wan_pipeline_t2v", "pipeline");

    /// <summary>A cheap request on the tiny model: one frame (one latent frame to decode), few steps.</summary>
    private static GenerationRequest Small(int steps = 3) => WanPipelineGoldenCall.Request() with { NumFrames = 1, Steps = steps };

    [Test]
    public void ProgressIsReportedOncePerStepWithAnEta()
    {
        using var gen = VideoGenerator.FromPretrained(T2VFolder);
        var progress = new RecordingProgress<StepProgress>();
        using var result = gen.Generate(Small(steps: 4), progress);
        Assert.That(progress.Reports.Select(p => p.Step), Is.EqualTo(new[] { 1, 2, 3, 4 }));
        Assert.That(progress.Reports.Select(p => p.TotalSteps), Is.All.EqualTo(4));
        Assert.That(progress.Reports[^1].Remaining, Is.EqualTo(TimeSpan.Zero));
        Assert.That(progress.Reports.Take(3).Select(p => p.Remaining), Is.All.Not.Null);
        Assert.That(progress.Reports.Select(p => p.Elapsed), Is.Ordered);
        Assert.That(result.Frames.Frames, Is.EqualTo(1));
        Assert.That(result.Latents.Shape, Is.EqualTo(new[] { 1, 16, 1, 4, 6 }));
        Assert.That(result.Request.Steps, Is.EqualTo(4));
    }

    [Test]
    public void CancellationBetweenStepsLeavesNothingBehind()
    {
        using var dir = new TempDir();
        using var gen = VideoGenerator.FromPretrained(T2VFolder);
        // A first run fills the model's caches (rotary tables per grid), which rightly outlive a run.
        using (var warm = gen.Generate(Small(steps: 1))) Assert.That(warm.Frames.Frames, Is.EqualTo(1));
        using var cts = new CancellationTokenSource();
        var progress = new RecordingProgress<StepProgress>(p => { if (p.Step == 2) cts.Cancel(); });
        long before = gen.Backend.Allocator.Stats.CurrentBytes;
        using (var complete = gen.Generate(Small(steps: 2))) Assert.That(complete.Frames.Frames, Is.EqualTo(1));
        Assert.That(gen.Backend.Allocator.Stats.CurrentBytes, Is.EqualTo(before), "a completed run releases everything with its result");
        var output = Path.Combine(dir.Path, "video.mp4");
        Assert.Throws<OperationCanceledException>(() =>
        {
            using var result = gen.Generate(Small(steps: 5), progress, cts.Token);
            result.Save(new SaveOptions(output)); // not reached
        });
        Assert.That(progress.Reports.Select(p => p.Step), Is.EqualTo(new[] { 1, 2 }), "stopped before step 3");
        Assert.That(Directory.EnumerateFileSystemEntries(dir.Path), Is.Empty, "nothing written");
        Assert.That(gen.Backend.Allocator.Stats.CurrentBytes, Is.EqualTo(before), "every tensor of the cancelled run was released");
    }

    [Test]
    public void CancelledBeforeTheFirstStageRunsNothing()
    {
        using var gen = VideoGenerator.FromPretrained(T2VFolder);
        var progress = new RecordingProgress<StepProgress>();
        Assert.Throws<OperationCanceledException>(() => gen.Generate(Small(), progress, new CancellationToken(true)));
        Assert.That(progress.Reports, Is.Empty);
    }

    [Test]
    public void UnknownPipelineClassListsTheSupportedOnes()
    {
        using var folder = PipelineFolder.GoldenT2V("WanVACEPipeline");
        var e = Assert.Throws<UnsupportedClassException>(() => VideoGenerator.FromPretrained(folder.Path))!;
        Assert.That(e.Kind, Is.EqualTo("pipeline"));
        Assert.That(e.ClassName, Is.EqualTo("WanVACEPipeline"));
        Assert.That(e.Message, Does.Contain("'WanVACEPipeline'").And.Contain("WanPipeline").And.Contain("WanImageToVideoPipeline").And.Contain("model_index.json"));
    }

    [Test]
    public void UnknownComponentClassListsTheSupportedOnes()
    {
        using var folder = PipelineFolder.GoldenT2V().Set("vae", new JsonArray("diffusers", "AutoencoderKLHunyuanVideo"));
        var e = Assert.Throws<UnsupportedClassException>(() => VideoGenerator.FromPretrained(folder.Path))!;
        Assert.That(e.Kind, Is.EqualTo("component"));
        Assert.That(e.Message, Does.Contain("component 'vae'").And.Contain("AutoencoderKLHunyuanVideo"));
        foreach (var supported in new[] { "WanTransformer3DModel", "AutoencoderKLWan", "UMT5EncoderModel", "CLIPVisionModelWithProjection",
                     "CLIPImageProcessor", "UniPCMultistepScheduler", "FlowMatchEulerDiscreteScheduler", "T5TokenizerFast", "T5Tokenizer" })
            Assert.That(e.Supported, Does.Contain(supported));
    }

    [Test]
    public void ComponentOfTheWrongKindSaysWhatIsNeeded()
    {
        using var folder = PipelineFolder.GoldenT2V().Link("vae", "transformers", "UMT5EncoderModel", Golden.Path_("umt5_encoder", "model"));
        var e = Assert.Throws<UnsupportedClassException>(() => VideoGenerator.FromPretrained(folder.Path))!;
        Assert.That(e.Message, Does.Contain("component 'vae'").And.Contain("WanPipeline needs AutoencoderKLWan"));
    }

    [Test]
    public void MissingComponentIsNamed()
    {
        using var folder = PipelineFolder.GoldenT2V().Remove("text_encoder");
        var e = Assert.Throws<ModelFolderException>(() => VideoGenerator.FromPretrained(folder.Path))!;
        Assert.That(e.Message, Does.Contain("'text_encoder'").And.Contain("WanPipeline needs it").And.Contain("UMT5EncoderModel"));

        using var absent = PipelineFolder.GoldenT2V().Remove("vae").Set("vae", new JsonArray(null, null));
        var e2 = Assert.Throws<ModelFolderException>(() => VideoGenerator.FromPretrained(absent.Path))!;
        Assert.That(e2.Message, Does.Contain("component 'vae' absent").And.Contain("AutoencoderKLWan"));
    }

    [Test]
    public void MismatchedComponentsAreReported()
    {
        // The I2V transformer in a WanPipeline folder: caught at load, before any generation.
        using var folder = PipelineFolder.GoldenT2V().Link("transformer", "diffusers", "WanTransformer3DModel", Golden.Path_("wan_transformer_i2v", "model"));
        var e = Assert.Throws<ModelFolderException>(() => VideoGenerator.FromPretrained(folder.Path))!;
        Assert.That(e.Message, Does.Contain("image-to-video transformer").And.Contain("in_channels 36"));
    }

    [Test]
    public void VaeScaleFactorsThatDisagreeWithItsStructureAreReported()
    {
        // The golden VAE compresses 8× in space and 4× in time; a config claiming 16× would make the pipeline size
        // latents the VAE cannot produce.
        string vae = Path.Combine(Path.GetTempPath(), "fv-vae-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(vae);
        try
        {
            var src = Golden.Path_("wan_vae", "model");
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(src, "config.json")))!.AsObject();
            config["scale_factor_spatial"] = 16;
            File.WriteAllText(Path.Combine(vae, "config.json"), config.ToJsonString());
            foreach (var weights in Directory.GetFiles(src, "*.safetensors"))
                File.CreateSymbolicLink(Path.Combine(vae, Path.GetFileName(weights)), weights);
            using var folder = PipelineFolder.GoldenT2V().Link("vae", "diffusers", "AutoencoderKLWan", vae);
            var e = Assert.Throws<ModelFolderException>(() => VideoGenerator.FromPretrained(folder.Path))!;
            Assert.That(e.Message, Does.Contain("scale_factor_spatial 16").And.Contain("spatial compression 8"));
        }
        finally
        {
            Directory.Delete(vae, recursive: true);
        }
    }

    [Test]
    public void EveryClassMarkedAsPipelineEntryIsRegistered()
    {
        var marked = typeof(IVideoPipeline).Assembly.GetTypes()
            .SelectMany(t => t.GetCustomAttributes<PipelineEntryAttribute>(false).Select(a => (t, a.ClassName)))
            .OrderBy(x => x.ClassName).ToList();
        var registered = PipelineRegistry.Entries.Select(e => (e.PipelineType, e.ClassName)).OrderBy(x => x.ClassName).ToList();
        Assert.That(registered, Is.EqualTo(marked));
        Assert.That(PipelineRegistry.SupportedClassNames, Is.EquivalentTo(new[] { "WanPipeline", "WanImageToVideoPipeline" }));
        Assert.That(PipelineRegistry.Find("WanImageToVideoPipeline", "test").PipelineType, Is.EqualTo(typeof(WanImageToVideoPipeline)));
    }

    [Test]
    public void NoModelRunsTheSmokeModel()
    {
        var root = FastVideo.Tests.Smoke.SmokeFolderFixture.NewRoot();
        var previous = Environment.GetEnvironmentVariable("FASTVIDEO_CACHE");
        Environment.SetEnvironmentVariable("FASTVIDEO_CACHE", root);
        try
        {
            var logs = new List<string>();
            using var gen = VideoGenerator.FromPretrained(null, new GeneratorOptions { Log = logs.Add });
            Assert.That(gen.IsSmokeModel);
            Assert.That(gen.ModelPath, Is.EqualTo(Path.Combine(root, FastVideo.Models.Smoke.SmokeModel.FolderName)));
            Assert.That(gen.Preset, Is.EqualTo(FastVideo.Models.Smoke.SmokeModel.Preset));
            Assert.That(logs, Does.Contain(FastVideo.Models.Smoke.SmokeModel.Notice));
            using var result = gen.Generate(new GenerationRequest { Prompt = "a smoke test", NumFrames = 1, Steps = 2 });
            Assert.That(result.Request.MaxSequenceLength, Is.EqualTo(FastVideo.Models.Smoke.SmokeModel.MaxSequenceLength), "the smoke preset's text length");
            Assert.That((result.Request.Height, result.Request.Width), Is.EqualTo((64, 96)));
            Assert.That(result.FloatFrames.Shape, Is.EqualTo(new[] { 1, 64, 96, 3 }));
            Assert.That(result.Latents.ToArray<float>(), Is.All.Matches<float>(float.IsFinite));

            // Passing the smoke folder explicitly is the smoke model too.
            using var again = VideoGenerator.FromPretrained(gen.ModelPath);
            Assert.That(again.IsSmokeModel);
            Assert.That(again.Preset, Is.EqualTo(FastVideo.Models.Smoke.SmokeModel.Preset));
        }
        finally
        {
            Environment.SetEnvironmentVariable("FASTVIDEO_CACHE", previous);
        }
    }

    [Test]
    public void UnavailableDeviceAndAttentionBackendAreClearErrors()
    {
        var cuda = Assert.Throws<NotSupportedException>(() => VideoGenerator.FromPretrained(T2VFolder, new GeneratorOptions { Device = "cuda" }))!;
        Assert.That(cuda.Message, Does.Contain("CUDA backend is not available").And.Contain("--device cpu"));
        var bad = Assert.Throws<ArgumentException>(() => VideoGenerator.FromPretrained(T2VFolder, new GeneratorOptions { Device = "tpu" }))!;
        Assert.That(bad.Message, Does.Contain("'tpu'").And.Contain("cuda:N"));
        var attn = Assert.Throws<NotSupportedException>(() => VideoGenerator.FromPretrained(T2VFolder, new GeneratorOptions { AttentionBackend = "sliding_tile" }))!;
        Assert.That(attn.Message, Does.Contain("'sliding_tile'").And.Contain("sdpa"));
        Assert.That(VideoGenerator.ParseDevice("cuda:1"), Is.EqualTo(Device.Cuda(1)));
        Assert.That(VideoGenerator.ParseDevice(" CPU "), Is.EqualTo(Device.Cpu));
    }

    [Test]
    public void PresetFillsUnsetValuesAndInvalidRequestsNameTheSetting()
    {
        using var gen = VideoGenerator.FromPretrained(T2VFolder);
        // The tiny transformer (width 64) counts as a 1.3B-class T2V model.
        Assert.That(gen.Preset, Is.EqualTo(WanPresets.T2V_1_3B));
        var e = Assert.Throws<ArgumentException>(() => gen.Generate(new GenerationRequest { Prompt = "x", NumFrames = 8 }))!;
        Assert.That(e.Message, Does.Contain("num-frames = 8"));
    }

    [Test]
    public void ImageForATextToVideoModelFailsInInputValidation()
    {
        using var gen = VideoGenerator.FromPretrained(T2VFolder);
        var e = Assert.Throws<StageVerificationException>(() => gen.Generate(Small() with { ImagePath = "/nonexistent.png" }))!;
        Assert.That((e.Stage, e.Field), Is.EqualTo(("InputValidation", "image")));
        Assert.That(e.Message, Does.StartWith("stage 'InputValidation': image:").And.Contain("text-to-video"));
    }

    [Test]
    public void NaNLatentsStopWithTheStepNamed()
    {
        // A transformer whose output bias is NaN: the latents are NaN after the first step.
        using var dir = new TempDir();
        var poisoned = Path.Combine(dir.Path, "transformer");
        Directory.CreateDirectory(poisoned);
        var src = Golden.Path_("wan_pipeline_t2v", "pipeline", "transformer");
        File.Copy(Path.Combine(src, "config.json"), Path.Combine(poisoned, "config.json"));
        using (var st = SafetensorsFile.Open(Path.Combine(src, "diffusion_pytorch_model.safetensors")))
        using (var scope = TensorScope.Begin())
        {
            var tensors = st.Entries.ToDictionary(e => e.Name, e => st.Load(e.Name));
            var bias = tensors["proj_out.bias"].ToArray<float>();
            bias[3] = float.NaN;
            tensors["proj_out.bias"] = Tensor.FromHost<float>(bias, bias.Length);
            SafetensorsWriter.Save(Path.Combine(poisoned, "diffusion_pytorch_model.safetensors"), tensors);
        }
        using var folder = PipelineFolder.GoldenT2V().Link("transformer", "diffusers", "WanTransformer3DModel", poisoned);
        using var gen = VideoGenerator.FromPretrained(folder.Path);
        var progress = new RecordingProgress<StepProgress>();
        var e = Assert.Throws<NonFiniteLatentsException>(() => gen.Generate(Small(steps: 3), progress))!;
        Assert.That(e.Step, Is.EqualTo(1));
        Assert.That(e.TotalSteps, Is.EqualTo(3));
        Assert.That(e.Message, Does.StartWith("denoising step 1 of 3 (t = 999)").And.Contain("NaN"));
        Assert.That(progress.Reports, Is.Empty, "no progress for a failed step");
    }

    [Test]
    public void SaveWritesTheVideoAndAContactSheet()
    {
        using var dir = new TempDir();
        using var gen = VideoGenerator.FromPretrained(T2VFolder);
        using var result = gen.Generate(Small(steps: 1) with { NumFrames = 5 });
        var saved = result.Save(new SaveOptions(Path.Combine(dir.Path, "out.safetensors"), OutputFormat.Safetensors, ContactSheet: true));
        Assert.That(File.Exists(saved.Path));
        Assert.That(saved.ContactSheetPath, Is.EqualTo(Path.Combine(dir.Path, "out_contact.png")));
        Assert.That(File.Exists(saved.ContactSheetPath));
        using var st = SafetensorsFile.Open(saved.Path);
        Assert.That(st.Read<float>("frames"), Is.EqualTo(result.FloatFrames.ToArray<float>()));
        Assert.That(st.Read<float>("latents"), Is.EqualTo(result.Latents.ToArray<float>()));
        Assert.That(st.Entry("frames").Shape, Is.EqualTo(new[] { 5, 32, 48, 3 }));
        // The uint8 frames are the float frames rounded half to even.
        var f = result.FloatFrames.ToArray<float>();
        Assert.That(result.Frames.Rgb.Select(b => (int)b), Is.EqualTo(f.Select(v => (int)MathF.Round(v * 255f, MidpointRounding.ToEven))));
    }
}
