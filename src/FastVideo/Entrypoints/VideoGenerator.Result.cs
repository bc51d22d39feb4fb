using FastVideo.Media;
using FastVideo.Pipelines;
using FastVideo.Tensors;

namespace FastVideo.Entrypoints;

/// <summary>
/// One generated video with what it cost. Owns <see cref="FloatFrames"/> and <see cref="Latents"/> (dispose the
/// result to release them); <see cref="Frames"/> is managed memory.
/// </summary>
public sealed class GenerationResult : IDisposable
{
    private readonly PipelineOutput _output;

    internal GenerationResult(PipelineOutput output, IReadOnlyList<StageTiming> timings, long peakBytes, ResolvedRequest request, GenerationTrace? trace, ComputePathReport computePaths)
    {
        ComputePaths = computePaths;
        _output = output;
        Timings = timings;
        PeakBytes = peakBytes;
        Request = request;
        Trace = trace;
    }

    /// <summary>uint8 RGB frames [T, H, W, 3].</summary>
    public VideoFrames Frames => _output.Frames;
    /// <summary>F32 [T, H, W, 3] in [0, 1] (diffusers' <c>output_type="np"</c> for one video).</summary>
    public Tensor FloatFrames => _output.FloatFrames;
    /// <summary>The final denoised latents [1, z, T', h, w].</summary>
    public Tensor Latents => _output.Latents;
    /// <summary>Time and allocator peak of every stage, in order.</summary>
    public IReadOnlyList<StageTiming> Timings { get; }
    /// <summary>The largest allocator peak of any stage (bytes on the generator's device).</summary>
    public long PeakBytes { get; }
    /// <summary>The settings actually used (request values over the model's preset).</summary>
    public ResolvedRequest Request { get; }
    /// <summary>Intermediate values, when <see cref="GeneratorOptions.Trace"/> was on; null otherwise.</summary>
    public GenerationTrace? Trace { get; }

    /// <summary>The precision the run computed in and the paths its ops took (attention kernel, GEMM path), with call counts where the backend counts them.</summary>
    public ComputePathReport ComputePaths { get; }

    /// <summary>Total time of all stages.</summary>
    public TimeSpan Elapsed => Timings.Aggregate(TimeSpan.Zero, (a, t) => a + t.Elapsed);

    /// <summary>
    /// Writes the video with <see cref="MediaWriter"/> (atomically: a failure leaves no partial file) at
    /// <see cref="ResolvedRequest.Fps"/>; with <see cref="SaveOptions.ContactSheet"/>, also a PNG grid of frames
    /// beside it (<c>name_contact.png</c>).
    /// </summary>
    public SavedOutput Save(SaveOptions options, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Path, nameof(options));
        var plan = MediaWriter.Plan(options.Path, options.Format, options.ContactSheet, options.Overwrite);
        return MediaWriter.Save(Frames, plan, Request.Fps, FloatFrames, Latents, options.Overwrite, cancel);
    }

    public void Dispose() => _output.Dispose();
}
