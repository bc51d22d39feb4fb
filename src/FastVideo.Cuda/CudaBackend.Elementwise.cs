using FastVideo.Backends;
using FastVideo.Cuda.Kernels;
using FastVideo.Tensors;

namespace FastVideo.Cuda;

public sealed partial class CudaBackend
{
    public Tensor Add(Tensor a, Tensor b) => Binary("Add", a, b, KernelCatalog.Add, KernelCatalog.AddContiguous);
    public Tensor Sub(Tensor a, Tensor b) => Binary("Sub", a, b, KernelCatalog.Sub, KernelCatalog.SubContiguous);
    public Tensor Mul(Tensor a, Tensor b) => Binary("Mul", a, b, KernelCatalog.Mul, KernelCatalog.MulContiguous);
    public Tensor Div(Tensor a, Tensor b) => Binary("Div", a, b, KernelCatalog.Div, KernelCatalog.DivContiguous);

    /// <summary>alpha·a + beta·b (fma(alpha, a, beta·b)); a and b must have the same shape.</summary>
    public Tensor Axpby(float alpha, Tensor a, float beta, Tensor b)
    {
        RequireF32(a, "Axpby", "a");
        RequireF32(b, "Axpby", "b");
        if (!a.ShapeSpan.SequenceEqual(b.ShapeSpan))
            throw new ShapeMismatchException($"Axpby: b must have the shape of a [{ShapeUtil.Format(a.ShapeSpan)}], got [{ShapeUtil.Format(b.ShapeSpan)}]");
        var y = Empty(a.ShapeSpan);
        return Run(y, () =>
        {
            if (y.Numel > 0)
                Launch(KernelCatalog.Axpby, LaunchConfig.GridStride(y.Numel, 4),
                    new BinaryParams { Y = y.DataPointer, A = a.DataPointer, B = b.DataPointer, N = y.Numel, Alpha = alpha, Beta = beta });
        });
    }

    /// <summary>fma(x, scale, bias).</summary>
    public Tensor Scale(Tensor x, float scale, float bias = 0f) => Unary("Scale", x, KernelCatalog.Scale, scale, bias);

    /// <summary>min(max(x, min), max); NaN stays NaN.</summary>
    public Tensor Clamp(Tensor x, float min, float max)
    {
        Require(!(min > max), "Clamp", $"min {min} is greater than max {max}");
        return Unary("Clamp", x, KernelCatalog.Clamp, min, max);
    }

    public Tensor Gelu(Tensor x, GeluApproximation approximation = GeluApproximation.None)
    {
        if (approximation is not (GeluApproximation.None or GeluApproximation.Tanh))
            throw new ArgumentOutOfRangeException(nameof(approximation), approximation, "Gelu: unknown approximation");
        return Unary("Gelu", x, KernelCatalog.Gelu(approximation, DType.F32), 0, 0);
    }

    public Tensor Silu(Tensor x) => Unary("Silu", x, KernelCatalog.Silu(DType.F32), 0, 0);

    /// <summary>x·(1 + scale) + shift; scale and shift broadcast to x's shape (the result has x's shape).</summary>
    public Tensor Modulate(Tensor x, Tensor scale, Tensor shift) => Ternary("Modulate", ["x", "scale", "shift"], x, scale, shift, KernelCatalog.Modulate);

    /// <summary>
    /// x + y·gate; y and gate broadcast to x's shape (the result has x's shape). The DiT's gated residual (y of x's
    /// shape, gate per sample [B, 1, C] or per token [B, N, C]) takes the row kernel fv_residual_gate_f32 (16-byte
    /// loads, the gate row indexed per row); anything else the broadcast kernel. Both compute fma(y, gate, x), so
    /// the two paths agree bit for bit.
    /// </summary>
    public Tensor AddGated(Tensor x, Tensor y, Tensor gate)
    {
        if (x.DType != DType.F32 || y.DType != DType.F32 || gate.DType != DType.F32 || !x.ShapeSpan.SequenceEqual(y.ShapeSpan)
            || !HasModule(KernelCatalog.Modules.LayerNormModulate)
            || ModulationRows.TryCreate(x.ShapeSpan, gate.ShapeSpan, gate.ShapeSpan) is not { } m)
            return Ternary("AddGated", ["x", "y", "gate"], x, y, gate, KernelCatalog.AddGated);
        RequireF32(x, "AddGated", "x");
        RequireF32(y, "AddGated", "y");
        RequireF32(gate, "AddGated", "gate");
        var o = Empty(x.ShapeSpan);
        return Run(o, () =>
        {
            if (m.Cols == 0 || m.Rows == 0) return;
            Launch(KernelCatalog.GatedResidual(DType.F32, DType.F32), KernelCatalog.RowLaunch(m.Rows, m.Cols, DType.F32), new GatedResidualParams
            {
                Out = o.DataPointer, X = x.DataPointer, Y = y.DataPointer, Gate = gate.DataPointer, Rows = m.Rows,
                XRowStride = m.Cols, YRowStride = m.Cols, OutRowStride = m.Cols, GateGroupStride = m.GroupStride, GateRowStride = m.RowStride,
                Cols = m.Cols, RowsPerGroup = m.RowsPerGroup,
            });
        });
    }

    // ---- drivers ---------------------------------------------------------------------------------------------

    /// <summary>Runs <paramref name="queue"/> to fill <paramref name="y"/>; disposes y if queuing throws.</summary>
    private static Tensor Run(Tensor y, Action queue)
    {
        try
        {
            queue();
            return y;
        }
        catch
        {
            y.Dispose();
            throw;
        }
    }

    private Tensor Unary(string op, Tensor x, KernelEntry entry, float a, float b)
    {
        RequireF32(x, op, "x");
        var y = Empty(x.ShapeSpan);
        return Run(y, () =>
        {
            if (y.Numel > 0) Launch(entry, LaunchConfig.GridStride(y.Numel, 4), new UnaryParams { Y = y.DataPointer, X = x.DataPointer, N = y.Numel, A = a, B = b });
        });
    }

    private Tensor Binary(string op, Tensor a, Tensor b, KernelEntry broadcast, KernelEntry contiguous)
    {
        RequireF32(a, op, "a");
        RequireF32(b, op, "b");
        var plan = BroadcastLayout.Plan($"{op}: a [{ShapeUtil.Format(a.ShapeSpan)}] and b [{ShapeUtil.Format(b.ShapeSpan)}]", a.Shape, b.Shape);
        var y = Empty(plan.OutShape);
        return Run(y, () =>
        {
            if (y.Numel == 0) return;
            if (plan.IsDense(0) && plan.IsDense(1))
                Launch(contiguous, LaunchConfig.GridStride(y.Numel, 4), new BinaryParams { Y = y.DataPointer, A = a.DataPointer, B = b.DataPointer, N = y.Numel });
            else
                LaunchBroadcast(op, broadcast, plan, y.DataPointer, a.DataPointer, b.DataPointer, 0);
        });
    }

    private Tensor Ternary(string op, string[] names, Tensor x, Tensor p, Tensor q, KernelEntry entry)
    {
        RequireF32(x, op, names[0]);
        RequireF32(p, op, names[1]);
        RequireF32(q, op, names[2]);
        var plan = BroadcastLayout.Plan(op, x.Shape, p.Shape, q.Shape);
        if (!plan.OutShape.AsSpan().SequenceEqual(x.ShapeSpan))
            throw new ShapeMismatchException(
                $"{op}: {names[1]} [{ShapeUtil.Format(p.ShapeSpan)}] and {names[2]} [{ShapeUtil.Format(q.ShapeSpan)}] must broadcast to " +
                $"{names[0]} [{ShapeUtil.Format(x.ShapeSpan)}], together they give [{ShapeUtil.Format(plan.OutShape)}]");
        var y = Empty(plan.OutShape);
        return Run(y, () =>
        {
            if (y.Numel > 0) LaunchBroadcast(op, entry, plan, y.DataPointer, x.DataPointer, p.DataPointer, q.DataPointer);
        });
    }

    private void LaunchBroadcast(string op, KernelEntry entry, BroadcastLayout plan, nint y, nint in0, nint in1, nint in2) =>
        LaunchStrided(op, entry, plan.Shape, y, in0, plan.Strides[0], in1, plan.Strides[1], in2, plan.Strides.Length > 2 ? plan.Strides[2] : null);

    /// <summary>The broadcast kernel over an explicit strided view: out contiguous with <paramref name="shape"/>, operand k at Σ i_d·stride_k[d].</summary>
    internal unsafe void LaunchStrided(string op, KernelEntry entry, long[] shape, nint y, nint in0, long[] s0, nint in1, long[] s1, nint in2 = 0, long[]? s2 = null)
    {
        if (shape.Length > KernelLimits.MaxRank)
            throw new NotSupportedException($"{op}: the broadcast needs {shape.Length} dimensions after merging, the kernel takes {KernelLimits.MaxRank}");
        long numel = 1;
        foreach (var d in shape) numel *= d;
        var p = new BroadcastParams { Out = y, In0 = in0, In1 = in1, In2 = in2, Numel = numel, Rank = shape.Length };
        for (int d = 0; d < shape.Length; d++)
        {
            p.Shape[d] = shape[d];
            p.Stride0[d] = s0[d];
            p.Stride1[d] = s1[d];
            p.Stride2[d] = s2?[d] ?? 0;
        }
        if (numel > 0) Launch(entry, LaunchConfig.GridStride(numel), p);
    }
}
