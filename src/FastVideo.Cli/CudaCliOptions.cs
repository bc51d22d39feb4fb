using System.CommandLine;
using FastVideo.Cuda;

namespace FastVideo.Cli;

/// <summary>Options shared by the CUDA commands (selftest, bench): device, kernel folder, debug synchronisation.</summary>
internal sealed class CudaCliOptions
{
    /// <summary>No CUDA device, driver or library (or, for bench, only the CPU emulator): the command could not run (documented in docs/GPU.md).</summary>
    public const int ExitNoDevice = 3;

    public Option<string> Device { get; } = new("--device") { Description = "cuda or cuda:N", DefaultValueFactory = _ => "cuda" };
    public Option<string?> Kernels { get; } = new("--kernels")
    {
        Description = "Folder of <module>.fatbin files built on this machine, tried before the embedded kernels (default: $FASTVIDEO_KERNEL_DIR)",
    };
    public Option<bool> Sync { get; } = new("--sync") { Description = "Synchronize after every op so a faulting kernel names itself (slow)" };

    public void AddTo(Command cmd)
    {
        cmd.Options.Add(Device);
        cmd.Options.Add(Kernels);
        cmd.Options.Add(Sync);
    }

    /// <summary>The device ordinal from "cuda" / "cuda:N", or null (with a message) for anything else.</summary>
    public static int? ParseDevice(string text, out string error)
    {
        error = "";
        if (text == "cuda") return 0;
        if (text.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(text.AsSpan(5), out int n) && n >= 0) return n;
        error = $"--device must be cuda or cuda:N, got '{text}'";
        return null;
    }

    /// <summary>Backend options from the parsed command line; the environment is read here, at the entry point.</summary>
    public CudaBackendOptions Build(ParseResult parse, int ordinal, bool mixed) => new()
    {
        Device = ordinal,
        MixedPrecision = mixed,
        KernelDirectory = parse.GetValue(Kernels) ?? NullIfEmpty(Environment.GetEnvironmentVariable("FASTVIDEO_KERNEL_DIR")),
        SynchronizeAfterEachOp = parse.GetValue(Sync),
    };

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
