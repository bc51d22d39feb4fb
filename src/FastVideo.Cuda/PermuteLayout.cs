namespace FastVideo.Cuda;

/// <summary>
/// The reduced form of a permutation for the permute kernel: dimensions of size 1 dropped, and output dimensions
/// that come from consecutive input dimensions in order merged ([B, N, H, D] by (0, 2, 1, 3) stays rank 4, but
/// [B, C, T·H·W] → [B, T·H·W, C] written with 5 dims merges to 3). InStride[i] is the input element stride of
/// merged output dimension i.
/// </summary>
public sealed class PermuteLayout
{
    public long[] Shape { get; }
    public long[] InStride { get; }
    public int Rank => Shape.Length;

    /// <summary>True when the permutation keeps the memory order (a plain copy).</summary>
    public bool IsIdentity { get; }

    private PermuteLayout(long[] shape, long[] inStride, bool identity)
    {
        Shape = shape;
        InStride = inStride;
        IsIdentity = identity;
    }

    /// <summary>Plans output dim i = input dim <paramref name="dims"/>[i] (already normalised to 0..rank−1).</summary>
    public static PermuteLayout Plan(ReadOnlySpan<int> inShape, ReadOnlySpan<int> dims)
    {
        int rank = inShape.Length;
        var inStrides = new long[rank];
        long acc = 1;
        for (int i = rank - 1; i >= 0; i--) { inStrides[i] = acc; acc *= inShape[i]; }
        var shape = new List<long>();
        var stride = new List<long>();
        for (int i = 0; i < rank; i++)
        {
            long size = inShape[dims[i]];
            if (size == 1) continue;
            long st = inStrides[dims[i]];
            int last = shape.Count - 1;
            // Output dims i−1 and i merge when the earlier one steps over exactly the later one's extent in x.
            if (last >= 0 && stride[last] == st * size)
            {
                shape[last] *= size;
                stride[last] = st;
            }
            else
            {
                shape.Add(size);
                stride.Add(st);
            }
        }
        if (shape.Count == 0)
        {
            shape.Add(1);
            stride.Add(1);
        }
        bool identity = shape.Count == 1 && stride[0] == 1;
        return new PermuteLayout(shape.ToArray(), stride.ToArray(), identity);
    }
}
