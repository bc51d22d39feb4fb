using FastVideo.Backends.Cpu;
using FastVideo.Models.Schedulers;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Schedulers;

/// <summary>
/// The schedulers against independent float64 references on configurations the goldens do not cover: UniPC
/// orders 1 and 3, disable_corrector, a single step, odd shapes; flow-match Euler with an odd shift and step count.
/// Each step's sample must be within relative L2 1e-5 of the reference.
/// </summary>
[TestFixture]
public sealed class SchedulerReferenceTests
{
    private static readonly int[] OddShape = [1, 3, 2, 5, 7];

    /// <summary>A synthetic model whose output depends on the sample and the timestep: v = 0.3·x + c·(1 + t/1000).</summary>
    private static (float Alpha, float Beta) Model(float t) => (0.3f, 1f + t / 1000f);

    [TestCase(2, 7, new int[0], 3.0, TestName = "UniPC order 2, 7 steps")]
    [TestCase(1, 6, new int[0], 5.0, TestName = "UniPC order 1, 6 steps")]
    [TestCase(3, 8, new int[0], 3.0, TestName = "UniPC order 3, 8 steps")]
    [TestCase(3, 20, new int[0], 7.5, TestName = "UniPC order 3, 20 steps")]
    [TestCase(2, 6, new[] { 0, 1, 2 }, 3.0, TestName = "UniPC order 2, corrector disabled after steps 0-2")]
    [TestCase(2, 1, new int[0], 3.0, TestName = "UniPC order 2, 1 step")]
    [TestCase(2, 2, new int[0], 1.0, TestName = "UniPC order 2, 2 steps, no shift")]
    public void UniPC_MatchesFloat64Reference(int order, int steps, int[] disable, double shift)
    {
        var config = UniPCMultistepConfig.Wan(shift) with { SolverOrder = order, DisableCorrector = disable };
        using var scheduler = new FlowUniPCMultistepScheduler(config);
        scheduler.SetTimesteps(steps);
        var reference = new UniPCReference(scheduler.Sigmas.Select(s => (double)s).ToArray(), order, lowerOrderFinal: true, disable);
        Run(scheduler, (v, i, x) => reference.Step(v, i, x));
    }

    [TestCase(7, 2.5)]
    [TestCase(1, 3.0)]
    [TestCase(13, 1.0)]
    public void FlowMatch_MatchesFloat64Reference(int steps, double shift)
    {
        using var scheduler = new FlowMatchEulerDiscreteScheduler(new FlowMatchEulerDiscreteConfig { Shift = shift });
        scheduler.SetTimesteps(steps);
        var sigmas = scheduler.Sigmas;
        Run(scheduler, (v, i, x) =>
        {
            var y = new double[x.Length];
            for (int e = 0; e < y.Length; e++) y[e] = x[e] + ((double)sigmas[i + 1] - sigmas[i]) * v[e];
            return y;
        });
    }

    /// <summary>
    /// Drives the scheduler (float32, through the CPU backend) and a float64 reference side by side, each on its
    /// own chain: the reference's model outputs come from its own samples, so the whole rollout is compared.
    /// </summary>
    private static void Run(IScheduler scheduler, Func<double[], int, double[], double[]> referenceStep)
    {
        var backend = CpuBackend.Default;
        int n = OddShape.Aggregate(1, (a, b) => a * b);
        using var c = Tensor.FromHost<float>(Numerics.RandomNormal(n, 7), OddShape);
        var x = Tensor.FromHost<float>(Numerics.RandomNormal(n, 11), OddShape);
        var xRef = x.ToArray<float>().Select(f => (double)f).ToArray();
        try
        {
            for (int i = 0; i < scheduler.NumInferenceSteps; i++)
            {
                var (alpha, beta) = Model(scheduler.Timesteps[i]);
                var vRef = new double[n];
                var cv = c.ToArray<float>();
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

    [Test]
    public void FlowMatch_Schedule_MatchesFloat64Formula()
    {
        // σ_max/σ_min are the float32 training sigmas 1 and shifted 1/N; the inference schedule is
        // linspace in float64 then shifted and rounded to float32.
        const double shift = 2.5;
        using var s = new FlowMatchEulerDiscreteScheduler(new FlowMatchEulerDiscreteConfig { Shift = shift });
        s.SetTimesteps(9);
        float sMin = (float)shift * (1f / 1000f) / (1f + (float)(shift - 1) * (1f / 1000f));
        for (int i = 0; i < 9; i++)
        {
            double t = 1000.0 + i * ((sMin * 1000.0 - 1000.0) / 8);
            if (i == 8) t = sMin * 1000.0;
            double sigma = t / 1000;
            sigma = shift * sigma / (1 + (shift - 1) * sigma);
            Assert.That(s.Sigmas[i], Is.EqualTo((float)sigma), $"sigma {i}");
            Assert.That(s.Timesteps[i], Is.EqualTo((float)sigma * 1000f), $"timestep {i}");
        }
        Assert.That(s.Sigmas[9], Is.EqualTo(0f));
    }

    [Test]
    public void UniPC_Schedule_MatchesFloat64Formula()
    {
        using var s = new FlowUniPCMultistepScheduler(UniPCMultistepConfig.Wan(5.0));
        s.SetTimesteps(6);
        for (int i = 0; i < 6; i++)
        {
            double u = 1.0 + i * ((0.001 - 1.0) / 6);
            double sigma = 5.0 * u / (1 + 4.0 * u);
            if (i == 0) sigma -= 1e-6; // σ₀ = 1 exactly before the nudge
            Assert.That(s.Sigmas[i], Is.EqualTo((float)sigma), $"sigma {i}");
            Assert.That(s.TimestepsInt64[i], Is.EqualTo((long)(sigma * 1000)), $"timestep {i}");
        }
    }
}
