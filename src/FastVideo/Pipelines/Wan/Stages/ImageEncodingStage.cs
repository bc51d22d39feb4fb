using FastVideo.Backends;
using FastVideo.Models.Encoders.ClipVision;

namespace FastVideo.Pipelines.Wan.Stages;

/// <summary>
/// WanImageToVideoPipeline's <c>encode_image</c>: CLIP preprocessing of the input image as given (resize the
/// shorter side, centre crop, normalise), then the vision tower; the image embedding is the penultimate hidden
/// state <c>hidden_states[-2]</c> [1, tokens, hidden].
/// </summary>
public sealed class ImageEncodingStage(ClipImageProcessor processor, ClipVisionModelWithProjection imageEncoder, IBackend backend) : PipelineStage<WanBatch>
{
    protected override IEnumerable<StageCheck<WanBatch>> InputChecks =>
    [
        new("image", b => b.Image is not null, "is required (input validation loads it)"),
        // Only a fixed output size can be checked before the image is seen; one that follows the input (resize
        // without crop) is checked by the vision model's own pixel_values validation.
        new("image_processor", _ => processor.FixedOutputSize is not { } size || (size.Height == imageEncoder.Config.ImageSize && size.Width == imageEncoder.Config.ImageSize),
            $"produces {processor.FixedOutputSize?.Height}×{processor.FixedOutputSize?.Width} pixel values, but the image encoder takes {imageEncoder.Config.ImageSize}×{imageEncoder.Config.ImageSize}"),
    ];

    protected override IEnumerable<StageCheck<WanBatch>> OutputChecks =>
    [
        new("image_embeds", b => HasShape(b.ImageEmbeds, 1, imageEncoder.Config.NumPositions, imageEncoder.Config.HiddenSize),
            $"must be [1, {imageEncoder.Config.NumPositions}, {imageEncoder.Config.HiddenSize}]"),
    ];

    protected override void Forward(WanBatch batch, PipelineContext context)
    {
        var image = batch.Image!;
        try
        {
            if (processor.DoResize) processor.ResizedSize(image.Height, image.Width);  // refuses an intermediate over ImageLimits
        }
        catch (ArgumentException e)
        {
            throw new StageVerificationException(Name, "image", $"{batch.Request.ImagePath}: {e.Message}");
        }
        using var pixels = processor.Preprocess(image.Rgb, image.Height, image.Width, backend.Allocator);
        using var output = imageEncoder.Forward(pixels);
        batch.ImageEmbeds = output.PenultimateHiddenState.Share();
        if (batch.Trace is { } trace) trace.ImageEmbeds = TracedTensor.Of(batch.ImageEmbeds);
    }
}
