using FastVideo.Backends;
using FastVideo.Models.Vaes.Wan;
using FastVideo.Tensors;

namespace FastVideo.Pipelines.Wan.Stages;

/// <summary>
/// The image-to-video condition (WanImageToVideoPipeline's <c>prepare_latents</c>, Wan2.1, no last image):
/// <code>
/// image     = resize(input, H×W, Lanczos) / 255 · 2 − 1                              [1, 3, 1, H, W]
/// video     = cat([image, zeros(1, 3, F − 1, H, W)], dim=2)
/// latent    = (vae.encode(video).mode − latents_mean) · (1 / latents_std)             [1, z, T', h, w]
/// condition = cat([mask (see WanImageMask), latent], dim=1)                           [1, r + z, T', h, w]
/// </code>
/// The denoiser's input is then cat([latents, condition], dim=1) at every step.
/// </summary>
public sealed class ImageLatentPreparationStage(AutoencoderKLWan vae, WanGeometry geometry, IBackend backend) : PipelineStage<WanBatch>
{
    protected override IEnumerable<StageCheck<WanBatch>> InputChecks =>
    [
        new("image", b => b.Image is not null, "is required (input validation loads it)"),
        new("latents", b => HasShape(b.Latents, geometry.LatentShape(b.Request)), "must be prepared first (latent preparation)"),
    ];

    protected override IEnumerable<StageCheck<WanBatch>> OutputChecks =>
    [
        new("image_condition", b => b.ImageCondition is { } c && b.Latents is { } l && c.Rank == 5
                && c.Size(0) == 1 && c.Size(1) == geometry.TemporalFactor + vae.Config.ZDim
                && c.ShapeSpan[2..].SequenceEqual(l.ShapeSpan[2..]),
            $"must be [1, {geometry.TemporalFactor} + {vae.Config.ZDim}, T', h, w] like the latents"),
    ];

    protected override void Forward(WanBatch batch, PipelineContext context)
    {
        var r = batch.Request;
        var image = batch.Image!;
        if (image.Height != r.Height || image.Width != r.Width)
        {
            context.Log?.Invoke($"input image {image.Width}×{image.Height} resized to {r.Width}×{r.Height} (Lanczos)");
            image = image.ResizeLanczos(r.Height, r.Width);
        }
        using var scope = TensorScope.Begin();
        var first = image.ToSignedUnitTensor(backend.Allocator).Reshape(1, 3, 1, r.Height, r.Width);
        var video = r.NumFrames == 1 ? first : backend.Concat([first, backend.Zeros([1, 3, r.NumFrames - 1, r.Height, r.Width])], 2);
        var latent = vae.NormalizeLatents(vae.EncodeMean(video));
        int h = latent.Size(3), w = latent.Size(4);
        var (mask, shape) = WanImageMask.Build(1, r.NumFrames, h, w, geometry.TemporalFactor);
        var maskT = Tensor.FromHost<float>(backend.Allocator, mask, shape);
        batch.ImageCondition = backend.Concat([maskT, latent], 1);
        if (batch.Trace is { } trace) trace.ImageCondition = TracedTensor.Of(batch.ImageCondition);
    }
}
