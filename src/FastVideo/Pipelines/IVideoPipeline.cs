using FastVideo.Attention;
using FastVideo.Backends;
using FastVideo.Entrypoints;
using FastVideo.Loading;
using FastVideo.Tensors;

namespace FastVideo.Pipelines;

/// <summary>
/// A loaded pipeline: its modules live as long as it does. <see cref="Run"/> produces one video; the typed
/// state that flows through its stages stays inside the pipeline.
/// </summary>
public interface IVideoPipeline : IDisposable
{
    /// <summary>The <c>_class_name</c> this instance was loaded for.</summary>
    string ClassName { get; }

    /// <summary>True when the pipeline needs an input image (<see cref="GenerationRequest.ImagePath"/>).</summary>
    bool IsImageToVideo { get; }

    /// <summary>The stages in order (names as in timings and errors).</summary>
    IReadOnlyList<string> StageNames { get; }

    /// <summary>FastVideo's sampling defaults for this checkpoint; <paramref name="modelName"/> is the folder or repo name.</summary>
    WanPreset PresetFor(string modelName);

    /// <summary>
    /// Runs every stage for <paramref name="request"/>. <paramref name="trace"/>, when given, receives the
    /// intermediate values (host copies). The caller owns the returned output.
    /// </summary>
    PipelineOutput Run(ResolvedRequest request, PipelineContext context, GenerationTrace? trace = null);
}

/// <summary>What a pipeline run hands back: the frames and the final latents. Disposing releases the tensors.</summary>
public sealed class PipelineOutput(Media.VideoFrames frames, Tensor floatFrames, Tensor latents) : IDisposable
{
    public Media.VideoFrames Frames { get; } = frames;
    /// <summary>F32 [T, H, W, 3] in [0, 1].</summary>
    public Tensor FloatFrames { get; } = floatFrames;
    /// <summary>The final denoised latents [1, z, T', h, w] (normalised, as the transformer sees them).</summary>
    public Tensor Latents { get; } = latents;

    public void Dispose()
    {
        FloatFrames.Dispose();
        Latents.Dispose();
    }
}

/// <summary>What component loaders and pipeline factories receive.</summary>
/// <param name="Folder">The diffusers pipeline folder being loaded.</param>
/// <param name="Backend">Where the weights go and the ops run.</param>
/// <param name="Attention">The attention implementation the transformer uses.</param>
/// <param name="Log">Informational lines (may be null).</param>
public sealed record PipelineLoadContext(DiffusersFolder Folder, IBackend Backend, IAttentionBackend Attention, Action<string>? Log = null)
{
    /// <summary>Denoising checks the latents for NaN/Inf every this many steps on a device backend (every step on the CPU, where it is cheap).</summary>
    public int NonFiniteCheckInterval { get; init; } = 10;
}
