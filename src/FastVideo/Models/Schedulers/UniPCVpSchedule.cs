namespace FastVideo.Models.Schedulers;

/// <summary>
/// <c>UniPCMultistepScheduler.set_timesteps</c> without flow sigmas (the variance-preserving schedule of
/// <see cref="VpNoiseSchedule"/>), as diffusers main computes it:
/// <list type="bullet">
/// <item>timesteps by <c>timestep_spacing</c>: "linspace" round(linspace(0, N − 1, n + 1)) reversed without the 0;
/// "leading" k·(N // (n + 1)) for k = n … 1, plus <c>steps_offset</c>; "trailing" round(arange(N, 0, −N/n)) − 1 (numpy's
/// float arange: its length is ⌈N/(N/n)⌉, which can exceed n, and element i is N + i·((N − N/n) − N));
/// numpy rounds half to even;</item>
/// <item>sigmas: σ_VP at those timesteps (np.interp at integers: the table entries, clamped to its ends), final
/// σ_VP[0] ("sigma_min") or 0; or Karras / exponential / beta sigmas between σ_VP[0] and σ_VP[N − 1] (or the config's
/// <c>sigma_min</c>/<c>sigma_max</c>) whose timesteps are interpolated in log σ (<see cref="SigmaToT"/>; rounded for
/// Karras, truncated otherwise), final sigma their last or 0.</item>
/// </list>
/// </summary>
internal static class UniPCVpSchedule
{
    public static (long[] Timesteps, float[] Sigmas) Compute(UniPCMultistepConfig c, int n)
    {
        var vp = VpNoiseSchedule.Sigmas(c);
        bool last = c.FinalSigmasType == "sigma_min";
        if (c.UseKarrasSigmas || c.UseExponentialSigmas || c.UseBetaSigmas)
        {
            double lo = c.SigmaMin ?? vp[0], hi = c.SigmaMax ?? vp[^1];
            var sigma = c.UseKarrasSigmas ? SigmaSchedules.Karras(lo, hi, n)
                : c.UseExponentialSigmas ? SigmaSchedules.Exponential(lo, hi, n)
                : SigmaSchedules.Beta(lo, hi, n);
            var logs = vp.Select(NumpyMath.LogF32).ToArray(); // np.log of the float32 table
            var ts = new long[n];
            var sig = new float[n + 1];
            for (int i = 0; i < n; i++)
            {
                double t = SigmaToT(sigma[i], logs);
                ts[i] = ToInt64(c.UseKarrasSigmas ? Math.Round(t, MidpointRounding.ToEven) : t, i);
                sig[i] = (float)sigma[i];
            }
            sig[n] = last ? (float)sigma[n - 1] : 0f;
            return (ts, sig);
        }

        var timesteps = SpacingTimesteps(c, n);
        var sigmas = new float[timesteps.Length + 1];
        for (int i = 0; i < timesteps.Length; i++) sigmas[i] = vp[(int)Math.Clamp(timesteps[i], 0, vp.Length - 1)];
        sigmas[^1] = last ? vp[0] : 0f;
        return (timesteps, sigmas);
    }

    /// <summary>The integer timesteps of <c>timestep_spacing</c> for <paramref name="n"/> steps (see the class summary).</summary>
    public static long[] SpacingTimesteps(UniPCMultistepConfig c, int n)
    {
        int trainSteps = c.NumTrainTimesteps;
        switch (c.TimestepSpacing)
        {
            case "linspace":
            {
                var lin = NumpyMath.Linspace(0, trainSteps - 1, n + 1);
                var ts = new long[n];
                for (int k = 0; k < n; k++) ts[k] = (long)Math.Round(lin[n - k], MidpointRounding.ToEven);
                return ts;
            }
            case "leading":
            {
                long ratio = trainSteps / (n + 1);
                var ts = new long[n];
                for (int k = 0; k < n; k++) ts[k] = (n - k) * ratio + c.StepsOffset;
                return ts;
            }
            case "trailing":
            {
                double step = (double)trainSteps / n;
                int length = checked((int)Math.Ceiling((0.0 - trainSteps) / -step));
                double first = trainSteps, delta = (first + -step) - first;
                var ts = new long[Math.Max(length, 0)];
                for (int i = 0; i < ts.Length; i++)
                {
                    double v = i == 0 ? first : i == 1 ? first + -step : first + i * delta;
                    ts[i] = (long)Math.Round(v, MidpointRounding.ToEven) - 1;
                }
                return ts;
            }
            default:
                throw new ArgumentException($"timestep_spacing \"{c.TimestepSpacing}\" is not supported");
        }
    }

    /// <summary>
    /// diffusers' <c>_sigma_to_t</c>: the fractional index of σ in the increasing table log σ_VP, by linear
    /// interpolation in log σ between the last entry ≤ log σ (index clipped to [0, N − 2]) and the next, weight
    /// clipped to [0, 1]. numpy 1.x evaluates it in float32: log σ is a float64 scalar meeting float32 arrays, so
    /// value-based casting rounds it to float32 for the distances and the weight; (1 − w)·i_low + w·i_high is float64.
    /// </summary>
    public static double SigmaToT(double sigma, float[] logSigmas)
    {
        float logSigma = (float)Math.Log(Math.Max(sigma, 1e-10));
        int low = 0;
        for (int i = 0; i < logSigmas.Length; i++) if (logSigma - logSigmas[i] >= 0f) low = i;
        low = Math.Min(low, logSigmas.Length - 2);
        int high = low + 1;
        float lowV = logSigmas[low], highV = logSigmas[high];
        float w = (lowV - logSigma) / (lowV - highV);
        w = Math.Clamp(w, 0f, 1f);
        return (double)(1f - w) * low + (double)w * high;
    }

    private static long ToInt64(double t, int i) =>
        double.IsFinite(t) ? (long)t : throw new ArgumentException($"{UniPCMultistepConfig.DiffusersClassName}: timestep {i} of the schedule is {t}");
}
