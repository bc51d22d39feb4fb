using System.CommandLine;
using System.Globalization;
using System.Diagnostics;
using FastVideo.Backends;
using FastVideo.Backends.Cpu;
using FastVideo.Cuda;
using FastVideo.Cuda.Diagnostics;
using FastVideo.Models.Dits.Wan;
using FastVideo.Tensors;

namespace FastVideo.Cli;

/// <summary>
/// <c>fastvideo bench kernels</c>: TFLOP/s and GB/s of each CUDA kernel (and cuBLASLt) on Wan2.1 shapes, timed with
/// CUDA events after warm-up, the median of many runs, inputs rotated across sets larger than the L2 cache.
/// Exit codes: 0 done, 1 a kernel failed, 2 bad arguments, 3 no CUDA device or the device is the CPU emulator
/// (<c>$FASTVIDEO_CUDA_EMULATOR</c>: its timings would mean nothing, so no figures are printed). Errors go to the error
/// output, the table to the output.
/// <para><c>fastvideo bench dit</c>: the end-to-end row, a Wan2.1-1.3B-sized DiT with random weights timed per denoising
/// forward (see <see cref="ExecuteDit"/>).</para>
/// </summary>
internal static class BenchCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var bench = new Command("bench", "Benchmarks");
        var cuda = new CudaCliOptions();
        var runs = new Option<int>("--runs") { Description = "Timed runs per kernel (the median is reported)", DefaultValueFactory = _ => 50 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed runs first", DefaultValueFactory = _ => 5 };
        var filter = new Option<string?>("--filter") { Description = "Only kernels whose case name contains this text (e.g. gemm, flash, norm)" };
        var tsv = new Option<string?>("--tsv") { Description = "Also write the rows as tab-separated values to this file" };
        var kernels = new Command("kernels", "Time every CUDA kernel on Wan2.1 shapes (exit 3 when there is no CUDA device, or it is the CPU emulator)");
        cuda.AddTo(kernels);
        kernels.Options.Add(runs);
        kernels.Options.Add(warmup);
        kernels.Options.Add(filter);
        kernels.Options.Add(tsv);
        kernels.SetAction(parse =>
        {
            int ordinal = CudaCliOptions.ParseDevice(parse.GetRequiredValue(cuda.Device), out var err) ?? throw new UsageException($"bench kernels: {err}");
            int r = parse.GetValue(runs), w = parse.GetValue(warmup);
            if (r < 1 || w < 0) throw new UsageException($"bench kernels: --runs must be ≥ 1 and --warmup ≥ 0, got {r} and {w}");
            return Execute(output, error, cuda.Build(parse, ordinal, mixed: true), r, w, parse.GetValue(filter), parse.GetValue(tsv));
        });
        bench.Subcommands.Add(kernels);
        bench.Subcommands.Add(CreateDit(output, error));
        return bench;
    }

    internal static int Execute(TextWriter o, TextWriter error, CudaBackendOptions options, int runs, int warmup, string? filter, string? tsvPath)
    {
        if (!CudaBackend.TryCreate(options, out var backend, out var reason))
        {
            error.WriteLine($"fastvideo: bench: no CUDA device: {CliApp.OneLine(reason)}");
            return CudaCliOptions.ExitNoDevice;
        }
        using (backend)
        {
            var info = backend!.CudaDevice.Info;
            if (info.IsEmulated)
            {
                error.WriteLine($"fastvideo: bench: {EmulatorRefusal}");
                return CudaCliOptions.ExitNoDevice;
            }
            o.WriteLine($"bench kernels: cuda:{info.Ordinal} {info.Name} ({info.Architecture}, {info.Multiprocessors} SMs, L2 {info.L2CacheBytes >> 20} MiB, " +
                $"datasheet DRAM {info.PeakBandwidthGBs:F0} GB/s), median of {runs} runs after {warmup} warm-up");
            o.WriteLine($"{"kernel",-36} {"shape",-34} {"median ms",10} {"min ms",9} {"TFLOP/s",8} {"GB/s",8} {"sets",4}");
            var bench = new KernelBench(backend) { Runs = runs, Warmup = warmup };
            int errors = 0;
            var results = bench.RunAll(filter, r => o.WriteLine(FormatRow(r)), (name, e) =>
            {
                errors++;
                error.WriteLine($"fastvideo: bench kernels: {name} failed: {CliApp.OneLine(e.Message)}");
            });
            foreach (var m in backend.Modules.Origins) o.WriteLine($"  module {m.Module,-20} {m.Origin}");
            if (tsvPath != null)
            {
                using var w = new StreamWriter(tsvPath);
                w.WriteLine("kernel\tshape\tmedian_ms\tmin_ms\ttflops\tgbs\truns\tsets");
                foreach (var r in results)
                    w.WriteLine(string.Join('\t', r.Kernel, r.Shape, F(r.MedianMs, "F4"), F(r.MinMs, "F4"), F(r.Tflops, "F2"), F(r.GBs, "F1"), r.Runs, r.InputSets));
            }
            o.WriteLine($"bench kernels: {results.Count} timed, {errors} failed");
            return errors > 0 ? CliApp.ExitFailure : CliApp.ExitOk;
        }
    }

    private static Command CreateDit(TextWriter output, TextWriter error)
    {
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N", DefaultValueFactory = _ => "cuda" };
        var precision = new Option<string?>("--precision") { Description = "fp32 | bf16 (default: bf16 on cuda, fp32 on cpu, which has no bf16 path)" };
        var layers = new Option<int>("--layers") { Description = "Transformer blocks (Wan2.1-1.3B: 30)", DefaultValueFactory = _ => 30 };
        var height = new Option<int>("--height") { Description = "Video height in pixels (multiple of 16)", DefaultValueFactory = _ => 480 };
        var width = new Option<int>("--width") { Description = "Video width in pixels (multiple of 16)", DefaultValueFactory = _ => 832 };
        var frames = new Option<int>("--num-frames") { Description = "Video frames (4k + 1)", DefaultValueFactory = _ => 81 };
        var steps = new Option<int>("--steps") { Description = "Timed denoising-step forwards (after one warm-up forward)", DefaultValueFactory = _ => 2 };
        var tsv = new Option<string?>("--tsv") { Description = "Also write the per-step times and the summary as tab-separated values to this file" };
        var dit = new Command("dit", "Time denoising-step forwards of a Wan2.1-1.3B-sized DiT with random weights (exit 3 when there is no CUDA device)");
        foreach (var opt in new Option[] { device, precision, layers, height, width, frames, steps, tsv }) dit.Options.Add(opt);
        dit.SetAction(parse =>
        {
            var dev = CliDevices.Check(parse.GetRequiredValue(device));
            var prec = parse.GetValue(precision) switch
            {
                null => dev.Type == DeviceType.Cpu ? Precision.Fp32 : Precision.Bf16,
                "fp32" => Precision.Fp32,
                "bf16" => Precision.Bf16,
                var p => throw new UsageException($"bench dit: --precision must be fp32 or bf16, got '{p}'"),
            };
            if (dev.Type == DeviceType.Cpu && prec == Precision.Bf16)
                throw new UsageException($"bench dit: --precision bf16 --device cpu: {Entrypoints.VideoGenerator.CpuBf16Unsupported}");
            var args = new DitBenchArgs(dev, prec, parse.GetValue(layers), parse.GetValue(height), parse.GetValue(width), parse.GetValue(frames),
                parse.GetValue(steps), parse.GetValue(tsv));
            args.Validate();
            return ExecuteDit(output, error, args);
        });
        return dit;
    }

    internal sealed record DitBenchArgs(Device Device, Precision Precision, int Layers, int Height, int Width, int NumFrames, int Steps, string? TsvPath)
    {
        public void Validate()
        {
            if (Layers < 1) throw new UsageException($"bench dit: --layers must be ≥ 1, got {Layers}");
            if (Height < 16 || Height % 16 != 0) throw new UsageException($"bench dit: --height must be a positive multiple of 16, got {Height}");
            if (Width < 16 || Width % 16 != 0) throw new UsageException($"bench dit: --width must be a positive multiple of 16, got {Width}");
            if (NumFrames < 1 || NumFrames % 4 != 1) throw new UsageException($"bench dit: --num-frames must be 4k + 1 (1, 5, …, 81), got {NumFrames}");
            if (Steps < 1) throw new UsageException($"bench dit: --steps must be ≥ 1, got {Steps}");
        }

        /// <summary>Latent [1, 16, T, H, W]: Wan's VAE compresses 4× in time (first frame kept) and 8× in space.</summary>
        public int[] LatentShape => [1, 16, (NumFrames - 1) / 4 + 1, Height / 8, Width / 8];
    }

    /// <summary>Wan2.1-T2V-1.3B's transformer config (dim 1536, 12 heads × 128, FFN 8960, text 4096, freq 256, patch 1×2×2).</summary>
    internal static WanTransformerConfig Wan13BConfig(int layers) => new()
    {
        NumAttentionHeads = 12,
        AttentionHeadDim = 128,
        FfnDim = 8960,
        NumLayers = layers,
        TextDim = 4096,
        FreqDim = 256,
        InChannels = 16,
        OutChannels = 16,
        PatchSize = [1, 2, 2],
    };

    /// <summary>
    /// Builds the DiT with deterministic random BF16 weights (N(0, 0.02²), gains 1 + N(0, 0.02²)) directly on the device,
    /// random latents and a [1, 512, 4096] text embedding, runs one warm-up forward and then <c>Steps</c> timed ones (the
    /// device synchronised before each clock read), printing one line per step and a summary: ms per step, the device
    /// allocator's peak bytes, tokens, precision, device. Exit 0, 1 when a forward fails, 3 when the CUDA device cannot be
    /// opened. On the CPU or the emulated CUDA device the summary says the figure is not a GPU timing.
    /// </summary>
    internal static int ExecuteDit(TextWriter o, TextWriter error, DitBenchArgs a)
    {
        IBackend backend;
        string deviceName;
        bool notGpu;
        if (a.Device.Type == DeviceType.Cpu)
        {
            backend = CpuBackend.Default;
            deviceName = "cpu";
            notGpu = true;
        }
        else
        {
            if (!CudaBackend.TryCreate(CliDevices.CudaOptions(a.Device.Index, a.Precision), out var cuda, out var reason))
            {
                error.WriteLine($"fastvideo: bench dit: no CUDA device: {CliApp.OneLine(reason)}");
                return CudaCliOptions.ExitNoDevice;
            }
            backend = cuda!;
            var info = cuda!.CudaDevice.Info;
            deviceName = $"cuda:{info.Ordinal} {info.Name} ({info.Architecture})";
            notGpu = info.IsEmulated;
        }
        try
        {
            var config = Wan13BConfig(a.Layers);
            var latentShape = a.LatentShape;
            int tokens = latentShape[2] * (latentShape[3] / 2) * (latentShape[4] / 2);
            string prec = a.Precision == Precision.Bf16 ? "bf16" : "fp32";
            using var checkpoint = new WanRandomCheckpoint(config);
            o.WriteLine($"bench dit: Wan2.1-1.3B-sized DiT (dim {config.InnerDim}, {config.NumAttentionHeads}×{config.AttentionHeadDim} heads, " +
                $"FFN {config.FfnDim}, {config.NumLayers} layers, {checkpoint.ParameterCount / 1e9:F2} B parameters, random BF16 weights), " +
                $"{a.Height}×{a.Width}×{a.NumFrames} → latent [{string.Join(", ", latentShape)}], {tokens} tokens, text [1, 512, {config.TextDim}], {prec}, {deviceName}");
            var load = Stopwatch.StartNew();
            using var model = WanTransformer3DModel.Load(backend, config, checkpoint);
            backend.Synchronize();
            o.WriteLine($"  weights built in {load.Elapsed.TotalSeconds:F1} s");
            var rng = new Random(1234);
            using var latents = Tensor.FromHost<float>(backend.Allocator, Normal(rng, ShapeUtil.Numel(latentShape)), latentShape);
            using var text = Tensor.FromHost<float>(backend.Allocator, Normal(rng, 512L * config.TextDim), [1, 512, config.TextDim]);
            double Step(float t)
            {
                backend.Synchronize();
                var sw = Stopwatch.StartNew();
                using (var y = model.Forward(latents, [t], text)) backend.Synchronize();
                return sw.Elapsed.TotalMilliseconds;
            }
            double warm = Step(999f);
            o.WriteLine($"  warm-up  {warm,10:F1} ms");
            var times = new List<double>();
            for (int i = 0; i < a.Steps; i++)
            {
                double ms = Step(999f - 1000f * (i + 1) / (a.Steps + 1));
                times.Add(ms);
                o.WriteLine($"  step {i + 1,-3} {ms,10:F1} ms");
            }
            double mean = times.Average();
            long peak = backend.Allocator.Stats.PeakBytes;
            string note = notGpu ? $" (not a GPU timing: the {(a.Device.Type == DeviceType.Cpu ? "CPU backend" : "CUDA device is the CPU emulator")})" : "";
            o.WriteLine($"bench dit: {F(mean, "F1")} ms per step (mean of {a.Steps}, best {F(times.Min(), "F1")}), peak device memory {peak:N0} bytes " +
                $"({peak / (double)(1L << 30):F2} GiB), {tokens} tokens, {prec}, {deviceName}{note}");
            if (a.TsvPath != null)
            {
                using var w = new StreamWriter(a.TsvPath);
                w.WriteLine("row	ms	peak_bytes	tokens	layers	shape	precision	device	gpu_timing");
                string shape = $"{a.Height}x{a.Width}x{a.NumFrames}";
                string gpu = notGpu ? "no" : "yes";
                w.WriteLine(string.Join('	', "warmup", F(warm, "F3"), peak, tokens, a.Layers, shape, prec, deviceName, gpu));
                for (int i = 0; i < times.Count; i++)
                    w.WriteLine(string.Join('	', $"step{i + 1}", F(times[i], "F3"), peak, tokens, a.Layers, shape, prec, deviceName, gpu));
                w.WriteLine(string.Join('	', "mean", F(mean, "F3"), peak, tokens, a.Layers, shape, prec, deviceName, gpu));
            }
            return CliApp.ExitOk;
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            error.WriteLine($"fastvideo: bench dit: {CliApp.OneLine(e.Message)}");
            return CliApp.ExitFailure;
        }
        finally
        {
            if (backend is CudaBackend c) c.Dispose();
        }
    }

    private static float[] Normal(Random rng, long count)
    {
        var v = new float[count];
        for (long i = 0; i < count; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            v[i] = (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return v;
    }

    /// <summary>Why bench prints no figures on the emulated device (exit 3).</summary>
    public const string EmulatorRefusal = "the CUDA device is the CPU emulator; timings would mean nothing (run bench on a real GPU)";

    private static string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);

    internal static string FormatRow(BenchResult r) =>
        $"{Trim(r.Kernel, 36),-36} {Trim(r.Shape, 34),-34} {F(r.MedianMs, "F3"),10} {F(r.MinMs, "F3"),9} " +
        $"{(r.Flops > 0 ? F(r.Tflops, "F1") : "-"),8} {F(r.GBs, "F0"),8} {r.InputSets,4}";

    private static string Trim(string s, int n) => s.Length > n ? s[..(n - 1)] + "…" : s;
}
