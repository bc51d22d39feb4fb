using FastVideo.Backends;
using FastVideo.Backends.Cpu;
using FastVideo.Cuda;
using FastVideo.Entrypoints;
using FastVideo.Tensors;

namespace FastVideo.Cli;

/// <summary>The <c>--device</c> values of <c>run-module</c> and <c>generate</c>, and the backend each one gives.</summary>
internal static class CliDevices
{
    private static int s_registered;

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
    /// CUDA backend settings for device <paramref name="ordinal"/>: <paramref name="precision"/> fp32 keeps the exact
    /// FP32 op contract (results match the CPU and the goldens); bf16 sets <see cref="CudaBackendOptions.MixedPrecision"/>
    /// (GEMM inputs in 16 bits with FP32 accumulation, flash attention where eligible, the convolutions' mixed path).
    /// Kernels from FASTVIDEO_KERNEL_DIR when set (read here, at the entry point).
    /// </summary>
    public static CudaBackendOptions CudaOptions(int ordinal, Precision precision = Precision.Fp32) => new()
    {
        Device = ordinal,
        MixedPrecision = precision switch
        {
            Precision.Fp32 => false,
            Precision.Bf16 => true,
            _ => throw new ArgumentException("resolve the precision (fp32 or bf16) first", nameof(precision)),
        },
        KernelDirectory = Environment.GetEnvironmentVariable("FASTVIDEO_KERNEL_DIR") is { Length: > 0 } dir ? dir : null,
    };

    /// <summary>
    /// Makes <c>--device cuda[:N]</c> available to <see cref="VideoGenerator.FromPretrained"/> (once per process). Where
    /// the device cannot be opened the factory throws <see cref="NotSupportedException"/> with the reason, as
    /// FromPretrained documents for a device that is not available.
    /// </summary>
    public static void RegisterWithGenerator()
    {
        if (Interlocked.Exchange(ref s_registered, 1) == 0)
            VideoGenerator.RegisterBackend(DeviceType.Cuda, (ordinal, precision) => CreateCuda(Device.Cuda(ordinal), precision));
    }

    /// <summary>
    /// The backend for a device and whether the caller owns it (the shared CPU backend is not disposed). A CUDA device
    /// that cannot be opened (no driver, no GPU, bad ordinal) fails with the reason: a runtime error (exit 1), not a
    /// usage error, since the same command line is right on a machine with the GPU.
    /// </summary>
    public static (IBackend Backend, bool Owned) Create(Device device)
    {
        if (device.Type == DeviceType.Cpu) return (CpuBackend.Default, false);
        return (CreateCuda(device), true);
    }

    private static CudaBackend CreateCuda(Device device, Precision precision = Precision.Fp32) =>
        CudaBackend.TryCreate(CudaOptions(device.Index, precision), out var cuda, out var reason)
            ? cuda!
            : throw new NotSupportedException($"--device {device}: the CUDA backend is not available on this machine ({reason}); use --device cpu");
}
