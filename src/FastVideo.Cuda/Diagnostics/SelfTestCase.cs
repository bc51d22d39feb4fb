using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Cuda.Diagnostics;

/// <summary>How the values of one self-test input are drawn.</summary>
public enum InputDistribution
{
    /// <summary>N(0, 1).</summary>
    Normal,
    /// <summary>Uniform in [Lo, Hi).</summary>
    Uniform,
    /// <summary>|v| in [0.5, 2) with a random sign (safe divisors).</summary>
    AwayFromZero,
    /// <summary>Integers in [0, Vocab).</summary>
    Ids,
}

/// <summary>One input of a self-test case.</summary>
public sealed record SelfTestInput(int[] Shape, DType DType = DType.F32, InputDistribution Distribution = InputDistribution.Normal,
    float Lo = -1f, float Hi = 1f, int Vocab = 0)
{
    public static SelfTestInput F32(params int[] shape) => new(shape);
    public static SelfTestInput Of(DType dtype, params int[] shape) => new(shape, dtype);
}

/// <summary>
/// One row of the self-test: an op on given input shapes, run on the CPU backend (reference) and on a CUDA backend
/// (exact or mixed precision) from the same host inputs, compared by relative L2 error.
/// </summary>
public sealed record SelfTestCase(Op Op, string Label, DType DType, bool Mixed, SelfTestInput[] Inputs, Func<IBackend, Tensor[], Tensor[]> Run)
{
    /// <summary>fp32 rows: relative L2 ≤ 1e-5; mixed-precision (bf16 tensor-core) rows: ≤ 1e-2.</summary>
    public double Tolerance => Mixed ? 1e-2 : 1e-5;

    public string Name => $"{Op}[{Label}]{(Mixed ? " mixed" : "")}";

    /// <summary>Inputs with at least this many elements make a case Wan-sized (one 480p latent frame of the 1.3B model is 1560×1536).</summary>
    public const long WanSizedElements = 1L << 16;

    /// <summary>
    /// A case on Wan2.1 shapes (an input of <see cref="WanSizedElements"/> elements or more): seconds on a GPU, minutes to
    /// hours on the CPU emulator. <c>selftest --quick</c> leaves these out; the test suite runs them only on a real GPU.
    /// </summary>
    public bool IsWanSized => Inputs.Any(i => i.Shape.Aggregate(1L, (a, d) => a * d) >= WanSizedElements);

    /// <summary>Query × key tokens from which an attention case needs a real GPU in the test suite: the 1560-token
    /// Wan rows take 15–60 s each on the CPU emulator; every other row, Wan-sized or not, takes at most a few seconds.</summary>
    public const long EmulatorAttentionLimit = 1L << 19;

    /// <summary>
    /// Too slow for the CPU emulator (the test suite's [Category("GpuHardware")]): the full-sequence Wan attention rows
    /// (<see cref="EmulatorAttentionLimit"/>). The other Wan-sized rows run on the emulator too.
    /// </summary>
    public bool NeedsRealGpu => Op == Op.Attention && Inputs.Length >= 2 && Inputs[0].Shape.Length >= 2 && Inputs[1].Shape.Length >= 2
        && (long)Inputs[0].Shape[^2] * Inputs[1].Shape[^2] >= EmulatorAttentionLimit;
}
