using System.Text.Json.Nodes;
using FastVideo.Backends.Cpu;
using FastVideo.Loading;
using FastVideo.Models.Schedulers;
using FastVideo.Rng;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Schedulers;

/// <summary>
/// Both schedulers against diffusers main (golden/schedulers, README §6): every case of schedules.json (the shared
/// folder has 5 configurations × {4, 10, 50} steps; a folder with more cases is tested whole). The config is built
/// from the case's full diffusers config and goes through <see cref="SchedulerConfig.Parse"/>; a case may carry
/// <c>set_timesteps_kwargs</c> (mu, sigmas, timesteps) and <c>step_generator_seed</c> (stochastic sampling). Timesteps and sigmas must match exactly (the library computes them
/// in float64 then rounds, and so do we); the rollout <c>v = 0.1·x + c·(float32(t)/1000)</c> must match every
/// model output and sample at atol = rtol = 1e-4.
/// </summary>
[TestFixture]
public sealed class SchedulerGoldenTests
{
    private static JsonObject Schedules()
    {
        var path = Golden.Path_("schedulers", "schedules.json");
        return JsonNode.Parse(File.ReadAllText(path))!.AsObject();
    }

    private static readonly string[] KnownCases =
    [
        "flowmatch_default_4", "flowmatch_default_10", "flowmatch_default_50",
        "flowmatch_shift3_4", "flowmatch_shift3_10", "flowmatch_shift3_50",
        "flowmatch_shift5_4", "flowmatch_shift5_10", "flowmatch_shift5_50",
        "unipc_wan_flowshift3_4", "unipc_wan_flowshift3_10", "unipc_wan_flowshift3_50",
        "unipc_wan_flowshift5_4", "unipc_wan_flowshift5_10", "unipc_wan_flowshift5_50",
    ];

    /// <summary>
    /// Every case of schedules.json (so that a golden folder with more cases tests them all), or the known case
    /// names when the folder is missing (the tests are then ignored, or fail under CI, instead of failing discovery).
    /// </summary>
    public static IEnumerable<string> Cases()
    {
        string? dir = Environment.GetEnvironmentVariable("FASTVIDEO_GOLDEN_DIR");
        if (string.IsNullOrEmpty(dir))
        {
            // discovery runs outside a test context: look for the repository above the test binaries
            var d = new DirectoryInfo(AppContext.BaseDirectory);
            while (d != null && !File.Exists(Path.Combine(d.FullName, "FastVideo.Native.sln"))) d = d.Parent;
            dir = d is null ? null : Path.Combine(d.FullName, "..", "shared", "golden");
        }
        var path = dir is null ? null : Path.Combine(dir, "schedulers", "schedules.json");
        if (path is null || !File.Exists(path)) return KnownCases;
        return JsonNode.Parse(File.ReadAllText(path))!.AsObject().Select(kv => kv.Key).ToArray();
    }

    private static (IScheduler Scheduler, SafetensorsFile File, int Steps) Open(string name)
    {
        var c = Schedules()[name]!.AsObject();
        var config = (JsonObject)c["full_config"]!.DeepClone();
        config["_class_name"] = c["class"]!.GetValue<string>();
        var scheduler = SchedulerConfig.Parse(config.ToJsonString(), $"schedules.json[{name}]").CreateScheduler();
        int steps = c["timesteps"]!.AsArray().Count;
        SetTimesteps(scheduler, steps, c["set_timesteps_kwargs"] as JsonObject);
        if (c["step_generator_seed"] is { } seed && scheduler is FlowMatchEulerDiscreteScheduler fm)
            fm.Generator = new TorchGenerator(seed.GetValue<ulong>());
        return (scheduler, SafetensorsFile.Open(Golden.Path_("schedulers", c["file"]!.GetValue<string>())), steps);
    }

    /// <summary>set_timesteps(n), or with the case's extra arguments (mu, custom sigmas or timesteps) when it has them.</summary>
    private static void SetTimesteps(IScheduler scheduler, int steps, JsonObject? kwargs)
    {
        if (kwargs is null)
        {
            scheduler.SetTimesteps(steps);
            return;
        }
        double? mu = kwargs["mu"]?.GetValue<double>();
        double[]? sigmas = kwargs["sigmas"]?.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        double[]? timesteps = kwargs["timesteps"]?.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        int? n = sigmas is null && timesteps is null ? steps : null;
        switch (scheduler)
        {
            case FlowMatchEulerDiscreteScheduler f: f.SetTimesteps(n, sigmas, mu, timesteps); break;
            case FlowUniPCMultistepScheduler u: u.SetTimesteps(n, sigmas, mu); break;
            default: throw new InvalidOperationException($"no extended SetTimesteps for {scheduler.GetType().Name}");
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void TimestepsAndSigmas_MatchExactly(string name)
    {
        var (scheduler, file, steps) = Open(name);
        using var _ = scheduler;
        using var __ = file;

        var sigmas = file.Read<float>("sigmas");
        Assert.That(scheduler.Sigmas, Has.Count.EqualTo(steps + 1));
        for (int i = 0; i <= steps; i++)
            Assert.That(scheduler.Sigmas[i], Is.EqualTo(sigmas[i]), $"{name}: sigma {i} (golden {sigmas[i]:R}, ours {scheduler.Sigmas[i]:R})");

        if (scheduler.TimestepDType == DType.I64)
        {
            var ts = file.Read<long>("timesteps");
            var ours = ((FlowUniPCMultistepScheduler)scheduler).TimestepsInt64;
            Assert.That(ours, Is.EqualTo(ts), $"{name}: int64 timesteps");
            for (int i = 0; i < steps; i++) Assert.That(scheduler.Timesteps[i], Is.EqualTo((float)ts[i]));
        }
        else
        {
            var ts = file.Read<float>("timesteps");
            for (int i = 0; i < steps; i++)
                Assert.That(scheduler.Timesteps[i], Is.EqualTo(ts[i]), $"{name}: timestep {i} (golden {ts[i]:R}, ours {scheduler.Timesteps[i]:R})");
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void Rollout_MatchesDiffusers(string name)
    {
        var (scheduler, file, steps) = Open(name);
        using var _ = scheduler;
        using var __ = file;
        var backend = CpuBackend.Default;

        using var c = file.LoadF32("c");
        using var outputs = file.LoadF32("model_outputs");
        using var samples = file.LoadF32("samples");
        var x = file.LoadF32("x0");
        double worst = 0, worstRatio = 0;
        try
        {
            for (int i = 0; i < steps; i++)
            {
                using var scope = TensorScope.Begin();
                float t = scheduler.Timesteps[i];
                var v = backend.Axpby(0.1f, x, t / 1000f, c); // 0.1·x + c·(float32(t)/1000)
                using (var expectedV = outputs[i])
                    Numerics.AssertClose(v.ToArray<float>(), expectedV.ToArray<float>(), 1e-4, 1e-4, $"{name}: model output {i}");
                var next = TensorScope.Detach(scheduler.Step(backend, v, i, x));
                x.Dispose();
                x = next;
                using var expected = samples[i];
                var got = x.ToArray<float>();
                var want = expected.ToArray<float>();
                Numerics.AssertClose(got, want, 1e-4, 1e-4, $"{name}: sample after step {i}");
                for (int k = 0; k < got.Length; k++)
                {
                    double d = Math.Abs((double)got[k] - want[k]);
                    worst = Math.Max(worst, d);
                    worstRatio = Math.Max(worstRatio, d / (1e-4 + 1e-4 * Math.Abs(want[k])));
                }
            }
            TestContext.Out.WriteLine($"{name}: max |sample − diffusers| over all steps = {worst:E2}, {worstRatio:P0} of the tolerance");
        }
        finally
        {
            x.Dispose();
        }
    }

    [Test]
    public void UniPC_OrderSchedule_IsWarmUpThenLowerOrderFinal()
    {
        // solver_order 2 with lower_order_final: 1, 2, 2, …, 2, 1 (the last step's σ is 0)
        using var s = new FlowUniPCMultistepScheduler(UniPCMultistepConfig.Wan(3.0));
        s.SetTimesteps(5);
        var backend = CpuBackend.Default;
        var x = Tensor.FromHost<float>(Numerics.RandomNormal(12, 1), 3, 4);
        var orders = new List<int>();
        for (int i = 0; i < 5; i++)
        {
            using var v = backend.Scale(x, 0.5f, 0.1f);
            var next = s.Step(backend, v, i, x);
            x.Dispose();
            x = next;
            orders.Add(s.LastOrder);
        }
        x.Dispose();
        Assert.That(orders, Is.EqualTo(new[] { 1, 2, 2, 2, 1 }));
    }

    [TestCase("wan_pipeline_t2v/pipeline/scheduler/scheduler_config.json", typeof(FlowUniPCMultistepScheduler), 3.0)]
    [TestCase("wan_pipeline_t2v/scheduler_flowmatch/scheduler_config.json", typeof(FlowMatchEulerDiscreteScheduler), 3.0)]
    public void Load_PipelineSchedulerConfigs(string relative, Type expected, double shift)
    {
        var config = SchedulerConfig.Load(Golden.Path_(relative.Split('/')));
        Assert.That(config.FlowShift, Is.EqualTo(shift));
        using var s = config.CreateScheduler();
        Assert.That(s, Is.TypeOf(expected));
        s.SetTimesteps(6);
        Assert.That(s.Timesteps, Has.Count.EqualTo(6));
        Assert.That(s.Sigmas[6], Is.EqualTo(0f));
    }
}
