using FastVideo.Backends;
using FastVideo.Backends.Cpu;
using FastVideo.Loading;
using FastVideo.Models.Smoke;
using FastVideo.Pipelines;

namespace FastVideo.Entrypoints;

/// <summary>
/// The public entry point: loads a diffusers Wan checkpoint once, then generates videos.
/// <code>
/// using var gen = VideoGenerator.FromPretrained("Wan-AI/Wan2.1-T2V-1.3B-Diffusers");
/// using var result = gen.Generate(new GenerationRequest { Prompt = "A cat walks on the grass" });
/// result.Save(new SaveOptions("cat.mp4"));
/// </code>
/// The pipeline is chosen by <c>model_index.json</c>'s <c>_class_name</c> (<see cref="PipelineRegistry"/>), the
/// sampling defaults by <see cref="WanPresets"/>. One generation runs at a time per generator.
/// </summary>
public sealed partial class VideoGenerator : IDisposable
{
    private readonly IVideoPipeline _pipeline;
    private readonly GeneratorOptions _options;
    private readonly object _gate = new();
    private bool _disposed;

    private VideoGenerator(IVideoPipeline pipeline, IBackend backend, GeneratorOptions options, string modelPath, string modelName, WanPreset preset, bool isSmoke, Precision precision)
    {
        Precision = precision;
        _pipeline = pipeline;
        Backend = backend;
        _options = options;
        ModelPath = modelPath;
        ModelName = modelName;
        Preset = preset;
        IsSmokeModel = isSmoke;
    }

    /// <summary>The local folder the model was read from.</summary>
    public string ModelPath { get; }
    /// <summary>What the caller passed (path or repo id), or "smoke".</summary>
    public string ModelName { get; }
    /// <summary>The pipeline class (<c>model_index.json</c> <c>_class_name</c>).</summary>
    public string PipelineClass => _pipeline.ClassName;
    public bool IsImageToVideo => _pipeline.IsImageToVideo;
    /// <summary>True when the built-in, untrained smoke model runs (no model given, or its cache folder passed).</summary>
    public bool IsSmokeModel { get; }
    /// <summary>The defaults a request's unset values take.</summary>
    public WanPreset Preset { get; }
    public IBackend Backend { get; }
    /// <summary>The precision the backend computes in (<see cref="GeneratorOptions.Precision"/> resolved for the device).</summary>
    public Precision Precision { get; }
    public IReadOnlyList<string> StageNames => _pipeline.StageNames;

    /// <summary>
    /// Loads a model: a diffusers pipeline folder, or a Hugging Face repo id already in the local cache
    /// (<see cref="ModelLocator"/>; never downloads). Null loads the built-in smoke model
    /// (<see cref="SmokeModel.EnsureCreated"/>: built once into the FastVideo cache, untrained, runs on the CPU in seconds).
    /// </summary>
    /// <exception cref="ModelNotFoundException">the path or repo id does not resolve to a folder.</exception>
    /// <exception cref="ModelFolderException">the folder lacks model_index.json or a component the pipeline needs (named).</exception>
    /// <exception cref="UnsupportedClassException">the pipeline or a component class is not supported (the message lists those that are).</exception>
    /// <exception cref="NotSupportedException">the device or attention backend is not available.</exception>
    public static VideoGenerator FromPretrained(string? pathOrRepoId, GeneratorOptions? options = null)
    {
        options ??= new GeneratorOptions();
        if (options.NonFiniteCheckInterval < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.NonFiniteCheckInterval, "NonFiniteCheckInterval must be at least 1");
        var device = ParseDevice(options.Device);
        // Checked before any weight is read: an explicit precision the device cannot serve is an error.
        var precision = ResolvePrecision(options.Precision, device.Type);
        string folderPath = pathOrRepoId is null ? SmokeModelFolder(options) : ModelLocator.Resolve(pathOrRepoId);
        // Also when the smoke folder is passed explicitly: same preset, same notice.
        bool smoke = pathOrRepoId is null || SmokeModel.IsSmokeModel(folderPath);
        var backend = CreateBackend(device, precision);
        try
        {
            precision = CheckPrecision(backend, options.Precision, precision);
            var attention = CreateAttention(options.AttentionBackend, backend, Environment.GetEnvironmentVariable);
            var folder = DiffusersFolder.Open(folderPath);
            var context = new PipelineLoadContext(folder, backend, attention, options.Log) { NonFiniteCheckInterval = options.NonFiniteCheckInterval };
            var pipeline = PipelineRegistry.Load(context);
            string name = pathOrRepoId ?? "smoke";
            var preset = smoke ? SmokeModel.Preset : pipeline.PresetFor($"{name} {folderPath}");
            options.Log?.Invoke($"{pipeline.ClassName} from {folderPath} on {backend.Device} (preset {preset.Name})");
            if (smoke) options.Log?.Invoke(SmokeModel.Notice);
            return new VideoGenerator(pipeline, backend, options, folderPath, name, preset, smoke, precision);
        }
        catch
        {
            backend.Allocator.ReleaseCache();
            backend.Dispose();
            throw;
        }
    }

    /// <summary>The smoke model's folder, built deterministically into the cache on first use.</summary>
    private static string SmokeModelFolder(GeneratorOptions options)
    {
        options.Log?.Invoke($"no --model given: using the built-in smoke model (cache {SmokeModel.DefaultCacheRoot()})");
        return SmokeModel.EnsureCreated();
    }

    /// <summary>
    /// Generates one video. Unset request values come from <see cref="Preset"/>. <paramref name="progress"/> gets
    /// one report per denoising step; if it also implements <c>IProgress&lt;StageProgress&gt;</c> it gets one report
    /// per latent frame decoded as well. <paramref name="cancel"/> is honoured between stages, between steps and
    /// between decoded latent frames (an <see cref="OperationCanceledException"/> then, with nothing kept). The
    /// caller disposes the result.
    /// </summary>
    /// <exception cref="ArgumentException">an invalid request value (named).</exception>
    /// <exception cref="StageVerificationException">a stage check failed (names the stage and the field).</exception>
    /// <exception cref="NonFiniteLatentsException">the latents became NaN/Inf (names the step).</exception>
    public GenerationResult Generate(GenerationRequest request, IProgress<StepProgress>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var resolved = request.Resolve(Preset);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var context = new PipelineContext(Backend, cancel, progress)
            {
                Log = _options.Log,
                StageProgress = progress as IProgress<StageProgress>,
            };
            var trace = _options.Trace ? new GenerationTrace() : null;
            var before = PathCounts();
            var output = _pipeline.Run(resolved, context, trace);
            var paths = new ComputePathReport
            {
                Requested = _options.Precision,
                Precision = Precision,
                Paths = ComputePathReport.Difference(before, PathCounts()),
            };
            return new GenerationResult(output, context.Timings.ToArray(), context.PeakBytes, resolved, trace, paths);
        }
    }

    /// <summary>The backend's path counters now (the CPU's fixed paths, uncounted).</summary>
    private IReadOnlyList<ComputePathCount> PathCounts() => Backend switch
    {
        IComputePathCounter c => c.ComputePathCounts,
        CpuBackend => ComputePathReport.CpuPaths,
        _ => [],
    };

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _pipeline.Dispose();
            Backend.Allocator.ReleaseCache(); // the generator's own allocator: return its cached blocks now
            Backend.Dispose();
        }
    }
}
