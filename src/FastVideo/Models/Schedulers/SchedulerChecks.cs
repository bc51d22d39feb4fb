using FastVideo.Tensors;

namespace FastVideo.Models.Schedulers;

/// <summary>Argument checks shared by the schedulers, with messages that name the argument and the values.</summary>
internal static class SchedulerChecks
{
    public static void StepIndex(IScheduler s, int stepIndex, string arg)
    {
        if (s.NumInferenceSteps == 0)
            throw new InvalidOperationException($"{s.ClassName}: call SetTimesteps before stepping");
        if ((uint)stepIndex >= (uint)s.NumInferenceSteps)
            throw new ArgumentOutOfRangeException(arg, stepIndex, $"{s.ClassName}: step index must be in [0, {s.NumInferenceSteps})");
    }

    public static void StepInputs(IScheduler s, Tensor modelOutput, Tensor sample)
    {
        ArgumentNullException.ThrowIfNull(modelOutput);
        ArgumentNullException.ThrowIfNull(sample);
        if (modelOutput.DType != DType.F32)
            throw new ArgumentException($"{s.ClassName}.Step: modelOutput must be F32, got {modelOutput.DType}", nameof(modelOutput));
        if (sample.DType != DType.F32)
            throw new ArgumentException($"{s.ClassName}.Step: sample must be F32, got {sample.DType}", nameof(sample));
        if (!modelOutput.ShapeSpan.SequenceEqual(sample.ShapeSpan))
            throw new ShapeMismatchException(
                $"{s.ClassName}.Step: modelOutput [{ShapeUtil.Format(modelOutput.ShapeSpan)}] must have the shape of sample [{ShapeUtil.Format(sample.ShapeSpan)}]");
    }

    /// <summary>The most training timesteps a config may declare (diffusers' schedulers ship 1000): the VP schedules
    /// build a table of that many entries, so a typo such as 2147483647 must not become an allocation.</summary>
    public const int MaxTrainTimesteps = 1_000_000;

    /// <summary>Checks a config's num_train_timesteps: 1 ≤ n ≤ <see cref="MaxTrainTimesteps"/>.</summary>
    public static void TrainTimesteps(string source, int numTrainTimesteps)
    {
        if (numTrainTimesteps is < 1 or > MaxTrainTimesteps)
            throw new SchedulerConfigException(source, "num_train_timesteps", $"must be between 1 and {MaxTrainTimesteps}, got {numTrainTimesteps}");
    }

    public static void StepCount(string className, int numInferenceSteps, string arg)
    {
        if (numInferenceSteps < 1)
            throw new ArgumentOutOfRangeException(arg, numInferenceSteps, $"{className}: the number of inference steps must be at least 1");
        // Schedules size arrays as steps + 1 (and linspace counts as n + 1): bounded here, so no count overflows.
        if (numInferenceSteps > Entrypoints.GenerationRequest.StepsLimit)
            throw new ArgumentOutOfRangeException(arg, numInferenceSteps, $"{className}: the number of inference steps must be at most {Entrypoints.GenerationRequest.StepsLimit}");
    }
}
