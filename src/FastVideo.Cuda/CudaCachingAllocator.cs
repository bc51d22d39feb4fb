using System.Numerics;
using FastVideo.Interop;
using FastVideo.Tensors;

namespace FastVideo.Cuda;

/// <summary>
/// Stream-ordered caching allocator for one <see cref="CudaDevice"/>. Requests are rounded up to a size class
/// (<see cref="SizeClass"/>); a freed buffer goes to a per-class cache and is handed out again to the next
/// request of that class. Reuse needs no synchronization because every op runs on the device's single stream:
/// work queued after the reuse runs after the work that used the buffer before it was freed. New memory comes
/// from the driver's stream-ordered pool (cuMemAllocAsync) where the device supports pools, else cuMemAlloc.
/// On out-of-memory the cache is released and the request retried once; if it still fails,
/// <see cref="OutOfDeviceMemoryException"/> states the request, the device's free memory and this allocator's peak.
/// <see cref="Free"/> takes a lock and touches no CUDA API, so it is safe from finalizer threads.
/// </summary>
public sealed class CudaCachingAllocator : IAllocator, IDisposable
{
    /// <summary>Every buffer starts on a 256-byte boundary (what cuBLASLt and 16-byte vector loads want).</summary>
    public const int Alignment = 256;

    /// <summary>Requests of at most this size are rounded to power-of-two quarter steps; larger ones to <see cref="LargeGranularity"/>.</summary>
    public const long SmallLimit = 1L << 20;

    /// <summary>Granularity of large size classes (2 MiB, the driver's page size for large allocations).</summary>
    public const long LargeGranularity = 2L << 20;

    private readonly CudaDevice _device;
    private readonly bool _pooled;
    private readonly nint _pool;
    private readonly Dictionary<long, Stack<nint>> _cache = new();
    private readonly object _gate = new();
    private long _current, _peak, _cached, _allocs, _hits;
    private bool _disposed;

    public CudaCachingAllocator(CudaDevice device, bool useMemoryPool = true)
    {
        _device = device;
        _pooled = useMemoryPool && device.Info.MemoryPoolsSupported;
        if (_pooled)
        {
            device.MakeCurrent();
            _pool = CudaDriver.DefaultMemoryPool(device.Ordinal);
        }
    }

    public Device Device => Device.Cuda(_device.Ordinal);

    /// <summary>
    /// Fill every buffer handed out with 0xFF bytes (NaN in F32, BF16 and F16) before use, so an element an op
    /// fails to write shows up as NaN (self-tests; costs one memset per allocation).
    /// </summary>
    public bool PoisonAllocations { get; set; }

    /// <summary>Whether new memory comes from the stream-ordered pool (cuMemAllocAsync) rather than cuMemAlloc.</summary>
    public bool UsesMemoryPool => _pooled;

    /// <summary>
    /// The size class of a request: at least 512 bytes; up to 1 MiB the next multiple of a quarter of the
    /// enclosing power of two (waste ≤ 25 %); above, the next multiple of 2 MiB (waste &lt; 2 MiB).
    /// </summary>
    public static long SizeClass(long bytes)
    {
        if (bytes < 0) throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "negative size");
        if (bytes <= 512) return 512;
        if (bytes <= SmallLimit)
        {
            int log = 63 - BitOperations.LeadingZeroCount((ulong)(bytes - 1));
            long step = (1L << log) / 4;
            return (bytes + step - 1) / step * step;
        }
        return (bytes + LargeGranularity - 1) / LargeGranularity * LargeGranularity;
    }

    public nint Allocate(long bytes, out long capacity)
    {
        capacity = SizeClass(bytes);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _allocs++;
            if (_cache.TryGetValue(capacity, out var stack) && stack.Count > 0)
            {
                _hits++;
                _cached -= capacity;
                Account(capacity);
                return Poison(stack.Pop(), capacity);
            }
        }
        _device.MakeCurrent();
        int r = RawAllocate(capacity, out nint p);
        if (r == CudaErrors.OutOfMemory)
        {
            ReleaseCache();
            r = RawAllocate(capacity, out p);
        }
        if (r == CudaErrors.OutOfMemory) throw OutOfMemory(bytes, capacity);
        CudaDriver.Check(r, _pooled ? "cuMemAllocAsync" : "cuMemAlloc", $"{capacity} bytes on cuda:{_device.Ordinal}");
        lock (_gate) Account(capacity);
        return Poison(p, capacity);
    }

    private nint Poison(nint p, long capacity)
    {
        if (!PoisonAllocations) return p;
        _device.MakeCurrent();
        CudaDriver.Memset8(p, 0xFF, capacity, _device.Stream);
        return p;
    }

    private int RawAllocate(long bytes, out nint pointer) =>
        _pooled ? CudaDriver.TryAllocAsync(bytes, _device.Stream, out pointer) : CudaDriver.TryAlloc(bytes, out pointer);

    private OutOfDeviceMemoryException OutOfMemory(long bytes, long capacity)
    {
        long free = -1, total = -1;
        try { (free, total) = _device.MemoryInfo(); } catch (CudaException) { }
        var s = Stats;
        return new OutOfDeviceMemoryException(
            $"cuda:{_device.Ordinal}: out of memory allocating {bytes:N0} bytes (size class {capacity:N0}): the device has {free:N0} of " +
            $"{total:N0} bytes free; this allocator holds {s.CurrentBytes:N0} bytes in use, peak {s.PeakBytes:N0} bytes, " +
            $"{s.CachedBytes:N0} cached (already released before this error)");
    }

    private void Account(long capacity)
    {
        _current += capacity;
        if (_current > _peak) _peak = _current;
    }

    public void Free(nint pointer, long capacity)
    {
        if (pointer == 0) return;
        lock (_gate)
        {
            _current -= capacity;
            if (!_disposed)
            {
                if (!_cache.TryGetValue(capacity, out var stack)) _cache[capacity] = stack = new Stack<nint>();
                stack.Push(pointer);
                _cached += capacity;
                return;
            }
        }
        // The allocator is gone (a tensor outlived its backend): give the memory straight back, best effort.
        try
        {
            _device.MakeCurrent();
            if (_pooled) CudaDriver.FreeAsync(pointer, _device.Stream); else CudaDriver.Free(pointer);
        }
        catch { }
    }

    public AllocatorStats Stats
    {
        get { lock (_gate) return new AllocatorStats(_current, _peak, _cached, _allocs, _hits); }
    }

    /// <summary>Returns every cached buffer to the driver and trims the pool, so the memory is free for other processes.</summary>
    public void ReleaseCache()
    {
        List<nint> blocks;
        lock (_gate)
        {
            blocks = _cache.Values.SelectMany(s => s).ToList();
            _cache.Clear();
            _cached = 0;
        }
        if (blocks.Count == 0) return;
        _device.MakeCurrent();
        foreach (var p in blocks)
        {
            if (_pooled) CudaDriver.FreeAsync(p, _device.Stream);
            else CudaDriver.Free(p);
        }
        if (_pooled)
        {
            _device.Stream.Synchronize();
            CudaDriver.TrimPool(_pool, 0);
        }
    }

    public void ResetPeak()
    {
        lock (_gate) _peak = _current;
    }

    public void CopyToHost(nint source, Span<byte> destination)
    {
        _device.MakeCurrent();
        CudaDriver.CopyDeviceToHost(destination, source, _device.Stream);
    }

    public void CopyFromHost(ReadOnlySpan<byte> source, nint destination)
    {
        _device.MakeCurrent();
        CudaDriver.CopyHostToDevice(destination, source, _device.Stream);
    }

    /// <summary>Releases the cache; buffers still held by tensors are freed directly when those tensors are disposed.</summary>
    public void Dispose()
    {
        ReleaseCache();
        lock (_gate) _disposed = true;
    }
}
