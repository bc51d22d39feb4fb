namespace FastVideo.Cuda;

/// <summary>How a <see cref="CudaBackend"/> is set up. Read once at the entry point (CLI flags, generator options).</summary>
public sealed record CudaBackendOptions
{
    /// <summary>The device ordinal (0 = the first visible GPU).</summary>
    public int Device { get; init; }

    /// <summary>
    /// False (default): every op follows the op contract to FP32 accuracy: BF16/F16 Linear and Conv weights are
    /// widened to F32 for the GEMM, MatMul runs in FP32 (no TF32), Attention uses the F32 path.
    /// True: the production path: activations are rounded to the weights' 16-bit type for tensor-core GEMMs
    /// (FP32 accumulation), and Attention runs the flash kernel in BF16 where head dim and mask allow.
    /// Results then agree with the CPU backend to bf16 accuracy (relative L2 ≈ 1e-3), not 1e-5.
    /// </summary>
    public bool MixedPrecision { get; init; }

    /// <summary>
    /// Use the Hopper (wgmma, sm_90a) flash-attention kernel on compute capability 9.0 when its module loads. Off by
    /// default: kernels/ABI.md marks that kernel unverified until its lab has passed on an H100/H200, so the
    /// mma.sync kernel (sm_80+) serves mixed-precision attention.
    /// </summary>
    public bool HopperAttention { get; init; }

    /// <summary>A directory with <c>&lt;module&gt;.fatbin</c> files built on this machine, tried before the embedded kernels.</summary>
    public string? KernelDirectory { get; init; }

    /// <summary>Waits for the stream after every op and checks for errors, so a faulting kernel is reported by the op
    /// that launched it (debugging; slow).</summary>
    public bool SynchronizeAfterEachOp { get; init; }

    /// <summary>Take new memory from the driver's stream-ordered pool (cuMemAllocAsync) where supported.</summary>
    public bool UseMemoryPool { get; init; } = true;
}
