namespace FastVideo.Pipelines;

/// <summary>
/// The latents held NaN or ±Inf after a denoising step: the run cannot produce a video. On a device backend the
/// check runs every few steps (to avoid a synchronisation per step), so <see cref="Step"/> is the step where it
/// was detected and <see cref="LastCheckedFiniteStep"/> the last step known to be finite.
/// </summary>
public sealed class NonFiniteLatentsException(int step, int totalSteps, float timestep, int lastCheckedFiniteStep, string detail)
    : ArithmeticException(
        $"denoising step {step} of {totalSteps} (t = {timestep}): the latents contain NaN or Inf ({detail})"
        + (lastCheckedFiniteStep < step - 1 ? $"; they were last checked finite after step {lastCheckedFiniteStep}" : "")
        + ". Typical causes: a corrupted or wrongly converted checkpoint, or an overflow in reduced precision.")
{
    /// <summary>1-based step after which the non-finite values were found.</summary>
    public int Step { get; } = step;
    public int TotalSteps { get; } = totalSteps;
    public float Timestep { get; } = timestep;
    /// <summary>1-based step last checked finite (0: none checked before).</summary>
    public int LastCheckedFiniteStep { get; } = lastCheckedFiniteStep;
}
