namespace FastVideo.Models.Schedulers;

/// <summary>
/// The few numpy / torch scalar routines the schedules depend on, with their exact operation order, so
/// that sigmas and timesteps come out bit-identical to diffusers'.
/// </summary>
internal static class NumpyMath
{
    /// <summary>
    /// <c>numpy.linspace(start, stop, num)</c> in float64: y[i] = i·step + start with step = (stop − start)/(num − 1)
    /// (a rounded product, then a rounded sum; not fused), and y[num−1] = stop exactly. num = 1 gives [start].
    /// </summary>
    public static double[] Linspace(double start, double stop, int num)
    {
        if (num < 0) throw new ArgumentOutOfRangeException(nameof(num), num, "linspace: negative count");
        var y = new double[num];
        if (num == 0) return y;
        if (num == 1)
        {
            y[0] = start;
            return y;
        }
        int div = num - 1;
        double delta = stop - start;
        double step = delta / div;
        for (int i = 0; i < num; i++)
        {
            // numpy special-cases a zero step (denormal deltas): y = i/div·delta.
            double v = step == 0 ? i / (double)div * delta : i * step;
            y[i] = v + start;
        }
        y[num - 1] = stop;
        return y;
    }

    /// <summary>
    /// <c>torch.linspace(start, end, steps, dtype=torch.float32)</c> on the CPU (torch 1.13, AVX2 kernel): start, end
    /// and step = (end − start)/(steps − 1) are float32; blocks of 16 elements are written as two vectors of 8 whose
    /// lane k is base + k·step (product and sum rounded separately), base = fma(step, i, start) below the halfway
    /// index and fma(−step, steps − 1 − i, end) from it; the remaining tail elements use the scalar base formula.
    /// steps = 1 gives [start]. Verified bit for bit against torch on the beta schedules diffusers builds.
    /// </summary>
    public static float[] TorchLinspaceF32(double start, double end, int steps)
    {
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "linspace: negative count");
        var y = new float[steps];
        if (steps == 0) return y;
        float s = (float)start, e = (float)end;
        if (steps == 1)
        {
            y[0] = s;
            return y;
        }
        float step = (e - s) / (steps - 1);
        long halfway = steps / 2;
        float Base(long i) => i < halfway
            ? MathF.FusedMultiplyAdd(step, i, s)
            : MathF.FusedMultiplyAdd(-step, steps - 1 - i, e);
        const int Lanes = 8;
        int idx = 0;
        for (; idx <= steps - 2 * Lanes; idx += 2 * Lanes) // not idx + 16 <= steps: that overflows near int.MaxValue
        {
            for (int v = idx; v < idx + 2 * Lanes; v += Lanes)
            {
                float b = Base(v);
                for (int k = 0; k < Lanes; k++) y[v + k] = b + k * step;
            }
        }
        for (; idx < steps; idx++) y[idx] = Base(idx);
        return y;
    }

    /// <summary>
    /// expm1 on a float32 value, correctly rounded in practice (as torch's <c>expm1</c> on a float32 tensor via
    /// the C library): evaluated in double, where exp(x) − 1 loses nothing that float32 can see unless |x| is
    /// tiny, in which case the Taylor series is used. ±∞ and NaN behave as expm1f (−∞ → −1).
    /// </summary>
    public static float Expm1(float x)
    {
        double d = x;
        if (Math.Abs(d) < 1e-5) return (float)(d + d * d / 2 + d * d * d / 6);
        return (float)(Math.Exp(d) - 1.0);
    }

    /// <summary>
    /// <c>numpy.log</c> of a float32 array on x86 (numpy 1.x, AVX2-FMA3 and AVX512F kernels alike): x = 2^e·m with
    /// m ∈ [½, 1), moved to (√½, √2] (m ≤ √½: m = 2m, e = e − 1); y = m − 1; log x = fma(e, ln 2, P(y)/Q(y)) with
    /// degree-5 numerator and denominator evaluated by FMA (Horner). Up to ~4 ulp from the correctly rounded log,
    /// which the C library's logf gives, so this is used where diffusers takes np.log of a float32 table and a
    /// truncation can turn on the last bit. Only positive normal x (the callers' sigma tables) are supported.
    /// </summary>
    public static float LogF32(float x)
    {
        if (!float.IsNormal(x) || x < 0) return MathF.Log(x); // outside the tables' range: zero, subnormal, negative, ∞, NaN
        const float P0 = 0.000000000000000000000e+00f, P1 = 9.999999999999998702752e-01f, P2 = 2.112677543073053063722e+00f,
            P3 = 1.480000633576506585156e+00f, P4 = 3.808837741388407920751e-01f, P5 = 2.589979117907922693523e-02f;
        const float Q0 = 1.000000000000000000000e+00f, Q1 = 2.612677543073109236779e+00f, Q2 = 2.453006071784736363091e+00f,
            Q3 = 9.864942958519418960339e-01f, Q4 = 1.546476374983906719538e-01f, Q5 = 5.875095403124574342950e-03f;
        float sqrtHalf = BitConverter.Int32BitsToSingle(0x3F3504F3), ln2 = BitConverter.Int32BitsToSingle(0x3F317218);
        int bits = BitConverter.SingleToInt32Bits(x);
        float e = (bits >> 23) - 126;
        float m = BitConverter.Int32BitsToSingle((bits & 0x7FFFFF) | (126 << 23));
        if (m <= sqrtHalf)
        {
            m += m;
            e -= 1f;
        }
        float y = m - 1f;
        float num = MathF.FusedMultiplyAdd(P5, y, P4);
        num = MathF.FusedMultiplyAdd(num, y, P3);
        num = MathF.FusedMultiplyAdd(num, y, P2);
        num = MathF.FusedMultiplyAdd(num, y, P1);
        num = MathF.FusedMultiplyAdd(num, y, P0);
        float den = MathF.FusedMultiplyAdd(Q5, y, Q4);
        den = MathF.FusedMultiplyAdd(den, y, Q3);
        den = MathF.FusedMultiplyAdd(den, y, Q2);
        den = MathF.FusedMultiplyAdd(den, y, Q1);
        den = MathF.FusedMultiplyAdd(den, y, Q0);
        return MathF.FusedMultiplyAdd(e, ln2, num / den);
    }
}
