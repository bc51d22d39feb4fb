using FastVideo.Backends;
using FastVideo.Rng;

namespace FastVideo.Pipelines.Wan.Stages;

/// <summary>
/// The initial noise (WanPipeline's <c>prepare_latents</c>): <c>torch.randn([1, z, (F−1)/4 + 1, H/8, W/8],
/// generator=torch.Generator("cpu").manual_seed(seed))</c>, reproduced bit for bit by <see cref="TorchGenerator"/>
/// on the host and uploaded. Flow matching starts from unit noise (init_noise_sigma = 1), so no scaling.
/// </summary>
public sealed class LatentPreparationStage(WanGeometry geometry, IBackend backend) : PipelineStage<WanBatch>
{
    protected override IEnumerable<StageCheck<WanBatch>> InputChecks =>
    [
        new("seed", b => b.Request.Seed >= 0, "must be non-negative"),
        new("latents", b => b.Latents is null, "are already set"),
    ];

    protected override IEnumerable<StageCheck<WanBatch>> OutputChecks =>
    [
        new("latents", b => HasShape(b.Latents, geometry.LatentShape(b.Request)), "must be [1, z, (F−1)/4 + 1, H/8, W/8]"),
    ];

    protected override void Forward(WanBatch batch, PipelineContext context)
    {
        var generator = new TorchGenerator((ulong)batch.Request.Seed);
        batch.Latents = generator.Randn(backend, geometry.LatentShape(batch.Request));
        if (batch.Scheduler is { InitNoiseSigma: not 1f } s)
            context.Log?.Invoke($"{s.ClassName}: init_noise_sigma {s.InitNoiseSigma} is ignored (the Wan pipelines start from unit noise)");
        if (batch.Trace is { } trace) trace.InitialLatents = TracedTensor.Of(batch.Latents);
    }
}
