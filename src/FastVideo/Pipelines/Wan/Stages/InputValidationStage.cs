namespace FastVideo.Pipelines.Wan.Stages;

/// <summary>
/// Checks the resolved request against the loaded checkpoint (FastVideo's InputValidationStage): sizes that the
/// VAE and the transformer's patches divide, an input image exactly when the pipeline is image-to-video, the
/// 512-token text context the I2V transformer requires. I2V: reads the image file into <see cref="WanBatch.Image"/>.
/// </summary>
public sealed class InputValidationStage(string pipelineClass, WanGeometry geometry, bool imageToVideo, int? requiredTextLength) : PipelineStage<WanBatch>
{
    protected override IEnumerable<StageCheck<WanBatch>> InputChecks
    {
        get
        {
            int hMultiple = geometry.SpatialFactor * geometry.PatchH, wMultiple = geometry.SpatialFactor * geometry.PatchW;
            yield return new("prompt", b => !string.IsNullOrWhiteSpace(b.Request.Prompt), "must not be empty");
            yield return new("height", b => b.Request.Height > 0 && b.Request.Height % hMultiple == 0,
                $"must be a positive multiple of {hMultiple} (VAE ×{geometry.SpatialFactor}, patch {geometry.PatchH})");
            yield return new("width", b => b.Request.Width > 0 && b.Request.Width % wMultiple == 0,
                $"must be a positive multiple of {wMultiple} (VAE ×{geometry.SpatialFactor}, patch {geometry.PatchW})");
            yield return new("num_frames", b => b.Request.NumFrames >= 1 && (b.Request.NumFrames - 1) % geometry.TemporalFactor == 0
                && geometry.LatentFrames(b.Request.NumFrames) % geometry.PatchT == 0,
                $"must be 1 + {geometry.TemporalFactor}k (the VAE compresses time by {geometry.TemporalFactor} after the first frame)");
            yield return imageToVideo
                ? new("image", b => b.Request.ImagePath is not null, $"{pipelineClass} is image-to-video: an input image is required")
                : new("image", b => b.Request.ImagePath is null, $"{pipelineClass} is text-to-video and takes no input image; use an image-to-video checkpoint (WanImageToVideoPipeline)");
            if (requiredTextLength is int n)
                yield return new("max_sequence_length", b => b.Request.MaxSequenceLength == n,
                    $"must be {n}: the image-to-video transformer splits its context at exactly {n} text tokens");
        }
    }

    protected override IEnumerable<StageCheck<WanBatch>> OutputChecks =>
        imageToVideo ? [new("image", b => b.Image is not null, "was not loaded")] : [];

    protected override void Forward(WanBatch batch, PipelineContext context)
    {
        if (!imageToVideo) return;
        try
        {
            batch.Image = RgbImage.Load(batch.Request.ImagePath!);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException)
        {
            throw new StageVerificationException(Name, "image", e.Message);
        }
    }
}
