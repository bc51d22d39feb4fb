using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using FastVideo.Tensors;

namespace FastVideo.Tests.Parity;

/// <summary>
/// A host allocator for tests that surrounds every buffer with guard zones of a known byte pattern and checks
/// them when the buffer is freed, so that an op writing before or past its result (or into its inputs'
/// neighbours) is caught: ggml's sentinel guards. The guard after a buffer starts exactly at the requested
/// size, not at a rounded capacity. Violations are recorded (Free must not throw) and read with <see cref="TakeViolations"/>.
/// </summary>
public sealed unsafe class GuardedAllocator : IAllocator
{
    private const int Guard = 256;      // a multiple of 64 keeps the returned pointer 64-byte aligned
    private const byte Pattern = 0xA5;

    private readonly ConcurrentDictionary<nint, long> _live = new();
    private readonly ConcurrentQueue<string> _violations = new();
    private long _current, _peak, _allocs;

    public Device Device => Device.Cpu;

    public nint Allocate(long bytes, out long capacity)
    {
        var b = (byte*)NativeMemory.AlignedAlloc((nuint)(bytes + 2 * Guard), 64);
        new Span<byte>(b, Guard).Fill(Pattern);
        new Span<byte>(b + Guard + bytes, Guard).Fill(Pattern);
        var p = (nint)(b + Guard);
        _live[p] = bytes;
        capacity = bytes;
        long cur = Interlocked.Add(ref _current, bytes);
        Interlocked.Increment(ref _allocs);
        long peak;
        while (cur > (peak = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, cur, peak) != peak) { }
        return p;
    }

    public void Free(nint pointer, long capacity)
    {
        if (pointer == 0) return;
        if (!_live.TryRemove(pointer, out long bytes))
        {
            _violations.Enqueue($"free of unknown pointer 0x{pointer:X}");
            return;
        }
        var b = (byte*)pointer - Guard;
        Check(new ReadOnlySpan<byte>(b, Guard), bytes, "before");
        Check(new ReadOnlySpan<byte>((byte*)pointer + bytes, Guard), bytes, "after");
        NativeMemory.AlignedFree(b);
        Interlocked.Add(ref _current, -bytes);
    }

    private void Check(ReadOnlySpan<byte> guard, long bytes, string where)
    {
        int bad = guard.IndexOfAnyExcept(Pattern);
        if (bad >= 0)
            _violations.Enqueue($"a buffer of {bytes} bytes had its guard {where} it overwritten at guard byte {bad}");
    }

    /// <summary>The violations seen since the last call (empty when every guard was intact).</summary>
    public List<string> TakeViolations()
    {
        var r = new List<string>();
        while (_violations.TryDequeue(out var v)) r.Add(v);
        return r;
    }

    /// <summary>Buffers allocated and not yet freed.</summary>
    public int LiveBuffers => _live.Count;

    public AllocatorStats Stats => new(Interlocked.Read(ref _current), Interlocked.Read(ref _peak), 0, Interlocked.Read(ref _allocs), 0);
    public void ReleaseCache() { }
    public void ResetPeak() => Interlocked.Exchange(ref _peak, Interlocked.Read(ref _current));

    public void CopyToHost(nint source, Span<byte> destination) =>
        new ReadOnlySpan<byte>((void*)source, destination.Length).CopyTo(destination);

    public void CopyFromHost(ReadOnlySpan<byte> source, nint destination) =>
        source.CopyTo(new Span<byte>((void*)destination, source.Length));
}
