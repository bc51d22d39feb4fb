using FastVideo.Pipelines.Wan.Stages;

namespace FastVideo.Pipelines.Wan;

/// <summary>
/// Wan2.1 text-to-video (diffusers' <c>WanPipeline</c>): input validation → text encoding → conditioning →
/// timestep preparation → latent preparation → denoising → decoding.
/// </summary>
[PipelineEntry("WanPipeline")]
public sealed class WanPipeline : WanPipelineBase, IPipelineFactory<WanPipeline>
{
    public const string DiffusersClassName = "WanPipeline";

    private WanPipeline(WanModules modules, PipelineLoadContext context) : base(DiffusersClassName, modules, context) { }

    public override bool IsImageToVideo => false;

    public static IReadOnlyList<RequiredComponent> RequiredComponents => WanModules.TextToVideoComponents;

    public static WanPipeline Create(PipelineLoadContext context) =>
        Create(context, DiffusersClassName, imageToVideo: false, modules => new WanPipeline(modules, context));

    protected override ComposedPipeline<WanBatch> BuildStages(WanModules m, PipelineLoadContext context)
    {
        var be = context.Backend;
        return new ComposedPipeline<WanBatch>()
            .Add(new InputValidationStage(DiffusersClassName, m.Geometry, imageToVideo: false, requiredTextLength: null))
            .Add(new TextEncodingStage(m.Tokenizer, m.TextEncoder, be))
            .Add(new ConditioningStage(m.Transformer.Config))
            .Add(new TimestepPreparationStage(m.Scheduler))
            .Add(new LatentPreparationStage(m.Geometry, be))
            .Add(new DenoisingStage(m.Transformer, be, context.NonFiniteCheckInterval))
            .Add(new DecodingStage(m.Vae, be));
    }
}
