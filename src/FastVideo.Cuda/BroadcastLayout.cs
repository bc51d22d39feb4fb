using FastVideo.Tensors;

namespace FastVideo.Cuda;

/// <summary>
/// The strided view a broadcast kernel takes: the output shape and, per operand, the element stride of each
/// output dimension (0 where the operand is broadcast). Dimensions of size 1 are dropped and adjacent
/// dimensions that are contiguous for every operand are merged, so [B, N, C] + [C] becomes [B·N, C] with
/// strides (C, 1) and (0, 1), and equal shapes become one dimension.
/// </summary>
public sealed class BroadcastLayout
{
    /// <summary>The broadcast output shape (before merging), as the op returns it.</summary>
    public int[] OutShape { get; }
    /// <summary>The merged shape the kernel iterates (at least one dimension).</summary>
    public long[] Shape { get; }
    /// <summary>Per operand, the element stride of each merged dimension.</summary>
    public long[][] Strides { get; }
    public long Numel { get; }
    public int Rank => Shape.Length;

    private BroadcastLayout(int[] outShape, long[] shape, long[][] strides)
    {
        OutShape = outShape;
        Shape = shape;
        Strides = strides;
        Numel = ShapeUtil.Numel(outShape);
    }

    /// <summary>Plans <paramref name="shapes"/> broadcast together (NumPy rules; the message names <paramref name="op"/> and the shapes).</summary>
    public static BroadcastLayout Plan(string op, params int[][] shapes)
    {
        int[] outShape = shapes[0];
        for (int k = 1; k < shapes.Length; k++) outShape = ShapeUtil.Broadcast(outShape, shapes[k], op);
        int rank = outShape.Length;
        // Full-rank strides per operand (right-aligned; 0 on broadcast or missing dims).
        var full = new long[shapes.Length][];
        for (int k = 0; k < shapes.Length; k++)
        {
            var s = shapes[k];
            var own = ShapeUtil.Strides(s);
            full[k] = new long[rank];
            int lead = rank - s.Length;
            for (int d = lead; d < rank; d++) full[k][d] = s[d - lead] == 1 ? 0 : own[d - lead];
        }
        var shape = new List<long>();
        var strides = Enumerable.Range(0, shapes.Length).Select(_ => new List<long>()).ToArray();
        for (int d = 0; d < rank; d++)
        {
            if (outShape[d] == 1) continue;
            int last = shape.Count - 1;
            bool merge = last >= 0;
            for (int k = 0; merge && k < shapes.Length; k++) merge = strides[k][last] == full[k][d] * outShape[d];
            if (merge)
            {
                shape[last] *= outShape[d];
                for (int k = 0; k < shapes.Length; k++) strides[k][last] = full[k][d];
            }
            else
            {
                shape.Add(outShape[d]);
                for (int k = 0; k < shapes.Length; k++) strides[k].Add(full[k][d]);
            }
        }
        if (shape.Count == 0)
        {
            shape.Add(1);
            foreach (var s in strides) s.Add(0);
        }
        return new BroadcastLayout(outShape, shape.ToArray(), strides.Select(s => s.ToArray()).ToArray());
    }

    /// <summary>True when operand <paramref name="k"/> is read contiguously in output order (no broadcast).</summary>
    public bool IsDense(int k) => Rank == 1 && Strides[k][0] == 1;
}
