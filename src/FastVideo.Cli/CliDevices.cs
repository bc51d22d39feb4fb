using FastVideo.Backends;
using FastVideo.Backends.Cpu;
using FastVideo.Diagnostics;

namespace FastVideo.Cli;

/// <summary>The <c>--device</c> values and the backend each one gives.</summary>
internal static class CliDevices
{
    public static readonly string[] Names = ["cpu", "cuda"];

    /// <summary>Throws <see cref="UsageException"/> for a device name this build does not know.</summary>
    public static string Check(string device)
    {
        var d = device.Trim().ToLowerInvariant();
        if (!Names.Contains(d))
            throw new UsageException($"--device {device}: unknown device; expected one of {string.Join(", ", Names)}");
        return d;
    }

    /// <summary>
    /// The backend for a checked device name. The CUDA backend is not part of this build yet, so <c>cuda</c>
    /// fails with a runtime error that says what <c>fastvideo info</c> found (exit 1, not a usage error: the same
    /// command line is right where the backend exists).
    /// </summary>
    public static IBackend Create(string device)
    {
        switch (Check(device))
        {
            case "cpu":
                return CpuBackend.Default;
            default:
                var cuda = SystemInfo.Backends().FirstOrDefault(b => b.Name == "cuda");
                throw new NotSupportedException($"--device cuda: this build has no CUDA backend for run-module yet ({cuda?.Detail ?? "not probed"}); use --device cpu");
        }
    }
}
