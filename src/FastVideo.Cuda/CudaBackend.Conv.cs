using FastVideo.Backends.Cpu;
using FastVideo.Cuda.Kernels;
using FastVideo.Interop;
using FastVideo.Tensors;

namespace FastVideo.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>Bytes of im2col scratch one slab may use; larger outputs are processed in slabs of output rows.</summary>
    public long ConvScratchBytes { get; init; } = 256L << 20;

    /// <inheritdoc/>
    /// <remarks>The 3-D convolution with T = kT = 1: im2col per slab of output rows + a cuBLASLt GEMM.</remarks>
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
        var g = new ConvGeometry(x.Size(1), 1, h, w, weight.Size(0), 1, kh, kw, 1, stride.H, stride.W, 0, padding.Top, padding.Left, 1, ho, wo);
        return RunConv(op, g, x, weight, bias, [x.Size(0), g.O, ho, wo]);
    }

    /// <inheritdoc/>
    /// <remarks>im2col per slab of output rows + a cuBLASLt GEMM per slab; the bias is added in place afterwards.</remarks>
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

    private void ValidateWeight(string op, Tensor weight, int rank, string layout, int channels)
    {
        RequireHere(weight, op, "weight");
        if (!weight.DType.IsFloat()) throw new ArgumentException($"{op}: weight must be F32, BF16 or F16, got {weight.DType}");
        if (weight.Rank != rank) throw new ShapeMismatchException($"{op}: weight must be {layout}, got [{ShapeUtil.Format(weight.ShapeSpan)}]");
        if (weight.Size(1) != channels)
            throw new ShapeMismatchException($"{op}: weight [{ShapeUtil.Format(weight.ShapeSpan)}] expects {weight.Size(1)} input channels, x has {channels} (groups are not supported)");
        for (int i = 0; i < rank; i++)
            if (weight.Size(i) <= 0) throw new ShapeMismatchException($"{op}: weight [{ShapeUtil.Format(weight.ShapeSpan)}] has an empty dimension");
    }

    /// <summary>
    /// Per sample: y[n] viewed [O, P] = W [O, K] · col [K, P] (+ bias), P = To·Ho·Wo, K = C·kT·kH·kW, in slabs of
    /// output rows (row = to·Ho + ho) so the column scratch stays under <see cref="ConvScratchBytes"/>. Pointwise
    /// convolutions use x itself as the column matrix. With mixed precision and 16-bit weights, the column
    /// matrix is built in the weights' type and the GEMM runs on the tensor cores (FP32 accumulation);
    /// otherwise everything is F32.
    /// </summary>
    private Tensor RunConv(string op, ConvGeometry g, Tensor x, Tensor weight, Tensor? bias, int[] outShape)
    {
        if (bias != null)
        {
            RequireHere(bias, op, "bias");
            if (!bias.DType.IsFloat()) throw new ArgumentException($"{op}: bias must be F32, BF16 or F16, got {bias.DType}");
            if (bias.Rank != 1 || bias.Size(0) != g.O)
                throw new ShapeMismatchException($"{op}: bias must be [{g.O}] (one per output channel), got [{ShapeUtil.Format(bias.ShapeSpan)}]");
        }
        var y = Empty(outShape);
        if (y.Numel == 0) return y;
        int n = x.Size(0);
        using var scope = TensorScope.Begin();
        try
        {
            bool mixed = Options.MixedPrecision && weight.DType != DType.F32;
            DType ct = mixed ? weight.DType : DType.F32;
            var w = As(weight, ct);
            var ab = ct switch { DType.BF16 => CudaDataType.R16BF, DType.F16 => CudaDataType.R16F, _ => CudaDataType.R32F };
            int es = ct.Size();
            long p = g.P;
            if (g.IsPointwise)
            {
                var xs = As(x, ct);
                for (int i = 0; i < n; i++)
                    _gemm.Run(ab, CudaDataType.R32F, CublasComputeType.F32, new GemmShape(g.O, (int)Math.Min(p, int.MaxValue), g.C),
                        w.DataPointer, xs.DataPointer + (nint)(i * g.InputPerSample * es), y.DataPointer + (nint)(i * g.O * p * 4), 0, 1f);
            }
            else
            {
                // Im2col entries: f32 → f32, f32 → bf16, and same-type 16-bit; F16 columns come from an F16 copy of x.
                Tensor xs = ct == DType.F16 ? As(x, DType.F16) : x;
                var entry = KernelCatalog.Im2Col(xs.DType, ct);
                long rowsTotal = (long)g.To * g.Ho;
                long perRow = (long)g.K * g.Wo * es;
                int slabRows = (int)Math.Clamp(ConvScratchBytes / Math.Max(1, perRow), 1, rowsTotal);
                var col = Empty([checked((int)((long)g.K * slabRows * g.Wo))], ct);
                for (int i = 0; i < n; i++)
                {
                    nint xi = xs.DataPointer + (nint)(i * g.InputPerSample * xs.DType.Size());
                    nint yi = y.DataPointer + (nint)(i * g.O * p * 4);
                    for (long r0 = 0; r0 < rowsTotal; r0 += slabRows)
                    {
                        int rows = (int)Math.Min(slabRows, rowsTotal - r0);
                        int cols = rows * g.Wo;
                        var ip = new Im2ColParams
                        {
                            Col = col.DataPointer, X = xi, Channels = g.C, Frames = g.T, Height = g.H, Width = g.W,
                            Kt = g.KT, Kh = g.KH, Kw = g.KW, St = g.ST, Sh = g.SH, Sw = g.SW,
                            PadFront = g.PadFront, PadTop = g.PadTop, PadLeft = g.PadLeft,
                            OutFrames = g.To, OutHeight = g.Ho, OutWidth = g.Wo, R0 = (int)r0, Rows = rows,
                        };
                        Launch(entry, LaunchConfig.GridStride((long)g.K * cols), ip);
                        // y slab [O, cols] with row pitch P = W [O, K] · col [K, cols].
                        _gemm.Run(ab, CudaDataType.R32F, CublasComputeType.F32, new GemmShape(g.O, cols, g.K, LdD: p),
                            w.DataPointer, col.DataPointer, yi + (nint)(r0 * g.Wo * 4), 0, 1f);
                    }
                }
            }
            if (bias != null)
            {
                var b = As(bias, DType.F32);
                var plan = BroadcastLayout.Plan($"{op} bias", [n, g.O, (int)Math.Min(p, int.MaxValue)], [g.O, 1]);
                LaunchBroadcast(op, KernelCatalog.Add, plan, y.DataPointer, y.DataPointer, b.DataPointer, 0);
            }
            AfterOp(op);
            return y;
        }
        catch
        {
            y.Dispose();
            throw;
        }
    }
}
