using System.Runtime.InteropServices;

namespace FastVideo.Interop;

/// <summary>
/// Facts about one CUDA device, read once from the driver (cuDeviceGetAttribute). Memory clock (kHz) and bus
/// width (bits) give the datasheet bandwidth; the shared-memory opt-in limit is what a block may use after
/// raising its dynamic limit.
/// </summary>
public sealed record CudaDeviceInfo(int Ordinal, string Name, int Major, int Minor, long TotalMemoryBytes, int Multiprocessors,
    int L2CacheBytes, int MaxThreadsPerBlock, int SharedMemoryPerBlock, int SharedMemoryPerBlockOptin, bool MemoryPoolsSupported,
    int ClockKHz, int MemoryClockKHz, int MemoryBusWidthBits, long MaxPitchBytes)
{
    /// <summary>The architecture name nvcc and NVRTC use, e.g. <c>sm_90</c>.</summary>
    public string Architecture => $"sm_{Major}{Minor}";

    /// <summary>
    /// True when this is the CPU emulator rather than a GPU: the driver was loaded from
    /// <c>$FASTVIDEO_CUDA_EMULATOR</c> (<see cref="CudaLibraries.EmulatorFolder"/>), or the device names itself an emulator.
    /// </summary>
    public bool IsEmulated => CudaLibraries.DriverIsEmulated || NameSaysEmulator(Name);

    /// <summary>Whether a device name is the emulator's ("FastVideo CPU emulator (sm_80)").</summary>
    public static bool NameSaysEmulator(string name) => name.Contains("emulator", StringComparison.OrdinalIgnoreCase);

    /// <summary>What every command prints after an emulated device's name.</summary>
    public const string EmulatedNote = "emulated device, not a GPU";

    /// <summary>"cuda:0 NVIDIA H100 80GB HBM3 (sm_90)"; on the emulator "cuda:0 FastVideo CPU emulator (sm_80) — emulated device, not a GPU".</summary>
    public string Describe() => Describe(Ordinal, Name, Architecture, IsEmulated);

    /// <summary>The device line for given facts (the name's own "(sm_NN)" is not repeated).</summary>
    public static string Describe(int ordinal, string name, string architecture, bool emulated)
    {
        string arch = name.Contains($"({architecture})", StringComparison.Ordinal) ? "" : $" ({architecture})";
        return $"cuda:{ordinal} {name}{arch}{(emulated ? " — " + EmulatedNote : "")}";
    }

    /// <summary>Compute capability as one number, e.g. 90 for 9.0.</summary>
    public int ComputeCapability => Major * 10 + Minor;

    /// <summary>Datasheet DRAM bandwidth in GB/s: 2 transfers per clock × clock × bus width / 8.</summary>
    public double PeakBandwidthGBs => 2.0 * MemoryClockKHz * 1e3 * (MemoryBusWidthBits / 8.0) / 1e9;
}

/// <summary>
/// Checked entry points to the CUDA driver API. Every call that fails throws <see cref="CudaException"/>
/// naming the call and the CUresult. <see cref="TryInitialize"/> is the one call that never throws: on a
/// machine without the driver library, without a device, or with a driver too old, it returns false with
/// the reason, and everything else stays unused.
/// </summary>
public static unsafe partial class CudaDriver
{
    private static readonly object s_gate = new();
    private static bool? s_initialized;
    private static string s_reason = "";

    // Device attribute numbers (CUdevice_attribute in cuda.h).
    private const int AttrMaxThreadsPerBlock = 1, AttrSharedPerBlock = 8, AttrMaxPitch = 11, AttrClockRate = 13,
        AttrMultiprocessors = 16, AttrMemoryClock = 36, AttrBusWidth = 37, AttrL2 = 38, AttrMajor = 75, AttrMinor = 76,
        AttrSharedOptin = 97, AttrMemoryPools = 115;

    /// <summary>
    /// Loads the driver and runs cuInit once. Returns false, with a one-line <paramref name="reason"/>, when the
    /// library is missing, cuInit fails (CUDA_ERROR_NO_DEVICE, CUDA_ERROR_INSUFFICIENT_DRIVER, ...) or no device
    /// is visible. Never throws; the outcome is cached for the process.
    /// </summary>
    public static bool TryInitialize(out string reason)
    {
        lock (s_gate)
        {
            if (s_initialized is null)
            {
                s_initialized = Initialize(out s_reason);
            }
            reason = s_reason;
            return s_initialized.Value;
        }
    }

    /// <summary>True when <see cref="TryInitialize"/> succeeded (it runs on first use).</summary>
    public static bool IsAvailable => TryInitialize(out _);

    private static bool Initialize(out string reason)
    {
        try
        {
            if (CudaLibraries.Load(CudaLibrary.Driver, out _) == 0)
            {
                reason = CudaLibraries.NotFoundReason(CudaLibrary.Driver);
                return false;
            }
            int r = CuNative.cuInit(0);
            if (r != 0)
            {
                reason = $"cuInit failed: {CudaErrors.DriverName(r)} ({CudaErrors.DriverDescription(r)})";
                return false;
            }
            int n;
            r = CuNative.cuDeviceGetCount(&n);
            if (r != 0)
            {
                reason = $"cuDeviceGetCount failed: {CudaErrors.DriverName(r)}";
                return false;
            }
            if (n == 0)
            {
                reason = "no CUDA device (the driver reports 0 devices)";
                return false;
            }
            reason = "";
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            reason = $"CUDA driver unusable: {e.GetType().Name}: {e.Message}";
            return false;
        }
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> with the reason unless the driver is initialised.</summary>
    public static void EnsureInitialized()
    {
        if (!TryInitialize(out var reason)) throw new InvalidOperationException($"CUDA is unavailable: {reason}");
    }

    /// <summary>Throws <see cref="CudaException"/> for a non-zero CUresult.</summary>
    public static void Check(int result, string call, string? context = null)
    {
        if (result != 0) throw CudaException.Driver(call, result, context);
    }

    /// <summary>The driver's CUDA version as 1000·major + 10·minor (e.g. 13000 for 13.0). Works before cuInit.</summary>
    public static int DriverVersion
    {
        get
        {
            int v;
            Check(CuNative.cuDriverGetVersion(&v), "cuDriverGetVersion");
            return v;
        }
    }

    /// <summary>"13.0" from 13000.</summary>
    public static string FormatVersion(int version) => $"{version / 1000}.{version % 1000 / 10}";

    public static int DeviceCount
    {
        get
        {
            EnsureInitialized();
            int n;
            Check(CuNative.cuDeviceGetCount(&n), "cuDeviceGetCount");
            return n;
        }
    }

    /// <summary>Name, compute capability, memory and limits of device <paramref name="ordinal"/>.</summary>
    public static CudaDeviceInfo GetDeviceInfo(int ordinal)
    {
        EnsureInitialized();
        int devOut;
        Check(CuNative.cuDeviceGet(&devOut, ordinal), "cuDeviceGet", $"ordinal {ordinal}");
        int dev = devOut;
        byte* name = stackalloc byte[256];
        Check(CuNative.cuDeviceGetName(name, 256, dev), "cuDeviceGetName");
        nuint total;
        Check(CuNative.cuDeviceTotalMem(&total, dev), "cuDeviceTotalMem");
        int Attr(int a)
        {
            int v;
            Check(CuNative.cuDeviceGetAttribute(&v, a, dev), "cuDeviceGetAttribute", $"attribute {a}");
            return v;
        }
        return new CudaDeviceInfo(ordinal, Marshal.PtrToStringUTF8((nint)name) ?? "?", Attr(AttrMajor), Attr(AttrMinor), (long)total,
            Attr(AttrMultiprocessors), Attr(AttrL2), Attr(AttrMaxThreadsPerBlock), Attr(AttrSharedPerBlock), Attr(AttrSharedOptin),
            Attr(AttrMemoryPools) != 0, Attr(AttrClockRate), Attr(AttrMemoryClock), Attr(AttrBusWidth), (uint)Attr(AttrMaxPitch));
    }

    /// <summary>Free and total device memory of the current context's device, in bytes.</summary>
    public static (long Free, long Total) MemoryInfo()
    {
        nuint free, total;
        Check(CuNative.cuMemGetInfo(&free, &total), "cuMemGetInfo");
        return ((long)free, (long)total);
    }

    /// <summary>Waits for all work of the current context.</summary>
    public static void SynchronizeContext() => Check(CuNative.cuCtxSynchronize(), "cuCtxSynchronize");
}
