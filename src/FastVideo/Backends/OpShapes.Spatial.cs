using FastVideo.Tensors;

namespace FastVideo.Backends;

public static partial class OpShapes
{
    /// <summary>
    /// Validates ApplyRope's shapes (x [B, N, H, D] with D even, cos and sin [N, D/2]; dtypes are the backend's
    /// check) and returns x's dimensions.
    /// </summary>
    public static (int B, int N, int H, int D) Rope(Tensor x, Tensor cos, Tensor sin)
    {
        if (x.Rank != 4 || x.ShapeSpan[3] % 2 != 0)
            throw new ShapeMismatchException($"ApplyRope: x must be [B, N, H, D] with D even, got [{ShapeUtil.Format(x.ShapeSpan)}]");
        int n = x.ShapeSpan[1], half = x.ShapeSpan[3] / 2;
        foreach (var (name, t) in new[] { ("cos", cos), ("sin", sin) })
            if (t.Rank != 2 || t.ShapeSpan[0] != n || t.ShapeSpan[1] != half)
                throw new ShapeMismatchException($"ApplyRope: {name} must be [{n}, {half}] for x [{ShapeUtil.Format(x.ShapeSpan)}], got [{ShapeUtil.Format(t.ShapeSpan)}]");
        return (x.ShapeSpan[0], n, x.ShapeSpan[2], x.ShapeSpan[3]);
    }

    /// <summary>Validates UpsampleNearest2x's shape (x [..., H, W], rank ≥ 2) and returns the result shape [..., 2H, 2W].</summary>
    public static int[] Upsample2x(Tensor x)
    {
        if (x.Rank < 2)
            throw new ShapeMismatchException($"UpsampleNearest2x: x must be [..., H, W] (rank ≥ 2), got [{ShapeUtil.Format(x.ShapeSpan)}]");
        var shape = x.Shape;
        shape[^2] = checked(2 * shape[^2]);
        shape[^1] = checked(2 * shape[^1]);
        return shape;
    }
}
