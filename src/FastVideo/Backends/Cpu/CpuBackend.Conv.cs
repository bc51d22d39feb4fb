using FastVideo.Tensors;

namespace FastVideo.Backends.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    /// <remarks>
    /// y[n, o, i, j] = bias[o] + Σ_{c, a, b} w[o, c, a, b] · x[n, c, i·sH − top + a, j·sW − left + b], with x = 0
    /// outside the input. H' = (H + top + bottom − kH) / sH + 1 (floor), likewise W'. Computed as the 3-D
    /// convolution with T = kT = 1: im2col per slab of output rows + GEMM (see <see cref="ConvDriver"/>).
    /// </remarks>
    public Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, (int H, int W) stride, (int Top, int Bottom, int Left, int Right) padding)
    {
        const string op = "Conv2d";
        RequireF32(x, op, "x");
        if (x.Rank != 4) throw new ShapeMismatchException($"{op}: x must be [N, C, H, W], got [{ShapeUtil.Format(x.ShapeSpan)}]");
        ValidateWeight(op, weight, 4, "[O, C, kH, kW]", x.Size(1));
        Require(stride.H >= 1 && stride.W >= 1, op, $"stride must be at least 1, got ({stride.H}, {stride.W})");
        Require(padding.Top >= 0 && padding.Bottom >= 0 && padding.Left >= 0 && padding.Right >= 0, op,
            $"padding must be non-negative, got (top {padding.Top}, bottom {padding.Bottom}, left {padding.Left}, right {padding.Right})");
        int h = x.Size(2), w = x.Size(3), kh = weight.Size(2), kw = weight.Size(3);
        int ho = ConvGeometry.OutputSize(h, padding.Top, padding.Bottom, kh, stride.H);
        int wo = ConvGeometry.OutputSize(w, padding.Left, padding.Right, kw, stride.W);
        if (ho <= 0 || wo <= 0)
            throw new ShapeMismatchException($"{op}: kernel {kh}×{kw} does not fit input {h}×{w} with padding (top {padding.Top}, bottom {padding.Bottom}, left {padding.Left}, right {padding.Right})");
        var g = new ConvGeometry(x.Size(1), 1, h, w, weight.Size(0), 1, kh, kw, 1, stride.H, stride.W,
            0, padding.Top, padding.Left, 1, ho, wo);
        return RunConv(op, g, x, weight, bias, [x.Size(0), g.O, ho, wo]);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// y[n, o, t, i, j] = bias[o] + Σ_{c, d, a, b} w[o, c, d, a, b] · x[n, c, t·sT − front + d, i·sH − top + a, j·sW − left + b],
    /// zero outside the input; output sizes as PyTorch (floor). A causal convolution puts all temporal padding in
    /// front (Wan's 3×3×3: front 2, back 0). im2col per slab of output rows + GEMM (see <see cref="ConvDriver"/>).
    /// </remarks>
    public Tensor Conv3d(Tensor x, Tensor weight, Tensor? bias, (int T, int H, int W) stride,
        (int Front, int Back, int Top, int Bottom, int Left, int Right) padding)
    {
        const string op = "Conv3d";
        RequireF32(x, op, "x");
        if (x.Rank != 5) throw new ShapeMismatchException($"{op}: x must be [N, C, T, H, W], got [{ShapeUtil.Format(x.ShapeSpan)}]");
        ValidateWeight(op, weight, 5, "[O, C, kT, kH, kW]", x.Size(1));
        Require(stride.T >= 1 && stride.H >= 1 && stride.W >= 1, op, $"stride must be at least 1, got ({stride.T}, {stride.H}, {stride.W})");
        Require(padding.Front >= 0 && padding.Back >= 0 && padding.Top >= 0 && padding.Bottom >= 0 && padding.Left >= 0 && padding.Right >= 0, op,
            $"padding must be non-negative, got (front {padding.Front}, back {padding.Back}, top {padding.Top}, bottom {padding.Bottom}, left {padding.Left}, right {padding.Right})");
        int t = x.Size(2), h = x.Size(3), w = x.Size(4);
        int kt = weight.Size(2), kh = weight.Size(3), kw = weight.Size(4);
        int to = ConvGeometry.OutputSize(t, padding.Front, padding.Back, kt, stride.T);
        int ho = ConvGeometry.OutputSize(h, padding.Top, padding.Bottom, kh, stride.H);
        int wo = ConvGeometry.OutputSize(w, padding.Left, padding.Right, kw, stride.W);
        if (to <= 0 || ho <= 0 || wo <= 0)
            throw new ShapeMismatchException($"{op}: kernel {kt}×{kh}×{kw} does not fit input {t}×{h}×{w} with padding {padding}");
        var g = new ConvGeometry(x.Size(1), t, h, w, weight.Size(0), kt, kh, kw, stride.T, stride.H, stride.W,
            padding.Front, padding.Top, padding.Left, to, ho, wo);
        return RunConv(op, g, x, weight, bias, [x.Size(0), g.O, to, ho, wo]);
    }

    /// <inheritdoc/>
    /// <remarks>out[..., i, j] = x[..., i / 2, j / 2]. F32; any rank ≥ 2.</remarks>
    public unsafe Tensor UpsampleNearest2x(Tensor x)
    {
        const string op = "UpsampleNearest2x";
        RequireF32(x, op, "x");
        if (x.Rank < 2) throw new ShapeMismatchException($"{op}: x must be [..., H, W] (rank ≥ 2), got [{ShapeUtil.Format(x.ShapeSpan)}]");
        var shape = x.Shape;
        int h = shape[^2], w = shape[^1];
        shape[^2] = checked(2 * h);
        shape[^1] = checked(2 * w);
        var y = Empty(shape);
        if (x.Numel == 0) return y;
        long rows = x.Numel / w; // input rows across all leading dimensions and H
        float* src = (float*)x.DataPointer, dst = (float*)y.DataPointer;
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Threads) };
        Parallel.For(0L, rows, options, r => ConvUpsample.Row(src + r * w, dst + r * 4L * w, w));
        return y;
    }

    private static void ValidateWeight(string op, Tensor weight, int rank, string layout, int channels)
    {
        RequireCpu(weight, op, "weight");
        if (!weight.DType.IsFloat()) throw new ArgumentException($"{op}: weight must be F32, BF16 or F16, got {weight.DType}");
        if (weight.Rank != rank) throw new ShapeMismatchException($"{op}: weight must be {layout}, got [{ShapeUtil.Format(weight.ShapeSpan)}]");
        if (weight.Size(1) != channels)
            throw new ShapeMismatchException($"{op}: weight [{ShapeUtil.Format(weight.ShapeSpan)}] expects {weight.Size(1)} input channels, x has {channels} (groups are not supported)");
        for (int i = 0; i < rank; i++)
            if (weight.Size(i) <= 0) throw new ShapeMismatchException($"{op}: weight [{ShapeUtil.Format(weight.ShapeSpan)}] has an empty dimension");
    }

    private unsafe Tensor RunConv(string op, ConvGeometry g, Tensor x, Tensor weight, Tensor? bias, int[] outShape)
    {
        if (bias != null)
        {
            RequireCpu(bias, op, "bias");
            if (!bias.DType.IsFloat()) throw new ArgumentException($"{op}: bias must be F32, BF16 or F16, got {bias.DType}");
            if (bias.Rank != 1 || bias.Size(0) != g.O)
                throw new ShapeMismatchException($"{op}: bias must be [{g.O}] (one per output channel), got [{ShapeUtil.Format(bias.ShapeSpan)}]");
        }
        var y = Empty(outShape);
        if (y.Numel == 0) return y;
        try
        {
            using var w = ConvF32View.Of(weight, Allocator, Threads);
            using var b = ConvF32View.Of(bias, Allocator, Threads);
            ConvDriver.Forward(g, x.Size(0), (float*)x.DataPointer, w.Pointer, b.Pointer, (float*)y.DataPointer, Allocator, Threads);
            return y;
        }
        catch
        {
            y.Dispose();
            throw;
        }
    }
}
