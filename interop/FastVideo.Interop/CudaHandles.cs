using System.Runtime.InteropServices;

namespace FastVideo.Interop;

/// <summary>
/// A retained primary context of one device (the context the CUDA runtime would use, so libraries that use the
/// runtime share it). Releasing drops this process's reference; the driver destroys the context with the last one.
/// Other handles created in the context hold a reference to this one, so it is released after them even when
/// all are finalized together.
/// </summary>
public sealed unsafe class CudaContext : SafeHandle
{
    public int Device { get; }

    private CudaContext(nint context, int device) : base(0, ownsHandle: true)
    {
        SetHandle(context);
        Device = device;
    }

    public override bool IsInvalid => handle == 0;

    /// <summary>Retains the primary context of device <paramref name="ordinal"/> and makes it current on this thread.</summary>
    public static CudaContext RetainPrimary(int ordinal)
    {
        CudaDriver.EnsureInitialized();
        int dev;
        CudaDriver.Check(CuNative.cuDeviceGet(&dev, ordinal), "cuDeviceGet", $"ordinal {ordinal}");
        nint ctx;
        CudaDriver.Check(CuNative.cuDevicePrimaryCtxRetain(&ctx, dev), "cuDevicePrimaryCtxRetain", $"device {ordinal}");
        var c = new CudaContext(ctx, dev);
        c.MakeCurrent();
        return c;
    }

    /// <summary>Binds this context to the calling thread (cheap; every entry point that may run on a new thread calls it).</summary>
    public void MakeCurrent() => CudaDriver.Check(CuNative.cuCtxSetCurrent(handle), "cuCtxSetCurrent");

    /// <summary>The raw CUcontext, for handles created in it.</summary>
    public nint Raw => handle;

    protected override bool ReleaseHandle()
    {
        try { CuNative.cuDevicePrimaryCtxRelease(Device); } catch { /* release never throws */ }
        return true;
    }

    /// <summary>Sets <paramref name="context"/> current before destroying an object of it; failures are ignored.</summary>
    internal static void TryMakeCurrent(nint context)
    {
        try { CuNative.cuCtxSetCurrent(context); } catch { }
    }
}

/// <summary>Base of handles owned by a context: keeps the context alive and current while releasing.</summary>
public abstract class CudaContextBoundHandle : SafeHandle
{
    private readonly CudaContext _context;
    private readonly nint _contextRaw;
    private bool _contextRef;

    protected CudaContextBoundHandle(CudaContext context) : base(0, ownsHandle: true)
    {
        _context = context;
        _contextRaw = context.Raw;
        context.DangerousAddRef(ref _contextRef);
    }

    public override bool IsInvalid => handle == 0;

    public CudaContext Context => _context;

    /// <summary>The raw driver handle.</summary>
    public nint Raw => handle;

    internal void Set(nint raw) => SetHandle(raw);

    protected sealed override bool ReleaseHandle()
    {
        try
        {
            CudaContext.TryMakeCurrent(_contextRaw);
            Destroy(handle);
        }
        catch { /* release never throws */ }
        finally
        {
            if (_contextRef) _context.DangerousRelease();
        }
        return true;
    }

    /// <summary>Destroys the driver object; the result code is ignored (nothing can be done about it here).</summary>
    protected abstract void Destroy(nint raw);
}

/// <summary>A CUDA stream. Work queued on one stream runs in order; <see cref="Synchronize"/> waits for it.</summary>
public sealed unsafe class CudaStream : CudaContextBoundHandle
{
    private CudaStream(CudaContext context) : base(context) { }

    /// <summary>Creates a stream in <paramref name="context"/> (current on this thread). Non-blocking streams do not
    /// wait for the legacy default stream, which this engine never uses.</summary>
    public static CudaStream Create(CudaContext context, bool nonBlocking = true)
    {
        nint raw;
        CudaDriver.Check(CuNative.cuStreamCreate(&raw, nonBlocking ? 1u : 0u), "cuStreamCreate");
        var s = new CudaStream(context);
        s.Set(raw);
        return s;
    }

    public void Synchronize() => CudaDriver.Check(CuNative.cuStreamSynchronize(Raw), "cuStreamSynchronize");

    protected override void Destroy(nint raw) => CuNative.cuStreamDestroy(raw);
}

/// <summary>A CUDA event with timing enabled: record it on a stream, then read the time between two events.</summary>
public sealed unsafe class CudaEvent : CudaContextBoundHandle
{
    private CudaEvent(CudaContext context) : base(context) { }

    public static CudaEvent Create(CudaContext context)
    {
        nint raw;
        CudaDriver.Check(CuNative.cuEventCreate(&raw, 0), "cuEventCreate");
        var e = new CudaEvent(context);
        e.Set(raw);
        return e;
    }

    public void Record(CudaStream stream) => CudaDriver.Check(CuNative.cuEventRecord(Raw, stream.Raw), "cuEventRecord");

    public void Synchronize() => CudaDriver.Check(CuNative.cuEventSynchronize(Raw), "cuEventSynchronize");

    /// <summary>Milliseconds between two recorded events (resolution about 0.5 µs); waits for <paramref name="end"/>.</summary>
    public static float ElapsedMilliseconds(CudaEvent start, CudaEvent end)
    {
        end.Synchronize();
        float ms;
        CudaDriver.Check(CuNative.cuEventElapsedTime(&ms, start.Raw, end.Raw), "cuEventElapsedTime");
        return ms;
    }

    protected override void Destroy(nint raw) => CuNative.cuEventDestroy(raw);
}

/// <summary>A loaded module (cubin, fatbin or PTX image) and the functions it holds.</summary>
public sealed unsafe class CudaModule : CudaContextBoundHandle
{
    private CudaModule(CudaContext context, string name) : base(context) => Name = name;

    /// <summary>A name for messages (the kernel source or fatbin it came from).</summary>
    public string Name { get; }

    /// <summary>
    /// Loads an image into <paramref name="context"/> (current on this thread). PTX images are JIT-compiled by the
    /// driver; its error log is appended to the exception. <see cref="CudaException.Code"/> is
    /// <see cref="CudaErrors.NoBinaryForGpu"/> when a fatbin has no code for this device.
    /// </summary>
    public static CudaModule Load(CudaContext context, ReadOnlySpan<byte> image, string name)
    {
        // The driver reads PTX as a NUL-terminated string; fatbins and cubins carry their size in their header.
        var buffer = new byte[image.Length + 1];
        image.CopyTo(buffer);
        const int logSize = 8192;
        var log = new byte[logSize];
        nint raw;
        int r;
        fixed (byte* img = buffer)
        fixed (byte* logp = log)
        {
            int* options = stackalloc int[2] { 5 /* CU_JIT_ERROR_LOG_BUFFER */, 6 /* CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES */ };
            void** values = stackalloc void*[2] { logp, (void*)(nint)logSize };
            r = CuNative.cuModuleLoadDataEx(&raw, img, 2, options, values);
        }
        if (r != 0)
        {
            string jit = System.Text.Encoding.UTF8.GetString(log).TrimEnd('\0').Trim();
            throw CudaException.Driver("cuModuleLoadDataEx", r, jit.Length > 0 ? $"{name}: {jit}" : name);
        }
        var m = new CudaModule(context, name);
        m.Set(raw);
        return m;
    }

    /// <summary>The <c>extern "C"</c> kernel <paramref name="entry"/>; throws naming the module when it is absent.</summary>
    public CudaFunction GetFunction(string entry)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(entry + "\0");
        nint f;
        fixed (byte* p = bytes)
            CudaDriver.Check(CuNative.cuModuleGetFunction(&f, Raw, p), "cuModuleGetFunction", $"kernel {entry} in module {Name}");
        return new CudaFunction(f, entry);
    }

    protected override void Destroy(nint raw) => CuNative.cuModuleUnload(raw);
}

/// <summary>A kernel of a loaded module (valid while the module is loaded).</summary>
public readonly unsafe record struct CudaFunction(nint Handle, string Name)
{
    // CUfunction_attribute values (cuda.h).
    public const int AttrMaxThreadsPerBlock = 0, AttrSharedSizeBytes = 1, AttrLocalSizeBytes = 3, AttrNumRegs = 4,
        AttrPtxVersion = 5, AttrBinaryVersion = 6, AttrMaxDynamicSharedSizeBytes = 8;

    public int GetAttribute(int attribute)
    {
        int v;
        CudaDriver.Check(CuNative.cuFuncGetAttribute(&v, attribute, Handle), "cuFuncGetAttribute", $"kernel {Name}, attribute {attribute}");
        return v;
    }

    public void SetAttribute(int attribute, int value) =>
        CudaDriver.Check(CuNative.cuFuncSetAttribute(Handle, attribute, value), "cuFuncSetAttribute", $"kernel {Name}, attribute {attribute} = {value}");

    /// <summary>Raises the dynamic shared memory limit; needed before launching with more than 48 KiB.</summary>
    public void SetMaxDynamicSharedMemory(int bytes) => SetAttribute(AttrMaxDynamicSharedSizeBytes, bytes);
}
