using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Schedulers;

/// <summary>
/// A flow-matching sampler as the denoising loop drives it:
/// <code>
/// scheduler.SetTimesteps(steps);
/// for (int i = 0; i &lt; scheduler.NumInferenceSteps; i++)
/// {
///     using var t = scheduler.TimestepTensor(backend.Allocator, i, batch);   // what the transformer receives
///     using var v = transformer.Forward(latents, t, ...);
///     var next = scheduler.Step(backend, v, i, latents);
///     latents.Dispose(); latents = next;
/// }
/// </code>
/// Schedules (<see cref="Timesteps"/>, <see cref="Sigmas"/>) are computed on the host exactly as diffusers does
/// (numpy float64, then float32); <see cref="Step"/> does the tensor arithmetic through <see cref="IBackend"/>
/// ops in float32 and never reads tensor values back. A scheduler keeps state between steps (multistep history),
/// so one instance serves one generation at a time; <see cref="SetTimesteps"/> starts a new one.
/// </summary>
public interface IScheduler : IDisposable
{
    /// <summary>The diffusers class this reproduces (the config's <c>_class_name</c>).</summary>
    string ClassName { get; }

    /// <summary>Steps of the current schedule (0 before <see cref="SetTimesteps"/>).</summary>
    int NumInferenceSteps { get; }

    /// <summary>
    /// The timestep given to the model at each step, as float (exact for both kinds: UniPC's are integers ≤ 1000).
    /// <see cref="TimestepDType"/> says which tensor dtype the library feeds the model.
    /// </summary>
    IReadOnlyList<float> Timesteps { get; }

    /// <summary>F32 for flow-match Euler (σ·N in float32), I64 for UniPC (diffusers' int64 timesteps: float64 σ·N truncated with flow sigmas).</summary>
    DType TimestepDType { get; }

    /// <summary>The NumInferenceSteps + 1 noise levels of the schedule (float32); the last is the final σ (0).</summary>
    IReadOnlyList<float> Sigmas { get; }

    /// <summary>Standard deviation of the initial noise (1 for flow matching).</summary>
    float InitNoiseSigma { get; }

    /// <summary>Computes the schedule for <paramref name="numInferenceSteps"/> steps and resets the step state.</summary>
    void SetTimesteps(int numInferenceSteps);

    /// <summary>
    /// One sampler step: from <paramref name="sample"/> at step <paramref name="stepIndex"/> and the model's
    /// <paramref name="modelOutput"/> (flow/velocity prediction) to the sample of step stepIndex + 1.
    /// Both inputs are F32 of the same shape and are not modified; the result is a new tensor the caller owns.
    /// </summary>
    Tensor Step(IBackend backend, Tensor modelOutput, int stepIndex, Tensor sample);
}

/// <summary>Helpers every scheduler shares.</summary>
public static class SchedulerExtensions
{
    /// <summary>
    /// The timestep of step <paramref name="stepIndex"/> as a [<paramref name="batch"/>] tensor of
    /// <see cref="IScheduler.TimestepDType"/> (diffusers' <c>t.expand(batch)</c>), on <paramref name="allocator"/>'s device.
    /// </summary>
    public static Tensor TimestepTensor(this IScheduler scheduler, IAllocator allocator, int stepIndex, int batch)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(allocator);
        SchedulerChecks.StepIndex(scheduler, stepIndex, nameof(stepIndex));
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch must be at least 1");
        float t = scheduler.Timesteps[stepIndex];
        if (scheduler.TimestepDType == DType.I64)
        {
            var values = new long[batch];
            Array.Fill(values, (long)t);
            return Tensor.FromHost<long>(allocator, values, [batch]);
        }
        var f = new float[batch];
        Array.Fill(f, t);
        return Tensor.FromHost<float>(allocator, f, [batch]);
    }
}
