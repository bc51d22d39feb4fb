using FastVideo.Models.Schedulers;
using NUnit.Framework;

namespace FastVideo.Tests.Schedulers;

/// <summary>
/// Timesteps and sigmas of both schedulers over the step counts a user may ask for (1 … 1000) and the schedule
/// options, against straightforward float64 transcriptions of diffusers main's formulas written here (numpy's
/// linspace is i·step + start with step = (stop − start)/(num − 1) and an exact last value), plus the structural
/// facts every schedule must satisfy: n timesteps, n + 1 sigmas, decreasing, ending at the final sigma.
/// </summary>
[TestFixture]
public sealed class SchedulerScheduleTests
{
    private static readonly int[] StepCounts = [1, 2, 3, 5, 7, 20, 25, 30, 100, 1000];

    private static double[] Linspace(double start, double stop, int num)
    {
        var y = new double[num];
        for (int i = 0; i < num; i++) y[i] = num == 1 ? start : i * ((stop - start) / (num - 1)) + start;
        if (num > 1) y[^1] = stop;
        return y;
    }

    private static double Shifted(double s, double sigma) => s * sigma / (1 + (s - 1) * sigma);

    /// <summary>Karras (ρ = 7), exponential or Beta(0.6, 0.6) sigma at ramp position u ∈ [0, 1] between hi (u = 0) and lo.</summary>
    private static double Converted(string kind, double lo, double hi, double u) => kind switch
    {
        "karras" => Math.Pow(Math.Pow(hi, 1 / 7.0) + u * (Math.Pow(lo, 1 / 7.0) - Math.Pow(hi, 1 / 7.0)), 7),
        "exponential" => Math.Exp(Math.Log(hi) + u * (Math.Log(lo) - Math.Log(hi))),
        _ => lo + BetaReference.Ppf(1 - u, 0.6, 0.6) * (hi - lo),
    };

    public static IEnumerable<TestCaseData> UniPCShiftCases() =>
        from n in StepCounts
        from shift in new[] { 1.0, 2.0, 3.0, 5.0, 8.0, 12.0 }
        from final in new[] { "zero", "sigma_min" }
        select new TestCaseData(n, shift, final);

    [TestCaseSource(nameof(UniPCShiftCases))]
    public void UniPC_FlowSchedule(int n, double shift, string final)
    {
        using var s = new FlowUniPCMultistepScheduler(UniPCMultistepConfig.Wan(shift) with { FinalSigmasType = final });
        s.SetTimesteps(n);
        Assert.That(s.NumInferenceSteps, Is.EqualTo(n));
        Assert.That(s.Sigmas, Has.Count.EqualTo(n + 1));
        var u = Linspace(1.0, 1.0 / 1000, n + 1);
        for (int i = 0; i < n; i++)
        {
            double sigma = Shifted(shift, u[i]);
            if (i == 0 && Math.Abs(sigma - 1) < 1e-6) sigma -= 1e-6;
            Assert.That(s.Sigmas[i], Is.EqualTo((float)sigma), $"sigma {i}");
            Assert.That(s.TimestepsInt64[i], Is.EqualTo((long)(sigma * 1000)), $"timestep {i}");
            Assert.That(s.Timesteps[i], Is.EqualTo((float)s.TimestepsInt64[i]));
            if (i > 0)
            {
                Assert.That(s.Sigmas[i], Is.LessThan(s.Sigmas[i - 1]), $"sigmas decrease at {i}");
                Assert.That(s.TimestepsInt64[i], Is.LessThanOrEqualTo(s.TimestepsInt64[i - 1]), $"timesteps never increase at {i}");
            }
        }
        Assert.That(s.TimestepsInt64[0], Is.LessThanOrEqualTo(999));
        Assert.That(s.Sigmas[n], Is.EqualTo(final == "zero" ? 0f : s.Sigmas[n - 1]), "final sigma");
    }

    [Test]
    public void UniPC_ManySteps_RepeatTimesteps_AsDiffusers()
    {
        // int64(σ·1000) repeats once the sigma spacing drops below 1/1000 (diffusers gives the same lists)
        using var s = new FlowUniPCMultistepScheduler(UniPCMultistepConfig.Wan(1.0));
        s.SetTimesteps(1000);
        Assert.That(s.TimestepsInt64[0], Is.EqualTo(999));
        Assert.That(s.TimestepsInt64[1], Is.EqualTo(999));
        Assert.That(s.TimestepsInt64.Distinct().Count(), Is.EqualTo(999));
    }

    [TestCase("exponential", 0.8)]
    [TestCase("linear", 2.5)]
    public void UniPC_DynamicShifting(string type, double mu)
    {
        var config = UniPCMultistepConfig.Wan(1.0) with { UseDynamicShifting = true, TimeShiftType = type };
        using var s = new FlowUniPCMultistepScheduler(config);
        Assert.Throws<ArgumentException>(() => s.SetTimesteps(10), "mu is required");
        s.SetTimesteps(10, mu: mu);
        var u = Linspace(1.0, 1.0 / 1000, 11);
        double m = type == "exponential" ? Math.Exp(mu) : mu;
        for (int i = 0; i < 10; i++)
        {
            double sigma = m / (m + (1 / u[i] - 1));
            if (i == 0 && Math.Abs(sigma - 1) < 1e-6) sigma -= 1e-6;
            Assert.That(s.Sigmas[i], Is.EqualTo((float)sigma).Within(1e-6), $"sigma {i}");
            Assert.That(s.TimestepsInt64[i], Is.EqualTo((long)(sigma * 1000)), $"timestep {i}");
        }
    }

    [TestCase(0.1, 10)]
    [TestCase(0.05, 7)]
    public void UniPC_ShiftTerminal(double terminal, int n)
    {
        using var s = new FlowUniPCMultistepScheduler(UniPCMultistepConfig.Wan(3.0) with { ShiftTerminal = terminal });
        s.SetTimesteps(n);
        var u = Linspace(1.0, 1.0 / 1000, n + 1);
        var sig = Enumerable.Range(0, n).Select(i => Shifted(3.0, u[i])).ToArray();
        double k = (1 - sig[^1]) / (1 - terminal);
        for (int i = 0; i < n; i++)
        {
            double sigma = 1 - (1 - sig[i]) / k;
            if (i == 0 && Math.Abs(sigma - 1) < 1e-6) sigma -= 1e-6;
            Assert.That(s.Sigmas[i], Is.EqualTo((float)sigma).Within(1e-6), $"sigma {i}");
        }
        Assert.That(s.Sigmas[n - 1], Is.EqualTo((float)terminal).Within(1e-6), "the last sigma is the terminal value");
    }

    [TestCase("linear", 0.0001, 0.02, false, 10, "zero")]
    [TestCase("scaled_linear", 0.00085, 0.012, false, 25, "sigma_min")]
    [TestCase("squaredcos_cap_v2", 0.0001, 0.02, false, 7, "zero")]
    [TestCase("linear", 0.0001, 0.02, true, 12, "zero")]
    public void UniPC_KarrasFlowSigmas(string schedule, double betaStart, double betaEnd, bool zeroSnr, int n, string final)
    {
        var config = UniPCMultistepConfig.Wan(3.0) with
        {
            UseKarrasSigmas = true, BetaSchedule = schedule, BetaStart = betaStart, BetaEnd = betaEnd,
            RescaleBetasZeroSnr = zeroSnr, FinalSigmasType = final,
        };
        using var s = new FlowUniPCMultistepScheduler(config);
        s.SetTimesteps(n);
        var (vpMin, vpMax) = VpSigmaRange(schedule, betaStart, betaEnd, zeroSnr, 1000);
        var ramp = Linspace(0, 1, n);
        for (int i = 0; i < n; i++)
        {
            double k = Math.Pow(Math.Pow(vpMax, 1 / 7.0) + ramp[i] * (Math.Pow(vpMin, 1 / 7.0) - Math.Pow(vpMax, 1 / 7.0)), 7);
            double sigma = k / (k + 1); // flow sigma, no shift
            Assert.That(s.Sigmas[i], Is.EqualTo(sigma).Within(1e-5 * sigma), $"sigma {i}");
            Assert.That(s.TimestepsInt64[i], Is.EqualTo((long)(sigma * 1000)).Within(1), $"timestep {i}");
        }
        Assert.That(s.Sigmas[n], Is.EqualTo(final == "zero" ? 0f : s.Sigmas[n - 1]));
    }

    /// <summary>
    /// The VP sigmas √((1 − ᾱ)/ᾱ) at t = 0 and t = N − 1 as diffusers' constructor computes them: torch float32
    /// tensors (1 − β, the quotient and the square root rounded to float32; the betas from a plain float32
    /// linspace), ᾱ as a cumulative product accumulated in double. In double throughout, 1 − β would keep bits that
    /// float32 drops, and σ_VP(0) = √(β₀/(1 − β₀)) would differ by up to 1e−3 relative.
    /// </summary>
    private static (double Min, double Max) VpSigmaRange(string schedule, double start, double end, bool zeroSnr, int n)
    {
        var betas = new float[n];
        for (int i = 0; i < n; i++)
        {
            float u = (float)i / (n - 1);
            betas[i] = schedule switch
            {
                "linear" => (float)start + u * ((float)end - (float)start),
                "scaled_linear" => MathF.Pow((float)Math.Sqrt(start) + u * ((float)Math.Sqrt(end) - (float)Math.Sqrt(start)), 2),
                _ => (float)Math.Min(1 - Math.Pow(Math.Cos(((i + 1.0) / n + 0.008) / 1.008 * Math.PI / 2), 2)
                                 / Math.Pow(Math.Cos(((double)i / n + 0.008) / 1.008 * Math.PI / 2), 2), 0.999),
            };
        }
        var ac = new float[n];
        double p = 1;
        for (int i = 0; i < n; i++) ac[i] = (float)(p *= 1f - betas[i]);
        if (zeroSnr)
        {
            // shift √ᾱ so that the last is 0 and scale it so that the first is unchanged; then ᾱ[−1] = 2⁻²⁴
            double a0 = Math.Sqrt(ac[0]), aT = Math.Sqrt(ac[^1]);
            for (int i = 0; i < n; i++) ac[i] = (float)Math.Pow((Math.Sqrt(ac[i]) - aT) * a0 / (a0 - aT), 2);
            ac[^1] = (float)Math.Pow(2, -24);
        }
        static double Sigma(float a) => MathF.Sqrt((1f - a) / a);
        return (Sigma(ac[0]), Sigma(ac[^1]));
    }

    [Test]
    public void UniPC_CustomSigmas_AreShiftedAndSetTheStepCount()
    {
        using var s = new FlowUniPCMultistepScheduler(UniPCMultistepConfig.Wan(3.0));
        double[] custom = [1.0, 0.9, 0.7, 0.5, 0.3, 0.1];
        s.SetTimesteps(null, sigmas: custom);
        Assert.That(s.NumInferenceSteps, Is.EqualTo(6));
        for (int i = 0; i < 6; i++)
        {
            double sigma = Shifted(3.0, custom[i]);
            if (i == 0) sigma -= 1e-6;
            Assert.That(s.Sigmas[i], Is.EqualTo((float)sigma), $"sigma {i}");
            Assert.That(s.TimestepsInt64[i], Is.EqualTo((long)(sigma * 1000)), $"timestep {i}");
        }
    }

    [Test]
    public void UniPC_NonFiniteLastStep_IsRejected_ButOneStepRuns()
    {
        // lower_order_final off, order 2, final sigma 0: the last predictor divides by r = 0 (diffusers gives ±inf)
        using var s = new FlowUniPCMultistepScheduler(UniPCMultistepConfig.Wan(3.0) with { LowerOrderFinal = false });
        var ex = Assert.Throws<SchedulerConfigException>(() => s.SetTimesteps(10));
        Assert.That(ex!.Key, Is.EqualTo("lower_order_final"));
        s.SetTimesteps(1);
        Assert.That(s.NumInferenceSteps, Is.EqualTo(1));
        using var o3 = new FlowUniPCMultistepScheduler(UniPCMultistepConfig.Wan(3.0) with { LowerOrderFinal = false, SolverOrder = 3, FinalSigmasType = "sigma_min" });
        Assert.Throws<SchedulerConfigException>(() => o3.SetTimesteps(5));
        o3.SetTimesteps(2); // last order 2: h = 0 leaves the sample unchanged, finite
    }

    public static IEnumerable<TestCaseData> FlowMatchShiftCases() =>
        from n in StepCounts
        from shift in new[] { 1.0, 2.0, 3.0, 5.0, 8.0, 12.0 }
        select new TestCaseData(n, shift);

    [TestCaseSource(nameof(FlowMatchShiftCases))]
    public void FlowMatch_StaticShift(int n, double shift)
    {
        using var s = new FlowMatchEulerDiscreteScheduler(new FlowMatchEulerDiscreteConfig { Shift = shift });
        s.SetTimesteps(n);
        Assert.That(s.Timesteps, Has.Count.EqualTo(n));
        Assert.That(s.Sigmas, Has.Count.EqualTo(n + 1));
        // training range in float32: σ_max = shifted(1) = 1, σ_min = shifted(1/1000)
        float u = 1f / 1000f;
        float sMin = (float)shift * u / (1f + (float)(shift - 1) * u);
        var t = Linspace(1000.0, sMin * 1000.0, n);
        for (int i = 0; i < n; i++)
        {
            float sigma = (float)Shifted(shift, t[i] / 1000);
            Assert.That(s.Sigmas[i], Is.EqualTo(sigma), $"sigma {i}");
            Assert.That(s.Timesteps[i], Is.EqualTo(sigma * 1000f), $"timestep {i}");
            if (i > 0) Assert.That(s.Timesteps[i], Is.LessThan(s.Timesteps[i - 1]), $"timesteps decrease at {i}");
        }
        Assert.That(s.Timesteps[0], Is.EqualTo(1000f));
        Assert.That(s.Sigmas[n], Is.EqualTo(0f));
    }

    [TestCase("exponential", 0.5, 12)]
    [TestCase("exponential", 1.15, 5)]
    [TestCase("linear", 0.7, 9)]
    [TestCase("linear", 2.0, 1)]
    public void FlowMatch_DynamicShifting(string type, double mu, int n)
    {
        var config = new FlowMatchEulerDiscreteConfig { UseDynamicShifting = true, TimeShiftType = type, Shift = 7.0 };
        using var s = new FlowMatchEulerDiscreteScheduler(config);
        Assert.Throws<ArgumentException>(() => s.SetTimesteps(n), "mu is required");
        s.SetTimesteps(n, mu: mu);
        // unshifted training range: σ_max = 1, σ_min = 1/N (the static shift is not applied)
        var t = Linspace(1000.0, (double)(1f / 1000f) * 1000, n);
        double m = type == "exponential" ? Math.Exp(mu) : mu;
        for (int i = 0; i < n; i++)
        {
            double sigma = m / (m + (1 / (t[i] / 1000) - 1));
            Assert.That(s.Sigmas[i], Is.EqualTo(sigma).Within(1e-6), $"sigma {i}");
            Assert.That(s.Timesteps[i], Is.EqualTo(sigma * 1000).Within(1e-3), $"timestep {i}");
        }
    }

    [Test]
    public void FlowMatch_CalculateShift_IsTheLinearMuOfDiffusersPipelines()
    {
        var c = new FlowMatchEulerDiscreteConfig();
        Assert.That(c.CalculateShift(256), Is.EqualTo(0.5).Within(1e-12));
        Assert.That(c.CalculateShift(4096), Is.EqualTo(1.15).Within(1e-12));
        Assert.That(c.CalculateShift(2176), Is.EqualTo(0.825).Within(1e-12));
    }

    [TestCase(3.0, 0.1, 10)]
    [TestCase(1.0, 0.25, 4)]
    public void FlowMatch_ShiftTerminal(double shift, double terminal, int n)
    {
        using var s = new FlowMatchEulerDiscreteScheduler(new FlowMatchEulerDiscreteConfig { Shift = shift, ShiftTerminal = terminal });
        s.SetTimesteps(n);
        float u = 1f / 1000f;
        float sMin = (float)shift * u / (1f + (float)(shift - 1) * u);
        var sig = Linspace(1000.0, sMin * 1000.0, n).Select(t => Shifted(shift, t / 1000)).ToArray();
        double k = (1 - sig[^1]) / (1 - terminal);
        for (int i = 0; i < n; i++)
            Assert.That(s.Sigmas[i], Is.EqualTo(1 - (1 - sig[i]) / k).Within(1e-6), $"sigma {i}");
        Assert.That(s.Sigmas[n - 1], Is.EqualTo(terminal).Within(1e-6));
        Assert.That(s.Sigmas[n], Is.EqualTo(0f));
    }

    [Test]
    public void FlowMatch_InvertSigmas()
    {
        using var plain = new FlowMatchEulerDiscreteScheduler(new FlowMatchEulerDiscreteConfig { Shift = 3.0 });
        using var inverted = new FlowMatchEulerDiscreteScheduler(new FlowMatchEulerDiscreteConfig { Shift = 3.0, InvertSigmas = true });
        plain.SetTimesteps(7);
        inverted.SetTimesteps(7);
        for (int i = 0; i < 7; i++)
        {
            Assert.That(inverted.Sigmas[i], Is.EqualTo(1f - plain.Sigmas[i]), $"sigma {i}");
            Assert.That(inverted.Timesteps[i], Is.EqualTo((1f - plain.Sigmas[i]) * 1000f), $"timestep {i}");
        }
        Assert.That(inverted.Sigmas[7], Is.EqualTo(1f), "the terminal sigma is 1");
    }

    [TestCase("karras", 1)]
    [TestCase("karras", 9)]
    [TestCase("exponential", 1)]
    [TestCase("exponential", 20)]
    [TestCase("beta", 1)]
    [TestCase("beta", 2)]
    [TestCase("beta", 11)]
    [TestCase("beta", 100)]
    public void FlowMatch_ConvertedSigmas(string kind, int n)
    {
        var config = new FlowMatchEulerDiscreteConfig
        {
            Shift = 3.0, UseKarrasSigmas = kind == "karras", UseExponentialSigmas = kind == "exponential", UseBetaSigmas = kind == "beta",
        };
        using var s = new FlowMatchEulerDiscreteScheduler(config);
        s.SetTimesteps(n);
        // bounds: the first and last shifted sigmas of the ordinary schedule
        float u = 1f / 1000f;
        float sMin = 3f * u / (1f + 2f * u);
        var shifted = Linspace(1000.0, sMin * 1000.0, n).Select(t => Shifted(3.0, t / 1000)).ToArray();
        double hi = shifted[0], lo = shifted[^1];
        var ramp = Linspace(0, 1, n);
        for (int i = 0; i < n; i++)
        {
            double expected = Converted(kind, lo, hi, ramp[i]);
            Assert.That(s.Sigmas[i], Is.EqualTo(expected).Within(1e-6), $"sigma {i}");
            if (i > 0) Assert.That(s.Sigmas[i], Is.LessThan(s.Sigmas[i - 1]), $"sigmas decrease at {i}");
        }
        Assert.That(s.Sigmas[0], Is.EqualTo(hi).Within(1e-7));
        Assert.That(s.Sigmas[n - 1], Is.EqualTo(n == 1 ? hi : lo).Within(1e-6));
    }

    [Test]
    public void FlowMatch_ConfigBounds_OverrideTheConversionRange()
    {
        var config = new FlowMatchEulerDiscreteConfig { UseKarrasSigmas = true, SigmaMin = 0.05, SigmaMax = 0.9 };
        using var s = new FlowMatchEulerDiscreteScheduler(config);
        s.SetTimesteps(8);
        Assert.That(s.Sigmas[0], Is.EqualTo(0.9).Within(1e-7));
        Assert.That(s.Sigmas[7], Is.EqualTo(0.05).Within(1e-7));
    }

    [Test]
    public void FlowMatch_CustomSigmasAndTimesteps()
    {
        using var s = new FlowMatchEulerDiscreteScheduler(new FlowMatchEulerDiscreteConfig { Shift = 2.0 });
        double[] sig = [1.0, 0.8, 0.55, 0.3, 0.1];
        s.SetTimesteps(null, sigmas: sig);
        Assert.That(s.NumInferenceSteps, Is.EqualTo(5));
        for (int i = 0; i < 5; i++) Assert.That(s.Sigmas[i], Is.EqualTo(Shifted(2.0, sig[i])).Within(1e-6), $"sigma {i}");

        double[] ts = [1000.0, 750.0, 420.5, 100.0];
        s.SetTimesteps(null, timesteps: ts);
        Assert.That(s.NumInferenceSteps, Is.EqualTo(4));
        for (int i = 0; i < 4; i++) Assert.That(s.Sigmas[i], Is.EqualTo(Shifted(2.0, ts[i] / 1000)).Within(1e-6), $"sigma {i} from timesteps");

        Assert.Throws<ArgumentException>(() => s.SetTimesteps(3, sigmas: sig), "length differs from num_inference_steps");
        Assert.Throws<ArgumentException>(() => s.SetTimesteps(null, sigmas: sig, timesteps: ts), "sigmas and timesteps differ in length");
        Assert.Throws<ArgumentException>(() => s.SetTimesteps(null), "nothing to build a schedule from");
    }

    /// <summary>The float32 VP sigma table √((1 − ᾱ)/ᾱ) of linear betas, written here (β by a plain float32 line).</summary>
    private static float[] VpTable(double start, double end, int n)
    {
        var table = new float[n];
        double p = 1;
        for (int i = 0; i < n; i++)
        {
            float beta = (float)start + (float)i / (n - 1) * ((float)end - (float)start);
            float ac = (float)(p *= 1f - beta);
            table[i] = MathF.Sqrt((1f - ac) / ac);
        }
        return table;
    }

    [TestCase("linspace", 0, 1)]
    [TestCase("linspace", 0, 7)]
    [TestCase("linspace", 0, 50)]
    [TestCase("leading", 1, 10)]
    [TestCase("leading", 0, 25)]
    [TestCase("trailing", 0, 3)]
    [TestCase("trailing", 0, 20)]
    [TestCase("trailing", 0, 61)]
    public void UniPC_VpSchedule_TimestepSpacing(string spacing, int offset, int n)
    {
        var config = UniPCMultistepConfig.Wan(1.0) with { UseFlowSigmas = false, PredictionType = "epsilon", TimestepSpacing = spacing, StepsOffset = offset };
        using var s = new FlowUniPCMultistepScheduler(config);
        s.SetTimesteps(n);
        long[] expected = spacing switch
        {
            // round half to even of linspace(0, 999, n + 1), reversed, without the final 0
            "linspace" => Enumerable.Range(0, n).Select(k => (long)Math.Round(Linspace(0, 999, n + 1)[n - k], MidpointRounding.ToEven)).ToArray(),
            "leading" => Enumerable.Range(0, n).Select(k => (long)(n - k) * (1000 / (n + 1)) + offset).ToArray(),
            // numpy's float arange(1000, 0, −1000/n) has ⌈1000/(1000/n)⌉ elements: 62 for n = 61, the last rounding to 0
            _ => Enumerable.Range(0, (int)Math.Ceiling(1000 / (1000.0 / n)))
                .Select(i => (long)Math.Round(1000 - i * (1000.0 / n), MidpointRounding.ToEven) - 1).ToArray(),
        };
        Assert.That(s.TimestepsInt64, Is.EqualTo(expected));
        Assert.That(s.NumInferenceSteps, Is.EqualTo(expected.Length));
        var table = VpTable(0.0001, 0.02, 1000);
        for (int i = 0; i < expected.Length; i++)
            Assert.That(s.Sigmas[i], Is.EqualTo(table[Math.Clamp(expected[i], 0, 999)]).Within(1e-6 * table[Math.Clamp(expected[i], 0, 999)]), $"sigma {i}");
        Assert.That(s.Sigmas[^1], Is.EqualTo(0f));
    }

    [TestCase("karras", 10)]
    [TestCase("exponential", 8)]
    [TestCase("beta", 6)]
    public void UniPC_VpConvertedSigmas_InterpolateTheirTimesteps(string kind, int n)
    {
        var config = UniPCMultistepConfig.Wan(1.0) with
        {
            UseFlowSigmas = false, PredictionType = "epsilon",
            UseKarrasSigmas = kind == "karras", UseExponentialSigmas = kind == "exponential", UseBetaSigmas = kind == "beta",
        };
        using var s = new FlowUniPCMultistepScheduler(config);
        s.SetTimesteps(n);
        var table = VpTable(0.0001, 0.02, 1000);
        double lo = table[0], hi = table[^1];
        var ramp = Linspace(0, 1, n);
        for (int i = 0; i < n; i++)
        {
            double sigma = Converted(kind, lo, hi, ramp[i]);
            Assert.That(s.Sigmas[i], Is.EqualTo(sigma).Within(1e-5 * sigma), $"sigma {i}");
            // the timestep interpolates log σ in the table: it lies between the entries that bracket σ
            long t = s.TimestepsInt64[i];
            Assert.That(t, Is.InRange(0, 999), $"timestep {i}");
            int below = Array.FindLastIndex(table, v => v <= sigma * (1 + 1e-6));
            Assert.That(t, Is.InRange(Math.Max(below - 1, 0), Math.Min(below + 1, 999)), $"timestep {i} brackets sigma {sigma}");
        }
        Assert.That(s.TimestepsInt64[0], Is.EqualTo(999), "the largest sigma is the table's last entry");
        Assert.That(s.Sigmas[n], Is.EqualTo(0f));
    }
}
