namespace FastVideo.Cuda.Kernels;

/// <summary>Limits shared by the kernels and their callers.</summary>
public static class KernelLimits
{
    /// <summary>Most dimensions a strided kernel (broadcast, permute) takes; collapse contiguous dims first.</summary>
    public const int MaxRank = 6;

    /// <summary>Threads per block of the grid-stride element-wise kernels.</summary>
    public const int ElementwiseBlock = 256;

    /// <summary>Most threads a row kernel (norms, softmax, qkv) uses per block.</summary>
    public const int RowBlockMax = 256;

    /// <summary>
    /// Cap on grid.x for kernels that loop over their work (grid-stride or rows-per-block): far more blocks than
    /// any GPU runs at once (132 SMs × 16 blocks), so the cap never costs parallelism, and it keeps grid.x
    /// well inside the driver's 2³¹ − 1.
    /// </summary>
    public const int MaxLoopBlocks = 1 << 20;
}

/// <summary>A kernel's launch geometry: grid, block (1-D) and dynamic shared memory in bytes.</summary>
public readonly record struct LaunchConfig(uint GridX, uint GridY, uint GridZ, uint BlockX, uint SharedBytes)
{
    /// <summary>
    /// Grid-stride launch over <paramref name="work"/> items with <paramref name="perThread"/> items per thread
    /// (the vector width of a 16-byte access, or 1): ceil(work / (block·perThread)) blocks, at least 1 and at
    /// most <see cref="KernelLimits.MaxLoopBlocks"/>.
    /// </summary>
    public static LaunchConfig GridStride(long work, int perThread = 1, int block = KernelLimits.ElementwiseBlock)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(work);
        ArgumentOutOfRangeException.ThrowIfLessThan(perThread, 1);
        long per = (long)block * perThread;
        long blocks = Math.Clamp((work + per - 1) / per, 1, KernelLimits.MaxLoopBlocks);
        return new LaunchConfig((uint)blocks, 1, 1, (uint)block, 0);
    }

    /// <summary>
    /// One block per row (rows beyond the grid are strided over): block = ceil(cols / vec) threads rounded up to
    /// a warp, between 32 and <see cref="KernelLimits.RowBlockMax"/>; grid = min(rows, MaxLoopBlocks), at least 1.
    /// </summary>
    public static LaunchConfig PerRow(long rows, long cols, int vec)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        ArgumentOutOfRangeException.ThrowIfLessThan(vec, 1);
        long threads = (cols + vec - 1) / vec;
        threads = Math.Clamp((threads + 31) / 32 * 32, 32, KernelLimits.RowBlockMax);
        long grid = Math.Clamp(rows, 1, KernelLimits.MaxLoopBlocks);
        return new LaunchConfig((uint)grid, 1, 1, (uint)threads, 0);
    }

    /// <summary>Elements per 16-byte access for an element of <paramref name="elementBytes"/> bytes (4 for F32, 8 for BF16/F16).</summary>
    public static int VectorWidth(int elementBytes) => 16 / elementBytes;
}
