using FastVideo.Attention;
using FastVideo.Backends.Cpu;
using FastVideo.Entrypoints;
using FastVideo.Loading;
using FastVideo.Models.Schedulers;
using FastVideo.Pipelines;
using FastVideo.Pipelines.Wan;
using FastVideo.Pipelines.Wan.Stages;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Pipelines;

/// <summary>The Wan stages one at a time on the tiny T2V pipeline: declared checks, the NaN check paths, scheduler choice.</summary>
public class WanStageTests
{
    private CpuBackend _backend = null!;
    private WanPipelineBase _pipeline = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _backend = new CpuBackend(new CpuAllocator());
        var folder = DiffusersFolder.Open(Golden.Path_("wan_pipeline_t2v", "pipeline"));
        _pipeline = (WanPipelineBase)PipelineRegistry.Load(new PipelineLoadContext(folder, _backend, new SdpaAttention(_backend)));
    }

    [OneTimeTearDown]
    public void Unload() => _pipeline.Dispose();

    private static ResolvedRequest Request(int steps = 6) =>
        (WanPipelineGoldenCall.Request() with { NumFrames = 1, Steps = steps }).Resolve(WanPresets.T2V_1_3B);

    private PipelineContext Context(IProgress<StepProgress>? progress = null) => new(_backend, default, progress);

    /// <summary>Runs the stages before <paramref name="stage"/> on a fresh batch.</summary>
    private WanBatch PreparedUntil(string stage, ResolvedRequest request)
    {
        var batch = new WanBatch(request);
        foreach (var s in _pipeline.Stages.TakeWhile(s => s.Name != stage)) s.Run(batch, Context());
        return batch;
    }

    [Test]
    public void DecodingReportsEachLatentFrameAndStopsBetweenThem()
    {
        // 9 frames = 3 latent frames: the VAE decodes them one at a time.
        var request = (WanPipelineGoldenCall.Request() with { NumFrames = 9, Steps = 1 }).Resolve(WanPresets.T2V_1_3B);
        var decode = _pipeline.Stages.Single(s => s.Name == "Decoding");

        using (var batch = PreparedUntil("Decoding", request))
        {
            var reports = new RecordingProgress<StageProgress>();
            decode.Run(batch, new PipelineContext(_backend) { StageProgress = reports });
            Assert.That(reports.Reports.Select(r => (r.Stage, r.Done, r.Total, r.Unit)),
                Is.EqualTo(new[] { ("decoding", 1, 3, "latent frames"), ("decoding", 2, 3, "latent frames"), ("decoding", 3, 3, "latent frames") }));
            Assert.That(reports.Reports.Select(r => r.Elapsed), Is.Ordered);
            Assert.That(batch.Frames!.Frames, Is.EqualTo(9));
        }

        using (var batch = PreparedUntil("Decoding", request))
        {
            using var cts = new CancellationTokenSource();
            var reports = new RecordingProgress<StageProgress>(r => { if (r.Done == 1) cts.Cancel(); });
            long before = _backend.Allocator.Stats.CurrentBytes;
            Assert.Throws<OperationCanceledException>(() => decode.Run(batch, new PipelineContext(_backend, cts.Token) { StageProgress = reports }));
            Assert.That(reports.Reports.Select(r => r.Done), Is.EqualTo(new[] { 1 }), "stopped after the first latent frame");
            Assert.That(batch.Frames, Is.Null, "no frames from a cancelled decode");
            Assert.That(_backend.Allocator.Stats.CurrentBytes, Is.EqualTo(before), "the decoded chunks were released");
        }
    }

    [Test]
    public void StagesAreTheFastVideoOrder()
    {
        Assert.That(_pipeline.StageNames, Is.EqualTo(new[]
        {
            "InputValidation", "TextEncoding", "Conditioning", "TimestepPreparation", "LatentPreparation", "Denoising", "Decoding",
        }));
    }

    [Test]
    public void FailingInputCheckNamesStageAndField()
    {
        using var batch = new WanBatch(Request());
        var denoise = _pipeline.Stages.Single(s => s.Name == "Denoising");
        var e = Assert.Throws<StageVerificationException>(() => denoise.Run(batch, Context()))!;
        Assert.That((e.Stage, e.Field), Is.EqualTo(("Denoising", "scheduler")));

        var decode = _pipeline.Stages.Single(s => s.Name == "Decoding");
        e = Assert.Throws<StageVerificationException>(() => decode.Run(batch, Context()))!;
        Assert.That((e.Stage, e.Field), Is.EqualTo(("Decoding", "latents")));
        Assert.That(e.Message, Does.StartWith("stage 'Decoding': latents: must be [1, 16, T', h, w]"));
    }

    [Test]
    public void ConditioningChecksTheEmbeddingsAgainstTheTransformer()
    {
        using var batch = PreparedUntil("Conditioning", Request());
        batch.PromptEmbeds = _backend.Zeros([1, 32, 24]); // text_dim is 32
        var conditioning = _pipeline.Stages.Single(s => s.Name == "Conditioning");
        var e = Assert.Throws<StageVerificationException>(() => conditioning.Run(batch, Context()))!;
        Assert.That((e.Stage, e.Field), Is.EqualTo(("Conditioning", "prompt_embeds")));
        Assert.That(e.Message, Does.Contain("text_dim"));

        batch.PromptEmbeds = _backend.Zeros([1, 32, 32]);
        batch.ImageEmbeds = _backend.Zeros([1, 17, 32]);
        e = Assert.Throws<StageVerificationException>(() => conditioning.Run(batch, Context()))!;
        Assert.That((e.Stage, e.Field), Is.EqualTo(("Conditioning", "image_embeds")));
    }

    [Test]
    public void NoGuidanceEncodesNoNegativePromptAndRunsOnePassPerStep()
    {
        var request = Request(steps: 2) with { GuidanceScale = 1f };
        using var batch = PreparedUntil("Denoising", request);
        Assert.That(batch.NegativePromptEmbeds, Is.Null);
        Assert.That(batch.DoClassifierFreeGuidance, Is.False);
        using var traced = new WanBatch(request, new GenerationTrace());
        foreach (var s in _pipeline.Stages.TakeWhile(s => s.Name != "Decoding")) s.Run(traced, Context());
        Assert.That(traced.Trace!.NoisePredCond, Has.Count.EqualTo(2));
        Assert.That(traced.Trace.NoisePredUncond, Is.Empty);
        Assert.That(traced.Trace.NegativePromptTokens, Is.Null);
    }

    [Test]
    public void NaNOnTheHostPathIsCaughtAfterTheStep()
    {
        using var batch = PreparedUntil("Denoising", Request());
        Poison(batch);
        var progress = new RecordingProgress<StepProgress>();
        var e = Assert.Throws<NonFiniteLatentsException>(() =>
            new DenoisingStage(_pipeline.Modules.Transformer, _backend).Run(batch, Context(progress)))!;
        Assert.That(e.Step, Is.EqualTo(1));
        Assert.That(e.LastCheckedFiniteStep, Is.EqualTo(0));
        Assert.That(e.Message, Does.Contain("NaN").And.Not.Contain("last checked"));
        Assert.That(progress.Reports, Is.Empty);
    }

    [Test]
    public void NaNOnTheDevicePathIsCaughtAtTheNextCheck()
    {
        // The device path reads one summed value back every `interval` steps instead of scanning every step.
        using var batch = PreparedUntil("Denoising", Request(steps: 6));
        Poison(batch);
        var progress = new RecordingProgress<StepProgress>();
        var stage = new DenoisingStage(_pipeline.Modules.Transformer, _backend, nonFiniteCheckInterval: 4) { ScanOnHost = false };
        var e = Assert.Throws<NonFiniteLatentsException>(() => stage.Run(batch, Context(progress)))!;
        Assert.That(e.Step, Is.EqualTo(4));
        Assert.That(e.TotalSteps, Is.EqualTo(6));
        Assert.That(e.LastCheckedFiniteStep, Is.EqualTo(0));
        Assert.That(e.Message, Does.StartWith("denoising step 4 of 6").And.Contain("last checked finite after step 0"));
        Assert.That(progress.Reports.Select(p => p.Step), Is.EqualTo(new[] { 1, 2, 3 }), "steps 1-3 ran unchecked");
    }

    [Test]
    public void DevicePathChecksTheLastStepEvenOffTheInterval()
    {
        using var batch = PreparedUntil("Denoising", Request(steps: 3));
        var stage = new DenoisingStage(_pipeline.Modules.Transformer, _backend, nonFiniteCheckInterval: 10) { ScanOnHost = false };
        stage.Run(batch, Context()); // finite: no exception
        Poison(batch);
        Assert.That(() => new DenoisingStage(_pipeline.Modules.Transformer, _backend, 10) { ScanOnHost = false }.Run(RestartSchedule(batch), Context()),
            Throws.TypeOf<NonFiniteLatentsException>().With.Property(nameof(NonFiniteLatentsException.Step)).EqualTo(3));
    }

    private WanBatch RestartSchedule(WanBatch batch)
    {
        _pipeline.Stages.Single(s => s.Name == "TimestepPreparation").Run(batch, Context());
        return batch;
    }

    private void Poison(WanBatch batch)
    {
        var values = batch.Latents!.ToArray<float>();
        values[values.Length / 2] = float.NaN;
        batch.Latents = Tensor.FromHost<float>(_backend.Allocator, values, batch.Latents.Shape);
    }

    [Test]
    public void SchedulerChoiceAndFlowShiftOverride()
    {
        var unipc = UniPCMultistepConfig.Wan(3.0);
        var euler = new FlowMatchEulerDiscreteConfig { Shift = 1.0, NumTrainTimesteps = 1000 };

        var keep = TimestepPreparationStage.ConfigFor(SchedulerKind.Checkpoint, unipc, 5.0);
        Assert.That(keep, Is.TypeOf<UniPCMultistepConfig>());
        Assert.That(keep.FlowShift, Is.EqualTo(5.0), "the request's flow shift replaces the checkpoint's");

        var toEuler = TimestepPreparationStage.ConfigFor(SchedulerKind.FlowMatch, unipc, 3.0);
        Assert.That(toEuler, Is.EqualTo(new FlowMatchEulerDiscreteConfig { Shift = 3.0 }));

        var toUniPC = TimestepPreparationStage.ConfigFor(SchedulerKind.UniPC, euler, 3.0);
        Assert.That(toUniPC, Is.EqualTo(UniPCMultistepConfig.Wan(3.0)));

        var same = TimestepPreparationStage.ConfigFor(SchedulerKind.FlowMatch, euler with { NumTrainTimesteps = 500 }, 2.0);
        Assert.That(same, Is.EqualTo(euler with { NumTrainTimesteps = 500, Shift = 2.0 }));
    }

    [Test]
    public void InitialLatentsAreTorchRandnOfTheSeed()
    {
        var request = Request() with { NumFrames = 9, Seed = 42 };
        using var batch = PreparedUntil("Denoising", request);
        Assert.That(batch.Latents!.Shape, Is.EqualTo(new[] { 1, 16, 3, 4, 6 }));
        var expected = new FastVideo.Rng.TorchGenerator(42).Randn([1, 16, 3, 4, 6]);
        Assert.That(batch.Latents.ToArray<float>(), Is.EqualTo(expected));
    }
}
