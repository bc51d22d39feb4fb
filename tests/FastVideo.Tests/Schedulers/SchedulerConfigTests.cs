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

    [TestCase("use_exponential_sigmas", "true")]
    [TestCase("use_beta_sigmas", "true")]
    [TestCase("prediction_type", "\"x0\"")]
    [TestCase("solver_type", "\"bh1\"")] // with final_sigmas_type "zero": diffusers' last step is NaN
    [TestCase("solver_type", "\"rk4\"")]
    [TestCase("use_flow_sigmas", "0")]
    [TestCase("predict_x0", "false")] // with flow_prediction diffusers raises
    [TestCase("final_sigmas_type", "\"last\"")]
    [TestCase("timestep_spacing", "\"uniform\"")]
    [TestCase("beta_schedule", "\"cosine\"")]
    [TestCase("trained_betas", "[]")]
    [TestCase("trained_betas", "[0.1, \"x\"]")]
    [TestCase("solver_order", "0")]
    [TestCase("solver_order", "2.0")]
    [TestCase("solver_order", "\"2\"")]
    [TestCase("flow_shift", "0")]
    [TestCase("flow_shift", "\"3.0\"")]
    [TestCase("num_train_timesteps", "0")]
    [TestCase("num_train_timesteps", "1000.0")]
    [TestCase("disable_corrector", "[1, \"a\"]")]
    [TestCase("disable_corrector", "3")]
    [TestCase("solver_p", "{\"_class_name\": \"DDIMScheduler\"}")]
    [TestCase("thresholding", "1")]
    [TestCase("lower_order_final", "\"yes\"")]
    [TestCase("sigma_min", "\"0.1\"")]
    [TestCase("shift_terminal", "true")]
    [TestCase("dynamic_thresholding_ratio", "\"high\"")]
    [TestCase("sample_max_value", "[1]")]
    [TestCase("beta_start", "null")] // null means default: accepted — see UniPC_NullMeansDefault
    public void UniPC_RejectsInvalid_NamingTheKey(string key, string value)
    {
        if (value == "null")
        {
            Assert.That(SchedulerConfig.Parse(With(key, value), "test.json"), Is.TypeOf<UniPCMultistepConfig>());
            return;
        }
        var ex = Assert.Throws<SchedulerConfigException>(() => SchedulerConfig.Parse(With(key, value), "test.json"));
        Assert.That(ex!.Key, Is.EqualTo(key));
        Assert.That(ex.Message, Does.StartWith("test.json: '" + key + "'"));
    }

    [TestCase("""{"use_karras_sigmas": true, "use_exponential_sigmas": true}""", "use_karras_sigmas")]
    [TestCase("""{"use_flow_sigmas": false, "shift_terminal": 0.1}""", "shift_terminal")]
    [TestCase("""{"use_dynamic_shifting": true, "time_shift_type": "cubic"}""", "time_shift_type")]
    [TestCase("""{"thresholding": true, "dynamic_thresholding_ratio": 1.5}""", "dynamic_thresholding_ratio")]
    [TestCase("""{"solver_type": "bh2", "predict_x0": false, "prediction_type": "epsilon"}""", "predict_x0")] // final sigma 0: NaN
    public void UniPC_RejectsCombinations_NamingTheKey(string overrides, string key)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(WanUniPC)!.AsObject();
        foreach (var kv in System.Text.Json.Nodes.JsonNode.Parse(overrides)!.AsObject())
            node[kv.Key] = kv.Value?.DeepClone();
        var ex = Assert.Throws<SchedulerConfigException>(() => SchedulerConfig.Parse(node.ToJsonString(), "test.json"));
        Assert.That(ex!.Key, Is.EqualTo(key));
    }

    [TestCase("""{"solver_type": "bh1", "final_sigmas_type": "sigma_min"}""")]
    [TestCase("""{"predict_x0": false, "prediction_type": "v_prediction", "final_sigmas_type": "sigma_min"}""")]
    [TestCase("""{"prediction_type": "epsilon"}""")]
    [TestCase("""{"prediction_type": "sample", "solver_order": 3}""")]
    [TestCase("""{"use_karras_sigmas": true, "beta_schedule": "scaled_linear", "rescale_betas_zero_snr": true}""")]
    [TestCase("""{"use_dynamic_shifting": true, "time_shift_type": "linear"}""")]
    [TestCase("""{"thresholding": true, "sample_max_value": 2.5}""")]
    [TestCase("""{"shift_terminal": 0.1, "lower_order_final": false, "solver_order": 1}""")]
    [TestCase("""{"timestep_spacing": "trailing", "steps_offset": 1, "disable_corrector": [-1, 0, 4]}""")]
    [TestCase("""{"trained_betas": [0.001, 0.002, 0.004], "beta_schedule": "not-used-with-trained-betas"}""")]
    [TestCase("""{"use_dynamic_shifting": false, "time_shift_type": "unused"}""")]
    [TestCase("""{"use_flow_sigmas": false, "prediction_type": "epsilon", "timestep_spacing": "trailing"}""")]
    [TestCase("""{"use_flow_sigmas": false, "prediction_type": "v_prediction", "use_beta_sigmas": true, "final_sigmas_type": "sigma_min", "solver_type": "bh1"}""")]
    public void UniPC_AcceptsWhatDiffusersRuns(string overrides)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(WanUniPC)!.AsObject();
        foreach (var kv in System.Text.Json.Nodes.JsonNode.Parse(overrides)!.AsObject())
            node[kv.Key] = kv.Value?.DeepClone();
        var config = SchedulerConfig.Parse(node.ToJsonString(), "test.json");
        using var s = config.CreateScheduler();
        if (config is UniPCMultistepConfig { UseDynamicShifting: true } && s is FlowUniPCMultistepScheduler u) u.SetTimesteps(5, mu: 0.9);
        else s.SetTimesteps(5);
        Assert.That(s.Sigmas, Has.Count.EqualTo(6));
    }

    [Test]
    public void UniPC_MissingKeys_TakeDiffusersDefaults()
    {
        var u = (UniPCMultistepConfig)SchedulerConfig.Parse("""{"_class_name": "UniPCMultistepScheduler", "use_flow_sigmas": true}""");
        Assert.That(u.PredictionType, Is.EqualTo("epsilon"));
        Assert.That(u.Shift, Is.EqualTo(1.0));
        Assert.That(u.SolverOrder, Is.EqualTo(2));
        var vp = (UniPCMultistepConfig)SchedulerConfig.Parse("""{"_class_name": "UniPCMultistepScheduler"}""");
        Assert.That(vp.UseFlowSigmas, Is.False, "diffusers' default is the VP schedule");
    }

    [Test]
    public void UseDefaultValues_ListedKeysAreIgnored()
    {
        // diffusers' extract_init_dict drops the keys of _use_default_values: the running version's defaults apply
        var json = With("_use_default_values", """["flow_shift", "solver_order", "thresholding"]""");
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        node["solver_order"] = 3;
        node["thresholding"] = "not even a bool";
        var u = (UniPCMultistepConfig)SchedulerConfig.Parse(node.ToJsonString());
        Assert.That(u.Shift, Is.EqualTo(1.0));
        Assert.That(u.SolverOrder, Is.EqualTo(2));
        Assert.That(u.Thresholding, Is.False);
        Assert.Throws<SchedulerConfigException>(() => SchedulerConfig.Parse(With("_use_default_values", "\"flow_shift\"")));
    }

    [TestCase("use_exponential_sigmas", "\"yes\"")]
    [TestCase("use_dynamic_shifting", "1")]
    [TestCase("time_shift_type", "\"cubic\"")]
    [TestCase("shift", "-1")]
    [TestCase("shift", "\"3\"")]
    [TestCase("shift_terminal", "\"0.1\"")]
    [TestCase("base_image_seq_len", "256.5")]
    [TestCase("invert_sigmas", "null")] // null means default: accepted
    [TestCase("stochastic_sampling", "[]")]
    [TestCase("num_train_timesteps", "-5")]
    public void FlowMatch_RejectsInvalid_NamingTheKey(string key, string value)
    {
        var json = $$"""{"_class_name": "FlowMatchEulerDiscreteScheduler", "{{key}}": {{value}}}""";
        if (value == "null")
        {
            Assert.That(SchedulerConfig.Parse(json), Is.TypeOf<FlowMatchEulerDiscreteConfig>());
            return;
        }
        var ex = Assert.Throws<SchedulerConfigException>(() => SchedulerConfig.Parse(json));
        Assert.That(ex!.Key, Is.EqualTo(key));
    }

    [Test]
    public void FlowMatch_TwoConversions_AreRejected()
    {
        var ex = Assert.Throws<SchedulerConfigException>(() => SchedulerConfig.Parse(
            """{"_class_name": "FlowMatchEulerDiscreteScheduler", "use_beta_sigmas": true, "use_karras_sigmas": true}"""));
        Assert.That(ex!.Key, Is.EqualTo("use_karras_sigmas"));
    }

    [Test]
    public void FlowMatch_ReadsEveryKey()
    {
        var c = (FlowMatchEulerDiscreteConfig)SchedulerConfig.Parse("""
            {"_class_name": "FlowMatchEulerDiscreteScheduler", "num_train_timesteps": 500, "shift": 2.5,
             "use_dynamic_shifting": true, "base_shift": 0.4, "max_shift": 1.2, "base_image_seq_len": 128,
             "max_image_seq_len": 2048, "invert_sigmas": true, "shift_terminal": 0.05, "use_karras_sigmas": false,
             "use_exponential_sigmas": true, "use_beta_sigmas": false, "time_shift_type": "linear",
             "stochastic_sampling": true, "sigma_min": 0.01, "sigma_max": 0.99, "unknown_key": [1, 2]}
            """);
        Assert.That(c, Is.EqualTo(new FlowMatchEulerDiscreteConfig
        {
            NumTrainTimesteps = 500, Shift = 2.5, UseDynamicShifting = true, BaseShift = 0.4, MaxShift = 1.2,
            BaseImageSeqLen = 128, MaxImageSeqLen = 2048, InvertSigmas = true, ShiftTerminal = 0.05,
            UseExponentialSigmas = true, TimeShiftType = "linear", StochasticSampling = true, SigmaMin = 0.01, SigmaMax = 0.99,
        }));
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

    [Test]
    public void StepCountsThatWouldOverflowTheScheduleAreRefused()
    {
        // steps + 1 wrapped to a negative linspace count ("linspace: negative count").
        using var u = new FlowUniPCMultistepScheduler(UniPCMultistepConfig.Wan(3.0));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => u.SetTimesteps(int.MaxValue))!;
        Assert.That(e.Message, Does.Contain("at most 10000"));
        using var f = new FlowMatchEulerDiscreteScheduler(new FlowMatchEulerDiscreteConfig());
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => f.SetTimesteps(int.MaxValue))!.Message, Does.Contain("at most 10000"));
        u.SetTimesteps(FastVideo.Entrypoints.GenerationRequest.StepsLimit);
        Assert.That(u.NumInferenceSteps, Is.EqualTo(10_000));
    }

    [TestCase("0")]
    [TestCase("2147483647")]
    public void TrainTimestepsAreBounded(string value)
    {
        var ex = Assert.Throws<SchedulerConfigException>(() => SchedulerConfig.Parse(With("num_train_timesteps", value), "test.json"))!;
        Assert.That(ex.Key, Is.EqualTo("num_train_timesteps"));
        Assert.That(ex.Message, Does.Contain("between 1 and 1000000"));
    }
}
