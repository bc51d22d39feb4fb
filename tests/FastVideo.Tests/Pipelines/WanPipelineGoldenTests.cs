using System.Text.Json.Nodes;
using FastVideo.Entrypoints;
using FastVideo.Loading;
using FastVideo.Pipelines;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Pipelines;

/// <summary>
/// The acceptance test of the Wan T2V pipeline: golden/wan_pipeline_t2v reproduced end to end through
/// <see cref="VideoGenerator"/> loading the saved diffusers folder like a downloaded checkpoint, for both
/// scheduler cases, comparing every traced intermediate: token ids and masks (exact), prompt embeddings,
/// timesteps (exact), initial latents (bit-exact, TorchGenerator), per-step noise predictions and latents,
/// the decoder output and the final frames.
/// </summary>
public class WanPipelineGoldenTests
{
    /// <summary>Single forwards (the text encoder) against the library: the model-golden tolerance.</summary>
    private const double ModelTol = 1e-4;
    /// <summary>End to end (6 steps × 2 transformer calls + VAE, with clamping): the README's pipeline tolerance.</summary>
    private const double PipelineAtol = 1e-3;

    [Test]
    public void UniPCWithTheFoldersScheduler()
    {
        var folder = Golden.Path_("wan_pipeline_t2v", "pipeline");
        Reproduce(folder, "unipc_main_flowshift3", SchedulerKind.Checkpoint);
    }

    [Test]
    public void FlowMatchWithSchedulerFlowmatchFolder()
    {
        // README 8b: "for the FlowMatch case replace scheduler/ with scheduler_flowmatch/".
        using var folder = PipelineFolder.GoldenT2V()
            .Link("scheduler", "diffusers", "FlowMatchEulerDiscreteScheduler", Golden.Path_("wan_pipeline_t2v", "scheduler_flowmatch"));
        Reproduce(folder.Path, "flowmatch_shift3", SchedulerKind.Checkpoint);
    }

    [Test]
    public void FlowMatchBySchedulerSwitchOnTheUniPCFolder()
    {
        // `--scheduler flowmatch` on the UniPC checkpoint: FlowMatch Euler with the request's shift (3) = scheduler_flowmatch/.
        Reproduce(Golden.Path_("wan_pipeline_t2v", "pipeline"), "flowmatch_shift3", SchedulerKind.FlowMatch);
    }

    private static void Reproduce(string modelFolder, string goldenCase, SchedulerKind scheduler)
    {
        using var g = SafetensorsFile.Open(Golden.Path_("wan_pipeline_t2v", goldenCase + ".safetensors"));
        using var gen = VideoGenerator.FromPretrained(modelFolder, new GeneratorOptions { Trace = true });
        Assert.That(gen.PipelineClass, Is.EqualTo("WanPipeline"));
        Assert.That(gen.IsSmokeModel, Is.False);
        var progress = new RecordingProgress<StepProgress>();
        using var result = gen.Generate(WanPipelineGoldenCall.Request(scheduler), progress);
        var trace = result.Trace!;

        // Tokens: rows [prompt, negative prompt], exact.
        var ids = g.Read<long>("input_ids");
        var mask = g.Read<long>("attention_mask");
        int len = g.Entry("input_ids").Shape[1];
        Assert.That(trace.PromptTokens!.InputIds, Is.EqualTo(ids[..len]), "prompt input_ids");
        Assert.That(trace.NegativePromptTokens!.InputIds, Is.EqualTo(ids[len..]), "negative prompt input_ids");
        Assert.That(trace.PromptTokens.AttentionMask, Is.EqualTo(mask[..len]), "prompt attention_mask");
        Assert.That(trace.NegativePromptTokens.AttentionMask, Is.EqualTo(mask[len..]), "negative prompt attention_mask");

        AssertTensor(trace.PromptEmbeds!, g, "prompt_embeds", ModelTol);
        AssertTensor(trace.NegativePromptEmbeds!, g, "negative_prompt_embeds", ModelTol);

        // Timesteps exactly as the library computes them (UniPC: int64, FlowMatch: float32).
        var timesteps = g.Entry("timesteps").DType == FastVideo.Tensors.DType.I64
            ? g.Read<long>("timesteps").Select(t => (float)t).ToArray()
            : g.Read<float>("timesteps");
        Assert.That(trace.Timesteps, Is.EqualTo(timesteps), "timesteps");

        // torch.randn(generator=manual_seed(6101)), bit for bit.
        Assert.That(trace.InitialLatents!.Shape, Is.EqualTo(g.Entry("latents_initial").Shape));
        Assert.That(trace.InitialLatents.Values, Is.EqualTo(g.Read<float>("latents_initial")), "latents_initial (bit-exact)");

        int steps = timesteps.Length;
        int n = g.Entry("latents_initial").Shape.Aggregate(1, (a, b) => a * b);
        var cond = g.Read<float>("noise_pred_cond");
        var uncond = g.Read<float>("noise_pred_uncond");
        var after = g.Read<float>("latents_after_step");
        Assert.That(trace.NoisePredCond, Has.Count.EqualTo(steps));
        Assert.That(trace.NoisePredUncond, Has.Count.EqualTo(steps));
        Assert.That(trace.LatentsAfterStep, Has.Count.EqualTo(steps));
        double worst = 0;
        for (int i = 0; i < steps; i++)
        {
            worst = Math.Max(worst, MaxDiff(trace.NoisePredCond[i].Values, cond.AsSpan(i * n, n)));
            Numerics.AssertClose(trace.NoisePredCond[i].Values, cond.AsSpan(i * n, n), PipelineAtol, 0, $"{goldenCase} noise_pred_cond step {i}");
            Numerics.AssertClose(trace.NoisePredUncond[i].Values, uncond.AsSpan(i * n, n), PipelineAtol, 0, $"{goldenCase} noise_pred_uncond step {i}");
            Numerics.AssertClose(trace.LatentsAfterStep[i].Values, after.AsSpan(i * n, n), PipelineAtol, 0, $"{goldenCase} latents_after_step {i}");
        }
        Numerics.AssertClose(result.Latents.ToArray<float>(), after.AsSpan((steps - 1) * n, n), PipelineAtol, 0, "final latents");
        AssertTensor(trace.DecodedPreClamp!, g, "vae_decoded_pre_clamp", PipelineAtol);

        // video_frames [1, F, H, W, 3] ↔ FloatFrames [F, H, W, 3].
        var video = g.Read<float>("video_frames");
        Assert.That(result.FloatFrames.Shape, Is.EqualTo(g.Entry("video_frames").Shape[1..]));
        Numerics.AssertClose(result.FloatFrames.ToArray<float>(), video, PipelineAtol, 0, $"{goldenCase} video_frames");
        Assert.That(result.Frames.Frames, Is.EqualTo(9));
        Assert.That((result.Frames.Height, result.Frames.Width), Is.EqualTo((32, 48)));

        Assert.That(progress.Reports.Select(p => p.Step), Is.EqualTo(Enumerable.Range(1, steps)), "one progress report per step");
        Assert.That(result.Timings.Select(t => t.Stage), Is.EqualTo(gen.StageNames));
        Assert.That(result.PeakBytes, Is.GreaterThan(0));
        TestContext.Out.WriteLine($"{goldenCase}: max |Δ noise_pred_cond| over steps = {worst:E2}; stages: "
            + string.Join(", ", result.Timings.Select(t => $"{t.Stage} {t.Elapsed.TotalMilliseconds:F0} ms")));
    }

    private static void AssertTensor(TracedTensor actual, SafetensorsFile g, string name, double atol)
    {
        Assert.That(actual.Shape, Is.EqualTo(g.Entry(name).Shape), $"{name} shape");
        Numerics.AssertClose(actual.Values, g.Read<float>(name), atol, atol == ModelTol ? ModelTol : 0, name);
    }

    private static double MaxDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }
}
