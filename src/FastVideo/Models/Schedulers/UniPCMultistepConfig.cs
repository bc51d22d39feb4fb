using System.Globalization;

namespace FastVideo.Models.Schedulers;

/// <summary>
/// diffusers <c>UniPCMultistepScheduler</c> configuration, in the flow-matching form Wan ships:
/// <c>prediction_type "flow_prediction"</c>, <c>use_flow_sigmas true</c>, <c>predict_x0 true</c>,
/// <c>solver_type "bh2"</c>, <c>final_sigmas_type "zero"</c>, any <see cref="SolverOrder"/> ≥ 1, optional
/// <see cref="LowerOrderFinal"/> and <see cref="DisableCorrector"/>. Everything else is rejected by
/// <see cref="Validate"/> with the key named. The beta schedule keys are read and kept but, with flow sigmas,
/// diffusers never uses them (nor <c>timestep_spacing</c>/<c>steps_offset</c>, whose timesteps are replaced by σ·1000).
/// The property defaults are the Wan configuration (flow shift 1); keys missing from a JSON file take diffusers'
/// constructor defaults instead (e.g. <c>prediction_type "epsilon"</c>, which is then rejected).
/// </summary>
public sealed record UniPCMultistepConfig : SchedulerConfig
{
    public const string DiffusersClassName = "UniPCMultistepScheduler";

    public override string ClassName => DiffusersClassName;

    public double BetaStart { get; init; } = 0.0001;
    public double BetaEnd { get; init; } = 0.02;
    public string BetaSchedule { get; init; } = "linear";
    public bool HasTrainedBetas { get; init; }
    public int SolverOrder { get; init; } = 2;
    public string PredictionType { get; init; } = "flow_prediction";
    public bool Thresholding { get; init; }
    public bool PredictX0 { get; init; } = true;
    /// <summary>"bh2" (diffusers maps the legacy "midpoint", "heun", "logrho" to it as well).</summary>
    public string SolverType { get; init; } = "bh2";
    public bool LowerOrderFinal { get; init; } = true;
    /// <summary>Step indices after which the corrector is skipped: the corrector of step i runs unless i − 1 is listed.</summary>
    public IReadOnlyList<int> DisableCorrector { get; init; } = [];
    public bool HasSolverP { get; init; }
    public bool UseKarrasSigmas { get; init; }
    public bool UseExponentialSigmas { get; init; }
    public bool UseBetaSigmas { get; init; }
    public bool UseFlowSigmas { get; init; } = true;
    /// <summary><c>flow_shift</c>.</summary>
    public double Shift { get; init; } = 1.0;
    public string TimestepSpacing { get; init; } = "linspace";
    public int StepsOffset { get; init; }
    public string FinalSigmasType { get; init; } = "zero";
    public bool RescaleBetasZeroSnr { get; init; }
    public bool UseDynamicShifting { get; init; }
    public string TimeShiftType { get; init; } = "exponential";
    public double? SigmaMin { get; init; }
    public double? SigmaMax { get; init; }
    public double? ShiftTerminal { get; init; }

    public override double FlowShift => Shift;

    public override SchedulerConfig WithFlowShift(double shift) => this with { Shift = shift };

    public override IScheduler CreateScheduler() => new FlowUniPCMultistepScheduler(this);

    /// <summary>The Wan2.1 diffusers scheduler config with the given flow shift (3.0 for 480p, 5.0 for 720p).</summary>
    public static UniPCMultistepConfig Wan(double flowShift) => new() { Shift = flowShift };

    internal static UniPCMultistepConfig Read(ConfigReader r)
    {
        string solverType = r.String("solver_type", "bh2");
        if (solverType is "midpoint" or "heun" or "logrho") solverType = "bh2"; // as diffusers' constructor does
        return new UniPCMultistepConfig
        {
            NumTrainTimesteps = r.Int("num_train_timesteps", 1000),
            BetaStart = r.Double("beta_start", 0.0001),
            BetaEnd = r.Double("beta_end", 0.02),
            BetaSchedule = r.String("beta_schedule", "linear"),
            HasTrainedBetas = r.Has("trained_betas"),
            SolverOrder = r.Int("solver_order", 2),
            // diffusers' default is "epsilon": a config that omits it is not a flow model and is rejected below
            PredictionType = r.String("prediction_type", "epsilon"),
            Thresholding = r.Bool("thresholding", false),
            PredictX0 = r.Bool("predict_x0", true),
            SolverType = solverType,
            LowerOrderFinal = r.Bool("lower_order_final", true),
            DisableCorrector = r.IntList("disable_corrector"),
            HasSolverP = r.Has("solver_p"),
            UseKarrasSigmas = r.Bool("use_karras_sigmas", false),
            UseExponentialSigmas = r.Bool("use_exponential_sigmas", false),
            UseBetaSigmas = r.Bool("use_beta_sigmas", false),
            // diffusers' default is false (the VP schedule), which is not implemented
            UseFlowSigmas = r.Bool("use_flow_sigmas", false),
            Shift = r.Double("flow_shift", 1.0),
            TimestepSpacing = r.String("timestep_spacing", "linspace"),
            StepsOffset = r.Int("steps_offset", 0),
            FinalSigmasType = r.String("final_sigmas_type", "zero"),
            RescaleBetasZeroSnr = r.Bool("rescale_betas_zero_snr", false),
            UseDynamicShifting = r.Bool("use_dynamic_shifting", false),
            TimeShiftType = r.String("time_shift_type", "exponential"),
            SigmaMin = r.NullableDouble("sigma_min"),
            SigmaMax = r.NullableDouble("sigma_max"),
            ShiftTerminal = r.NullableDouble("shift_terminal"),
        };
    }

    public override void Validate(string source = "scheduler config")
    {
        ValidateCommon(source, "flow_shift");
        if (SolverOrder < 1)
            throw new SchedulerConfigException(source, "solver_order", $"must be at least 1, got {SolverOrder}");
        if (PredictionType != "flow_prediction")
            Unsupported(source, "prediction_type", $"\"{PredictionType}\"", "only \"flow_prediction\" is implemented");
        if (!UseFlowSigmas)
            Unsupported(source, "use_flow_sigmas", "false", "only flow sigmas (use_flow_sigmas true) are implemented");
        if (!PredictX0)
            Unsupported(source, "predict_x0", "false", "flow prediction needs the data-prediction (x0) form");
        if (SolverType == "bh1")
            Unsupported(source, "solver_type", "\"bh1\"", "only \"bh2\" is implemented");
        if (SolverType != "bh2")
            throw new SchedulerConfigException(source, "solver_type", $"unknown solver type \"{SolverType}\" (diffusers knows \"bh1\", \"bh2\")");
        if (Thresholding) Unsupported(source, "thresholding", "true", "dynamic thresholding is not implemented");
        if (HasSolverP) Unsupported(source, "solver_p", "a scheduler", "an external predictor is not implemented");
        if (UseKarrasSigmas) Unsupported(source, "use_karras_sigmas", "true", "Karras sigmas are not implemented");
        if (UseExponentialSigmas) Unsupported(source, "use_exponential_sigmas", "true", "exponential sigmas are not implemented");
        if (UseBetaSigmas) Unsupported(source, "use_beta_sigmas", "true", "beta sigmas are not implemented");
        if (UseDynamicShifting) Unsupported(source, "use_dynamic_shifting", "true", "resolution-dependent shifting (mu) is not implemented");
        if (ShiftTerminal is double st && st != 0)
            Unsupported(source, "shift_terminal", st.ToString(CultureInfo.InvariantCulture), "the terminal stretch is not implemented");
        if (FinalSigmasType == "sigma_min")
            Unsupported(source, "final_sigmas_type", "\"sigma_min\"", "only \"zero\" is implemented");
        if (FinalSigmasType != "zero")
            throw new SchedulerConfigException(source, "final_sigmas_type", $"must be \"zero\" or \"sigma_min\", got \"{FinalSigmasType}\"");
        if (TimestepSpacing is not ("linspace" or "leading" or "trailing"))
            throw new SchedulerConfigException(source, "timestep_spacing", $"must be \"linspace\", \"leading\" or \"trailing\", got \"{TimestepSpacing}\"");
        if (BetaSchedule is not ("linear" or "scaled_linear" or "squaredcos_cap_v2") && !HasTrainedBetas)
            throw new SchedulerConfigException(source, "beta_schedule", $"\"{BetaSchedule}\" is not a diffusers beta schedule");
        if (!LowerOrderFinal && SolverOrder >= 2)
            Unsupported(source, "lower_order_final", "false",
                $"with solver_order {SolverOrder} and a final sigma of 0 the last predictor divides by r = 0 (diffusers returns inf/NaN there)");
        foreach (int i in DisableCorrector)
            if (i < 0) throw new SchedulerConfigException(source, "disable_corrector", $"step indices must be non-negative, got {i}");
    }

    private static void Unsupported(string source, string key, string value, string why) =>
        throw new SchedulerConfigException(source, key, $"{value} is not supported: {why}");
}
