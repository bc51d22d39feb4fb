using System.Globalization;

namespace FastVideo.Models.Schedulers;

/// <summary>
/// diffusers <c>UniPCMultistepScheduler</c> configuration, implemented as diffusers main does: flow sigmas
/// (<c>use_flow_sigmas true</c>, as Wan ships it; static <c>flow_shift</c> or <c>use_dynamic_shifting</c> with μ given to
/// SetTimesteps and <c>time_shift_type</c>; <c>shift_terminal</c>; Karras sigmas from the VP table bounded by
/// <c>sigma_min</c>/<c>sigma_max</c>) or the variance-preserving schedule of the beta keys (<c>timestep_spacing</c>,
/// <c>steps_offset</c>, Karras / exponential / beta sigmas); any <see cref="SolverOrder"/> ≥ 1; bh1 and bh2; the
/// data-prediction (<c>predict_x0</c>) and noise-prediction forms; every <c>prediction_type</c> (flow, epsilon, sample,
/// v); <c>lower_order_final</c>; <c>disable_corrector</c>; <c>final_sigmas_type</c> "zero" and "sigma_min"; dynamic
/// thresholding. <see cref="Validate"/> rejects, naming the key: what diffusers itself rejects, an external
/// <c>solver_p</c>, and combinations for which diffusers' result is NaN or ±∞ (exponential/beta sigmas with flow
/// sigmas; bh1 or the noise-prediction form with a final sigma of 0; see also <see cref="ValidateSteps"/>). With flow
/// sigmas diffusers replaces the timesteps of <c>timestep_spacing</c> by σ·N. The property defaults are the Wan
/// configuration (flow shift 1); keys missing from a JSON file take diffusers' constructor defaults instead
/// (<c>prediction_type "epsilon"</c>, <c>use_flow_sigmas false</c>).
/// </summary>
public sealed record UniPCMultistepConfig : SchedulerConfig
{
    public const string DiffusersClassName = "UniPCMultistepScheduler";

    public override string ClassName => DiffusersClassName;

    public double BetaStart { get; init; } = 0.0001;
    public double BetaEnd { get; init; } = 0.02;
    public string BetaSchedule { get; init; } = "linear";
    /// <summary><c>trained_betas</c>: explicit betas replacing the schedule (null = none).</summary>
    public IReadOnlyList<double>? TrainedBetas { get; init; }
    public int SolverOrder { get; init; } = 2;
    /// <summary>"flow_prediction", "epsilon", "sample" or "v_prediction".</summary>
    public string PredictionType { get; init; } = "flow_prediction";
    public bool Thresholding { get; init; }
    public double DynamicThresholdingRatio { get; init; } = 0.995;
    public double SampleMaxValue { get; init; } = 1.0;
    public bool PredictX0 { get; init; } = true;
    /// <summary>"bh1" or "bh2" (diffusers maps the legacy "midpoint", "heun", "logrho" to "bh2").</summary>
    public string SolverType { get; init; } = "bh2";
    /// <summary>
    /// The predictor order of step i is capped by n − i, so the last step is first order. diffusers' docstring says
    /// "only valid for &lt; 15 inference steps", but its code applies the cap at every step count, and so does this.
    /// </summary>
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
    /// <summary>"zero" (the last step goes to σ = 0) or "sigma_min" (it repeats the last sigma).</summary>
    public string FinalSigmasType { get; init; } = "zero";
    public bool RescaleBetasZeroSnr { get; init; }
    public bool UseDynamicShifting { get; init; }
    /// <summary>"exponential" or "linear" (read only with <see cref="UseDynamicShifting"/>).</summary>
    public string TimeShiftType { get; init; } = "exponential";
    /// <summary>Lower bound of the Karras ramp (null: the VP schedule's smallest sigma).</summary>
    public double? SigmaMin { get; init; }
    /// <summary>Upper bound of the Karras ramp (null: the VP schedule's largest sigma).</summary>
    public double? SigmaMax { get; init; }
    /// <summary>Stretches the flow sigmas so that the last one is this value (null or 0: off).</summary>
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
            TrainedBetas = r.DoubleList("trained_betas"),
            SolverOrder = r.Int("solver_order", 2),
            // diffusers' default is "epsilon"
            PredictionType = r.String("prediction_type", "epsilon"),
            Thresholding = r.Bool("thresholding", false),
            DynamicThresholdingRatio = r.Double("dynamic_thresholding_ratio", 0.995),
            SampleMaxValue = r.Double("sample_max_value", 1.0),
            PredictX0 = r.Bool("predict_x0", true),
            SolverType = solverType,
            LowerOrderFinal = r.Bool("lower_order_final", true),
            DisableCorrector = r.IntList("disable_corrector"),
            HasSolverP = r.Has("solver_p"),
            UseKarrasSigmas = r.Bool("use_karras_sigmas", false),
            UseExponentialSigmas = r.Bool("use_exponential_sigmas", false),
            UseBetaSigmas = r.Bool("use_beta_sigmas", false),
            // diffusers' default is false (the VP schedule)
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
        SchedulerChecks.TrainTimesteps(source, NumTrainTimesteps);
        if (SolverOrder < 1)
            throw new SchedulerConfigException(source, "solver_order", $"must be at least 1, got {SolverOrder}");

        // What diffusers' constructor, set_timesteps or step raise on.
        if ((UseKarrasSigmas ? 1 : 0) + (UseExponentialSigmas ? 1 : 0) + (UseBetaSigmas ? 1 : 0) > 1)
            throw new SchedulerConfigException(source, UseKarrasSigmas ? "use_karras_sigmas" : "use_exponential_sigmas",
                "only one of use_beta_sigmas, use_exponential_sigmas, use_karras_sigmas can be true");
        if (TrainedBetas is null && BetaSchedule is not ("linear" or "scaled_linear" or "squaredcos_cap_v2"))
            throw new SchedulerConfigException(source, "beta_schedule", $"\"{BetaSchedule}\" is not a diffusers beta schedule (linear, scaled_linear, squaredcos_cap_v2)");
        if (TrainedBetas is { Count: 0 })
            throw new SchedulerConfigException(source, "trained_betas", "must not be empty");
        if (ShiftTerminal is not null && !UseFlowSigmas)
            throw new SchedulerConfigException(source, "shift_terminal", "is only supported with use_flow_sigmas true");
        if (SolverType is not ("bh1" or "bh2"))
            throw new SchedulerConfigException(source, "solver_type", $"unknown solver type \"{SolverType}\" (diffusers knows \"bh1\", \"bh2\")");
        if (PredictionType is not ("flow_prediction" or "epsilon" or "sample" or "v_prediction"))
            throw new SchedulerConfigException(source, "prediction_type",
                $"\"{PredictionType}\" must be one of \"epsilon\", \"sample\", \"v_prediction\", \"flow_prediction\"");
        if (!PredictX0 && PredictionType == "flow_prediction")
            throw new SchedulerConfigException(source, "predict_x0",
                "false is not possible with prediction_type \"flow_prediction\" (diffusers' noise-prediction form knows only epsilon, sample, v_prediction)");
        if (TimestepSpacing is not ("linspace" or "leading" or "trailing"))
            throw new SchedulerConfigException(source, "timestep_spacing", $"must be \"linspace\", \"leading\" or \"trailing\", got \"{TimestepSpacing}\"");
        if (FinalSigmasType is not ("zero" or "sigma_min"))
            throw new SchedulerConfigException(source, "final_sigmas_type", $"must be \"zero\" or \"sigma_min\", got \"{FinalSigmasType}\"");
        if (UseDynamicShifting && TimeShiftType is not ("exponential" or "linear"))
            throw new SchedulerConfigException(source, "time_shift_type", $"must be \"exponential\" or \"linear\", got \"{TimeShiftType}\"");
        if (Thresholding && !(DynamicThresholdingRatio >= 0 && DynamicThresholdingRatio <= 1))
            throw new SchedulerConfigException(source, "dynamic_thresholding_ratio",
                $"must be in [0, 1] (a quantile), got {DynamicThresholdingRatio.ToString(CultureInfo.InvariantCulture)}");

        // Not implemented here.
        if (HasSolverP) Unsupported(source, "solver_p", "a scheduler", "an external predictor is not implemented");

        // Combinations for which diffusers' own result is not finite.
        if (UseFlowSigmas && UseExponentialSigmas)
            Unsupported(source, "use_exponential_sigmas", "true",
                "with flow sigmas diffusers feeds VP sigmas (> 1) to α = 1 − σ and every sample becomes NaN");
        if (UseFlowSigmas && UseBetaSigmas)
            Unsupported(source, "use_beta_sigmas", "true",
                "with flow sigmas diffusers feeds VP sigmas (> 1) to α = 1 − σ and every sample becomes NaN");
        if (FinalSigmasType == "zero" && SolverType == "bh1")
            Unsupported(source, "solver_type", "\"bh1\" with final_sigmas_type \"zero\"",
                "the last step's B(h) = h is infinite and diffusers' result is NaN (use final_sigmas_type \"sigma_min\")");
        if (FinalSigmasType == "zero" && !PredictX0)
            Unsupported(source, "predict_x0", "false with final_sigmas_type \"zero\"",
                "the last step multiplies σ = 0 by e^h = ∞ and diffusers' result is NaN (use final_sigmas_type \"sigma_min\")");

        bool shiftUsed = UseFlowSigmas && !UseDynamicShifting && !UseKarrasSigmas;
        if (shiftUsed && (!double.IsFinite(Shift) || Shift <= 0))
            throw new SchedulerConfigException(source, "flow_shift", $"must be a positive number, got {Shift.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>
    /// The predictor order of the last of <paramref name="steps"/> steps: min(order, n − i) with
    /// <see cref="LowerOrderFinal"/> (else the order), capped by the warm-up min(i + 1, order).
    /// </summary>
    internal int LastStepOrder(int steps) => Math.Min(LowerOrderFinal ? 1 : SolverOrder, Math.Min(steps, SolverOrder));

    /// <summary>
    /// Rejects a schedule for which diffusers' last step is not finite: to a final sigma of 0 a predictor of
    /// order ≥ 2 divides by r = 0 (±∞); to a final sigma equal to the last one (h = 0) an order ≥ 3 solves a NaN system.
    /// </summary>
    internal void ValidateSteps(IReadOnlyList<float> sigmas, string source)
    {
        int steps = sigmas.Count - 1;
        int last = LastStepOrder(steps);
        if (sigmas[steps] == 0f && last >= 2)
            Unsupported(source, "lower_order_final", "false",
                $"with solver_order {SolverOrder}, {steps} steps and a final sigma of 0 the last predictor has order {last} and divides by r = 0 (diffusers returns ±inf)");
        if (sigmas[steps] == sigmas[steps - 1] && last >= 3)
            Unsupported(source, "lower_order_final", "false",
                $"with solver_order {SolverOrder}, {steps} steps and final_sigmas_type \"sigma_min\" the last predictor has order {last} and h = 0 (diffusers returns NaN)");
    }

    private static void Unsupported(string source, string key, string value, string why) =>
        throw new SchedulerConfigException(source, key, $"{value} is not supported: {why}");
}
