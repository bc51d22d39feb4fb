namespace FastVideo.Models.Schedulers;

/// <summary>
/// <c>UniPCMultistepScheduler.set_timesteps</c> with flow sigmas (diffusers main), in numpy float64 then float32
/// (without flow sigmas: <see cref="UniPCVpSchedule"/>):
/// <list type="number">
/// <item>Karras: the VP sigmas (or the caller's), flipped; σ = Karras(sigma_min ?? last, sigma_max ?? first, n);
/// σ = σ/(σ + 1) (no shift, no 1e−6 nudge).</item>
/// <item>otherwise: σ = the caller's sigmas or linspace(1, 1/N, n + 1)[:−1]; σ = time_shift(μ, σ) with
/// <c>use_dynamic_shifting</c>, else s·σ/(1 + (s − 1)·σ); stretched to <c>shift_terminal</c> if set; if |σ₀ − 1| &lt; 1e−6
/// then σ₀ −= 1e−6 (keeps log(1 − σ₀) finite).</item>
/// </list>
/// timesteps = int64(σ·N) (truncation of the float64 product); sigmas = float32([σ…, σ_last]) with σ_last = 0
/// ("zero") or σ[−1] ("sigma_min"). The timesteps of <c>timestep_spacing</c> are computed and then replaced by
/// diffusers in every flow branch, so they do not appear here.
/// </summary>
internal static class UniPCSchedule
{
    public static (long[] Timesteps, float[] Sigmas) Compute(UniPCMultistepConfig c, int? numInferenceSteps, IReadOnlyList<double>? customSigmas, double? mu)
    {
        if (c.UseDynamicShifting && mu is null)
            throw new ArgumentException($"{UniPCMultistepConfig.DiffusersClassName}: use_dynamic_shifting is true, so mu must be passed to SetTimesteps", nameof(mu));
        int n = customSigmas?.Count ?? numInferenceSteps
            ?? throw new ArgumentException($"{UniPCMultistepConfig.DiffusersClassName}: give the number of steps or the sigmas", nameof(numInferenceSteps));
        SchedulerChecks.StepCount(UniPCMultistepConfig.DiffusersClassName, n, customSigmas is null ? nameof(numInferenceSteps) : "sigmas");
        int trainSteps = c.NumTrainTimesteps;
        if (!c.UseFlowSigmas)
        {
            if (customSigmas is not null)
                throw new ArgumentException($"{UniPCMultistepConfig.DiffusersClassName}: custom sigmas need use_flow_sigmas true (diffusers raises the same)", "sigmas");
            return UniPCVpSchedule.Compute(c, n);
        }

        double[] sigma;
        if (c.UseKarrasSigmas)
        {
            double[] source = customSigmas?.ToArray() ?? VpNoiseSchedule.Sigmas(c).Select(s => (double)s).ToArray();
            Array.Reverse(source);
            sigma = SigmaSchedules.Karras(c.SigmaMin ?? source[^1], c.SigmaMax ?? source[0], n);
            for (int i = 0; i < n; i++) sigma[i] = sigma[i] / (sigma[i] + 1);
        }
        else
        {
            if (customSigmas is not null) sigma = customSigmas.ToArray();
            else
            {
                sigma = NumpyMath.Linspace(1.0, 1.0 / trainSteps, n + 1);
                Array.Resize(ref sigma, n); // [:-1]
            }
            if (c.UseDynamicShifting) SigmaSchedules.TimeShift(sigma, f32: false, c.TimeShiftType, mu!.Value);
            else SigmaSchedules.Shift(sigma, f32: false, c.Shift);
            if (c.ShiftTerminal is double st && st != 0) SigmaSchedules.StretchToTerminal(sigma, f32: false, st);
            const double Eps = 1e-6;
            if (Math.Abs(sigma[0] - 1) < Eps) sigma[0] -= Eps;
        }

        var timesteps = new long[n];
        var sigmas = new float[n + 1];
        for (int i = 0; i < n; i++)
        {
            double t = sigma[i] * trainSteps;
            if (!double.IsFinite(t) || t <= long.MinValue || t >= long.MaxValue)
                throw new ArgumentException($"{UniPCMultistepConfig.DiffusersClassName}: sigma {i} of the schedule is {sigma[i]} (not a finite noise level)");
            timesteps[i] = (long)t;
            sigmas[i] = (float)sigma[i];
        }
        sigmas[n] = c.FinalSigmasType == "sigma_min" ? (float)sigma[n - 1] : 0f;
        return (timesteps, sigmas);
    }
}
