namespace FastVideo.Models.Schedulers;

/// <summary>
/// <c>FlowMatchEulerDiscreteScheduler</c>'s schedule, following the library's precision exactly:
/// <list type="number">
/// <item>construction (torch float32): σ_train[k] = u (with dynamic shifting) or s·u/(1 + (s − 1)·u), u = (N − k)/N;
/// σ_max = σ_train[0], σ_min = σ_train[N−1] (<see cref="TrainingSigmaRange"/>);</item>
/// <item><c>set_timesteps</c> (<see cref="Compute"/>): σ = linspace(σ_max·N, σ_min·N, n)/N in float64, or the caller's
/// timesteps/N or sigmas in float32; shifted (static shift, or time_shift(μ) with dynamic shifting); stretched to
/// <c>shift_terminal</c>; converted to Karras / exponential / beta sigmas (float64) between σ_min and σ_max of the
/// array (or the config's <c>sigma_min</c>/<c>sigma_max</c>); then float32, timesteps = σ·N in float32; with
/// <c>invert_sigmas</c> σ = 1 − σ, timesteps = σ·N and a final 1, else a final 0.</item>
/// </list>
/// </summary>
internal static class FlowMatchSchedule
{
    /// <summary>
    /// The first and last of the training sigmas, computed in float32 as diffusers' constructor does (torch ops with
    /// Python-scalar operands rounded to float32); unshifted with dynamic shifting.
    /// </summary>
    public static (float Max, float Min) TrainingSigmaRange(FlowMatchEulerDiscreteConfig c)
    {
        int n = c.NumTrainTimesteps;
        float s = (float)c.Shift, sm1 = (float)(c.Shift - 1.0);
        float Sigma(int t)
        {
            float u = t / (float)n;          // timesteps / num_train_timesteps (float32 division)
            if (c.UseDynamicShifting) return u;
            float num = s * u;
            float den = 1f + sm1 * u;
            return num / den;
        }
        return (Sigma(n), Sigma(1));
    }

    public static (float[] Timesteps, float[] Sigmas) Compute(FlowMatchEulerDiscreteConfig c, float sigmaMax, float sigmaMin,
        int? numInferenceSteps, IReadOnlyList<double>? customSigmas, double? mu, IReadOnlyList<double>? customTimesteps)
    {
        const string Cls = FlowMatchEulerDiscreteConfig.DiffusersClassName;
        if (c.UseDynamicShifting && mu is null)
            throw new ArgumentException($"{Cls}: use_dynamic_shifting is true, so mu must be passed to SetTimesteps", nameof(mu));
        if (customSigmas is not null && customTimesteps is not null && customSigmas.Count != customTimesteps.Count)
            throw new ArgumentException($"{Cls}: sigmas ({customSigmas.Count}) and timesteps ({customTimesteps.Count}) must have the same length", nameof(customTimesteps));
        int n;
        if (numInferenceSteps is int given)
        {
            if ((customSigmas is not null && customSigmas.Count != given) || (customTimesteps is not null && customTimesteps.Count != given))
                throw new ArgumentException($"{Cls}: sigmas and timesteps must have num_inference_steps ({given}) entries", nameof(numInferenceSteps));
            n = given;
        }
        else n = customSigmas?.Count ?? customTimesteps?.Count
            ?? throw new ArgumentException($"{Cls}: give the number of steps, the sigmas or the timesteps", nameof(numInferenceSteps));
        SchedulerChecks.StepCount(Cls, n, nameof(numInferenceSteps));

        int trainSteps = c.NumTrainTimesteps;
        double[] sigma;
        bool f32;
        if (customSigmas is not null)
        {
            sigma = customSigmas.Select(v => (double)(float)v).ToArray();
            f32 = true;
        }
        else if (customTimesteps is not null)
        {
            sigma = customTimesteps.Select(v => (double)((float)v / (float)trainSteps)).ToArray();
            f32 = true;
        }
        else
        {
            sigma = NumpyMath.Linspace((double)sigmaMax * trainSteps, (double)sigmaMin * trainSteps, n);
            for (int i = 0; i < n; i++) sigma[i] /= trainSteps;
            f32 = false;
        }

        if (c.UseDynamicShifting) SigmaSchedules.TimeShift(sigma, f32, c.TimeShiftType, mu!.Value);
        else SigmaSchedules.Shift(sigma, f32, c.Shift);
        if (c.ShiftTerminal is double st && st != 0) SigmaSchedules.StretchToTerminal(sigma, f32, st);

        if (c.UseKarrasSigmas || c.UseExponentialSigmas || c.UseBetaSigmas)
        {
            double lo = c.SigmaMin ?? sigma[^1], hi = c.SigmaMax ?? sigma[0];
            sigma = c.UseKarrasSigmas ? SigmaSchedules.Karras(lo, hi, n)
                : c.UseExponentialSigmas ? SigmaSchedules.Exponential(lo, hi, n)
                : SigmaSchedules.Beta(lo, hi, n);
        }

        var sigmas = new float[n + 1];
        var timesteps = new float[n];
        for (int i = 0; i < n; i++)
        {
            float s32 = (float)sigma[i];
            if (c.InvertSigmas) s32 = 1f - s32;
            sigmas[i] = s32;
            timesteps[i] = s32 * trainSteps; // float32 tensor · int
        }
        sigmas[n] = c.InvertSigmas ? 1f : 0f;
        return (timesteps, sigmas);
    }
}
