namespace FastVideo.Rng;

/// <summary>
/// Which of PyTorch's CPU kernels to reproduce for the vectorised <c>randn</c> path (float32, ≥ 16 elements).
/// The two differ only in the last bits of about 40 % of the values (at most ~1.8e-6 absolute).
/// </summary>
public enum TorchNormalKernel
{
    /// <summary>
    /// <c>normal_fill_16_AVX2</c>: what torch runs on every x86-64 CPU with AVX2 (AVX512 CPUs included, as
    /// <c>normal_stub</c> has no AVX512 kernel). Float32 Cephes <c>log</c>/<c>sincos</c> with GCC's FMA
    /// contraction, emulated here bit-exactly on any machine.
    /// </summary>
    Avx2,

    /// <summary>
    /// The generic kernel (<c>ATEN_CPU_CAPABILITY=default</c>, non-x86 builds): float <c>log/sqrt/cos/sin</c>
    /// from the C library. Bit-exact only where .NET's <see cref="MathF"/> maps to the same libm as torch
    /// (glibc on Linux).
    /// </summary>
    Generic,
}
