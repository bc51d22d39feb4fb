using System.CommandLine;
using System.Globalization;
using FastVideo.Cuda;
using FastVideo.Cuda.Diagnostics;

namespace FastVideo.Cli;

/// <summary>
/// <c>fastvideo selftest --device cuda</c>: every op of the CUDA backend against the CPU backend on fresh random
/// inputs (odd sizes and Wan2.1 shapes; outputs poisoned with NaN before each op), one table row per case.
/// fp32 rows pass at relative L2 ≤ 1e-5, mixed-precision rows at ≤ 1e-2. Exit codes: 0 every supported case
/// passed, 1 a case failed or raised, 2 bad arguments, 3 no CUDA device (the reason goes to the error output; the table,
/// a report, to the output). <c>--quick</c> keeps the small-shape cases only (see <see cref="SelfTestCase.IsWanSized"/>),
/// which is what the CPU emulator can run in reasonable time; on the emulator the header names it an emulated device.
/// <c>--compile-only ARCH</c> needs no GPU: it compiles every embedded kernel source with NVRTC and stops.
/// </summary>
internal static class SelftestCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var cuda = new CudaCliOptions();
        var seed = new Option<int?>("--seed") { Description = "Seed of the random inputs (default: fresh each run, printed)" };
        var filter = new Option<string?>("--filter") { Description = "Only cases whose name contains this text" };
        var tsv = new Option<string?>("--tsv") { Description = "Also write the rows as tab-separated values to this file" };
        var compileOnly = new Option<string?>("--compile-only")
        {
            Description = "No GPU needed: compile every embedded kernel source with NVRTC for this virtual architecture (e.g. compute_80) and stop",
        };
        var quick = new Option<bool>("--quick")
        {
            Description = "Only the small-shape cases (no Wan-sized ones): a minute on the CPU emulator instead of hours",
        };
        var hopper = new Option<bool>("--hopper-attention")
        {
            Description = "Mixed-precision attention rows use the Hopper (wgmma) flash kernel on sm_90 (unverified; off by default)",
        };
        var cmd = new Command("selftest", "Check every CUDA op against the CPU backend (exit 3 when there is no CUDA device)");
        cuda.AddTo(cmd);
        cmd.Options.Add(seed);
        cmd.Options.Add(filter);
        cmd.Options.Add(tsv);
        cmd.Options.Add(compileOnly);
        cmd.Options.Add(quick);
        cmd.Options.Add(hopper);
        cmd.SetAction(parse =>
        {
            if (parse.GetValue(compileOnly) is { } arch) return CompileOnly(output, error, arch, parse.GetValue(filter));
            int ordinal = CudaCliOptions.ParseDevice(parse.GetRequiredValue(cuda.Device), out var err) ?? throw new UsageException($"selftest: {err}");
            int s = parse.GetValue(seed) ?? Environment.TickCount & 0x7fffffff;
            var mixed = cuda.Build(parse, ordinal, mixed: true) with { HopperAttention = parse.GetValue(hopper) };
            return Execute(output, error, cuda.Build(parse, ordinal, mixed: false), mixed, s, parse.GetValue(filter), parse.GetValue(tsv), parse.GetValue(quick));
        });
        return cmd;
    }

    internal static int Execute(TextWriter o, TextWriter error, CudaBackendOptions exactOptions, CudaBackendOptions mixedOptions, int seed, string? filter,
        string? tsvPath, bool quick = false)
    {
        if (!CudaBackend.TryCreate(exactOptions, out var exact, out var reason))
        {
            error.WriteLine($"fastvideo: selftest: no CUDA device: {CliApp.OneLine(reason)}");
            return CudaCliOptions.ExitNoDevice;
        }
        using (exact)
        using (var mixed = new CudaBackend(mixedOptions))
        {
            var info = exact!.CudaDevice.Info;
            o.WriteLine($"selftest: {info.Describe()}, seed {seed}" +
                (exactOptions.KernelDirectory != null ? $", kernels from {exactOptions.KernelDirectory} first" : "") +
                (quick ? ", quick (small shapes only)" : ""));
            var runner = new SelfTestRunner(exact, mixed, seed);
            var cases = Select(SelfTestCases.All, filter, quick);
            var results = new List<SelfTestResult>();
            o.WriteLine($"{"status",-8} {"case",-64} {"rel L2",10} {"tol",7} {"cuda ms",9}  note");
            for (int i = 0; i < cases.Count; i++)
            {
                var r = runner.Run(cases[i], i);
                results.Add(r);
                o.WriteLine(FormatRow(r));
            }
            int passed = results.Count(r => r.Status == SelfTestStatus.Passed);
            int failed = results.Count(r => r.Status is SelfTestStatus.Failed or SelfTestStatus.Error);
            int unsupported = results.Count(r => r.Status == SelfTestStatus.Unsupported);
            int missing = results.Count(r => r.Status == SelfTestStatus.NotImplemented);
            o.WriteLine("kernel modules:");
            foreach (var m in exact.Modules.Origins.Concat(mixed.Modules.Origins).DistinctBy(m => m.Module))
                o.WriteLine($"  {m.Module,-20} {m.Origin}{(m.Skipped.Count > 0 ? $" (skipped: {string.Join("; ", m.Skipped)})" : "")}");
            o.WriteLine($"selftest: {passed} passed, {failed} failed, {unsupported} unsupported, {missing} not implemented (seed {seed})");
            if (tsvPath != null) WriteTsv(tsvPath, results);
            return failed > 0 ? CliApp.ExitFailure : CliApp.ExitOk;
        }
    }

    /// <summary>The cases to run: those whose name contains <paramref name="filter"/>; with <paramref name="quick"/>, not the Wan-sized ones.</summary>
    internal static List<SelfTestCase> Select(IEnumerable<SelfTestCase> all, string? filter, bool quick) =>
        all.Where(c => (filter == null || c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)) && !(quick && c.IsWanSized)).ToList();

    /// <summary>
    /// Compiles each embedded kernel source with NVRTC (headers from memory, the loader's options) to PTX for
    /// <paramref name="arch"/>: checks the embedded resources, the NVRTC binding and the sources on a machine without
    /// a GPU (gpu-check.sh runs it on the published binary). 0 all compiled, 1 a compile failed, 3 no NVRTC.
    /// </summary>
    internal static int CompileOnly(TextWriter o, TextWriter error, string arch, string? filter)
    {
        if (!Interop.Nvrtc.TryGetVersion(out int major, out int minor, out var why))
        {
            error.WriteLine($"fastvideo: selftest --compile-only: {CliApp.OneLine(why)}");
            return CudaCliOptions.ExitNoDevice;
        }
        var lib = new KernelLibrary();
        int failed = 0, done = 0;
        foreach (var m in lib.Modules.Where(m => lib.HasSource(m) && (filter == null || m.Contains(filter, StringComparison.OrdinalIgnoreCase))))
        {
            lib.TryGetSource(m, out var src, out _);
            // The Hopper-only module needs its arch-specific target.
            string a = m == Cuda.Kernels.KernelCatalog.Modules.FlashAttentionHopper ? "compute_90a" : arch;
            if (a == "compute_90a" && major < 12)
            {
                o.WriteLine($"  skip {m,-20} needs NVRTC ≥ 12 for {a}");
                continue;
            }
            var sw = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                var ptx = Interop.Nvrtc.Compile(src, m + ".cu", lib.Headers, KernelModules.NvrtcOptions(a, lib.Family(m)), cubin: false);
                o.WriteLine($"  ok   {m,-20} {a,-12} {ptx.Image.Length,9} bytes PTX  {sw.Elapsed.TotalSeconds:F1} s");
            }
            catch (Interop.CudaException e)
            {
                failed++;
                error.WriteLine($"fastvideo: selftest --compile-only: {m} ({a}) failed to compile: {CliApp.OneLine(e.Message)}");
            }
            done++;
        }
        o.WriteLine($"selftest --compile-only: NVRTC {major}.{minor}, {done} modules, {failed} failed");
        return failed > 0 || done == 0 ? CliApp.ExitFailure : CliApp.ExitOk;
    }

    private static string Status(SelfTestStatus s) => s switch
    {
        SelfTestStatus.Passed => "ok",
        SelfTestStatus.Failed => "FAIL",
        SelfTestStatus.Error => "ERROR",
        SelfTestStatus.Unsupported => "unsupp",
        _ => "notimpl",
    };

    internal static string FormatRow(SelfTestResult r)
    {
        string name = r.Case.Name.Length > 64 ? r.Case.Name[..63] + "…" : r.Case.Name;
        string rel = double.IsNaN(r.RelL2) ? "-" : r.RelL2.ToString("E2", CultureInfo.InvariantCulture);
        string ms = r.Status is SelfTestStatus.Passed or SelfTestStatus.Failed ? r.CudaMilliseconds.ToString("F2", CultureInfo.InvariantCulture) : "-";
        return $"{Status(r.Status),-8} {name,-64} {rel,10} {r.Case.Tolerance.ToString("0E0", CultureInfo.InvariantCulture),7} {ms,9}  {r.Message}";
    }

    private static void WriteTsv(string path, List<SelfTestResult> results)
    {
        using var w = new StreamWriter(path);
        w.WriteLine("status\tcase\trel_l2\ttolerance\tcuda_ms\tnote");
        foreach (var r in results)
            w.WriteLine(string.Join('\t', Status(r.Status), r.Case.Name, r.RelL2.ToString("E3", CultureInfo.InvariantCulture),
                r.Case.Tolerance.ToString(CultureInfo.InvariantCulture), r.CudaMilliseconds.ToString("F3", CultureInfo.InvariantCulture),
                r.Message.Replace('\t', ' ').Replace('\n', ' ')));
    }
}
