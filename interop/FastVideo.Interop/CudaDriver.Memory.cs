namespace FastVideo.Interop;

public static unsafe partial class CudaDriver
{
    // CUmemPool_attribute values (cuda.h).
    private const int PoolAttrReleaseThreshold = 4, PoolAttrReservedCurrent = 5, PoolAttrUsedCurrent = 7;

    /// <summary>cuMemAlloc: device memory, synchronous. Returns the CUresult instead of throwing so callers can retry after freeing.</summary>
    public static int TryAlloc(long bytes, out nint pointer)
    {
        nint p;
        int r = CuNative.cuMemAlloc(&p, (nuint)bytes);
        pointer = r == 0 ? p : 0;
        return r;
    }

    /// <summary>cuMemAllocAsync: stream-ordered allocation from the device's default memory pool (CUDA 11.2+).</summary>
    public static int TryAllocAsync(long bytes, CudaStream stream, out nint pointer)
    {
        nint p;
        int r = CuNative.cuMemAllocAsync(&p, (nuint)bytes, stream.Raw);
        pointer = r == 0 ? p : 0;
        return r;
    }

    public static void Free(nint pointer) => Check(CuNative.cuMemFree(pointer), "cuMemFree");

    /// <summary>Frees in stream order: the memory returns to the pool once the work queued before it has run.</summary>
    public static void FreeAsync(nint pointer, CudaStream stream) => Check(CuNative.cuMemFreeAsync(pointer, stream.Raw), "cuMemFreeAsync");

    /// <summary>The device's default memory pool (the one cuMemAllocAsync draws from).</summary>
    public static nint DefaultMemoryPool(int device)
    {
        nint pool;
        Check(CuNative.cuDeviceGetDefaultMemPool(&pool, device), "cuDeviceGetDefaultMemPool");
        return pool;
    }

    /// <summary>Bytes the pool keeps reserved at a synchronization point instead of returning them to the OS.</summary>
    public static void SetPoolReleaseThreshold(nint pool, ulong bytes) =>
        Check(CuNative.cuMemPoolSetAttribute(pool, PoolAttrReleaseThreshold, &bytes), "cuMemPoolSetAttribute", "release threshold");

    /// <summary>(reserved, used) bytes of a memory pool.</summary>
    public static (long Reserved, long Used) PoolUsage(nint pool)
    {
        ulong reserved, used;
        Check(CuNative.cuMemPoolGetAttribute(pool, PoolAttrReservedCurrent, &reserved), "cuMemPoolGetAttribute", "reserved");
        Check(CuNative.cuMemPoolGetAttribute(pool, PoolAttrUsedCurrent, &used), "cuMemPoolGetAttribute", "used");
        return ((long)reserved, (long)used);
    }

    /// <summary>Returns unused pool memory to the system, keeping at least <paramref name="keepBytes"/>.</summary>
    public static void TrimPool(nint pool, long keepBytes) => Check(CuNative.cuMemPoolTrimTo(pool, (nuint)keepBytes), "cuMemPoolTrimTo");

    // ---- copies --------------------------------------------------------------------------------------------

    /// <summary>Host → device, queued on <paramref name="stream"/>. From pageable memory the driver stages the bytes
    /// before returning, so <paramref name="source"/> may be reused at once.</summary>
    public static void CopyHostToDevice(nint destination, ReadOnlySpan<byte> source, CudaStream stream)
    {
        if (source.IsEmpty) return;
        fixed (byte* s = source)
            Check(CuNative.cuMemcpyHtoDAsync(destination, s, (nuint)source.Length, stream.Raw), "cuMemcpyHtoDAsync", $"{source.Length} bytes");
    }

    /// <summary>Device → host: queued on <paramref name="stream"/>, then waits for the stream (the data is needed now).</summary>
    public static void CopyDeviceToHost(Span<byte> destination, nint source, CudaStream stream)
    {
        if (destination.IsEmpty) return;
        fixed (byte* d = destination)
        {
            Check(CuNative.cuMemcpyDtoHAsync(d, source, (nuint)destination.Length, stream.Raw), "cuMemcpyDtoHAsync", $"{destination.Length} bytes");
            stream.Synchronize();
        }
    }

    public static void CopyDeviceToDevice(nint destination, nint source, long bytes, CudaStream stream)
    {
        if (bytes == 0) return;
        Check(CuNative.cuMemcpyDtoDAsync(destination, source, (nuint)bytes, stream.Raw), "cuMemcpyDtoDAsync", $"{bytes} bytes");
    }

    /// <summary>
    /// Device → device copy of <paramref name="rows"/> rows of <paramref name="rowBytes"/> bytes, rows
    /// <paramref name="sourcePitch"/> / <paramref name="destinationPitch"/> bytes apart (slices and concatenations).
    /// </summary>
    public static void Copy2D(nint destination, long destinationPitch, nint source, long sourcePitch, long rowBytes, long rows, CudaStream stream)
    {
        if (rowBytes == 0 || rows == 0) return;
        var c = new CudaMemcpy2D
        {
            SrcMemoryType = CudaMemcpy2D.MemoryTypeDevice,
            SrcDevice = source,
            SrcPitch = (nuint)sourcePitch,
            DstMemoryType = CudaMemcpy2D.MemoryTypeDevice,
            DstDevice = destination,
            DstPitch = (nuint)destinationPitch,
            WidthInBytes = (nuint)rowBytes,
            Height = (nuint)rows,
        };
        Check(CuNative.cuMemcpy2DAsync(&c, stream.Raw), "cuMemcpy2DAsync",
            $"{rows} rows of {rowBytes} bytes, pitches {sourcePitch} → {destinationPitch}");
    }

    // ---- fills ---------------------------------------------------------------------------------------------

    public static void Memset8(nint destination, byte value, long count, CudaStream stream)
    {
        if (count > 0) Check(CuNative.cuMemsetD8Async(destination, value, (nuint)count, stream.Raw), "cuMemsetD8Async", $"{count} bytes");
    }

    public static void Memset16(nint destination, ushort value, long count, CudaStream stream)
    {
        if (count > 0) Check(CuNative.cuMemsetD16Async(destination, value, (nuint)count, stream.Raw), "cuMemsetD16Async", $"{count} elements");
    }

    public static void Memset32(nint destination, uint value, long count, CudaStream stream)
    {
        if (count > 0) Check(CuNative.cuMemsetD32Async(destination, value, (nuint)count, stream.Raw), "cuMemsetD32Async", $"{count} elements");
    }

    /// <summary>Fills <paramref name="count"/> 64-bit elements with <paramref name="value"/>: two strided 32-bit fills
    /// (low and high words), as the driver has no 64-bit memset.</summary>
    public static void Memset64(nint destination, ulong value, long count, CudaStream stream)
    {
        if (count == 0) return;
        Check(CuNative.cuMemsetD2D32Async(destination, 8, (uint)value, 1, (nuint)count, stream.Raw), "cuMemsetD2D32Async", "low words");
        Check(CuNative.cuMemsetD2D32Async(destination + 4, 8, (uint)(value >> 32), 1, (nuint)count, stream.Raw), "cuMemsetD2D32Async", "high words");
    }
}
