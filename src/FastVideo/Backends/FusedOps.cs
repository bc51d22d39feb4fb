using FastVideo.Tensors;

namespace FastVideo.Backends;

/// <summary>
/// The compositions behind the fused ops' default implementations in <see cref="IBackend"/>: the reference each
/// backend's override must match, and its fallback for layouts the override does not take.
/// </summary>
public static class FusedOps
{
    /// <summary>LayerNorm(x, no affine, eps)·(1 + scale) + shift as Cast (BF16 x) → LayerNorm → Modulate.</summary>
    public static Tensor LayerNormModulate(IBackend backend, Tensor x, Tensor scale, Tensor shift, float eps)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(x);
        using var scope = TensorScope.Begin();
        var xf = x.DType == DType.F32 ? x : backend.Cast(x, DType.F32);
        var t = backend.LayerNorm(xf, null, null, eps);
        return scope.Keep(backend.Modulate(t, scale, shift));
    }

    /// <summary>
    /// The front every backend override of LayerNormModulate shares: BF16 x widened first, the F32 checks (the
    /// backend's own, with its messages), then <paramref name="fused"/> given the F32 x and the row layout — or the
    /// composition when scale/shift broadcast other than per sample or per token.
    /// </summary>
    public static Tensor LayerNormModulate(IBackend backend, Tensor x, Tensor scale, Tensor shift, float eps,
        Action<Tensor, string, string> requireF32, Func<Tensor, ModulationRows, Tensor> fused)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(requireF32);
        ArgumentNullException.ThrowIfNull(fused);
        if (x.DType == DType.BF16)
        {
            using var xf = backend.Cast(x, DType.F32);
            return LayerNormModulate(backend, xf, scale, shift, eps, requireF32, fused);
        }
        requireF32(x, "LayerNormModulate", "x");
        requireF32(scale, "LayerNormModulate", "scale");
        requireF32(shift, "LayerNormModulate", "shift");
        return ModulationRows.TryCreate(x.ShapeSpan, scale.ShapeSpan, shift.ShapeSpan) is { } m
            ? fused(x, m)
            : LayerNormModulate(backend, x, scale, shift, eps);
    }
}

/// <summary>
/// Where each row of x [..., N, C] (rows = numel / C) finds its modulation row in scale/shift, as the fused
/// kernels index it: m(r) = (r / RowsPerGroup)·GroupStride + (r % RowsPerGroup)·RowStride (elements). Covers
/// scale/shift of one shape, last dimension C, broadcast per sample ([B, 1, C], [1, 1, C], [C]) or per token
/// ([B, N, C], [1, N, C]); any other broadcast gives null (the caller falls back to the composition).
/// </summary>
public readonly record struct ModulationRows(long Rows, int Cols, int RowsPerGroup, long GroupStride, long RowStride)
{
    public long Offset(long r) => r / RowsPerGroup * GroupStride + r % RowsPerGroup * RowStride;

    public static ModulationRows? TryCreate(ReadOnlySpan<int> x, ReadOnlySpan<int> scale, ReadOnlySpan<int> shift)
    {
        if (x.Length == 0 || !scale.SequenceEqual(shift) || scale.Length > x.Length || scale.Length == 0) return null;
        int c = x[^1];
        if (scale[^1] != c) return null;
        Span<int> s = stackalloc int[x.Length];
        s.Fill(1);
        scale.CopyTo(s[(x.Length - scale.Length)..]);
        int n = x.Length >= 2 ? x[^2] : 1, sn = x.Length >= 2 ? s[^2] : 1;
        if (sn != n && sn != 1) return null;
        bool allOnes = true, allMatch = true;
        long rows = (long)n;
        for (int i = 0; i < x.Length - 2; i++)
        {
            rows *= x[i];
            allOnes &= s[i] == 1;
            allMatch &= s[i] == x[i];
        }
        if (!allOnes && !allMatch) return null;
        long rowStride = sn == n && n != 1 ? c : 0;
        long groupStride = allMatch && !allOnes ? (long)sn * c : 0;
        return new ModulationRows(rows, c, Math.Max(n, 1), groupStride, rowStride);
    }
}
