namespace FastVideo.Tensors;

/// <summary>Statistics every allocator keeps. Bytes are the sizes handed out (rounded to the allocator's size class).</summary>
/// <param name="CurrentBytes">Bytes held by live buffers now.</param>
/// <param name="PeakBytes">The largest <paramref name="CurrentBytes"/> seen since creation or the last <see cref="IAllocator.ResetPeak"/>.</param>
/// <param name="CachedBytes">Bytes of freed buffers kept for reuse (not counted in <paramref name="CurrentBytes"/>).</param>
/// <param name="Allocations">Number of allocation requests served.</param>
/// <param name="CacheHits">Requests served from the cache.</param>
public readonly record struct AllocatorStats(long CurrentBytes, long PeakBytes, long CachedBytes, long Allocations, long CacheHits);

/// <summary>
/// Hands out raw buffers on one device. Implementations must be thread-safe. A CUDA implementation is
/// stream-ordered; the CPU one is synchronous. Copies between host memory and the allocator's memory go
/// through it as well, so <see cref="Tensor"/> can read values back without knowing the device.
/// </summary>
public interface IAllocator
{
    Device Device { get; }

    /// <summary>Allocates at least <paramref name="bytes"/> bytes; <paramref name="capacity"/> is what was actually reserved.</summary>
    /// <exception cref="OutOfDeviceMemoryException">the device cannot satisfy the request.</exception>
    nint Allocate(long bytes, out long capacity);

    /// <summary>Returns a buffer obtained from <see cref="Allocate"/> (possibly to a cache).</summary>
    void Free(nint pointer, long capacity);

    AllocatorStats Stats { get; }

    /// <summary>Frees every cached (unused) buffer back to the system.</summary>
    void ReleaseCache();

    void ResetPeak();

    /// <summary>Copies device bytes to host memory. Synchronous: it is the explicit "read back" point.</summary>
    unsafe void CopyToHost(nint source, Span<byte> destination);

    /// <summary>Copies host bytes into device memory.</summary>
    unsafe void CopyFromHost(ReadOnlySpan<byte> source, nint destination);
}

/// <summary>Raised when an allocator cannot satisfy a request.</summary>
public sealed class OutOfDeviceMemoryException(string message) : Exception(message);
