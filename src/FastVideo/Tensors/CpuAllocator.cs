using System.Numerics;
using System.Runtime.InteropServices;

namespace FastVideo.Tensors;

/// <summary>
/// Pooled, 64-byte-aligned host allocator. Requests are rounded up to a size class (powers of two split
/// into four steps, so waste is at most 25%) and freed buffers are kept per class for reuse until
/// <see cref="ReleaseCache"/>. Blocks of at least <see cref="HugePageThreshold"/> are 2 MiB-aligned and
/// advised to use transparent huge pages on Linux (see <see cref="HugePages"/>). Thread-safe.
/// </summary>
public sealed unsafe class CpuAllocator : IAllocator
{
    public const int Alignment = 64;

    /// <summary>The process-wide CPU allocator the CPU backend uses by default.</summary>
    public static CpuAllocator Shared { get; } = new();

    private readonly Dictionary<long, Stack<nint>> _cache = new();
    private readonly object _gate = new();
    private long _current, _peak, _cached, _allocs, _hits;

    /// <summary>Buffers above this size are not cached (returned to the OS at once).</summary>
    public long MaxCachedBlock { get; init; } = 256L << 20;

    /// <summary>
    /// Upper bound on all cached bytes together: a freed buffer that would push the cache past it goes back to
    /// the OS. Keeps a model whose intermediates come in many large sizes (the VAE decoder) from holding every
    /// size class at once.
    /// </summary>
    public long MaxCachedBytes { get; init; } = 2L << 30;

    /// <summary>
    /// Blocks of at least this many bytes are aligned to 2 MiB and advised <c>MADV_HUGEPAGE</c> on Linux, so that
    /// first touch costs one fault per 2 MiB instead of per 4 KiB. <see cref="long.MaxValue"/> switches it off.
    /// </summary>
    public long HugePageThreshold { get; init; } = 4L << 20;

    public Device Device => Device.Cpu;

    public static long SizeClass(long bytes)
    {
        if (bytes <= 256) return 256;
        int log = 63 - BitOperations.LeadingZeroCount((ulong)(bytes - 1)); // floor(log2(bytes-1))
        long pow = 1L << log;                 // pow < bytes <= 2*pow
        long step = pow / 4;
        return (bytes + step - 1) / step * step;
    }

    public nint Allocate(long bytes, out long capacity)
    {
        if (bytes < 0) throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "negative size");
        capacity = SizeClass(Math.Max(bytes, 1));
        lock (_gate)
        {
            _allocs++;
            if (_cache.TryGetValue(capacity, out var stack) && stack.Count > 0)
            {
                _hits++;
                _cached -= capacity;
                Account(capacity);
                return stack.Pop();
            }
        }
        bool huge = capacity >= HugePageThreshold && HugePages.Supported;
        nuint alignment = huge ? (nuint)HugePages.PageBytes : Alignment;
        void* p;
        try
        {
            p = NativeMemory.AlignedAlloc((nuint)capacity, alignment);
        }
        catch (OutOfMemoryException)
        {
            p = null;
        }
        if (p == null)
        {
            ReleaseCache();
            try { p = NativeMemory.AlignedAlloc((nuint)capacity, alignment); } catch (OutOfMemoryException) { p = null; }
            if (p == null)
            {
                var s = Stats;
                throw new OutOfDeviceMemoryException(
                    $"cpu: cannot allocate {bytes:N0} bytes (current {s.CurrentBytes:N0}, peak {s.PeakBytes:N0} bytes)");
            }
        }
        // Before the first touch: the advice decides the page size the faults will map.
        if (huge) HugePages.Advise((nint)p, capacity);
        lock (_gate) Account(capacity);
        return (nint)p;
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
            if (capacity <= MaxCachedBlock && _cached + capacity <= MaxCachedBytes)
            {
                if (!_cache.TryGetValue(capacity, out var stack)) _cache[capacity] = stack = new Stack<nint>();
                stack.Push(pointer);
                _cached += capacity;
                return;
            }
        }
        NativeMemory.AlignedFree((void*)pointer);
    }

    public AllocatorStats Stats
    {
        get { lock (_gate) return new AllocatorStats(_current, _peak, _cached, _allocs, _hits); }
    }

    public void ReleaseCache()
    {
        lock (_gate)
        {
            foreach (var stack in _cache.Values)
                while (stack.Count > 0) NativeMemory.AlignedFree((void*)stack.Pop());
            _cache.Clear();
            _cached = 0;
        }
    }

    public void ResetPeak()
    {
        lock (_gate) _peak = _current;
    }

    public void CopyToHost(nint source, Span<byte> destination) =>
        new ReadOnlySpan<byte>((void*)source, destination.Length).CopyTo(destination);

    public void CopyFromHost(ReadOnlySpan<byte> source, nint destination) =>
        source.CopyTo(new Span<byte>((void*)destination, source.Length));
}
