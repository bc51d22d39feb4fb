namespace FastVideo.Backends;

/// <summary>
/// The numeric precision a generation computes in, chosen once at the entry point (<c>GeneratorOptions.Precision</c>,
/// <c>fastvideo generate --precision</c>).
/// </summary>
public enum Precision
{
    /// <summary>The device's default, as FastVideo does: bf16 on CUDA, fp32 on the CPU.</summary>
    Auto,
    /// <summary>The exact FP32 op contract on every backend (results match the goldens).</summary>
    Fp32,
    /// <summary>Mixed precision: GEMM inputs in bf16 with FP32 accumulation, flash attention in bf16 where eligible.</summary>
    Bf16,
}

/// <summary>Names of <see cref="Precision"/> values as the command line spells them.</summary>
public static class PrecisionNames
{
    /// <summary>The values an explicit request may name.</summary>
    public static IReadOnlyList<string> Explicit { get; } = ["fp32", "bf16"];

    /// <summary>"fp32" or "bf16" (any case); null for anything else.</summary>
    public static Precision? TryParse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "fp32" => Precision.Fp32,
        "bf16" => Precision.Bf16,
        _ => null,
    };

    public static string Name(this Precision p) => p switch
    {
        Precision.Fp32 => "fp32",
        Precision.Bf16 => "bf16",
        _ => "auto",
    };
}

/// <summary>How many calls of one op took one implementation path (e.g. attention, "flash mma.sync bf16 d128").</summary>
/// <param name="Op">The op family: attention, linear, conv, matmul.</param>
/// <param name="Path">The implementation and its precision, in words.</param>
/// <param name="Calls">Calls that took it; null where the backend does not count (its only path for that op).</param>
public readonly record struct ComputePathCount(string Op, string Path, long? Calls);

/// <summary>
/// A backend that says which precision it computes in and counts the implementation path each op call takes
/// (cheap: a counter per path name, like the kernel launch counters). Backends without it are taken to follow
/// the FP32 op contract.
/// </summary>
public interface IComputePathCounter
{
    /// <summary>The precision this backend was set up to compute in (<see cref="Precision.Fp32"/> or <see cref="Precision.Bf16"/>).</summary>
    Precision ComputePrecision { get; }

    /// <summary>The paths taken so far with their call counts, in first-use order.</summary>
    IReadOnlyList<ComputePathCount> ComputePathCounts { get; }
}
