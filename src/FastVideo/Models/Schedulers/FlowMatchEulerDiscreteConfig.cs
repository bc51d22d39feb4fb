using System.Globalization;

namespace FastVideo.Models.Schedulers;

/// <summary>
/// diffusers <c>FlowMatchEulerDiscreteScheduler</c> configuration, every key of diffusers main implemented: static
/// <see cref="Shift"/> or <see cref="UseDynamicShifting"/> (μ given to SetTimesteps; <see cref="TimeShiftType"/>
/// exponential or linear), <see cref="ShiftTerminal"/>, Karras / exponential / beta sigmas, <see cref="InvertSigmas"/>,
/// and <see cref="StochasticSampling"/> (needs the scheduler's generator). <c>base_shift</c>, <c>max_shift</c> and the
/// image sequence lengths are what pipelines turn into μ (<see cref="CalculateShift"/>); the scheduler itself does not
/// read them. <see cref="SigmaMin"/>/<see cref="SigmaMax"/> are not constructor arguments of this class, but a
/// config file that carries <c>sigma_min</c>/<c>sigma_max</c> keys has them registered in diffusers' config, and the
/// Karras/exponential/beta conversions then use them as bounds; so they are read too.
/// </summary>
public sealed record FlowMatchEulerDiscreteConfig : SchedulerConfig
{
    public const string DiffusersClassName = "FlowMatchEulerDiscreteScheduler";

    public override string ClassName => DiffusersClassName;

    /// <summary><c>shift</c> (default 1.0).</summary>
    public double Shift { get; init; } = 1.0;
    public bool UseDynamicShifting { get; init; }
    public double? BaseShift { get; init; } = 0.5;
    public double? MaxShift { get; init; } = 1.15;
    public int BaseImageSeqLen { get; init; } = 256;
    public int MaxImageSeqLen { get; init; } = 4096;
    /// <summary>σ → 1 − σ after the schedule is built, terminal sigma 1 (Mochi).</summary>
    public bool InvertSigmas { get; init; }
    /// <summary>Stretches the shifted sigmas so that the last one is this value (null or 0: off).</summary>
    public double? ShiftTerminal { get; init; }
    public bool UseKarrasSigmas { get; init; }
    public bool UseExponentialSigmas { get; init; }
    public bool UseBetaSigmas { get; init; }
    /// <summary>"exponential" (σ' = e^μ/(e^μ + 1/σ − 1)) or "linear" (σ' = μ/(μ + 1/σ − 1)), with dynamic shifting.</summary>
    public string TimeShiftType { get; init; } = "exponential";
    /// <summary>Each step re-noises the x0 estimate: x' = (1 − σ')·x0 + σ'·N(0, 1).</summary>
    public bool StochasticSampling { get; init; }
    /// <summary>A <c>sigma_min</c> key in the file: lower bound of the Karras/exponential/beta conversions.</summary>
    public double? SigmaMin { get; init; }
    /// <summary>A <c>sigma_max</c> key in the file: upper bound of the Karras/exponential/beta conversions.</summary>
    public double? SigmaMax { get; init; }

    public override double FlowShift => Shift;

    public override SchedulerConfig WithFlowShift(double shift) => this with { Shift = shift };

    public override IScheduler CreateScheduler() => new FlowMatchEulerDiscreteScheduler(this);

    /// <summary>
    /// diffusers pipelines' <c>calculate_shift</c>: μ = seq·m + b with m = (max_shift − base_shift)/(max_seq − base_seq),
    /// b = base_shift − m·base_seq; the μ that <c>use_dynamic_shifting</c> needs for an image of <paramref name="imageSeqLen"/> tokens.
    /// </summary>
    public double CalculateShift(int imageSeqLen)
    {
        double baseShift = BaseShift ?? 0.5, maxShift = MaxShift ?? 1.15;
        double m = (maxShift - baseShift) / (MaxImageSeqLen - BaseImageSeqLen);
        double b = baseShift - m * BaseImageSeqLen;
        return imageSeqLen * m + b;
    }

    internal static FlowMatchEulerDiscreteConfig Read(ConfigReader r) => new()
    {
        NumTrainTimesteps = r.Int("num_train_timesteps", 1000),
        Shift = r.Double("shift", 1.0),
        UseDynamicShifting = r.Bool("use_dynamic_shifting", false),
        BaseShift = r.Has("base_shift") ? r.Double("base_shift", 0.5) : 0.5,
        MaxShift = r.Has("max_shift") ? r.Double("max_shift", 1.15) : 1.15,
        BaseImageSeqLen = r.Int("base_image_seq_len", 256),
        MaxImageSeqLen = r.Int("max_image_seq_len", 4096),
        InvertSigmas = r.Bool("invert_sigmas", false),
        ShiftTerminal = r.NullableDouble("shift_terminal"),
        UseKarrasSigmas = r.Bool("use_karras_sigmas", false),
        UseExponentialSigmas = r.Bool("use_exponential_sigmas", false),
        UseBetaSigmas = r.Bool("use_beta_sigmas", false),
        TimeShiftType = r.String("time_shift_type", "exponential"),
        StochasticSampling = r.Bool("stochastic_sampling", false),
        SigmaMin = r.NullableDouble("sigma_min"),
        SigmaMax = r.NullableDouble("sigma_max"),
    };

    public override void Validate(string source = "scheduler config")
    {
        SchedulerChecks.TrainTimesteps(source, NumTrainTimesteps);
        if ((UseKarrasSigmas ? 1 : 0) + (UseExponentialSigmas ? 1 : 0) + (UseBetaSigmas ? 1 : 0) > 1)
            throw new SchedulerConfigException(source, UseKarrasSigmas ? "use_karras_sigmas" : "use_exponential_sigmas",
                "only one of use_beta_sigmas, use_exponential_sigmas, use_karras_sigmas can be true");
        if (TimeShiftType is not ("exponential" or "linear"))
            throw new SchedulerConfigException(source, "time_shift_type", $"must be \"exponential\" or \"linear\", got \"{TimeShiftType}\"");
        if (!UseDynamicShifting && (!double.IsFinite(Shift) || Shift <= 0))
            throw new SchedulerConfigException(source, "shift", $"must be a positive number, got {Shift.ToString(CultureInfo.InvariantCulture)}");
    }
}
