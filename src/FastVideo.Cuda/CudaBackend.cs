using FastVideo.Backends;
using FastVideo.Cuda.Kernels;
using FastVideo.Interop;
using FastVideo.Tensors;

namespace FastVideo.Cuda;

/// <summary>
/// The GPU backend: every op queued on one CUDA stream of one device. GEMMs go through cuBLASLt, convolutions
/// through an im2col kernel plus a cuBLASLt GEMM, attention through the flash kernel (mixed precision) or an F32
/// GEMM–softmax–GEMM path, and everything else through the hand-written kernels of kernels/ (the catalog in
/// <c>Kernels/</c>). Ops validate like the CPU backend and name the op, the argument and the shapes; inputs must
/// be on this backend's device (use <see cref="Copy"/> to move host tensors). Op families live in partial files.
/// </summary>
public sealed partial class CudaBackend : IBackend
{
    private readonly CudaDevice _device;
    private readonly CudaCachingAllocator _allocator;
    private readonly KernelModules _modules;
    private readonly CublasLtGemm _gemm;
    private readonly object _gate = new();
    private bool _disposed;

    public CudaBackendOptions Options { get; }

    /// <summary>Opens the device of <paramref name="options"/>; throws <see cref="InvalidOperationException"/> with the
    /// reason when CUDA is unavailable (see <see cref="TryCreate"/>).</summary>
    public CudaBackend(CudaBackendOptions? options = null)
    {
        Options = options ?? new CudaBackendOptions();
        _device = CudaDevice.Open(Options.Device);
        try
        {
            _allocator = new CudaCachingAllocator(_device, Options.UseMemoryPool);
            _modules = new KernelModules(_device, new KernelLibrary(Options.KernelDirectory));
            _gemm = new CublasLtGemm(_device, _allocator);
        }
        catch
        {
            _device.Dispose();
            throw;
        }
    }

    /// <summary>A backend, or false with the reason (no driver, no device, bad ordinal). Never throws for an absent GPU.</summary>
    public static bool TryCreate(CudaBackendOptions? options, out CudaBackend? backend, out string reason)
    {
        backend = null;
        options ??= new CudaBackendOptions();
        if (!CudaDriver.TryInitialize(out reason)) return false;
        int count = CudaDriver.DeviceCount;
        if (options.Device < 0 || options.Device >= count)
        {
            reason = $"CUDA device {options.Device} does not exist ({count} visible)";
            return false;
        }
        backend = new CudaBackend(options);
        reason = "";
        return true;
    }

    public string Name => "cuda";
    public Device Device => _allocator.Device;
    public IAllocator Allocator => _allocator;

    /// <summary>The device this backend runs on (info, context, stream).</summary>
    public CudaDevice CudaDevice => _device;

    /// <summary>The module loader (where each kernel module came from).</summary>
    public KernelModules Modules => _modules;

    /// <summary>The caching allocator (statistics, poisoning for self-tests).</summary>
    public CudaCachingAllocator CudaAllocator => _allocator;

    /// <summary>The cuBLASLt GEMM runner (plan cache).</summary>
    public CublasLtGemm Gemm => _gemm;

    private readonly Dictionary<string, long> _launches = new(StringComparer.Ordinal);

    /// <summary>
    /// Kernels launched through this backend so far, by kernel name, in first-launch order (counted in the one
    /// managed launch path, so on any device). cuBLASLt's own kernels are not here: see <see cref="CublasLtGemm.MatmulCalls"/>.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, long>> KernelLaunchCounts
    {
        get
        {
            lock (_launches) return _launches.ToList();
        }
    }

    public void Synchronize() => _device.Synchronize();

    public Tensor Empty(ReadOnlySpan<int> shape, DType dtype = DType.F32) => Tensor.Empty(_allocator, shape, dtype);

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        try { _device.Synchronize(); } catch (CudaException) { }
        _gemm.Dispose();
        _modules.Dispose();
        _allocator.Dispose();
        _device.Dispose();
    }

    // ---- launching -----------------------------------------------------------------------------------------

    /// <summary>Launches a catalog entry with one by-value params struct, raising its shared-memory limit when needed.</summary>
    internal void Launch<T>(KernelEntry entry, LaunchConfig config, in T args) where T : unmanaged
    {
        _device.MakeCurrent();
        var f = _modules.Function(entry.Module, entry.Name);
        _modules.EnsureDynamicSharedMemory(f, (int)config.SharedBytes);
        CudaDriver.Launch(f, new Dim3(config.GridX, config.GridY, config.GridZ), new Dim3(config.BlockX), (int)config.SharedBytes, _device.Stream, args);
        lock (_launches) _launches[entry.Name] = _launches.GetValueOrDefault(entry.Name) + 1;
        AfterOp(entry.Name);
    }

    /// <summary>Whether the kernels of <paramref name="module"/> can be loaded (a source or a fatbin exists).</summary>
    internal bool HasModule(string module) => _modules.Has(module);

    /// <summary>With <see cref="CudaBackendOptions.SynchronizeAfterEachOp"/>, waits and names the op a fault came from.</summary>
    internal void AfterOp(string what)
    {
        if (!Options.SynchronizeAfterEachOp) return;
        try
        {
            _device.Stream.Synchronize();
        }
        catch (CudaException e)
        {
            throw new CudaException(e.Library, e.Call, e.Code, e.ErrorName, "", $"after {what}: {e.Message}");
        }
    }

    // ---- validation ----------------------------------------------------------------------------------------

    internal static void Require(bool condition, string op, string message)
    {
        if (!condition) throw new ArgumentException($"{op}: {message}");
    }

    internal void RequireHere(Tensor t, string op, string arg)
    {
        ArgumentNullException.ThrowIfNull(t, arg);
        if (t.Device != Device)
            throw new ArgumentException($"{op}: {arg} [{ShapeUtil.Format(t.ShapeSpan)}] is on {t.Device}, the CUDA backend needs tensors on {Device} (use Copy)");
    }

    internal void RequireF32(Tensor t, string op, string arg)
    {
        RequireHere(t, op, arg);
        if (t.DType != DType.F32) throw new ArgumentException($"{op}: {arg} must be F32, got {t.DType} [{ShapeUtil.Format(t.ShapeSpan)}]");
    }
}
