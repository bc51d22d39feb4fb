using FastVideo.Cuda;
using FastVideo.Interop;
using NUnit.Framework;

namespace FastVideo.Tests.Cuda.Gpu;

/// <summary>
/// Shared by the [Category("Gpu")] tests: skips with the reason when there is no CUDA device, and keeps the
/// device's primary context retained for the whole run so backends created per test do not rebuild it. With
/// <c>$FASTVIDEO_CUDA_EMULATOR</c> set, the device is the CPU emulator and these tests run on it (.ci/run's emulated
/// step), except the Wan-sized ones: those also carry [Category("GpuHardware")] and need a real GPU.
/// </summary>
internal static class GpuTestSupport
{
    /// <summary>The extra category of GPU tests that only a real GPU runs (Wan-sized shapes).</summary>
    public const string HardwareCategory = "GpuHardware";

    /// <summary>Why a <see cref="HardwareCategory"/> test is ignored on the emulator.</summary>
    public const string WanSizedOnEmulator = "needs a real GPU: full-sequence Wan attention (1560 tokens) takes 15–60 s per row on the CPU emulator";

    /// <summary>As <see cref="RequireDevice"/>, and Assert.Ignore with <paramref name="why"/> when the device is the emulator.</summary>
    public static CudaDevice RequireRealGpu(string why = WanSizedOnEmulator)
    {
        var d = RequireDevice();
        if (d.IsEmulated) Assert.Ignore(why);
        return d;
    }

    private static readonly Lazy<(CudaDevice? Device, string Reason)> s_device = new(() =>
        CudaDevice.TryOpen(0, out var d, out var why) ? (d, "") : (null, why));

    /// <summary>
    /// Assert.Ignore unless a CUDA device is usable; returns the kept-open device. With <c>$FASTVIDEO_CUDA_EMULATOR</c>
    /// set, a device that does not open is a failure, not a skip: the emulated run must run these tests.
    /// </summary>
    public static CudaDevice RequireDevice()
    {
        var (d, why) = s_device.Value;
        if (d == null && CudaLibraries.EmulatorFolder != null) Assert.Fail($"the emulated CUDA device did not open: {why}");
        if (d == null) Assert.Ignore($"no CUDA device: {why}");
        return d!;
    }

    /// <summary>A backend on device 0 (the test disposes it); ignored when there is no device.</summary>
    public static CudaBackend Backend(bool mixed = false)
    {
        RequireDevice();
        return new CudaBackend(new CudaBackendOptions { MixedPrecision = mixed, KernelDirectory = KernelDirectory });
    }

    /// <summary>Fatbins built on this machine (build/kernels) take precedence over NVRTC, as in gpu-check.sh.</summary>
    public static string? KernelDirectory
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("FASTVIDEO_KERNEL_DIR");
            return string.IsNullOrWhiteSpace(env) ? null : env;
        }
    }

    public static bool Available => CudaDriver.TryInitialize(out _);
}
