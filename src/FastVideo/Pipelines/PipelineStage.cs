using System.Diagnostics;
using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Pipelines;

/// <summary>A stage's input or output check failed. Names the stage and the field.</summary>
public sealed class StageVerificationException(string stage, string field, string message)
    : Exception($"stage '{stage}': {field}: {message}")
{
    public string Stage { get; } = stage;
    public string Field { get; } = field;
}

/// <summary>One declared check: the field it concerns, the predicate, and the message when it fails.</summary>
public sealed record StageCheck<TState>(string Field, Func<TState, bool> Predicate, string Message);

/// <summary>Time spent in one stage of one run.</summary>
public sealed record StageTiming(string Stage, TimeSpan Elapsed, long PeakBytesDuring);

/// <summary>Progress of the denoising loop, reported once per step.</summary>
public sealed record StepProgress(int Step, int TotalSteps, TimeSpan Elapsed, TimeSpan? Remaining);

/// <summary>
/// Progress of a long stage other than denoising, one report per unit of work: VAE decoding reports each latent
/// frame decoded (<paramref name="Stage"/> "decoding", <paramref name="Unit"/> "latent frames"). Cancellation is
/// honoured between units.
/// </summary>
public sealed record StageProgress(string Stage, int Done, int Total, TimeSpan Elapsed, string Unit);

/// <summary>What flows beside the state: the backend, cancellation, progress and the timing record.</summary>
public sealed class PipelineContext(IBackend backend, CancellationToken cancellation = default, IProgress<StepProgress>? progress = null)
{
    public IBackend Backend { get; } = backend;
    public CancellationToken Cancellation { get; } = cancellation;
    public IProgress<StepProgress>? Progress { get; } = progress;
    public List<StageTiming> Timings { get; } = new();
    /// <summary>Receives progress of long stages besides denoising (<see cref="StageProgress"/>); null for none.</summary>
    public IProgress<StageProgress>? StageProgress { get; init; }
    /// <summary>Receives informational lines (e.g. "using the untrained smoke model").</summary>
    public Action<string>? Log { get; init; }
    /// <summary>The largest allocator peak seen by any stage of this run (the allocator's peak is reset per stage).</summary>
    public long PeakBytes { get; set; }
}

/// <summary>
/// One job of a pipeline. The base owns the control flow: verify inputs → <see cref="Forward"/> → verify
/// outputs → record time. Subclasses declare their checks as data and implement only <see cref="Forward"/>.
/// </summary>
public abstract class PipelineStage<TState>
{
    /// <summary>The stage's name in timings and errors (the class name without "Stage").</summary>
    public virtual string Name
    {
        get
        {
            var n = GetType().Name;
            return n.EndsWith("Stage", StringComparison.Ordinal) ? n[..^5] : n;
        }
    }

    protected virtual IEnumerable<StageCheck<TState>> InputChecks => [];
    protected virtual IEnumerable<StageCheck<TState>> OutputChecks => [];

    protected abstract void Forward(TState state, PipelineContext context);

    public void Run(TState state, PipelineContext context)
    {
        context.Cancellation.ThrowIfCancellationRequested();
        Verify(InputChecks, state, "input");
        var alloc = context.Backend.Allocator;
        alloc.ResetPeak();
        var sw = Stopwatch.StartNew();
        Forward(state, context);
        sw.Stop();
        long peak = alloc.Stats.PeakBytes;
        context.PeakBytes = Math.Max(context.PeakBytes, peak);
        context.Timings.Add(new StageTiming(Name, sw.Elapsed, peak));
        Verify(OutputChecks, state, "output");
    }

    private void Verify(IEnumerable<StageCheck<TState>> checks, TState state, string kind)
    {
        foreach (var c in checks)
        {
            bool ok;
            try { ok = c.Predicate(state); }
            catch (Exception e) { throw new StageVerificationException(Name, c.Field, $"{kind} check threw: {e.Message}"); }
            if (!ok) throw new StageVerificationException(Name, c.Field, c.Message);
        }
    }

    // Common predicates -----------------------------------------------------------------------------
    protected static bool HasShape(Tensor? t, params int[] shape) => t is { IsDisposed: false } && t.ShapeSpan.SequenceEqual(shape);
    protected static bool IsRank(Tensor? t, int rank) => t is { IsDisposed: false } && t.Rank == rank;
}

/// <summary>
/// Named stages run in order over one typed state. The pipeline records per-stage timings in the context.
/// </summary>
public class ComposedPipeline<TState>
{
    private readonly List<PipelineStage<TState>> _stages = new();

    public IReadOnlyList<PipelineStage<TState>> Stages => _stages;

    public ComposedPipeline<TState> Add(PipelineStage<TState> stage)
    {
        if (_stages.Any(s => s.Name == stage.Name))
            throw new ArgumentException($"a stage named '{stage.Name}' is already in the pipeline");
        _stages.Add(stage);
        return this;
    }

    public void Run(TState state, PipelineContext context)
    {
        foreach (var stage in _stages) stage.Run(state, context);
    }
}
