using System.Globalization;
using System.Text;
using FastVideo.Backends;
using FastVideo.Entrypoints;
using FastVideo.Media;
using FastVideo.Tensors;

namespace FastVideo.Cli.Generate;

/// <summary>
/// The <c>fastvideo generate</c> command line as typed (null = not given: the model's preset decides). <see cref="Validate"/>
/// checks every given value before any weight is read, so a typo costs no model load.
/// </summary>
internal sealed record GenerateArgs
{
    public string? Model { get; init; }
    public required string Prompt { get; init; }
    public string? NegativePrompt { get; init; }
    public string? Image { get; init; }
    public int? Height { get; init; }
    public int? Width { get; init; }
    public int? NumFrames { get; init; }
    public int? Steps { get; init; }
    public float? GuidanceScale { get; init; }
    public float? FlowShift { get; init; }
    public string? Scheduler { get; init; }
    public int? MaxSequenceLength { get; init; }
    public long? Seed { get; init; }
    public int? Fps { get; init; }
    public string? Output { get; init; }
    public string? Format { get; init; }
    public bool ContactSheet { get; init; }
    public bool Overwrite { get; init; }
    public string Device { get; init; } = "cpu";
    public string? AttentionBackend { get; init; }
    /// <summary>fp32 | bf16; null: auto (bf16 on CUDA, fp32 on the CPU).</summary>
    public string? Precision { get; init; }
    /// <summary>After the run, print the kernels launched (count per name) and the cuBLASLt matmul calls.</summary>
    public bool TraceKernels { get; init; }

    public static readonly string[] Formats = ["mp4", "png", "safetensors", "gif", "webp"];
    public static readonly string[] Schedulers = ["unipc", "flowmatch"];

    /// <summary>Throws <see cref="UsageException"/> naming the first bad value (option, value, rule).</summary>
    public void Validate()
    {
        static void Fail(string option, object value, string rule) =>
            throw new UsageException($"--{option} {Convert.ToString(value, CultureInfo.InvariantCulture)}: {rule}");

        if (string.IsNullOrWhiteSpace(Prompt)) Fail("prompt", "\"\"", "must not be empty");
        if (NumFrames is int f && (f < 1 || (f - 1) % 4 != 0))
        {
            int lower = 1 + Math.Max(0, f - 1) / 4 * 4;
            Fail("num-frames", f, $"must be 1 + 4k (1, 5, 9, ..., 81): use {lower} or {lower + 4}");
        }
        if (NumFrames is int fMax && fMax > GenerationRequest.FramesLimit) Fail("num-frames", fMax, $"must be at most {GenerationRequest.FramesLimit}");
        if (Height is int h && (h < 16 || h % 16 != 0)) Fail("height", h, $"must be a positive multiple of 16 (e.g. {Nearest16(h)})");
        if (Width is int w && (w < 16 || w % 16 != 0)) Fail("width", w, $"must be a positive multiple of 16 (e.g. {Nearest16(w)})");
        if (Height is int hMax && hMax > GenerationRequest.SideLimit) Fail("height", hMax, $"must be at most {GenerationRequest.SideLimit}");
        if (Width is int wMax && wMax > GenerationRequest.SideLimit) Fail("width", wMax, $"must be at most {GenerationRequest.SideLimit}");
        if (NumFrames is int vf && Height is int vh && Width is int vw)
        {
            try
            {
                GenerationRequest.CheckVideoSize(vf, vh, vw);
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"--num-frames {vf} --height {vh} --width {vw}: {e.Message.Split(" (Parameter")[0]}");
            }
        }
        if (Steps is int s && s < 1) Fail("steps", s, "must be at least 1");
        if (Steps is int sMax && sMax > GenerationRequest.StepsLimit) Fail("steps", sMax, $"must be at most {GenerationRequest.StepsLimit}");
        if (GuidanceScale is float g && !(g >= 1f && float.IsFinite(g))) Fail("guidance-scale", g, "must be at least 1 (1 turns classifier-free guidance off)");
        if (FlowShift is float fs && !(fs > 0f && float.IsFinite(fs))) Fail("flow-shift", fs, "must be positive");
        if (Scheduler is { } sch && !Schedulers.Contains(sch.ToLowerInvariant())) Fail("scheduler", sch, $"unknown scheduler; expected {string.Join(" or ", Schedulers)}");
        if (MaxSequenceLength is int msl && msl < 1) Fail("max-sequence-length", msl, "must be at least 1");
        if (MaxSequenceLength is int mslMax && mslMax > GenerationRequest.SequenceLengthLimit)
            Fail("max-sequence-length", mslMax, $"must be at most {GenerationRequest.SequenceLengthLimit} tokens (the text encoder is trained on 512)");
        if (Seed is long seed && seed < 0) Fail("seed", seed, "must be non-negative");
        if (Fps is int fps && fps < 1) Fail("fps", fps, "must be at least 1");
        if (Format is { } fmt && !Formats.Contains(fmt.ToLowerInvariant())) Fail("format", fmt, $"unknown format; expected one of {string.Join(", ", Formats)}");
        if (Image is { } img && FileNode.Kind(img) is var kind and not FileNodeKind.Regular)
            Fail("image", img, kind == FileNodeKind.Missing ? "file not found" : $"is {FileNode.Describe(kind)}; give an image file");
        try
        {
            VideoGenerator.ParseDevice(Device);
        }
        catch (ArgumentException)
        {
            Fail("device", Device, "unknown device; expected cpu, cuda or cuda:N");
        }
        if (Precision is { } pr)
        {
            if (PrecisionNames.TryParse(pr) is not { } p) Fail("precision", pr, $"unknown precision; expected {string.Join(" or ", PrecisionNames.Explicit)}");
            else if (p == Backends.Precision.Bf16 && VideoGenerator.ParseDevice(Device).Type == DeviceType.Cpu)
                Fail("precision", pr, $"not supported with --device {Device}: the CPU backend has no bf16 compute path (it computes in fp32); use --precision fp32 or --device cuda");
        }
        if (AttentionBackend is { } ab && !VideoGenerator.AttentionBackends.Contains(ab.Trim().ToLowerInvariant()))
            Fail("attention-backend", ab, $"unknown attention backend; expected one of {string.Join(", ", VideoGenerator.AttentionBackends)}");
        CheckOutput();
    }

    /// <summary>
    /// The output path(s) and the encoder, checked before any weight is read (<see cref="OutputRules"/>): a
    /// refused path is a usage error naming --output; so is an explicitly configured encoder that cannot run.
    /// </summary>
    private void CheckOutput()
    {
        var format = ResolveFormat();
        // Without --output the default name is made unique later (ResolveOutput): only its folder is checked here.
        string path = Output ?? Path.Combine(DefaultFolder, $".fastvideo-check-{Guid.NewGuid():N}{(format == OutputFormat.Png ? "" : "." + Extension(format))}");
        string option = Output is null ? $"output (default {DefaultFolder}/)" : "output";
        if (Output is "") throw new UsageException("--output '': must not be empty");
        try
        {
            MediaWriter.Plan(path, format, ContactSheet, Overwrite);
        }
        catch (OutputPathException e)
        {
            bool self = e.OutputPath == path;
            throw new UsageException($"--{option}{(Output is null ? "" : " " + Output)}: {(self ? "" : e.OutputPath + ": ")}{e.Reason}");
        }
        catch (EncoderNotFoundException e)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>Where outputs go without --output.</summary>
    public const string DefaultFolder = "outputs";

    private static int Nearest16(int v) => Math.Max(16, (v + 8) / 16 * 16);

    /// <summary>The resolved --precision for <see cref="GeneratorOptions.Precision"/> (Auto when not given).</summary>
    public Precision ResolvePrecision() => Precision is null ? Backends.Precision.Auto : PrecisionNames.TryParse(Precision) ?? Backends.Precision.Auto;

    /// <summary>The request for <see cref="VideoGenerator.Generate"/>; unset values stay null for the preset.</summary>
    public GenerationRequest ToRequest() => new()
    {
        Prompt = Prompt,
        NegativePrompt = NegativePrompt,
        ImagePath = Image,
        Height = Height,
        Width = Width,
        NumFrames = NumFrames,
        Steps = Steps,
        GuidanceScale = GuidanceScale,
        FlowShift = FlowShift,
        Scheduler = Scheduler?.ToLowerInvariant() switch
        {
            "unipc" => SchedulerKind.UniPC,
            "flowmatch" => SchedulerKind.FlowMatch,
            _ => SchedulerKind.Checkpoint,
        },
        MaxSequenceLength = MaxSequenceLength,
        Seed = Seed,
        Fps = Fps,
    };

    /// <summary>--format, else the --output extension when it names a format, else MP4.</summary>
    public OutputFormat ResolveFormat()
    {
        var name = Format?.ToLowerInvariant();
        if (name is null && Output is { } o)
        {
            var ext = Path.GetExtension(Path.TrimEndingDirectorySeparator(o)).TrimStart('.').ToLowerInvariant();
            if (Formats.Contains(ext)) name = ext;
        }
        return name switch
        {
            "png" => OutputFormat.Png,
            "safetensors" => OutputFormat.Safetensors,
            "gif" => OutputFormat.Gif,
            "webp" => OutputFormat.WebP,
            _ => OutputFormat.Mp4,
        };
    }

    /// <summary>--output, else <c>outputs/&lt;slug of the prompt&gt;-&lt;seed&gt;.&lt;ext&gt;</c> (a folder for PNG frames), numbered
    /// <c>-2</c>, <c>-3</c>, … when that name is taken.</summary>
    public string ResolveOutput(long seed)
    {
        if (Output is { } o) return o;
        var format = ResolveFormat();
        var stem = $"{Slug(Prompt)}-{seed.ToString(CultureInfo.InvariantCulture)}";
        // Never replace an earlier run's output: the first free name of stem, stem-2, stem-3, ...
        for (int n = 1; ; n++)
        {
            var name = n == 1 ? stem : $"{stem}-{n.ToString(CultureInfo.InvariantCulture)}";
            var path = Path.Combine(DefaultFolder, format == OutputFormat.Png ? name : $"{name}.{Extension(format)}");
            if (Taken(path) || Taken(Path.ChangeExtension(path, ".webp")) || Taken(Path.Combine(DefaultFolder, name + "_contact.png"))) continue;
            return path;
        }

        static bool Taken(string path) => FileNode.Kind(path, followLinks: false) != FileNodeKind.Missing;
    }

    public static string Extension(OutputFormat f) => f switch
    {
        OutputFormat.Mp4 => "mp4",
        OutputFormat.Gif => "gif",
        OutputFormat.WebP => "webp",
        OutputFormat.Safetensors => "safetensors",
        _ => "",
    };

    /// <summary>
    /// A file-name-safe short form of a prompt: ASCII letters and digits lower-cased, every other run of characters
    /// (accented and non-Latin letters included) one '-', at most <paramref name="max"/> characters cut at a word boundary when possible; "video" when nothing is left.
    /// </summary>
    public static string Slug(string prompt, int max = 48)
    {
        var sb = new StringBuilder();
        // No Unicode folding: the build runs with invariant globalization, where string.Normalize is unavailable.
        foreach (var c in prompt)
        {
            if (char.IsAsciiLetterOrDigit(c)) sb.Append(char.ToLowerInvariant(c));
            else if (sb.Length > 0 && sb[^1] != '-') sb.Append('-');
        }
        var s = sb.ToString().Trim('-');
        if (s.Length > max)
        {
            int cut = s.LastIndexOf('-', max);
            s = (cut >= max / 2 ? s[..cut] : s[..max]).Trim('-');
        }
        return s.Length == 0 ? "video" : s;
    }
}
