using FastVideo.Backends.Cpu;
using FastVideo.Models.Schedulers;
using FastVideo.Tensors;
using NUnit.Framework;

namespace FastVideo.Tests.Schedulers;

/// <summary>scheduler_config.json parsing: class selection, defaults, unknown keys, and rejections that name the key.</summary>
[TestFixture]
public sealed class SchedulerConfigTests
{
    private const string WanUniPC = """
        {
          "_class_name": "UniPCMultistepScheduler",
          "_diffusers_version": "0.33.0.dev0",
          "beta_end": 0.02, "beta_schedule": "linear", "beta_start": 0.0001,
          "disable_corrector": [], "dynamic_thresholding_ratio": 0.995, "final_sigmas_type": "zero",
          "flow_shift": 3.0, "lower_order_final": true, "num_train_timesteps": 1000, "predict_x0": true,
          "prediction_type": "flow_prediction", "rescale_betas_zero_snr": false, "sample_max_value": 1.0,
          "solver_order": 2, "solver_p": null, "solver_type": "bh2", "steps_offset": 0, "thresholding": false,
          "timestep_spacing": "linspace", "trained_betas": null, "use_beta_sigmas": false,
          "use_exponential_sigmas": false, "use_flow_sigmas": true, "use_karras_sigmas": false,
          "some_future_key": {"nested": [1, 2]}
        }
        """;

    private static string With(string key, string jsonValue)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(WanUniPC)!.AsObject();
        node[key] = System.Text.Json.Nodes.JsonNode.Parse(jsonValue);
        return node.ToJsonString();
    }

    [Test]
    public void WanUniPC_ParsesWithUnknownKeysIgnored()
    {
        var config = SchedulerConfig.Parse(WanUniPC);
        Assert.That(config, Is.TypeOf<UniPCMultistepConfig>());
        var u = (UniPCMultistepConfig)config;
        Assert.That(u.Shift, Is.EqualTo(3.0));
        Assert.That(u.SolverOrder, Is.EqualTo(2));
        Assert.That(u.LowerOrderFinal, Is.True);
        Assert.That(u.DisableCorrector, Is.Empty);
        Assert.That(u, Is.EqualTo(UniPCMultistepConfig.Wan(3.0) with { DisableCorrector = u.DisableCorrector }));
    }

    [Test]
    public void FlowMatch_ParsesAndDefaults()
    {
        var config = SchedulerConfig.Parse("""{"_class_name": "FlowMatchEulerDiscreteScheduler", "shift": 5.0, "unknown": true}""");
        Assert.That(config, Is.TypeOf<FlowMatchEulerDiscreteConfig>());
        Assert.That(config.FlowShift, Is.EqualTo(5.0));
        Assert.That(config.NumTrainTimesteps, Is.EqualTo(1000));
        using var s = config.CreateScheduler();
        Assert.That(s, Is.TypeOf<FlowMatchEulerDiscreteScheduler>());
        Assert.That(s.TimestepDType, Is.EqualTo(DType.F32));
    }

    [Test]
    public void WithFlowShift_OverridesTheShift()
    {
        var config = SchedulerConfig.Parse(WanUniPC).WithFlowShift(5.0);
        Assert.That(config.FlowShift, Is.EqualTo(5.0));
        using var a = config.CreateScheduler();
        using var b = new FlowUniPCMultistepScheduler(UniPCMultistepConfig.Wan(5.0));
        a.SetTimesteps(10);
        b.SetTimesteps(10);
        Assert.That(a.Sigmas, Is.EqualTo(b.Sigmas));
    }

    [Test]
    public void LegacySolverTypes_MapToBh2()
    {
        var u = (UniPCMultistepConfig)SchedulerConfig.Parse(With("solver_type", "\"midpoint\""));
        Assert.That(u.SolverType, Is.EqualTo("bh2"));
    }

    [TestCase("use_karras_sigmas", "true")]
    [TestCase("use_exponential_sigmas", "true")]
    [TestCase("use_beta_sigmas", "true")]
    [TestCase("prediction_type", "\"epsilon\"")]
    [TestCase("prediction_type", "\"v_prediction\"")]
    [TestCase("solver_type", "\"bh1\"")]
    [TestCase("solver_type", "\"rk4\"")]
    [TestCase("use_flow_sigmas", "false")]
    [TestCase("predict_x0", "false")]
    [TestCase("thresholding", "true")]
    [TestCase("use_dynamic_shifting", "true")]
    [TestCase("final_sigmas_type", "\"sigma_min\"")]
    [TestCase("shift_terminal", "0.1")]
    [TestCase("solver_order", "0")]
    [TestCase("lower_order_final", "false")]
    [TestCase("flow_shift", "0")]
    [TestCase("flow_shift", "\"3.0\"")]
    [TestCase("num_train_timesteps", "0")]
    [TestCase("disable_corrector", "[1, \"a\"]")]
    [TestCase("solver_p", "{\"_class_name\": \"DDIMScheduler\"}")]
    public void UniPC_RejectsUnsupported_NamingTheKey(string key, string value)
    {
        var ex = Assert.Throws<SchedulerConfigException>(() => SchedulerConfig.Parse(With(key, value), "test.json"));
        Assert.That(ex!.Key, Is.EqualTo(key));
        Assert.That(ex.Message, Does.StartWith("test.json: '" + key + "'"));
    }

    [Test]
    public void UniPC_MissingPredictionType_IsDiffusersEpsilonAndRejected()
    {
        var ex = Assert.Throws<SchedulerConfigException>(() =>
            SchedulerConfig.Parse("""{"_class_name": "UniPCMultistepScheduler", "use_flow_sigmas": true}"""));
        Assert.That(ex!.Key, Is.EqualTo("prediction_type"));
    }

    [TestCase("use_karras_sigmas", "true")]
    [TestCase("use_dynamic_shifting", "true")]
    [TestCase("invert_sigmas", "true")]
    [TestCase("stochastic_sampling", "true")]
    [TestCase("shift_terminal", "0.02")]
    [TestCase("time_shift_type", "\"cubic\"")]
    [TestCase("shift", "-1")]
    public void FlowMatch_RejectsUnsupported_NamingTheKey(string key, string value)
    {
        var json = $$"""{"_class_name": "FlowMatchEulerDiscreteScheduler", "{{key}}": {{value}}}""";
        var ex = Assert.Throws<SchedulerConfigException>(() => SchedulerConfig.Parse(json));
        Assert.That(ex!.Key, Is.EqualTo(key));
    }

    [TestCase("""{"shift": 3.0}""", "_class_name")]
    [TestCase("""{"_class_name": "DDIMScheduler"}""", "_class_name")]
    [TestCase("""[1, 2]""", "(file)")]
    [TestCase("""{"_class_name": """, "(file)")]
    public void BadFiles_AreRejected(string json, string key)
    {
        var ex = Assert.Throws<SchedulerConfigException>(() => SchedulerConfig.Parse(json));
        Assert.That(ex!.Key, Is.EqualTo(key));
    }

    [Test]
    public void Load_MissingFile_Throws()
    {
        Assert.Throws<FileNotFoundException>(() => SchedulerConfig.Load(Path.Combine(Path.GetTempPath(), "no-such-dir-fv", "scheduler_config.json")));
    }

    [Test]
    public void Step_ValidatesArguments()
    {
        var backend = CpuBackend.Default;
        using var s = new FlowUniPCMultistepScheduler(UniPCMultistepConfig.Wan(3.0));
        using var x = Tensor.FromHost<float>(new float[6], 2, 3);
        using var wrong = Tensor.FromHost<float>(new float[6], 3, 2);
        Assert.Throws<InvalidOperationException>(() => s.Step(backend, x, 0, x), "before SetTimesteps");
        s.SetTimesteps(4);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Step(backend, x, 4, x), "index past the end");
        Assert.Throws<ShapeMismatchException>(() => s.Step(backend, wrong, 0, x), "shape mismatch");
        using (var y = s.Step(backend, x, 0, x)) { }
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => s.Step(backend, x, 2, x), "skipping a step");
        Assert.That(ex!.Message, Does.Contain("expected step 1"));
    }

    [Test]
    public void TimestepTensor_HasTheSchedulersDType()
    {
        using var u = new FlowUniPCMultistepScheduler(UniPCMultistepConfig.Wan(3.0));
        u.SetTimesteps(10);
        using var tu = u.TimestepTensor(CpuAllocator.Shared, 1, 2);
        Assert.That(tu.DType, Is.EqualTo(DType.I64));
        Assert.That(tu.ToArray<long>(), Is.EqualTo(new long[] { 964, 964 }));

        using var f = new FlowMatchEulerDiscreteScheduler(new FlowMatchEulerDiscreteConfig());
        f.SetTimesteps(10);
        using var tf = f.TimestepTensor(CpuAllocator.Shared, 1, 1);
        Assert.That(tf.DType, Is.EqualTo(DType.F32));
        Assert.That(tf.ToArray<float>(), Is.EqualTo(new[] { 889f }));
    }
}
