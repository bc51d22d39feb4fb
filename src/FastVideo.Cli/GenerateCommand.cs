using System.CommandLine;
using System.Globalization;
using FastVideo.Backends;
using FastVideo.Cli.Generate;
using FastVideo.Cuda;
using FastVideo.Entrypoints;
using FastVideo.Interop;
using FastVideo.Media;

namespace FastVideo.Cli;

/// <summary>
/// <c>fastvideo generate</c>: text-to-video (or image-to-video with <c>--image</c>) with FastVideo's options. Without
/// <c>--model</c> it runs the built-in, untrained smoke model and says so. Prints a progress bar per denoising step,
/// then where the video went, a table of stage timings and the peak memory. Ctrl+C stops between steps and writes
/// nothing. On a CUDA device a <c>device</c> line names it (and says so when it is the CPU emulator);
/// <c>--trace-kernels</c> ends with the kernels launched, a count per name, and the cuBLASLt matmul calls.
/// </summary>
internal static class GenerateCommand
{
    /// <summary>The checkpoint suggested when the smoke model ran.</summary>
    public const string SuggestedCheckpoint = "Wan-AI/Wan2.1-T2V-1.3B-Diffusers";

    public static Command Create(TextWriter output)
    {
        var model = new Option<string?>("--model", "-m") { Description = "Diffusers folder or Hugging Face repo id in the local cache (default: the built-in smoke model)" };
        var prompt = new Option<string>("--prompt", "-p") { Description = "What the video shows", Required = true };
        var negative = new Option<string?>("--negative-prompt") { Description = "What to steer away from (default: the model preset's)" };
        var image = new Option<string?>("--image") { Description = "First frame for image-to-video (needs an I2V checkpoint)" };
        var height = new Option<int?>("--height") { Description = "Height in pixels, a multiple of 16 (default: preset)" };
        var width = new Option<int?>("--width") { Description = "Width in pixels, a multiple of 16 (default: preset)" };
        var frames = new Option<int?>("--num-frames") { Description = "Frames, 1 + 4k (default: preset)" };
        var steps = new Option<int?>("--steps") { Description = "Denoising steps (default: preset)" };
        var guidance = new Option<float?>("--guidance-scale") { Description = "Classifier-free guidance scale, ≥ 1 (default: preset)" };
        var flowShift = new Option<float?>("--flow-shift") { Description = "Flow-matching time shift (default: preset)" };
        var scheduler = new Option<string?>("--scheduler") { Description = "unipc | flowmatch (default: the checkpoint's scheduler)" };
        var maxSeq = new Option<int?>("--max-sequence-length") { Description = "Text tokens the prompt is padded/truncated to (default 512 as diffusers; the smoke model uses 64)" };
        var seed = new Option<long?>("--seed") { Description = "Random seed (default: preset)" };
        var fps = new Option<int?>("--fps") { Description = "Frames per second of the saved video (default: preset)" };
        var outPath = new Option<string?>("--output", "-o") { Description = "Output file (a folder for png); default outputs/<prompt>-<seed>.<ext>" };
        var format = new Option<string?>("--format") { Description = "mp4 | png | safetensors | gif | webp (default: from --output's extension, else mp4)" };
        var sheet = new Option<bool>("--contact-sheet") { Description = "Also write a PNG grid of frames beside the video (<name>_contact.png)" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing output file (or write frames into a non-empty folder, replacing only frame_NNNN.png); never a folder, link or device" };
        var device = new Option<string>("--device") { Description = "cpu | cuda | cuda:N", DefaultValueFactory = _ => "cpu" };
        var attention = new Option<string?>("--attention-backend") { Description = "Attention implementation (default: FASTVIDEO_ATTENTION_BACKEND, else the best available)" };
        var precision = new Option<string?>("--precision") { Description = "fp32 | bf16 (default: bf16 on cuda, as FastVideo: GEMM inputs bf16 with fp32 accumulation, flash attention; fp32 on cpu, which has no bf16 path)" };
        var trace = new Option<bool>("--trace-kernels") { Description = "After the run, print each CUDA kernel launched with its count, and the cuBLASLt matmul calls" };

        var cmd = new Command("generate", "Generate a video from a prompt (Wan2.1 T2V / I2V)")
        {
            model, prompt, negative, image, height, width, frames, steps, guidance, flowShift, scheduler, maxSeq, seed, fps,
            outPath, format, sheet, overwrite, device, precision, attention, trace,
        };
        cmd.SetAction((parse, cancellation) =>
        {
            var args = new GenerateArgs
            {
                Model = parse.GetValue(model),
                Prompt = parse.GetRequiredValue(prompt),
                NegativePrompt = parse.GetValue(negative),
                Image = parse.GetValue(image),
                Height = parse.GetValue(height),
                Width = parse.GetValue(width),
                NumFrames = parse.GetValue(frames),
                Steps = parse.GetValue(steps),
                GuidanceScale = parse.GetValue(guidance),
                FlowShift = parse.GetValue(flowShift),
                Scheduler = parse.GetValue(scheduler),
                MaxSequenceLength = parse.GetValue(maxSeq),
                Seed = parse.GetValue(seed),
                Fps = parse.GetValue(fps),
                Output = parse.GetValue(outPath),
                Format = parse.GetValue(format),
                ContactSheet = parse.GetValue(sheet),
                Overwrite = parse.GetValue(overwrite),
                Device = parse.GetRequiredValue(device),
                AttentionBackend = parse.GetValue(attention),
                Precision = parse.GetValue(precision),
                TraceKernels = parse.GetValue(trace),
            };
            // A terminal gets a bar redrawn in place; a file, a pipe or a test's writer gets plain lines.
            bool interactive = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
            return Task.FromResult(Execute(output, args, interactive, cancellation));
        });
        return cmd;
    }

    internal static int Execute(TextWriter o, GenerateArgs args, bool interactive, CancellationToken cancel)
    {
        args.Validate();
        cancel.ThrowIfCancellationRequested();
        var bar = new ProgressBar(o, interactive);
        CliDevices.RegisterWithGenerator();
        VideoGenerator generator;
        try
        {
            generator = VideoGenerator.FromPretrained(args.Model, new GeneratorOptions
            {
                Device = args.Device,
                AttentionBackend = args.AttentionBackend,
                Precision = args.ResolvePrecision(),
                Log = bar.Log,
            });
        }
        catch (ModelNotFoundException e)
        {
            throw new UsageException($"--model {args.Model}: {e.Message}");
        }
        using (generator)
        {
            var request = args.ToRequest();
            ResolvedRequest settings;
            try
            {
                settings = request.Resolve(generator.Preset);
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message);
            }
            var format = args.ResolveFormat();
            var target = args.ResolveOutput(settings.Seed);
            try
            {
                MediaWriter.Plan(target, format, args.ContactSheet, args.Overwrite);
            }
            catch (OutputPathException e)
            {
                throw new UsageException($"--output {target}: {e.Message}");
            }
            o.WriteLine($"prompt    \"{settings.Prompt}\"");
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"settings  {settings.Width}×{settings.Height}, {Count(settings.NumFrames, "frame")}, {Count(settings.Steps, "step")}, guidance {settings.GuidanceScale:0.0##}, flow shift {settings.FlowShift:0.0##}, scheduler {SchedulerName(settings.Scheduler)}, seed {settings.Seed}, {settings.MaxSequenceLength} text tokens"));
            var cuda = generator.Backend as CudaBackend;
            if (cuda != null) o.WriteLine($"device    {cuda.CudaDevice.Info.Describe()}");

            SavedOutput saved;
            try
            {
                using var result = generator.Generate(request, bar, cancel);
                bar.EndLine();
                cancel.ThrowIfCancellationRequested();
                saved = result.Save(new SaveOptions(target, format, args.ContactSheet) { Overwrite = args.Overwrite }, cancel);
                o.WriteLine($"saved     {saved.Path} ({saved.Format.ToString().ToLowerInvariant()}, {Count(result.Frames.Frames, "frame")} {result.Frames.Width}×{result.Frames.Height} at {settings.Fps} fps)");
                if (saved.ContactSheetPath is { } cs) o.WriteLine($"sheet     {cs}");
                o.WriteLine();
                TimingTable.Write(o, result.Timings, result.PeakBytes,
                    generator.Backend.Device + (cuda?.CudaDevice.IsEmulated == true ? $" ({CudaDeviceInfo.EmulatedNote})" : ""));
                foreach (var line in result.ComputePaths.Describe()) o.WriteLine(line);
            }
            finally
            {
                bar.EndLine();
            }
            if (args.TraceKernels) WriteKernelTrace(o, generator.Backend);
            if (saved.Note is { } note) o.WriteLine($"note: {note}");
            if (generator.IsSmokeModel)
                o.WriteLine($"note: this was the built-in smoke model: its weights are untrained, so the video is noise. For real video, download a checkpoint (e.g. 'huggingface-cli download {SuggestedCheckpoint}') and pass --model {SuggestedCheckpoint}, or --model /path/to/a/diffusers/folder.");
        }
        return CliApp.ExitOk;
    }

    /// <summary>
    /// The <c>--trace-kernels</c> report: each kernel the CUDA backend launched, most launched first, then the cuBLASLt
    /// matmul calls as one line. On the CPU backend: one line saying no CUDA kernel was launched.
    /// </summary>
    internal static void WriteKernelTrace(TextWriter o, IBackend backend)
    {
        o.WriteLine();
        if (backend is not CudaBackend cuda)
        {
            o.WriteLine($"kernels   none: no CUDA kernels were launched (device {backend.Device} runs the {backend.Name} backend)");
            return;
        }
        var counts = cuda.KernelLaunchCounts.OrderByDescending(k => k.Value).ThenBy(k => k.Key, StringComparer.Ordinal).ToList();
        long total = counts.Sum(k => k.Value);
        o.WriteLine($"kernels   {total} launches of {Count(counts.Count, "kernel")} on {cuda.CudaDevice.Info.Describe()}");
        int width = Math.Max(5, counts.Count == 0 ? 0 : counts.Max(k => k.Value.ToString(CultureInfo.InvariantCulture).Length));
        foreach (var (name, n) in counts)
            o.WriteLine($"  {n.ToString(CultureInfo.InvariantCulture).PadLeft(width)}  {name}");
        o.WriteLine($"cublasLt  {cuda.Gemm.MatmulCalls} matmul calls");
    }

    private static string Count(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";

    private static string SchedulerName(SchedulerKind k) => k switch
    {
        SchedulerKind.UniPC => "unipc",
        SchedulerKind.FlowMatch => "flowmatch",
        _ => "from the checkpoint",
    };
}
