using FastVideo.Tensors;

namespace FastVideo.Backends;

/// <summary>
/// Device-independent argument checks and result shapes shared by every backend, so the CPU and CUDA
/// backends reject the same inputs with the same messages. Device checks stay in each backend.
/// </summary>
public static class OpShapes
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
}
