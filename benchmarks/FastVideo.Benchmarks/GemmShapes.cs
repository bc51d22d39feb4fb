namespace FastVideo.Benchmarks;

/// <summary>
/// A GEMM problem as the Wan DiT meets it: C[M, N] = A[M, K]·op(B), B a Linear weight [N, K] (transposed use)
/// unless <see cref="TransB"/> is false. M = 1560 tokens is one latent frame of a 480×832 video (30×52 patches of
/// 2×2); 1536 is Wan2.1-1.3B's model width and 8960 its FFN width.
/// </summary>
public sealed record GemmShape(int M, int N, int K, bool TransB)
{
    public double Flops => 2.0 * M * N * K;

    public override string ToString() => $"{M}x{N}x{K}{(TransB ? "-NT" : "-NN")}";

    public static GemmShape Parse(string s)
    {
        var nt = s.EndsWith("-NT", StringComparison.Ordinal);
        var dims = s[..^3].Split('x').Select(int.Parse).ToArray();
        return new GemmShape(dims[0], dims[1], dims[2], nt);
    }

    /// <summary>The shapes docs/PERF.md reports.</summary>
    public static readonly string[] Standard =
    [
        "1560x1536x1536-NT", // attention q/k/v/o projections
        "1560x8960x1536-NT", // FFN up
        "1560x1536x8960-NT", // FFN down
        "1024x1024x1024-NN",
    ];
}
