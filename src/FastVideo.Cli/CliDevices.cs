using FastVideo.Backends;
using FastVideo.Backends.Cpu;
using FastVideo.Entrypoints;
using FastVideo.Tensors;

namespace FastVideo.Cli;

/// <summary>The <c>--device</c> values of <c>run-module</c> and the backend each one gives.</summary>
internal static class CliDevices
{
    /// <summary>The device, parsed as <see cref="VideoGenerator.ParseDevice"/> does (cpu, cuda, cuda:N); anything else is a usage error.</summary>
    public static Device Check(string device)
    {
        try
        {
            return VideoGenerator.ParseDevice(device);
        }
        catch (ArgumentException)
        {
            throw new UsageException($"--device {device}: unknown device; expected cpu, cuda or cuda:N");
        }
    }

    /// <summary>
    /// The backend for a device. The CUDA backend is not part of this build yet, so a CUDA device fails with a
    /// runtime error (exit 1, not a usage error: the same command line is right where the backend exists).
    /// </summary>
    public static IBackend Create(Device device) => device.Type == DeviceType.Cpu
        ? CpuBackend.Default
        : throw new NotSupportedException($"--device {device}: this build has no {device.Type.ToString().ToUpperInvariant()} backend for run-module; use --device cpu");
}
