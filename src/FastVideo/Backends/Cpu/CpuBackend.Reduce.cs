using FastVideo.Tensors;

namespace FastVideo.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>Σ over <paramref name="dim"/>, accumulated in double; keepDim leaves a size-1 dimension.</summary>
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
        if (y.Numel == 0) return y;
        float* px = (float*)x.DataPointer, py = (float*)y.DataPointer;
        double div = mean ? len : 1.0; // len = 0 with mean: 0/0 = NaN, as PyTorch
        if (inner == 1)
        {
            CpuParallel.For(outer, Math.Max(len, 1), Threads, (o0, o1) =>
            {
                for (long o = o0; o < o1; o++) py[o] = (float)(CpuReduce.Sum(px + o * len, len) / div);
            });
            return y;
        }
        // Reduce across rows: accumulate a block of `inner` columns over the `len` rows in double.
        const int chunk = 1024;
        long chunks = (inner + chunk - 1) / chunk;
        CpuParallel.For(outer * chunks, Math.Max(len, 1) * chunk, Threads, (t0, t1) =>
        {
            double* acc = stackalloc double[chunk];
            for (long t = t0; t < t1; t++)
            {
                long o = t / chunks, c0 = t % chunks * chunk;
                int n = (int)Math.Min(chunk, inner - c0);
                new Span<double>(acc, n).Clear();
                float* xb = px + o * len * inner + c0;
                for (long r = 0; r < len; r++) CpuReduce.AccumulateInto(acc, xb + r * inner, n);
                float* yb = py + o * inner + c0;
                for (int j = 0; j < n; j++) yb[j] = (float)(acc[j] / div);
            }
        });
        return y;
    }
}
