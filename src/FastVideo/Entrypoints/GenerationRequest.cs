using FastVideo.Media;

namespace FastVideo.Entrypoints;

/// <summary>Which scheduler the denoising loop uses.</summary>
public enum SchedulerKind
{
    /// <summary>Whatever the checkpoint's scheduler_config.json names.</summary>
    Checkpoint,
    UniPC,
    FlowMatch,
}

/// <summary>
/// One generation. Unset (null) values come from the model's preset (<see cref="WanPresets"/>); call
/// <see cref="Resolve"/> to get the complete, validated settings.
/// </summary>
public sealed record GenerationRequest
{
    /// <summary>
    /// The most denoising steps a request may ask for. Wan checkpoints sample well in 20–50 steps and were trained on
    /// 1000 timesteps; 10000 leaves room for any experiment while keeping the schedule arrays (steps + 1 entries)
    /// far from int overflow and a run from silently lasting days.
    /// </summary>
    public const int StepsLimit = 10_000;

    /// <summary>
    /// The longest prompt encoding (in tokens) a request may ask for. Wan's UMT5-XXL encoder was trained on and is
    /// used by diffusers at 512 tokens; its relative-position buckets saturate at max_distance 128, so longer inputs
    /// add no positional information, while self-attention and its position bias grow as L² (at 4096 tokens already
    /// 4096²·64 heads·4 bytes = 4 GiB of bias per prompt). 4096 is 8× the trained length and keeps every L² size
    /// well inside int range.
    /// </summary>
    public const int SequenceLengthLimit = 4096;

    /// <summary>The largest height or width in pixels: the largest image side the output writers accept
    /// (<see cref="Pipelines.ImageLimits.MaxSide"/>), far beyond any Wan resolution (1280×720).</summary>
    public const int SideLimit = Pipelines.ImageLimits.MaxSide;

    /// <summary>The most frames a request may ask for (1 + 4k): 4097 frames, over four minutes at 16 fps.</summary>
    public const int FramesLimit = 4097;

    /// <summary>
    /// Throws <see cref="ArgumentException"/> when a video of <paramref name="frames"/> × <paramref name="height"/> ×
    /// <paramref name="width"/> RGB values cannot be held: the decoded video is one array of that many bytes (and one
    /// float tensor of that many values), so the product must stay within the largest array.
    /// </summary>
    public static void CheckVideoSize(long frames, long height, long width)
    {
        long values = frames * height * width * 3;
        if (values > Array.MaxLength)
            throw new ArgumentException(
                $"{frames} frames of {width}×{height} are {values:N0} RGB values, more than one video buffer can hold ({Array.MaxLength:N0}); use fewer frames or a smaller size",
                "num-frames");
    }

    public required string Prompt { get; init; }
    public string? NegativePrompt { get; init; }
    /// <summary>Input image for image-to-video (uint8 RGB [H, W, 3] file path).</summary>
    public string? ImagePath { get; init; }
    public int? Height { get; init; }
    public int? Width { get; init; }
    public int? NumFrames { get; init; }
    public int? Steps { get; init; }
    public float? GuidanceScale { get; init; }
    public float? FlowShift { get; init; }
    public SchedulerKind Scheduler { get; init; } = SchedulerKind.Checkpoint;
    public int? MaxSequenceLength { get; init; }
    public long? Seed { get; init; }
    public int? Fps { get; init; }

    public ResolvedRequest Resolve(WanPreset preset)
    {
        var r = new ResolvedRequest(
            Prompt,
            NegativePrompt ?? preset.NegativePrompt,
            ImagePath,
            Height ?? preset.Height,
            Width ?? preset.Width,
            NumFrames ?? preset.NumFrames,
            Steps ?? preset.Steps,
            GuidanceScale ?? preset.GuidanceScale,
            FlowShift ?? preset.FlowShift,
            Scheduler,
            MaxSequenceLength ?? preset.MaxSequenceLength,
            Seed ?? preset.Seed,
            Fps ?? preset.Fps);
        r.Validate();
        return r;
    }
}

/// <summary>A request with every value decided.</summary>
public sealed record ResolvedRequest(
    string Prompt, string NegativePrompt, string? ImagePath,
    int Height, int Width, int NumFrames, int Steps, float GuidanceScale, float FlowShift,
    SchedulerKind Scheduler, int MaxSequenceLength, long Seed, int Fps)
{
    /// <summary>Classifier-free guidance runs when the scale is above 1.</summary>
    public bool DoClassifierFreeGuidance => GuidanceScale > 1f;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        static void Fail(string name, object value, string rule) =>
            throw new ArgumentException($"{name} = {value}: {rule}", name);

        if (string.IsNullOrWhiteSpace(Prompt)) Fail("prompt", "\"\"", "must not be empty");
        if (NumFrames < 1 || (NumFrames - 1) % 4 != 0)
            Fail("num-frames", NumFrames, $"must be 1 + 4k (e.g. {Math.Max(1, (NumFrames - 1) / 4 * 4 + 1)} or {((Math.Max(NumFrames, 1) - 1) / 4 + 1) * 4 + 1})");
        if (NumFrames > GenerationRequest.FramesLimit) Fail("num-frames", NumFrames, $"must be at most {GenerationRequest.FramesLimit}");
        if (Height < 16 || Height % 16 != 0) Fail("height", Height, "must be a positive multiple of 16");
        if (Width < 16 || Width % 16 != 0) Fail("width", Width, "must be a positive multiple of 16");
        if (Height > GenerationRequest.SideLimit) Fail("height", Height, $"must be at most {GenerationRequest.SideLimit}");
        if (Width > GenerationRequest.SideLimit) Fail("width", Width, $"must be at most {GenerationRequest.SideLimit}");
        GenerationRequest.CheckVideoSize(NumFrames, Height, Width);
        if (Steps < 1) Fail("steps", Steps, "must be at least 1");
        if (Steps > GenerationRequest.StepsLimit) Fail("steps", Steps, $"must be at most {GenerationRequest.StepsLimit}");
        if (!float.IsFinite(GuidanceScale) || (GuidanceScale < 1f && GuidanceScale != 0f))
            Fail("guidance-scale", GuidanceScale, "must be ≥ 1 (or 0/1 to turn classifier-free guidance off)");
        if (!float.IsFinite(FlowShift) || FlowShift <= 0) Fail("flow-shift", FlowShift, "must be positive");
        if (MaxSequenceLength < 1) Fail("max-sequence-length", MaxSequenceLength, "must be at least 1");
        if (MaxSequenceLength > GenerationRequest.SequenceLengthLimit)
            Fail("max-sequence-length", MaxSequenceLength, $"must be at most {GenerationRequest.SequenceLengthLimit} tokens (the text encoder is trained on 512)");
        if (Fps < 1) Fail("fps", Fps, "must be at least 1");
        if (Seed < 0) Fail("seed", Seed, "must be non-negative");
    }
}

/// <summary>Where and how to save a result.</summary>
public sealed record SaveOptions(string Path, OutputFormat Format = OutputFormat.Mp4, bool ContactSheet = false)
{
    /// <summary>Replace an existing regular file (or write frames into a non-empty folder, replacing only
    /// <c>frame_NNNN.png</c>); without it an existing output is refused (<see cref="OutputRules"/>).</summary>
    public bool Overwrite { get; init; }
}
