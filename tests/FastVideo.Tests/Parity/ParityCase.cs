using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Tests.Parity;

/// <summary>How the values of one input are drawn (always from a fixed seed).</summary>
public enum InputKind
{
    /// <summary>N(0, Scale²).</summary>
    Normal,
    /// <summary>Uniform in [Lo, Hi).</summary>
    Uniform,
    /// <summary>|v| uniform in [0.5, 2) with a random sign: safe divisors.</summary>
    AwayFromZero,
    /// <summary>Integer ids uniform in [0, Vocab) (for I32/I64 inputs).</summary>
    Ids,
    /// <summary>
    /// Conversion edge cases first (±0, rounding ties, 255/256, the I32/I64 limits, ±1e19, ±∞, NaN, a subnormal),
    /// then N(0, 1000²): for casts. Stored in the input's dtype by <see cref="DTypeConvert.FromFloat"/>.
    /// </summary>
    Special,
}

/// <summary>One input of a parity case: its shape, dtype and value distribution.</summary>
public sealed record InputSpec(int[] Shape, DType DType = DType.F32, InputKind Kind = InputKind.Normal,
    float Scale = 1f, float Lo = -1f, float Hi = 1f, int Vocab = 0)
{
    public static InputSpec F32(params int[] shape) => new(shape);
    public static InputSpec Of(DType dtype, params int[] shape) => new(shape, dtype);
}

/// <summary>
/// One row of the parity table (one op × shapes × dtype): inputs built on the CPU from a fixed seed, the op
/// run through <see cref="IBackend"/>, and optionally a double-precision reference over the same inputs.
/// Outputs of several tensors (Split) are compared as their concatenation.
/// </summary>
public sealed class ParityCase
{
    public required Op Op { get; init; }
    /// <summary>Test name, e.g. <c>Add[3x1x7 + 7] f32</c>.</summary>
    public required string Name { get; init; }
    /// <summary>The dtype passed to <see cref="IBackend.Supports"/>.</summary>
    public DType DType { get; init; } = DType.F32;
    public required InputSpec[] Inputs { get; init; }
    /// <summary>Runs the op on a backend whose inputs are already on its device.</summary>
    public required Func<IBackend, Tensor[], Tensor[]> Run { get; init; }
    /// <summary>Double reference over the inputs' stored values (as double), flattened output; null where none.</summary>
    public Func<double[][], double[]>? Reference { get; init; }
    /// <summary>Largest normalized MSE between candidate and reference backend (ggml's default 1e-7).</summary>
    public double MaxNmse { get; init; } = 1e-7;
    /// <summary>Largest normalized MSE against the double reference (1e-10 ≙ relative L2 1e-5).</summary>
    public double MaxNmseVsDouble { get; init; } = 1e-10;
    /// <summary>Seed of the first input; input k uses Seed + k.</summary>
    public int Seed { get; init; } = 1234;

    public override string ToString() => Name;
}
