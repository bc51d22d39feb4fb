using FastVideo.Tensors;

namespace FastVideo.Backends;

public static partial class OpShapes
{
    /// <summary>
    /// Concat's checks: at least one tensor, rank ≥ 1, every tensor of the first one's dtype and shape except along
    /// <paramref name="dim"/>. Returns the normalised dimension and the result shape.
    /// </summary>
    public static (int Dim, int[] Shape) Concat(IReadOnlyList<Tensor> tensors, int dim)
    {
        const string op = "Concat";
        ArgumentNullException.ThrowIfNull(tensors);
        Require(tensors.Count > 0, op, "needs at least one tensor");
        var first = tensors[0];
        int rank = first.Rank;
        Require(rank > 0, op, "tensors[0] is a scalar (rank 0); concatenation needs rank ≥ 1");
        int d = NormDim(op, dim, rank);
        var shape = first.Shape;
        long total = 0;
        for (int k = 0; k < tensors.Count; k++)
        {
            var t = tensors[k];
            if (t.DType != first.DType)
                throw new ArgumentException($"{op}: tensors[{k}] is {t.DType}, tensors[0] is {first.DType}");
            bool ok = t.Rank == rank;
            for (int i = 0; ok && i < rank; i++) ok = i == d || t.ShapeSpan[i] == shape[i];
            if (!ok)
                throw new ShapeMismatchException(
                    $"{op}: tensors[{k}] [{ShapeUtil.Format(t.ShapeSpan)}] must match tensors[0] [{ShapeUtil.Format(first.ShapeSpan)}] in every dimension but {d}");
            total += t.ShapeSpan[d];
        }
        shape[d] = checked((int)total);
        return (d, shape);
    }

    /// <summary>Slice's checks: rank ≥ 1, [start, start + length) inside the dimension. Returns the normalised dimension and the result shape.</summary>
    public static (int Dim, int[] Shape) Slice(Tensor x, int dim, int start, int length)
    {
        const string op = "Slice";
        Require(x.Rank > 0, op, "x is a scalar (rank 0)");
        int d = NormDim(op, dim, x.Rank);
        int size = x.ShapeSpan[d];
        if (start < 0 || length < 0 || (long)start + length > size)
            throw new ArgumentOutOfRangeException(nameof(start),
                $"{op}: range [{start}, {(long)start + length}) is outside dimension {d} (size {size}) of x [{ShapeUtil.Format(x.ShapeSpan)}]");
        var shape = x.Shape;
        shape[d] = length;
        return (d, shape);
    }

    /// <summary>Split's checks: rank ≥ 1, non-negative sizes that add up to the dimension. Returns the normalised dimension.</summary>
    public static int Split(Tensor x, ReadOnlySpan<int> sizes, int dim)
    {
        const string op = "Split";
        Require(x.Rank > 0, op, "x is a scalar (rank 0)");
        int d = NormDim(op, dim, x.Rank);
        long sum = 0;
        foreach (int s in sizes)
        {
            if (s < 0) throw new ArgumentException($"{op}: negative size {s} in sizes [{ShapeUtil.Format(sizes)}]");
            sum += s;
        }
        if (sum != x.ShapeSpan[d])
            throw new ShapeMismatchException(
                $"{op}: sizes [{ShapeUtil.Format(sizes)}] add up to {sum}, dimension {d} of x [{ShapeUtil.Format(x.ShapeSpan)}] is {x.ShapeSpan[d]}");
        return d;
    }

    /// <summary>
    /// Permute's checks: <paramref name="dims"/> a permutation of 0..rank−1 (negative entries count from the end).
    /// Returns the normalised dims (result dim i = x dim Dims[i]) and the result shape.
    /// </summary>
    public static (int[] Dims, int[] Shape) Permute(Tensor x, ReadOnlySpan<int> dims)
    {
        int rank = x.Rank;
        if (dims.Length != rank)
            throw new ArgumentException($"Permute: dims [{ShapeUtil.Format(dims)}] has {dims.Length} entries, x [{ShapeUtil.Format(x.ShapeSpan)}] has rank {rank}");
        var norm = new int[rank];
        var seen = new bool[rank];
        for (int i = 0; i < rank; i++)
        {
            int p = dims[i] < 0 ? dims[i] + rank : dims[i];
            if (p < 0 || p >= rank || seen[p])
                throw new ArgumentException($"Permute: dims [{ShapeUtil.Format(dims)}] is not a permutation of 0..{rank - 1}");
            seen[p] = true;
            norm[i] = p;
        }
        var shape = new int[rank];
        for (int i = 0; i < rank; i++) shape[i] = x.ShapeSpan[norm[i]];
        return (norm, shape);
    }
}
