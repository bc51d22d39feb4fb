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

    public static void StepCount(string className, int numInferenceSteps, string arg)
    {
        if (numInferenceSteps < 1)
            throw new ArgumentOutOfRangeException(arg, numInferenceSteps, $"{className}: the number of inference steps must be at least 1");
    }
}
