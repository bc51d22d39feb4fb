using FastVideo.Tensors;

namespace FastVideo.Backends.Cpu;

/// <summary>
/// The elements of a floating tensor as F32: the tensor's own memory when it is F32, otherwise a copy
/// converted once into a buffer from the pooled allocator (bf16 weights are widened per call rather than
/// kept twice in memory). Dispose returns the buffer.
/// </summary>
internal readonly unsafe struct ConvF32View : IDisposable
{
    private readonly IAllocator? _owner;
    private readonly long _capacity;

    public float* Pointer { get; }

    private ConvF32View(float* pointer, IAllocator? owner, long capacity)
    {
        Pointer = pointer;
        _owner = owner;
        _capacity = capacity;
    }

    /// <summary>An F32 view of <paramref name="t"/> (F32, BF16 or F16), or a null pointer when <paramref name="t"/> is null.</summary>
    public static ConvF32View Of(Tensor? t, IAllocator allocator, int threads)
    {
        if (t == null) return default;
        if (t.DType == DType.F32) return new ConvF32View((float*)t.DataPointer, null, 0);
        long n = t.Numel;
        nint p = allocator.Allocate(Math.Max(n, 1) * sizeof(float), out long capacity);
        float* dst = (float*)p;
        ushort* src = (ushort*)t.DataPointer;
        const long chunk = 1 << 16;
        long chunks = (n + chunk - 1) / chunk;
        bool bf16 = t.DType == DType.BF16;
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) };
        Parallel.For(0L, chunks, options, ci =>
        {
            long end = Math.Min(n, (ci + 1) * chunk);
            if (bf16)
                for (long i = ci * chunk; i < end; i++) dst[i] = BFloat16.BitsToSingle(src[i]);
            else
                for (long i = ci * chunk; i < end; i++) dst[i] = (float)BitConverter.UInt16BitsToHalf(src[i]);
        });
        return new ConvF32View(dst, allocator, capacity);
    }

    public void Dispose()
    {
        if (_owner != null) _owner.Free((nint)Pointer, _capacity);
    }
}
