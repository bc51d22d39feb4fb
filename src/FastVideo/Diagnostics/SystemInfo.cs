using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FastVideo.Interop;
using FastVideo.Tensors;

namespace FastVideo.Diagnostics;

/// <summary>One backend as <c>fastvideo info</c> reports it.</summary>
public sealed record BackendStatus(string Name, bool Available, string Detail);

/// <summary>Facts about this process and machine that decide which code paths run.</summary>
public static class SystemInfo
{
    public static string EngineVersion =>
        typeof(SystemInfo).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    public static string CpuModel
    {
        get
        {
            try
            {
                if (File.Exists("/proc/cpuinfo"))
                    foreach (var line in File.ReadLines("/proc/cpuinfo"))
                        if (line.StartsWith("model name", StringComparison.Ordinal))
                            return line[(line.IndexOf(':') + 1)..].Trim();
            }
            catch (IOException) { }
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    /// <summary>The SIMD instruction sets the JIT will use, widest first.</summary>
    public static IReadOnlyList<string> SimdFeatures()
    {
        var f = new List<string>();
        if (Vector512.IsHardwareAccelerated) f.Add("Vector512");
        if (Vector256.IsHardwareAccelerated) f.Add("Vector256");
        if (Vector128.IsHardwareAccelerated) f.Add("Vector128");
        if (Avx512F.IsSupported) f.Add("AVX-512F");
        if (Avx512BW.IsSupported) f.Add("AVX-512BW");
        if (Avx512Vbmi.IsSupported) f.Add("AVX-512VBMI");
        if (Avx2.IsSupported) f.Add("AVX2");
        if (Fma.IsSupported) f.Add("FMA");
        if (System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported) f.Add("AdvSIMD");
        return f;
    }

    /// <summary>
    /// Probes the backends: the CPU is always there; CUDA through the interop (driver library, cuInit, devices).
    /// Absence is reported as "unavailable: reason", never thrown.
    /// </summary>
    public static IReadOnlyList<BackendStatus> Backends()
    {
        var list = new List<BackendStatus>
        {
            new("cpu", true, $"{Environment.ProcessorCount} threads, {string.Join("/", SimdFeatures().Take(1))}"),
        };
        list.Add(ProbeCuda());
        return list;
    }

    /// <summary>
    /// The CUDA state in one line: each device's name, architecture, memory and multiprocessors, the driver's CUDA
    /// version and the toolkit libraries found (NVRTC, cuBLASLt); or, unavailable, the reason (no driver, cuInit failed, no device).
    /// The CPU emulator (<c>$FASTVIDEO_CUDA_EMULATOR</c>) is named as an emulated device, not a GPU, with the folder it came from.
    /// </summary>
    public static BackendStatus ProbeCuda()
    {
        try
        {
            if (!CudaDriver.TryInitialize(out var reason)) return new BackendStatus("cuda", false, reason);
            var parts = new List<string>();
            int n = CudaDriver.DeviceCount;
            for (int i = 0; i < n; i++)
            {
                var d = CudaDriver.GetDeviceInfo(i);
                parts.Add($"[{i}] {d.Name} ({d.Architecture}, {FormatBytes(d.TotalMemoryBytes)}, {d.Multiprocessors} SMs)" +
                    (d.IsEmulated ? $" — {CudaDeviceInfo.EmulatedNote}" : ""));
            }
            if (CudaLibraries.EmulatorFolder is { } emu) parts.Add($"driver and cuBLASLt from {CudaLibraries.EmulatorVariable}={emu}");
            parts.Add($"driver CUDA {CudaDriver.FormatVersion(CudaDriver.DriverVersion)}");
            parts.Add(Nvrtc.TryGetVersion(out int major, out int minor, out var nvrtcWhy) ? $"NVRTC {major}.{minor}" : nvrtcWhy);
            parts.Add(CublasLt.TryGetVersion(out long v, out var blasWhy) ? $"cuBLASLt {v / 10000}.{v / 100 % 100}.{v % 100}" : blasWhy);
            return new BackendStatus("cuda", true, string.Join(", ", parts));
        }
        catch (CudaException e)
        {
            return new BackendStatus("cuda", false, e.Message);
        }
    }

    public static string FormatBytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double v = bytes;
        int u = 0;
        while (Math.Abs(v) >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        return u == 0 ? $"{bytes} B" : $"{v:0.0} {units[u]}";
    }

    public static string FormatStats(AllocatorStats s) =>
        $"current {FormatBytes(s.CurrentBytes)}, peak {FormatBytes(s.PeakBytes)}, cached {FormatBytes(s.CachedBytes)}, {s.Allocations} allocations ({s.CacheHits} from cache)";
}
