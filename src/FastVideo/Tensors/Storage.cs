using System.Diagnostics;

namespace FastVideo.Tensors;

/// <summary>
/// A reference-counted buffer shared by a tensor and its views. The last <see cref="Release"/> returns the
/// memory to its allocator (or runs the external owner's release, e.g. unmapping a file). The finalizer is
/// only a safety net: it reports the leak through <see cref="LeakReported"/> and frees the memory.
/// </summary>
public sealed class Storage
{
    private int _refs = 1;
    private nint _pointer;
    private readonly Action? _externalRelease;

    public IAllocator Allocator { get; }
    public long Capacity { get; }
    public long Bytes { get; }

    /// <summary>Raised (from the finalizer thread) when a storage was collected without being released.</summary>
    public static event Action<string>? LeakReported;

    /// <summary>Number of storages collected without release since start (for tests and diagnostics).</summary>
    public static long LeakCount => Interlocked.Read(ref s_leaks);
    private static long s_leaks;

    public Storage(IAllocator allocator, long bytes)
    {
        Allocator = allocator;
        Bytes = bytes;
        _pointer = allocator.Allocate(bytes, out long capacity);
        Capacity = capacity;
    }

    /// <summary>Wraps memory owned elsewhere (a memory-mapped file). <paramref name="release"/> runs on the last release.</summary>
    public Storage(IAllocator allocator, nint pointer, long bytes, Action? release)
    {
        Allocator = allocator;
        Bytes = bytes;
        Capacity = -1;
        _pointer = pointer;
        _externalRelease = release;
    }

    public nint Pointer
    {
        get
        {
            nint p = _pointer;
            if (p == 0) throw new ObjectDisposedException(nameof(Storage), "the tensor's storage was already released");
            return p;
        }
    }

    public bool IsReleased => Volatile.Read(ref _refs) <= 0;

    public void AddRef()
    {
        int r = Interlocked.Increment(ref _refs);
        if (r <= 1) throw new ObjectDisposedException(nameof(Storage), "AddRef on a released storage");
    }

    public void Release()
    {
        int r = Interlocked.Decrement(ref _refs);
        if (r == 0) FreeNow();
        Debug.Assert(r >= 0, "storage released more often than referenced");
    }

    private void FreeNow()
    {
        nint p = Interlocked.Exchange(ref _pointer, 0);
        if (p == 0) return;
        GC.SuppressFinalize(this);
        if (_externalRelease != null) _externalRelease();
        else Allocator.Free(p, Capacity);
    }

    ~Storage()
    {
        if (_pointer == 0) return;
        Interlocked.Increment(ref s_leaks);
        try { LeakReported?.Invoke($"leaked {Bytes:N0} bytes on {Allocator.Device}: a tensor was not disposed"); } catch { }
        try
        {
            nint p = Interlocked.Exchange(ref _pointer, 0);
            if (p != 0)
            {
                if (_externalRelease != null) _externalRelease();
                else Allocator.Free(p, Capacity);
            }
        }
        catch { }
    }
}
