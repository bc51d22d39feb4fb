using FastVideo.Entrypoints;

namespace FastVideo.Pipelines.Wan;

/// <summary>
/// What the Wan2.1 pipelines share: the loaded <see cref="WanModules"/>, the composed stages over a
/// <see cref="WanBatch"/>, and the preset lookup. Subclasses only choose their stages.
/// </summary>
public abstract class WanPipelineBase : IVideoPipeline
{
    private readonly ComposedPipeline<WanBatch> _stages;
    private bool _disposed;

    /// <summary>
    /// Loads the modules <paramref name="className"/> needs and builds the pipeline with <paramref name="create"/>;
    /// the modules are disposed if building fails, so a failed load leaves nothing allocated.
    /// </summary>
    protected static T Create<T>(PipelineLoadContext context, string className, bool imageToVideo, Func<WanModules, T> create)
        where T : WanPipelineBase
    {
        var modules = WanModules.Load(context, className, imageToVideo);
        try
        {
            return create(modules);
        }
        catch
        {
            modules.Dispose();
            throw;
        }
    }

    protected WanPipelineBase(string className, WanModules modules, PipelineLoadContext context)
    {
        ClassName = className;
        Modules = modules;
        _stages = BuildStages(modules, context);
    }

    public string ClassName { get; }
    public WanModules Modules { get; }
    public abstract bool IsImageToVideo { get; }
    public IReadOnlyList<string> StageNames => _stages.Stages.Select(s => s.Name).ToArray();
    /// <summary>The stages in order, for tests and tools that run or inspect one stage.</summary>
    public IReadOnlyList<PipelineStage<WanBatch>> Stages => _stages.Stages;

    protected abstract ComposedPipeline<WanBatch> BuildStages(WanModules modules, PipelineLoadContext context);

    public WanPreset PresetFor(string modelName) =>
        WanPresets.For(IsImageToVideo, Modules.Transformer.Config.InnerDim, modelName ?? "");

    public PipelineOutput Run(ResolvedRequest request, PipelineContext context, GenerationTrace? trace = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        using var batch = new WanBatch(request, trace);
        _stages.Run(batch, context);
        return batch.TakeOutput();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Modules.Dispose();
        GC.SuppressFinalize(this);
    }
}
