namespace FastVideo.Models.Dits.Wan;

/// <summary>
/// diffusers' <c>Timesteps(num_channels, flip_sin_to_cos=True, downscale_freq_shift=0)</c>, computed in float32
/// in the same order as diffusers so that the rounding matches:
/// e_i = exp(float32(−ln 10000)·i / half), arg = float32(t)·e_i, result [cos(arg_0..), sin(arg_0..)] (cos first
/// because of flip_sin_to_cos), half = ⌊dim/2⌋; an odd dim gets one zero channel at the end (diffusers' pad).
/// Timesteps near 1000 make arg large, so each rounding step matters at the 1e-5 level; this is why it is not
/// computed in double.
/// </summary>
public static class WanTimestepSinusoid
{
    /// <summary>[timesteps.Length, dim] row-major.</summary>
    public static float[] Compute(ReadOnlySpan<float> timesteps, int dim)
    {
        if (dim <= 0) throw new ArgumentOutOfRangeException(nameof(dim), dim, "embedding dim must be positive");
        int half = dim / 2;
        float negLog = (float)-Math.Log(10000.0);
        var freqs = new float[half];
        for (int i = 0; i < half; i++)
        {
            float exponent = negLog * i / half;
            freqs[i] = MathF.Exp(exponent);
        }
        var r = new float[(long)timesteps.Length * dim];
        for (int b = 0; b < timesteps.Length; b++)
        {
            float t = timesteps[b];
            long row = (long)b * dim;
            for (int i = 0; i < half; i++)
            {
                float arg = t * freqs[i];
                r[row + i] = MathF.Cos(arg);
                r[row + half + i] = MathF.Sin(arg);
            }
        }
        return r;
    }
}
