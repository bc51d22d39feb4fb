using FastVideo.Models.Dits.Wan;
using FastVideo.Pipelines.Wan.Stages;

namespace FastVideo.Pipelines.Wan;

/// <summary>
/// Wan2.1 image-to-video (diffusers' <c>WanImageToVideoPipeline</c>, one input image as the first frame):
/// input validation (reads the image) → text encoding → image encoding (CLIP) → conditioning → timestep
/// preparation → latent preparation → image latent preparation (VAE-encoded first frame + mask) → denoising →
/// decoding. The transformer needs exactly 512 text tokens, so <c>max_sequence_length</c> must be 512.
/// </summary>
[PipelineEntry("WanImageToVideoPipeline")]
public sealed class WanImageToVideoPipeline : WanPipelineBase, IPipelineFactory<WanImageToVideoPipeline>
{
    public const string DiffusersClassName = "WanImageToVideoPipeline";

    private WanImageToVideoPipeline(WanModules modules, PipelineLoadContext context) : base(DiffusersClassName, modules, context) { }

    public override bool IsImageToVideo => true;

    public static IReadOnlyList<RequiredComponent> RequiredComponents => WanModules.ImageToVideoComponents;

    public static WanImageToVideoPipeline Create(PipelineLoadContext context) =>
        Create(context, DiffusersClassName, imageToVideo: true, modules => new WanImageToVideoPipeline(modules, context));

    protected override ComposedPipeline<WanBatch> BuildStages(WanModules m, PipelineLoadContext context)
    {
        var be = context.Backend;
        return new ComposedPipeline<WanBatch>()
            .Add(new InputValidationStage(DiffusersClassName, m.Geometry, imageToVideo: true, requiredTextLength: WanTransformerConfig.I2VTextLength))
            .Add(new TextEncodingStage(m.Tokenizer, m.TextEncoder, be))
            .Add(new ImageEncodingStage(m.ImageProcessor!, m.ImageEncoder!, be))
            .Add(new ConditioningStage(m.Transformer.Config))
            .Add(new TimestepPreparationStage(m.Scheduler))
            .Add(new LatentPreparationStage(m.Geometry, be))
            .Add(new ImageLatentPreparationStage(m.Vae, m.Geometry, be))
            .Add(new DenoisingStage(m.Transformer, be, context.NonFiniteCheckInterval))
            .Add(new DecodingStage(m.Vae, be));
    }
}
