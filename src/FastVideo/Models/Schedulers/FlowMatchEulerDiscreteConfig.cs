namespace FastVideo.Models.Schedulers;

/// <summary>
/// diffusers <c>FlowMatchEulerDiscreteScheduler</c> configuration. Supported: a static <see cref="Shift"/>
/// (no dynamic shifting), no terminal stretch, no sigma conversion (Karras/exponential/beta), deterministic
/// sampling, non-inverted sigmas. Keys that only matter to unsupported modes (<c>base_shift</c>,
/// <c>max_shift</c>, the image sequence lengths, <c>time_shift_type</c>) are read and kept but unused.
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
    public bool InvertSigmas { get; init; }
    public double? ShiftTerminal { get; init; }
    public bool UseKarrasSigmas { get; init; }
    public bool UseExponentialSigmas { get; init; }
    public bool UseBetaSigmas { get; init; }
    public string TimeShiftType { get; init; } = "exponential";
    public bool StochasticSampling { get; init; }

    public override double FlowShift => Shift;

    public override SchedulerConfig WithFlowShift(double shift) => this with { Shift = shift };

    public override IScheduler CreateScheduler() => new FlowMatchEulerDiscreteScheduler(this);

    internal static FlowMatchEulerDiscreteConfig Read(ConfigReader r) => new()
    {
        NumTrainTimesteps = r.Int("num_train_timesteps", 1000),
        Shift = r.Double("shift", 1.0),
        UseDynamicShifting = r.Bool("use_dynamic_shifting", false),
        BaseShift = r.NullableDouble("base_shift") ?? 0.5,
        MaxShift = r.NullableDouble("max_shift") ?? 1.15,
        BaseImageSeqLen = r.Int("base_image_seq_len", 256),
        MaxImageSeqLen = r.Int("max_image_seq_len", 4096),
        InvertSigmas = r.Bool("invert_sigmas", false),
        ShiftTerminal = r.NullableDouble("shift_terminal"),
        UseKarrasSigmas = r.Bool("use_karras_sigmas", false),
        UseExponentialSigmas = r.Bool("use_exponential_sigmas", false),
        UseBetaSigmas = r.Bool("use_beta_sigmas", false),
        TimeShiftType = r.String("time_shift_type", "exponential"),
        StochasticSampling = r.Bool("stochastic_sampling", false),
    };

    public override void Validate(string source = "scheduler config")
    {
        ValidateCommon(source, "shift");
        if (TimeShiftType is not ("exponential" or "linear"))
            throw new SchedulerConfigException(source, "time_shift_type", $"must be \"exponential\" or \"linear\", got \"{TimeShiftType}\"");
        if (UseDynamicShifting) Unsupported(source, "use_dynamic_shifting", "true (resolution-dependent shifting needs mu)");
        if (ShiftTerminal is double st && st != 0) Unsupported(source, "shift_terminal", st.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (UseKarrasSigmas) Unsupported(source, "use_karras_sigmas", "true");
        if (UseExponentialSigmas) Unsupported(source, "use_exponential_sigmas", "true");
        if (UseBetaSigmas) Unsupported(source, "use_beta_sigmas", "true");
        if (InvertSigmas) Unsupported(source, "invert_sigmas", "true");
        if (StochasticSampling) Unsupported(source, "stochastic_sampling", "true");
    }

    private static void Unsupported(string source, string key, string value) =>
        throw new SchedulerConfigException(source, key, $"{value} is not supported by {DiffusersClassName} here (supported: static shift, deterministic Euler steps)");
}
