using FastVideo.Entrypoints;
using FastVideo.Models.Schedulers;

namespace FastVideo.Pipelines.Wan.Stages;

/// <summary>
/// Builds this run's scheduler and its schedule (FastVideo's TimestepPreparationStage): the checkpoint's
/// scheduler unless the request asks for another kind (<c>--scheduler unipc|flowmatch</c>), with its flow shift
/// replaced by the request's, then <c>set_timesteps(steps)</c>.
/// </summary>
public sealed class TimestepPreparationStage(SchedulerConfig checkpointScheduler) : PipelineStage<WanBatch>
{
    protected override IEnumerable<StageCheck<WanBatch>> InputChecks =>
    [
        new("steps", b => b.Request.Steps >= 1, "must be at least 1"),
        new("flow_shift", b => float.IsFinite(b.Request.FlowShift) && b.Request.FlowShift > 0, "must be positive"),
    ];

    protected override IEnumerable<StageCheck<WanBatch>> OutputChecks =>
    [
        new("timesteps", b => b.Scheduler is { } s && s.NumInferenceSteps == b.Request.Steps && s.Timesteps.Count == b.Request.Steps,
            "must hold one timestep per step"),
    ];

    protected override void Forward(WanBatch batch, PipelineContext context)
    {
        var config = ConfigFor(batch.Request.Scheduler, checkpointScheduler, batch.Request.FlowShift);
        var scheduler = config.CreateScheduler();
        try
        {
            scheduler.SetTimesteps(batch.Request.Steps);
        }
        catch
        {
            scheduler.Dispose();
            throw;
        }
        batch.Scheduler = scheduler;
        if (batch.Trace is { } trace) trace.Timesteps = scheduler.Timesteps.ToArray();
    }

    /// <summary>
    /// The scheduler configuration of a run: <paramref name="kind"/> = Checkpoint keeps the checkpoint's class;
    /// UniPC / FlowMatch keep the checkpoint's settings when it already is that class and otherwise take the Wan
    /// defaults (UniPC: flow prediction, flow sigmas, order 2, bh2; FlowMatch: Euler with a static shift), keeping
    /// the checkpoint's <c>num_train_timesteps</c>. The flow shift is always <paramref name="flowShift"/>.
    /// </summary>
    public static SchedulerConfig ConfigFor(SchedulerKind kind, SchedulerConfig checkpoint, double flowShift)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        SchedulerConfig chosen = kind switch
        {
            SchedulerKind.Checkpoint => checkpoint,
            SchedulerKind.UniPC => checkpoint as UniPCMultistepConfig
                ?? UniPCMultistepConfig.Wan(flowShift) with { NumTrainTimesteps = checkpoint.NumTrainTimesteps },
            SchedulerKind.FlowMatch => checkpoint as FlowMatchEulerDiscreteConfig
                ?? new FlowMatchEulerDiscreteConfig { NumTrainTimesteps = checkpoint.NumTrainTimesteps },
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown scheduler kind"),
        };
        var config = chosen.WithFlowShift(flowShift);
        config.Validate($"{config.ClassName} (flow_shift {flowShift})");
        return config;
    }
}
