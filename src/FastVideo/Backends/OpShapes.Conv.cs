using FastVideo.Backends.Cpu;
using FastVideo.Tensors;

namespace FastVideo.Backends;

public static partial class OpShapes
{
    /// <summary>
    /// Conv2d's checks: x [N, C, H, W], weight [O, C, kH, kW] (a float dtype, no empty dimension), bias [O] or null,
    /// strides ≥ 1, non-negative padding, a kernel that fits. Returns the geometry (a 3-D one with T = kT = 1) and
    /// the result shape [N, O, H', W'].
    /// </summary>
    internal static (ConvGeometry Geometry, int[] Shape) Conv2d(Tensor x, Tensor weight, Tensor? bias, (int H, int W) stride,
        (int Top, int Bottom, int Left, int Right) padding)
    {
        const string op = "Conv2d";
        if (x.Rank != 4) throw new ShapeMismatchException($"{op}: x must be [N, C, H, W], got [{ShapeUtil.Format(x.ShapeSpan)}]");
        ConvWeight(op, weight, 4, "[O, C, kH, kW]", x.Size(1));
        Require(stride.H >= 1 && stride.W >= 1, op, $"stride must be at least 1, got ({stride.H}, {stride.W})");
        Require(padding.Top >= 0 && padding.Bottom >= 0 && padding.Left >= 0 && padding.Right >= 0, op,
            $"padding must be non-negative, got (top {padding.Top}, bottom {padding.Bottom}, left {padding.Left}, right {padding.Right})");
        int h = x.Size(2), w = x.Size(3), kh = weight.Size(2), kw = weight.Size(3);
        int ho = ConvGeometry.OutputSize(h, padding.Top, padding.Bottom, kh, stride.H);
        int wo = ConvGeometry.OutputSize(w, padding.Left, padding.Right, kw, stride.W);
        if (ho <= 0 || wo <= 0)
            throw new ShapeMismatchException($"{op}: kernel {kh}×{kw} does not fit input {h}×{w} with padding (top {padding.Top}, bottom {padding.Bottom}, left {padding.Left}, right {padding.Right})");
        var g = new ConvGeometry(x.Size(1), 1, h, w, weight.Size(0), 1, kh, kw, 1, stride.H, stride.W, 0, padding.Top, padding.Left, 1, ho, wo);
        ConvBias(op, bias, g.O);
        return (g, [x.Size(0), g.O, ho, wo]);
    }

    /// <summary>
    /// Conv3d's checks: x [N, C, T, H, W], weight [O, C, kT, kH, kW], bias [O] or null, strides ≥ 1, non-negative
    /// padding (a causal convolution pads only the front of T), a kernel that fits. Returns the geometry and the
    /// result shape [N, O, T', H', W'].
    /// </summary>
    internal static (ConvGeometry Geometry, int[] Shape) Conv3d(Tensor x, Tensor weight, Tensor? bias, (int T, int H, int W) stride,
        (int Front, int Back, int Top, int Bottom, int Left, int Right) padding)
    {
        const string op = "Conv3d";
        if (x.Rank != 5) throw new ShapeMismatchException($"{op}: x must be [N, C, T, H, W], got [{ShapeUtil.Format(x.ShapeSpan)}]");
        ConvWeight(op, weight, 5, "[O, C, kT, kH, kW]", x.Size(1));
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
        ConvBias(op, bias, g.O);
        return (g, [x.Size(0), g.O, to, ho, wo]);
    }

    private static void ConvWeight(string op, Tensor weight, int rank, string layout, int channels)
    {
        if (!weight.DType.IsFloat()) throw new ArgumentException($"{op}: weight must be F32, BF16 or F16, got {weight.DType}");
        if (weight.Rank != rank) throw new ShapeMismatchException($"{op}: weight must be {layout}, got [{ShapeUtil.Format(weight.ShapeSpan)}]");
        if (weight.Size(1) != channels)
            throw new ShapeMismatchException($"{op}: weight [{ShapeUtil.Format(weight.ShapeSpan)}] expects {weight.Size(1)} input channels, x has {channels} (groups are not supported)");
        for (int i = 0; i < rank; i++)
            if (weight.Size(i) <= 0) throw new ShapeMismatchException($"{op}: weight [{ShapeUtil.Format(weight.ShapeSpan)}] has an empty dimension");
    }

    private static void ConvBias(string op, Tensor? bias, int outChannels)
    {
        if (bias == null) return;
        if (!bias.DType.IsFloat()) throw new ArgumentException($"{op}: bias must be F32, BF16 or F16, got {bias.DType}");
        if (bias.Rank != 1 || bias.Size(0) != outChannels)
            throw new ShapeMismatchException($"{op}: bias must be [{outChannels}] (one per output channel), got [{ShapeUtil.Format(bias.ShapeSpan)}]");
    }
}
