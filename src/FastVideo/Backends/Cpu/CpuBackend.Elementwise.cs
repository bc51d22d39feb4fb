using FastVideo.Tensors;

namespace FastVideo.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <inheritdoc/>
    public Tensor Full(ReadOnlySpan<int> shape, float value, DType dtype = DType.F32)
    {
        var y = Empty(shape, dtype);
        try
        {
            CpuCast.FillValue(y, value, Threads);
        }
        catch
        {
            y.Dispose();
            throw;
        }
        return y;
    }

    /// <summary>A new tensor of zeros (the interface's default method, exposed on the class).</summary>
    public Tensor Zeros(ReadOnlySpan<int> shape, DType dtype = DType.F32) => Full(shape, 0f, dtype);

    public Tensor Add(Tensor a, Tensor b) => Broadcast2("Add", a, b, new AddOp());
    public Tensor Sub(Tensor a, Tensor b) => Broadcast2("Sub", a, b, new SubOp());
    public Tensor Mul(Tensor a, Tensor b) => Broadcast2("Mul", a, b, new MulOp());
    public Tensor Div(Tensor a, Tensor b) => Broadcast2("Div", a, b, new DivOp());

    /// <summary>alpha·a + beta·b; a and b must have the same shape.</summary>
    public Tensor Axpby(float alpha, Tensor a, float beta, Tensor b)
    {
        RequireF32(a, "Axpby", "a");
        RequireF32(b, "Axpby", "b");
        RequireSameShape("Axpby", "a", a, "b", b);
        return Broadcast2("Axpby", a, b, new AxpbyOp(alpha, beta));
    }

    public Tensor Scale(Tensor x, float scale, float bias = 0f) => Map("Scale", x, new ScaleOp(scale, bias));

    /// <summary>min(max(x, min), max); NaN stays NaN.</summary>
    public Tensor Clamp(Tensor x, float min, float max)
    {
        Require(!(min > max), "Clamp", $"min {min} is greater than max {max}");
        return Map("Clamp", x, new ClampOp(min, max));
    }

    /// <summary>x·(1 + scale) + shift; scale and shift broadcast to x's shape (the result has x's shape).</summary>
    public Tensor Modulate(Tensor x, Tensor scale, Tensor shift) =>
        Broadcast3("Modulate", ["x", "scale", "shift"], x, scale, shift, new ModulateOp());

    /// <summary>x + y·gate; y and gate broadcast to x's shape (the result has x's shape).</summary>
    public Tensor AddGated(Tensor x, Tensor y, Tensor gate) =>
        Broadcast3("AddGated", ["x", "y", "gate"], x, y, gate, new AddGatedOp());

    /// <summary>Exact GELU x·Φ(x) (relative error ≲ 1.2e-7) or the tanh approximation.</summary>
    public Tensor Gelu(Tensor x, GeluApproximation approximation = GeluApproximation.None) => approximation switch
    {
        GeluApproximation.None => Map("Gelu", x, new GeluErfOp()),
        GeluApproximation.Tanh => Map("Gelu", x, new GeluTanhOp()),
        _ => throw new ArgumentOutOfRangeException(nameof(approximation), approximation, "Gelu: unknown approximation"),
    };

    public Tensor Silu(Tensor x) => Map("Silu", x, new SiluOp());

    // ---- drivers ---------------------------------------------------------------------------------------

    internal static void RequireSameShape(string op, string nameA, Tensor a, string nameB, Tensor b)
    {
        if (!a.ShapeSpan.SequenceEqual(b.ShapeSpan))
            throw new ShapeMismatchException($"{op}: {nameB} must have the shape of {nameA} [{ShapeUtil.Format(a.ShapeSpan)}], got [{ShapeUtil.Format(b.ShapeSpan)}]");
    }

    private Tensor Map<TOp>(string op, Tensor x, TOp f) where TOp : struct, IUnaryOp
    {
        RequireF32(x, op, "x");
        var y = Empty(x.ShapeSpan);
        float* px = (float*)x.DataPointer, py = (float*)y.DataPointer;
        CpuParallel.For(x.Numel, 1, Threads, (s, e) => CpuSimd.Unary(px + s, py + s, e - s, f));
        return y;
    }

    private Tensor Broadcast2<TOp>(string op, Tensor a, Tensor b, TOp f) where TOp : struct, IBinaryOp
    {
        RequireF32(a, op, "a");
        RequireF32(b, op, "b");
        var plan = new BroadcastPlan(op, ["a", "b"], a, b);
        var y = Empty(plan.OutShape);
        float* pa = (float*)a.DataPointer, pb = (float*)b.DataPointer, py = (float*)y.DataPointer;
        bool sa = plan.InnerScalar(0), sb = plan.InnerScalar(1);
        RunRows(plan, (offsets, col, len, outOffset) =>
            CpuSimd.Binary(pa + offsets[0] + (sa ? 0 : col), sa, pb + offsets[1] + (sb ? 0 : col), sb, py + outOffset, len, f));
        return y;
    }

    /// <summary>Ternary op whose result has the shape of the first operand; the others broadcast to it.</summary>
    private Tensor Broadcast3<TOp>(string op, string[] names, Tensor a, Tensor b, Tensor c, TOp f) where TOp : struct, ITernaryOp
    {
        RequireF32(a, op, names[0]);
        RequireF32(b, op, names[1]);
        RequireF32(c, op, names[2]);
        var plan = new BroadcastPlan(op, names, a, b, c);
        if (!plan.OutShape.AsSpan().SequenceEqual(a.ShapeSpan))
            throw new ShapeMismatchException(
                $"{op}: {names[1]} [{ShapeUtil.Format(b.ShapeSpan)}] and {names[2]} [{ShapeUtil.Format(c.ShapeSpan)}] must broadcast to " +
                $"{names[0]} [{ShapeUtil.Format(a.ShapeSpan)}], together they give [{ShapeUtil.Format(plan.OutShape)}]");
        var y = Empty(plan.OutShape);
        float* pa = (float*)a.DataPointer, pb = (float*)b.DataPointer, pc = (float*)c.DataPointer, py = (float*)y.DataPointer;
        bool sa = plan.InnerScalar(0), sb = plan.InnerScalar(1), sc = plan.InnerScalar(2);
        RunRows(plan, (offsets, col, len, outOffset) =>
            CpuSimd.Ternary(pa + offsets[0] + (sa ? 0 : col), sa, pb + offsets[1] + (sb ? 0 : col), sb,
                pc + offsets[2] + (sc ? 0 : col), sc, py + outOffset, len, f));
        return y;
    }

    private delegate void SegmentAction(long[] operandOffsets, long col, long length, long outOffset);

    /// <summary>
    /// Runs <paramref name="segment"/> over the output in flat chunks (so that a single long row is split across
    /// threads as well as many short rows): each call covers columns [col, col+length) of one row.
    /// </summary>
    private void RunRows(BroadcastPlan plan, SegmentAction segment)
    {
        long inner = plan.Inner;
        CpuParallel.For(plan.Numel, 1, Threads, (start, end) =>
        {
            long row = start / inner, col = start % inner;
            var cursor = plan.Cursor(row);
            long pos = start;
            while (pos < end)
            {
                long len = Math.Min(inner - col, end - pos);
                segment(cursor.Offsets, col, len, pos);
                pos += len;
                col = 0;
                if (pos < end) cursor.Next();
            }
        });
    }
}
