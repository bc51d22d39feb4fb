using FastVideo.Backends;
using FastVideo.Cuda.Kernels;
using FastVideo.Tensors;

namespace FastVideo.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>Σ over <paramref name="dim"/>, accumulated in double on the device; keepDim leaves a size-1 dimension.</summary>
    public Tensor Sum(Tensor x, int dim, bool keepDim = false) => Reduce("Sum", x, dim, keepDim, mean: false);

    /// <summary>Mean over <paramref name="dim"/>, accumulated in double (an empty dimension gives NaN).</summary>
    public Tensor Mean(Tensor x, int dim, bool keepDim = false) => Reduce("Mean", x, dim, keepDim, mean: true);

    private Tensor Reduce(string op, Tensor x, int dim, bool keepDim, bool mean)
    {
        RequireF32(x, op, "x");
        Require(x.Rank > 0, op, "x is a scalar (rank 0)");
        int d = OpShapes.NormDim(op, dim, x.Rank);
        var shape = new List<int>(x.ShapeSpan.ToArray());
        long outer = 1, inner = 1, len = shape[d];
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < shape.Count; i++) inner *= shape[i];
        if (keepDim) shape[d] = 1;
        else shape.RemoveAt(d);
        var y = Empty(shape.ToArray());
        return Run(y, () =>
        {
            if (y.Numel == 0) return;
            var p = new ReduceParams { Y = y.DataPointer, X = x.DataPointer, Outer = outer, Len = len, Inner = inner, Mean = mean ? 1 : 0 };
            if (inner == 1) Launch(KernelCatalog.ReduceRows, KernelCatalog.RowLaunch(outer, len, DType.F32), p);
            else Launch(KernelCatalog.ReduceCols, LaunchConfig.GridStride(outer * inner), p);
        });
    }
}
