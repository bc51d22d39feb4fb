using FastVideo.Backends;
using FastVideo.Media;
using FastVideo.Models.Vaes.Wan;
using FastVideo.Tensors;

namespace FastVideo.Pipelines.Wan.Stages;

/// <summary>
/// Latents to frames, as the Wan pipelines end with <c>output_type="np"</c>:
/// <code>
/// video  = vae.decode(latents / (1 / latents_std) + latents_mean)      [1, 3, F, H, W], clamped to [−1, 1]
/// frames = clamp(video·0.5 + 0.5, 0, 1), channels last                  [F, H, W, 3]
/// bytes  = round_half_even(frames·255)                                   (VideoFrames)
/// </code>
/// The latents stay in the batch (they are part of the result). The VAE decodes one latent frame at a time:
/// each one is reported to <see cref="PipelineContext.StageProgress"/>, and cancellation is checked between them
/// (a long CPU decode can be stopped without waiting for the whole video).
/// </summary>
public sealed class DecodingStage(AutoencoderKLWan vae, IBackend backend) : PipelineStage<WanBatch>
{
    private static readonly int[] s_channelsLast = [1, 2, 3, 0];

    protected override IEnumerable<StageCheck<WanBatch>> InputChecks =>
    [
        new("latents", b => IsRank(b.Latents, 5) && b.Latents!.Size(0) == 1 && b.Latents.Size(1) == vae.Config.ZDim,
            $"must be [1, {vae.Config.ZDim}, T', h, w]"),
    ];

    protected override IEnumerable<StageCheck<WanBatch>> OutputChecks =>
    [
        new("frames", b => HasShape(b.FloatFrames, b.Request.NumFrames, b.Request.Height, b.Request.Width, 3)
                && b.Frames is { } f && f.Frames == b.Request.NumFrames && f.Height == b.Request.Height && f.Width == b.Request.Width,
            "must be [num_frames, height, width, 3]"),
    ];

    protected override void Forward(WanBatch batch, PipelineContext context)
    {
        using var scope = TensorScope.Begin();
        int latentFrames = batch.Latents!.Size(2);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        context.Cancellation.ThrowIfCancellationRequested();
        int done = 0;
        void Observe(string name, Tensor _)
        {
            if (!name.StartsWith(AutoencoderKLWan.DecoderChunkPrefix, StringComparison.Ordinal)) return;
            done++; // one decoder chunk per latent frame, in order
            context.StageProgress?.Report(new StageProgress("decoding", done, latentFrames, clock.Elapsed, "latent frames"));
            if (done < latentFrames) context.Cancellation.ThrowIfCancellationRequested();
        }
        var decoded = vae.DecodeUnclamped(vae.DenormalizeLatents(batch.Latents!), Observe); // [1, 3, F, H, W]
        if (batch.Trace is { } trace) trace.DecodedPreClamp = TracedTensor.Of(decoded);
        CheckFinite(batch.Latents!, decoded); // before the clamps, which would hide an Inf (and may keep a NaN)
        var video = backend.Clamp(decoded, -1f, 1f);
        var unit = backend.Clamp(backend.Scale(video, 0.5f, 0.5f), 0f, 1f);
        int f = unit.Size(2), h = unit.Size(3), w = unit.Size(4);
        var frames = backend.Permute(unit.Reshape(3, f, h, w), s_channelsLast); // [F, H, W, 3]
        batch.FloatFrames = frames;
        batch.Frames = VideoFrames.FromUnitFloats(frames.ToFloatArray(), f, h, w);
    }

    /// <summary>
    /// Throws <see cref="NonFiniteDecodeException"/> (an <see cref="ArithmeticException"/> naming the latents if they
    /// themselves are not finite) when <paramref name="decoded"/> [1, 3, F, H, W] holds NaN or Inf. On the CPU the
    /// values are scanned in place; on a device one summed value comes back, and the video only when it is not finite.
    /// </summary>
    private void CheckFinite(Tensor latents, Tensor decoded)
    {
        bool hostScan = decoded.Device.Type == DeviceType.Cpu;
        if (NonFiniteValues.Describe(backend, decoded, hostScan) is null) return;
        float[]? copy = hostScan ? null : decoded.ToFloatArray();
        ReadOnlySpan<float> values = copy ?? decoded.AsSpan<float>();
        if (NonFiniteValues.Describe(values) is not { } detail) return; // only the device sum overflowed
        if (NonFiniteValues.Describe(backend, latents, latents.Device.Type == DeviceType.Cpu) is { } latentDetail)
            throw new ArithmeticException($"decoding: the latents contain NaN or Inf ({latentDetail}), so the video cannot be decoded");
        int frames = decoded.Size(2), plane = decoded.Size(3) * decoded.Size(4);
        int first = frames;
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) first = Math.Min(first, i / plane % frames);
        var vaeFolder = Path.IsPathRooted(vae.Config.Source) ? Path.GetDirectoryName(vae.Config.Source)! : $"the VAE ({vae.Config.Source})";
        throw new NonFiniteDecodeException(first + 1, frames, detail, vaeFolder);
    }
}
