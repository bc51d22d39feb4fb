using FastVideo.Tensors;

namespace FastVideo.Backends;

/// <summary>
/// Device-independent argument checks and result shapes shared by every backend, so the CPU and CUDA
/// backends reject the same inputs with the same messages. Device checks stay in each backend (they run
/// first: a tensor on the wrong device is reported before its shape). One file per op family.
/// </summary>
public static partial class OpShapes
{
    /// <summary>Validates Linear's dtypes and shapes (x [..., in], weight [out, in], bias [out]) and returns the result shape.</summary>
    public static int[] Linear(Tensor x, Tensor weight, Tensor? bias)
    {
        const string op = "Linear";
        if (!weight.DType.IsFloat())
            throw new ArgumentException($"{op}: weight must be F32, BF16 or F16, got {weight.DType} [{ShapeUtil.Format(weight.ShapeSpan)}]");
        if (weight.Rank != 2)
            throw new ShapeMismatchException($"{op}: weight must be [out, in], got [{ShapeUtil.Format(weight.ShapeSpan)}]");
        if (x.Rank < 1)
            throw new ShapeMismatchException($"{op}: x must be [..., in], got a scalar");
        int outF = weight.Size(0), inF = weight.Size(1);
        if (x.Size(-1) != inF)
            throw new ShapeMismatchException($"{op}: x [{ShapeUtil.Format(x.ShapeSpan)}] has {x.Size(-1)} input features but weight " +
                $"[{ShapeUtil.Format(weight.ShapeSpan)}] expects {inF}");
        if (bias != null)
        {
            if (!bias.DType.IsFloat())
                throw new ArgumentException($"{op}: bias must be F32, BF16 or F16, got {bias.DType}");
            if (bias.Rank != 1 || bias.Size(0) != outF)
                throw new ShapeMismatchException($"{op}: bias must be [{outF}] to match weight [{ShapeUtil.Format(weight.ShapeSpan)}], " +
                    $"got [{ShapeUtil.Format(bias.ShapeSpan)}]");
        }
        var shape = x.Shape;
        shape[^1] = outF;
        return shape;
    }

    /// <summary>
    /// MatMul's shapes: a [..., M, K] and b [..., K, N] (or [..., N, K] with <paramref name="transposeB"/>), batch
    /// dimensions broadcast as NumPy. Dtypes are the backend's check (F32).
    /// </summary>
    internal static MatMulShape MatMul(Tensor a, Tensor b, bool transposeB)
    {
        const string op = "MatMul";
        if (a.Rank < 2) throw new ShapeMismatchException($"{op}: a must be [..., M, K] (rank ≥ 2), got [{ShapeUtil.Format(a.ShapeSpan)}]");
        if (b.Rank < 2) throw new ShapeMismatchException($"{op}: b must be [..., {(transposeB ? "N, K" : "K, N")}] (rank ≥ 2), got [{ShapeUtil.Format(b.ShapeSpan)}]");
        int m = a.Size(-2), k = a.Size(-1);
        int kb = transposeB ? b.Size(-1) : b.Size(-2), n = transposeB ? b.Size(-2) : b.Size(-1);
        if (kb != k)
            throw new ShapeMismatchException($"{op}: a [{ShapeUtil.Format(a.ShapeSpan)}] has K = {k} but b [{ShapeUtil.Format(b.ShapeSpan)}] " +
                $"(transposeB = {transposeB}) has K = {kb}");
        int[] aBatch = a.ShapeSpan[..^2].ToArray(), bBatch = b.ShapeSpan[..^2].ToArray();
        int[] batch = ShapeUtil.Broadcast(aBatch, bBatch, $"{op} batch dimensions of a [{ShapeUtil.Format(a.ShapeSpan)}] and b [{ShapeUtil.Format(b.ShapeSpan)}]");
        var shape = new int[batch.Length + 2];
        batch.CopyTo(shape, 0);
        shape[^2] = m;
        shape[^1] = n;
        return new MatMulShape(shape, aBatch, bBatch, batch, m, n, k);
    }

    /// <summary>
    /// For every entry of the broadcast batch shape <paramref name="batch"/>, the element offset of the matching
    /// matrix in a tensor whose batch shape is <paramref name="own"/> (right-aligned; size-1 dims repeat).
    /// </summary>
    internal static long[] BatchOffsets(ReadOnlySpan<int> own, int[] batch, long matrixElems)
    {
        long count = ShapeUtil.Numel(batch);
        var offsets = new long[count];
        var ownStrides = ShapeUtil.Strides(own);
        int lead = batch.Length - own.Length;
        var idx = new int[batch.Length];
        for (long i = 0; i < count; i++)
        {
            long off = 0;
            for (int d = lead; d < batch.Length; d++)
                if (own[d - lead] != 1) off += idx[d] * ownStrides[d - lead];
            offsets[i] = off * matrixElems;
            for (int d = batch.Length - 1; d >= 0; d--)
            {
                if (++idx[d] < batch[d]) break;
                idx[d] = 0;
            }
        }
        return offsets;
    }

    /// <summary><paramref name="dim"/> with negative values counted from the end; throws when outside [0, rank).</summary>
    public static int NormDim(string op, int dim, int rank)
    {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) throw new ArgumentOutOfRangeException(nameof(dim), dim, $"{op}: dimension {dim} is out of range for rank {rank}");
        return d;
    }

    private static void Require(bool condition, string op, string message)
    {
        if (!condition) throw new ArgumentException($"{op}: {message}");
    }
}

/// <summary>A checked MatMul: result shape, the batch shapes of a, b and the broadcast one, and M, N, K.</summary>
internal sealed record MatMulShape(int[] Shape, int[] ABatch, int[] BBatch, int[] Batch, int M, int N, int K);
