using FastVideo.Interop;

namespace FastVideo.Cuda;

/// <summary>
/// One GPU as this engine uses it: its retained primary context and one stream on which every op, copy and
/// allocation is queued in order. Thread-affine state (the current context) is set on entry by
/// <see cref="MakeCurrent"/>, so a device may be used from any thread (one at a time per stream).
/// </summary>
public sealed class CudaDevice : IDisposable
{
    public CudaDeviceInfo Info { get; }
    public CudaContext Context { get; }
    public CudaStream Stream { get; }
    public int Ordinal => Info.Ordinal;

    /// <summary>
    /// True on the CPU emulator (the driver came from <c>$FASTVIDEO_CUDA_EMULATOR</c>, or the device names itself an
    /// emulator): kernels run, but timings, races and occupancy say nothing about a GPU.
    /// </summary>
    public bool IsEmulated => Info.IsEmulated;

    private CudaDevice(CudaDeviceInfo info, CudaContext context, CudaStream stream)
    {
        Info = info;
        Context = context;
        Stream = stream;
    }

    /// <summary>Opens device <paramref name="ordinal"/>, or returns false with the reason (no driver, no device, bad ordinal).</summary>
    public static bool TryOpen(int ordinal, out CudaDevice? device, out string reason)
    {
        device = null;
        if (!CudaDriver.TryInitialize(out reason)) return false;
        int count = CudaDriver.DeviceCount;
        if (ordinal < 0 || ordinal >= count)
        {
            reason = $"CUDA device {ordinal} does not exist ({count} device{(count == 1 ? "" : "s")} visible)";
            return false;
        }
        device = Open(ordinal);
        return true;
    }

    /// <summary>Opens device <paramref name="ordinal"/>; throws <see cref="InvalidOperationException"/> with the reason when CUDA is unavailable.</summary>
    public static CudaDevice Open(int ordinal = 0)
    {
        CudaDriver.EnsureInitialized();
        var info = CudaDriver.GetDeviceInfo(ordinal);
        var ctx = CudaContext.RetainPrimary(ordinal);
        try
        {
            return new CudaDevice(info, ctx, CudaStream.Create(ctx));
        }
        catch
        {
            ctx.Dispose();
            throw;
        }
    }

    /// <summary>Binds the context to the calling thread.</summary>
    public void MakeCurrent() => Context.MakeCurrent();

    /// <summary>Waits for everything queued on the stream; errors of earlier kernels surface here.</summary>
    public void Synchronize()
    {
        MakeCurrent();
        Stream.Synchronize();
    }

    /// <summary>Free and total bytes on the device now.</summary>
    public (long Free, long Total) MemoryInfo()
    {
        MakeCurrent();
        return CudaDriver.MemoryInfo();
    }

    public CudaEvent CreateEvent()
    {
        MakeCurrent();
        return CudaEvent.Create(Context);
    }

    public override string ToString() =>
        $"cuda:{Ordinal} {Info.Name} ({Info.Architecture}, {Info.TotalMemoryBytes / (1L << 20)} MiB){(IsEmulated ? " — " + CudaDeviceInfo.EmulatedNote : "")}";

    public void Dispose()
    {
        Stream.Dispose();
        Context.Dispose();
    }
}
