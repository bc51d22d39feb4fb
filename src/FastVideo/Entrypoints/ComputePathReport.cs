using System.Globalization;
using FastVideo.Backends;

namespace FastVideo.Entrypoints;

/// <summary>
/// The precision a generation ran in and the implementation paths its ops took (attention kernel, GEMM path), with
/// call counts where the backend counts them (<see cref="IComputePathCounter"/>).
/// </summary>
public sealed record ComputePathReport
{
    /// <summary>What was asked for (<see cref="Precision.Auto"/> when nothing was).</summary>
    public required Precision Requested { get; init; }
    /// <summary>What the backend computed in: <see cref="Precision.Fp32"/> or <see cref="Precision.Bf16"/>.</summary>
    public required Precision Precision { get; init; }
    /// <summary>Every path taken during the generation, grouped by op in first-use order.</summary>
    public required IReadOnlyList<ComputePathCount> Paths { get; init; }

    /// <summary>The paths of one op ("attention", "linear", "conv", "matmul").</summary>
    public IReadOnlyList<ComputePathCount> For(string op) => Paths.Where(p => p.Op == op).ToList();

    /// <summary>One line per op: "attention  flash mma.sync bf16 d128 ×12; cuBLASLt f32 + softmax f32 ×4".</summary>
    public IReadOnlyList<string> Describe()
    {
        var lines = new List<string>
        {
            $"precision {Precision.Name()}" + (Requested == Precision.Auto ? " (auto)" : ""),
        };
        foreach (var op in Paths.Select(p => p.Op).Distinct())
            lines.Add($"{op.PadRight(9)} {string.Join("; ", For(op).Select(Format))}");
        return lines;

        static string Format(ComputePathCount p) =>
            p.Calls is long n ? $"{p.Path} ×{n.ToString(CultureInfo.InvariantCulture)}" : p.Path;
    }

    /// <summary>The CPU backend's paths: one per op, all FP32 (it has no bf16 compute path), not counted per call.</summary>
    internal static IReadOnlyList<ComputePathCount> CpuPaths { get; } =
    [
        new("attention", "cpu tiled online-softmax f32", null),
        new("linear", "cpu packed GEMM f32 (16-bit weights widened)", null),
        new("conv", "cpu im2col + packed GEMM f32", null),
        new("matmul", "cpu packed GEMM f32", null),
    ];

    /// <summary>Counts in <paramref name="after"/> less those in <paramref name="before"/>; paths not taken in between are left out.</summary>
    internal static IReadOnlyList<ComputePathCount> Difference(IReadOnlyList<ComputePathCount> before, IReadOnlyList<ComputePathCount> after)
    {
        var earlier = before.ToDictionary(p => (p.Op, p.Path), p => p.Calls ?? 0);
        return after
            .Select(p => p with { Calls = p.Calls is long n ? n - earlier.GetValueOrDefault((p.Op, p.Path)) : null })
            .Where(p => p.Calls is null or > 0)
            .OrderBy(p => OpOrder(p.Op))
            .ToList();
    }

    private static int OpOrder(string op) => op switch { "attention" => 0, "linear" => 1, "conv" => 2, "matmul" => 3, _ => 4 };
}
