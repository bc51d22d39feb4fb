using FastVideo.Backends.Cpu;
using FastVideo.Models.Schedulers;
using FastVideo.Rng;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Schedulers;

/// <summary>
/// The samplers' step arithmetic against independent float64 references on configurations the goldens do not
/// cover: UniPC orders 1–4, bh1/bh2, the data- and noise-prediction forms, every prediction type, final sigma 0 or
/// sigma_min, lower_order_final off, disable_corrector, thresholding, Karras and dynamic-shift schedules; flow-match
/// Euler deterministic and stochastic, and scale_noise. Each step's sample must be within relative L2 1e-5 of the
/// reference, which runs its own chain on odd, non-square shapes.
/// </summary>
[TestFixture]
public sealed class SchedulerReferenceTests
{
    private static readonly int[] OddShape = [1, 3, 2, 5, 7];
    private static readonly int[] BatchShape = [2, 3, 1, 5, 7];

    /// <summary>A synthetic model whose output depends on the sample and the timestep: v = 0.3·x + c·(1 + t/1000).</summary>
    private static (float Alpha, float Beta) Model(float t) => (0.3f, 1f + t / 1000f);

    /// <summary>
    /// Sigmas that start at 0.9 instead of 1 − 1e−6: in the noise-prediction form the first update scales the sample
    /// by α_t/α_s0 ≈ 1e5 and cancels, so float32 (diffusers' as ours) is only good to a few 1e−2 against float64
    /// there; from σ₀ = 0.9 the comparison is meaningful at 1e−5.
    /// </summary>
    private static readonly double[] ModerateSigmas = [0.9, 0.8, 0.65, 0.5, 0.38, 0.25, 0.15, 0.08, 0.03];

    public static IEnumerable<TestCaseData> UniPCCases()
    {
        var wan = UniPCMultistepConfig.Wan(3.0);
        TestCaseData C(string name, UniPCMultistepConfig c, int steps) => new TestCaseData(c, steps).SetName("UniPC " + name);
        yield return C("order 2, 7 steps", wan, 7);
        yield return C("order 1, 6 steps", wan with { SolverOrder = 1, Shift = 5.0 }, 6);
        yield return C("order 3, 8 steps", wan with { SolverOrder = 3 }, 8);
        yield return C("order 3, 20 steps, shift 7.5", wan with { SolverOrder = 3, Shift = 7.5 }, 20);
        yield return C("order 4, 11 steps", wan with { SolverOrder = 4 }, 11);
        yield return C("order 2, 1 step", wan, 1);
        yield return C("order 2, 2 steps, shift 1", wan with { Shift = 1.0 }, 2);
        yield return C("order 2, 100 steps, shift 12", wan with { Shift = 12.0 }, 100);
        yield return C("corrector disabled after steps 0-2", wan with { DisableCorrector = [0, 1, 2] }, 6);
        yield return C("order 3, corrector disabled after step 4", wan with { SolverOrder = 3, DisableCorrector = [4] }, 9);
        yield return C("lower_order_final off, order 1", wan with { SolverOrder = 1, LowerOrderFinal = false }, 9);
        yield return C("lower_order_final off, order 2, sigma_min", wan with { LowerOrderFinal = false, FinalSigmasType = "sigma_min" }, 9);
        yield return C("sigma_min, order 3", wan with { SolverOrder = 3, FinalSigmasType = "sigma_min" }, 10);
        yield return C("bh1, sigma_min, order 2", wan with { SolverType = "bh1", FinalSigmasType = "sigma_min" }, 8);
        yield return C("bh1, sigma_min, order 3", wan with { SolverType = "bh1", SolverOrder = 3, FinalSigmasType = "sigma_min" }, 12);
        yield return C("bh1, sigma_min, lower_order_final off", wan with { SolverType = "bh1", LowerOrderFinal = false, FinalSigmasType = "sigma_min" }, 5);
        foreach (var p in new[] { "epsilon", "sample", "v_prediction" })
        {
            yield return C($"data form, {p}", wan with { PredictionType = p }, 8);
            yield return C($"noise form, {p}, sigma_min", wan with { PredictionType = p, PredictX0 = false, FinalSigmasType = "sigma_min", Shift = 1.0 }, -8);
            yield return C($"noise form, {p}, sigma_min, order 3, bh1", wan with { PredictionType = p, PredictX0 = false, FinalSigmasType = "sigma_min", SolverOrder = 3, SolverType = "bh1", Shift = 1.0 }, -9);
        }
        yield return C("shift_terminal 0.1", wan with { ShiftTerminal = 0.1 }, 10);
        yield return C("Karras sigmas", wan with { UseKarrasSigmas = true }, 10);
        yield return C("Karras sigmas, sigma_min", wan with { UseKarrasSigmas = true, FinalSigmasType = "sigma_min", SolverOrder = 3 }, 12);
        var vp = wan with { UseFlowSigmas = false, PredictionType = "epsilon" };
        yield return C("VP, epsilon, linspace", vp, 10);
        yield return C("VP, v_prediction, trailing, order 3", vp with { PredictionType = "v_prediction", TimestepSpacing = "trailing", SolverOrder = 3 }, 12);
        yield return C("VP, sample, leading, sigma_min, bh1", vp with { PredictionType = "sample", TimestepSpacing = "leading", StepsOffset = 1, FinalSigmasType = "sigma_min", SolverType = "bh1" }, 9);
        yield return C("VP, noise form, epsilon, sigma_min", vp with { PredictX0 = false, FinalSigmasType = "sigma_min" }, 8);
        yield return C("VP, Karras sigmas, scaled_linear", vp with { UseKarrasSigmas = true, BetaSchedule = "scaled_linear", BetaStart = 0.00085, BetaEnd = 0.012 }, 15);
        yield return C("VP, beta sigmas, sigma_min", vp with { UseBetaSigmas = true, FinalSigmasType = "sigma_min" }, 7);
    }

    /// <summary>A negative step count takes that many of <see cref="ModerateSigmas"/> as custom sigmas.</summary>
    [TestCaseSource(nameof(UniPCCases))]
    public void UniPC_MatchesFloat64Reference(UniPCMultistepConfig config, int steps)
    {
        using var scheduler = new FlowUniPCMultistepScheduler(config);
        if (steps > 0) scheduler.SetTimesteps(steps);
        else scheduler.SetTimesteps(null, sigmas: ModerateSigmas[..-steps]);
        var reference = new UniPCReference(scheduler.Sigmas.Select(s => (double)s).ToArray(), Options(config));
        Run(scheduler, OddShape, (v, i, x) => reference.Step(v, i, x));
    }

    [TestCase(1.0, 0.995)]
    [TestCase(0.8, 0.995)]
    [TestCase(2.0, 0.9)]
    [TestCase(3.0, 0.5)]
    public void UniPC_Thresholding_MatchesFloat64Reference(double sampleMaxValue, double ratio)
    {
        // the x0 of this rollout exceeds 1 in magnitude, so clamping and the per-batch quantile both act
        var config = UniPCMultistepConfig.Wan(3.0) with { Thresholding = true, SampleMaxValue = sampleMaxValue, DynamicThresholdingRatio = ratio };
        using var scheduler = new FlowUniPCMultistepScheduler(config);
        scheduler.SetTimesteps(8);
        var reference = new UniPCReference(scheduler.Sigmas.Select(s => (double)s).ToArray(), Options(config), batch: BatchShape[0]);
        Run(scheduler, BatchShape, (v, i, x) => reference.Step(v, i, x), scaleC: 3f);
    }

    [Test]
    public void UniPC_DynamicShifting_MatchesFloat64Reference()
    {
        var config = UniPCMultistepConfig.Wan(1.0) with { UseDynamicShifting = true, TimeShiftType = "linear" };
        using var scheduler = new FlowUniPCMultistepScheduler(config);
        scheduler.SetTimesteps(9, mu: 2.5);
        var reference = new UniPCReference(scheduler.Sigmas.Select(s => (double)s).ToArray(), Options(config));
        Run(scheduler, OddShape, (v, i, x) => reference.Step(v, i, x));
    }

    [Test]
    public void UniPC_OrderSchedule_FollowsWarmUpAndLowerOrderFinal([Values(1, 2, 3)] int order, [Values(1, 2, 3, 5, 7, 20)] int steps)
    {
        using var s = new FlowUniPCMultistepScheduler(UniPCMultistepConfig.Wan(3.0) with { SolverOrder = order });
        s.SetTimesteps(steps);
        var backend = CpuBackend.Default;
        var x = Tensor.FromHost<float>(Numerics.RandomNormal(6, 1), 2, 3);
        for (int i = 0; i < steps; i++)
        {
            using var v = backend.Scale(x, 0.5f, 0.1f);
            var next = s.Step(backend, v, i, x);
            x.Dispose();
            x = next;
            Assert.That(s.LastOrder, Is.EqualTo(Math.Min(order, Math.Min(i + 1, steps - i))), $"order at step {i}");
        }
        x.Dispose();
    }

    internal static UniPCReferenceOptions Options(UniPCMultistepConfig c) => new()
    {
        SolverOrder = c.SolverOrder,
        LowerOrderFinal = c.LowerOrderFinal,
        DisableCorrector = c.DisableCorrector.ToArray(),
        PredictX0 = c.PredictX0,
        Bh1 = c.SolverType == "bh1",
        PredictionType = c.PredictionType,
        Thresholding = c.Thresholding,
        ThresholdRatio = c.DynamicThresholdingRatio,
        SampleMaxValue = c.SampleMaxValue,
        Flow = c.UseFlowSigmas,
    };

    [TestCase(7, 2.5)]
    [TestCase(1, 3.0)]
    [TestCase(13, 1.0)]
    public void FlowMatch_MatchesFloat64Reference(int steps, double shift)
    {
        using var scheduler = new FlowMatchEulerDiscreteScheduler(new FlowMatchEulerDiscreteConfig { Shift = shift });
        scheduler.SetTimesteps(steps);
        var sigmas = scheduler.Sigmas;
        Run(scheduler, OddShape, (v, i, x) =>
        {
            var y = new double[x.Length];
            for (int e = 0; e < y.Length; e++) y[e] = x[e] + ((double)sigmas[i + 1] - sigmas[i]) * v[e];
            return y;
        });
    }

    [TestCase(false)]
    [TestCase(true)]
    public void FlowMatch_Stochastic_MatchesFloat64Reference(bool invert)
    {
        // x' = (1 − σ')·(x − σ·v) + σ'·ε, ε = torch.randn(shape, generator) drawn once per step
        var config = new FlowMatchEulerDiscreteConfig { Shift = 3.0, StochasticSampling = true, InvertSigmas = invert };
        using var scheduler = new FlowMatchEulerDiscreteScheduler(config) { Generator = new TorchGenerator(123) };
        scheduler.SetTimesteps(6);
        var sigmas = scheduler.Sigmas;
        var noise = new TorchGenerator(123);
        Run(scheduler, OddShape, (v, i, x) =>
        {
            var eps = noise.Randn(OddShape);
            var y = new double[x.Length];
            double s = sigmas[i], sn = sigmas[i + 1];
            for (int e = 0; e < y.Length; e++) y[e] = (1 - sn) * (x[e] - s * v[e]) + sn * eps[e];
            return y;
        });
    }

    [Test]
    public void FlowMatch_Stochastic_WithoutGenerator_Throws()
    {
        using var scheduler = new FlowMatchEulerDiscreteScheduler(new FlowMatchEulerDiscreteConfig { StochasticSampling = true });
        scheduler.SetTimesteps(3);
        using var x = Tensor.FromHost<float>(new float[6], 2, 3);
        var ex = Assert.Throws<InvalidOperationException>(() => scheduler.Step(CpuBackend.Default, x, 0, x).Dispose());
        Assert.That(ex!.Message, Does.Contain("stochastic_sampling").And.Contain("Generator"));
    }

    [Test]
    public void FlowMatch_ScaleNoise_IsTheForwardProcess()
    {
        using var scheduler = new FlowMatchEulerDiscreteScheduler(new FlowMatchEulerDiscreteConfig { Shift = 3.0 });
        scheduler.SetTimesteps(5);
        var backend = CpuBackend.Default;
        int n = OddShape.Aggregate(1, (a, b) => a * b);
        var xs = Numerics.RandomNormal(n, 21);
        var ns = Numerics.RandomNormal(n, 22);
        using var x = Tensor.FromHost<float>(xs, OddShape);
        using var noise = Tensor.FromHost<float>(ns, OddShape);
        for (int i = 0; i < 5; i++)
        {
            using var y = scheduler.ScaleNoise(backend, x, i, noise);
            double s = scheduler.Sigmas[i];
            var expected = xs.Select((v, e) => s * ns[e] + (1 - s) * v).ToArray();
            Numerics.AssertRelL2(y.ToArray<float>(), expected, 1e-6, $"scale_noise at step {i}");
        }
    }

    [Test]
    public void FlowMatch_IndexForTimestep_TakesTheSecondOfRepeatedValues()
    {
        using var scheduler = new FlowMatchEulerDiscreteScheduler(new FlowMatchEulerDiscreteConfig());
        scheduler.SetTimesteps(null, sigmas: [1.0, 1.0, 0.5, 0.25]);
        Assert.That(scheduler.IndexForTimestep(1000f), Is.EqualTo(1));
        Assert.That(scheduler.IndexForTimestep(500f), Is.EqualTo(2));
        Assert.Throws<ArgumentException>(() => scheduler.IndexForTimestep(123f));
    }

    /// <summary>
    /// Drives the scheduler (float32, through the CPU backend) and a float64 reference side by side, each on its
    /// own chain: the reference's model outputs come from its own samples, so the whole rollout is compared.
    /// </summary>
    private static void Run(IScheduler scheduler, int[] shape, Func<double[], int, double[], double[]> referenceStep, float scaleC = 1f)
    {
        var backend = CpuBackend.Default;
        int n = shape.Aggregate(1, (a, b) => a * b);
        using var c = Tensor.FromHost<float>(Numerics.RandomNormal(n, 7, scaleC), shape);
        var x = Tensor.FromHost<float>(Numerics.RandomNormal(n, 11), shape);
        var xRef = x.ToArray<float>().Select(f => (double)f).ToArray();
        var cv = c.ToArray<float>();
        try
        {
            for (int i = 0; i < scheduler.NumInferenceSteps; i++)
            {
                var (alpha, beta) = Model(scheduler.Timesteps[i]);
                var vRef = new double[n];
                for (int e = 0; e < n; e++) vRef[e] = alpha * xRef[e] + (double)beta * cv[e];
                xRef = referenceStep(vRef, i, xRef);

                using var v = backend.Axpby(alpha, x, beta, c);
                var next = scheduler.Step(backend, v, i, x);
                x.Dispose();
                x = next;
                Numerics.AssertRelL2(x.ToArray<float>(), xRef, 1e-5, $"{scheduler.ClassName}: sample after step {i} of {scheduler.NumInferenceSteps}");
            }
        }
        finally
        {
            x.Dispose();
        }
    }
}
