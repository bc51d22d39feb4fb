namespace FastVideo.Models.Schedulers;

/// <summary>
/// The variance-preserving training schedule diffusers' <c>UniPCMultistepScheduler</c> builds in its constructor,
/// in torch float32: betas (<c>trained_betas</c>, <c>linear</c>, <c>scaled_linear</c> or <c>squaredcos_cap_v2</c>),
/// optionally rescaled to zero terminal SNR, ᾱ = cumprod(1 − β) (torch's CPU cumprod accumulates in double and
/// rounds each partial product), and σ_VP = √((1 − ᾱ)/ᾱ). With flow sigmas only Karras sigmas read it: its first
/// and last entries bound the Karras ramp.
/// </summary>
internal static class VpNoiseSchedule
{
    /// <summary>The float32 VP sigmas σ_VP[t], t = 0 .. num_train_timesteps − 1 (increasing).</summary>
    public static float[] Sigmas(UniPCMultistepConfig c)
    {
        var ac = AlphasCumprod(Betas(c));
        if (c.RescaleBetasZeroSnr) ac[^1] = 1f / (1 << 24); // 2⁻²⁴ keeps the largest sigma finite
        var s = new float[ac.Length];
        for (int i = 0; i < s.Length; i++) s[i] = MathF.Sqrt((1f - ac[i]) / ac[i]);
        return s;
    }

    private static float[] Betas(UniPCMultistepConfig c)
    {
        int n = c.NumTrainTimesteps;
        float[] betas;
        if (c.TrainedBetas is { } trained) betas = trained.Select(b => (float)b).ToArray();
        else
        {
            betas = c.BetaSchedule switch
            {
                "linear" => NumpyMath.TorchLinspaceF32(c.BetaStart, c.BetaEnd, n),
                "scaled_linear" => NumpyMath.TorchLinspaceF32(Math.Sqrt(c.BetaStart), Math.Sqrt(c.BetaEnd), n).Select(b => b * b).ToArray(),
                "squaredcos_cap_v2" => CosineBetas(n),
                _ => throw new ArgumentException($"beta_schedule \"{c.BetaSchedule}\" is not implemented"),
            };
        }
        return c.RescaleBetasZeroSnr ? RescaleZeroTerminalSnr(betas) : betas;
    }

    /// <summary>betas_for_alpha_bar (cosine): β_i = min(1 − ᾱ((i+1)/N)/ᾱ(i/N), 0.999), ᾱ(t) = cos((t + 0.008)/1.008·π/2)², in double.</summary>
    private static float[] CosineBetas(int n)
    {
        static double AlphaBar(double t)
        {
            double c = Math.Cos((t + 0.008) / 1.008 * Math.PI / 2);
            return c * c;
        }
        var b = new float[n];
        for (int i = 0; i < n; i++)
        {
            double t1 = (double)i / n, t2 = (double)(i + 1) / n;
            b[i] = (float)Math.Min(1 - AlphaBar(t2) / AlphaBar(t1), 0.999);
        }
        return b;
    }

    /// <summary>cumprod(1 − β) with a double accumulator, each partial product rounded to float32 (torch CPU).</summary>
    private static float[] AlphasCumprod(float[] betas)
    {
        var ac = new float[betas.Length];
        double acc = 1;
        for (int i = 0; i < betas.Length; i++)
        {
            acc *= 1f - betas[i];
            ac[i] = (float)acc;
        }
        return ac;
    }

    /// <summary>rescale_zero_terminal_snr (Lin et al. 2023, Algorithm 1) in float32 tensor arithmetic.</summary>
    private static float[] RescaleZeroTerminalSnr(float[] betas)
    {
        var ac = AlphasCumprod(betas);
        var sq = ac.Select(MathF.Sqrt).ToArray();
        float first = sq[0], last = sq[^1];
        float scale = first / (first - last);
        for (int i = 0; i < sq.Length; i++) sq[i] = (sq[i] - last) * scale;
        var bar = sq.Select(v => v * v).ToArray();
        var result = new float[betas.Length];
        result[0] = 1f - bar[0];
        for (int i = 1; i < bar.Length; i++) result[i] = 1f - bar[i] / bar[i - 1];
        return result;
    }
}
