using System.CommandLine;
using System.Globalization;
using FastVideo.Cuda;
using FastVideo.Cuda.Diagnostics;

namespace FastVideo.Cli;

/// <summary>
/// <c>fastvideo bench kernels</c>: TFLOP/s and GB/s of each CUDA kernel (and cuBLASLt) on Wan2.1 shapes, timed with
/// CUDA events after warm-up, the median of many runs, inputs rotated across sets larger than the L2 cache.
/// Exit codes: 0 done, 1 a kernel failed, 2 bad arguments, 3 no CUDA device or the device is the CPU emulator
/// (<c>$FASTVIDEO_CUDA_EMULATOR</c>: its timings would mean nothing, so no figures are printed). Errors go to the error
/// output, the table to the output.
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

    /// <summary>Why bench prints no figures on the emulated device (exit 3).</summary>
    public const string EmulatorRefusal = "the CUDA device is the CPU emulator; timings would mean nothing (run bench on a real GPU)";

    private static string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);

    internal static string FormatRow(BenchResult r) =>
        $"{Trim(r.Kernel, 36),-36} {Trim(r.Shape, 34),-34} {F(r.MedianMs, "F3"),10} {F(r.MinMs, "F3"),9} " +
        $"{(r.Flops > 0 ? F(r.Tflops, "F1") : "-"),8} {F(r.GBs, "F0"),8} {r.InputSets,4}";

    private static string Trim(string s, int n) => s.Length > n ? s[..(n - 1)] + "…" : s;
}
