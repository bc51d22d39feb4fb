using FastVideo.Models.Dits.Wan;

namespace FastVideo.Pipelines.Wan.Stages;

/// <summary>
/// Decides how the denoiser is conditioned (FastVideo's ConditioningStage): classifier-free guidance runs when the
/// scale is above 1 and a negative embedding exists; the embeddings must fit the transformer (text width
/// <c>text_dim</c>; I2V: image width <c>image_dim</c> and exactly 512 text tokens; T2V: no image).
/// The guidance itself is applied per step by the denoising stage: <c>uncond + g·(cond − uncond)</c>.
/// </summary>
public sealed class ConditioningStage(WanTransformerConfig transformer) : PipelineStage<WanBatch>
{
    protected override IEnumerable<StageCheck<WanBatch>> InputChecks
    {
        get
        {
            yield return new("prompt_embeds", b => IsRank(b.PromptEmbeds, 3) && b.PromptEmbeds!.Size(0) == 1 && b.PromptEmbeds.Size(2) == transformer.TextDim,
                $"must be [1, L, {transformer.TextDim}] (the transformer's text_dim)");
            yield return new("negative_prompt_embeds", b => !b.Request.DoClassifierFreeGuidance
                    || (b.NegativePromptEmbeds is { IsDisposed: false } n && b.PromptEmbeds is { } p && n.ShapeSpan.SequenceEqual(p.ShapeSpan)),
                "must have the prompt embeddings' shape when guidance is on");
            yield return new("guidance_scale", b => float.IsFinite(b.Request.GuidanceScale) && b.Request.GuidanceScale >= 0, "must be finite and non-negative");
            if (transformer.IsImageToVideo)
            {
                yield return new("image_embeds", b => IsRank(b.ImageEmbeds, 3) && b.ImageEmbeds!.Size(0) == 1 && b.ImageEmbeds.Size(2) == transformer.ImageDim,
                    $"must be [1, tokens, {transformer.ImageDim}] (the transformer's image_dim)");
                yield return new("prompt_embeds", b => b.PromptEmbeds!.Size(1) == WanTransformerConfig.I2VTextLength,
                    $"must have exactly {WanTransformerConfig.I2VTextLength} tokens for the image-to-video transformer");
            }
            else
            {
                yield return new("image_embeds", b => b.ImageEmbeds is null, "must be absent: the text-to-video transformer has no image input");
            }
        }
    }

    protected override void Forward(WanBatch batch, PipelineContext context) =>
        batch.DoClassifierFreeGuidance = batch.Request.DoClassifierFreeGuidance && batch.NegativePromptEmbeds is not null;
}
