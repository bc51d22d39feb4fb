using System.Diagnostics;
using FastVideo.Backends;
using FastVideo.Models.Dits.Wan;
using FastVideo.Tensors;

namespace FastVideo.Pipelines.Wan.Stages;

/// <summary>
/// The denoising loop. Per step i with timestep tᵢ:
/// <code>
/// x     = latents                    (I2V: cat([latents, condition], dim=1))
/// cond  = transformer(x, tᵢ, prompt_embeds, image_embeds)
/// noise = cond                       (guidance: uncond = transformer(x, tᵢ, negative_prompt_embeds, image_embeds);
///                                               noise  = uncond + g·(cond − uncond))
/// latents = scheduler.step(noise, i, latents)
/// </code>
/// Cancellation is checked before every step; progress is reported once per step with an ETA. The latents are
/// checked for NaN/Inf after every step on the CPU (a cheap scan of host memory) and every
/// <c>nonFiniteCheckInterval</c> steps and after the last on other devices, where the check reads a value back
/// and so waits for the device. Each step's intermediates are released at the end of the step.
/// </summary>
public sealed class DenoisingStage(WanTransformer3DModel transformer, IBackend backend, int nonFiniteCheckInterval = 10) : PipelineStage<WanBatch>
{
    private readonly int _checkInterval = nonFiniteCheckInterval >= 1 ? nonFiniteCheckInterval
        : throw new ArgumentOutOfRangeException(nameof(nonFiniteCheckInterval), nonFiniteCheckInterval, "must be at least 1");

    /// <summary>
    /// Tests only: force the host scan (true) or the device path (false: a summed value read back every
    /// interval) whatever the device; null chooses by device.
    /// </summary>
    internal bool? ScanOnHost { get; init; }

    protected override IEnumerable<StageCheck<WanBatch>> InputChecks =>
    [
        new("scheduler", b => b.Scheduler is { } s && s.NumInferenceSteps == b.Request.Steps, "must be prepared with one timestep per step"),
        new("latents", b => IsRank(b.Latents, 5) && b.Latents!.Size(0) == 1 && b.Latents.Size(1) == transformer.Config.OutChannels,
            $"must be [1, {transformer.Config.OutChannels}, T', h, w]"),
        new("image_condition", b => (b.Latents!.Size(1) + (b.ImageCondition?.Size(1) ?? 0)) == transformer.Config.InChannels,
            $"latent + condition channels must equal the transformer's in_channels ({transformer.Config.InChannels})"),
        new("prompt_embeds", b => IsRank(b.PromptEmbeds, 3), "must be encoded"),
        new("negative_prompt_embeds", b => !b.DoClassifierFreeGuidance || IsRank(b.NegativePromptEmbeds, 3), "must be encoded when guidance is on"),
    ];

    protected override IEnumerable<StageCheck<WanBatch>> OutputChecks =>
    [
        new("latents", b => IsRank(b.Latents, 5) && b.Latents!.Size(1) == transformer.Config.OutChannels, "must be the denoised latents"),
    ];

    protected override void Forward(WanBatch batch, PipelineContext context)
    {
        var scheduler = batch.Scheduler!;
        int steps = scheduler.NumInferenceSteps;
        float guidance = batch.Request.GuidanceScale;
        bool cfg = batch.DoClassifierFreeGuidance;
        bool hostScan = ScanOnHost ?? batch.Latents!.Device.Type == DeviceType.Cpu;
        int lastFinite = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            float t = scheduler.Timesteps[i];
            using (var scope = TensorScope.Begin())
            {
                var latents = batch.Latents!;
                var x = batch.ImageCondition is { } c ? backend.Concat([latents, c], 1) : latents;
                var cond = transformer.Forward(x, [t], batch.PromptEmbeds!, batch.ImageEmbeds);
                var noise = cond;
                Tensor? uncond = null;
                if (cfg)
                {
                    uncond = transformer.Forward(x, [t], batch.NegativePromptEmbeds!, batch.ImageEmbeds);
                    noise = backend.Axpby(1f, uncond, guidance, backend.Sub(cond, uncond));
                }
                var next = scheduler.Step(backend, noise, i, latents);
                if (batch.Trace is { } trace)
                {
                    trace.NoisePredCond.Add(TracedTensor.Of(cond));
                    if (uncond is not null) trace.NoisePredUncond.Add(TracedTensor.Of(uncond));
                    trace.LatentsAfterStep.Add(TracedTensor.Of(next));
                }
                batch.Latents = next; // disposes the previous latents, keeps next out of the scope
            }

            if (hostScan || (i + 1) % _checkInterval == 0 || i == steps - 1)
            {
                if (NonFiniteValues.Describe(backend, batch.Latents!, hostScan) is { } detail)
                    throw new NonFiniteLatentsException(i + 1, steps, t, lastFinite, detail);
                lastFinite = i + 1;
            }

            var elapsed = clock.Elapsed;
            var remaining = TimeSpan.FromTicks(elapsed.Ticks / (i + 1) * (steps - i - 1));
            context.Progress?.Report(new StepProgress(i + 1, steps, elapsed, remaining));
        }
    }
}
