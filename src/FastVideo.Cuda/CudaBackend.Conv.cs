using FastVideo.Backends;
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
        ConvDevices("Conv2d", x, weight, bias);
        var (g, shape) = OpShapes.Conv2d(x, weight, bias, stride, padding);
        return RunConv("Conv2d", g, x, weight, bias, shape);
    }

    /// <inheritdoc/>
    /// <remarks>im2col per slab of output rows + a cuBLASLt GEMM per slab; the bias is added in place afterwards.</remarks>
    public Tensor Conv3d(Tensor x, Tensor weight, Tensor? bias, (int T, int H, int W) stride,
        (int Front, int Back, int Top, int Bottom, int Left, int Right) padding)
    {
        ConvDevices("Conv3d", x, weight, bias);
        var (g, shape) = OpShapes.Conv3d(x, weight, bias, stride, padding);
        return RunConv("Conv3d", g, x, weight, bias, shape);
    }

    /// <summary>The device checks (shapes and dtypes are <see cref="OpShapes"/>'s): x F32 here, weight and bias here.</summary>
    private void ConvDevices(string op, Tensor x, Tensor weight, Tensor? bias)
    {
        RequireF32(x, op, "x");
        RequireHere(weight, op, "weight");
        if (bias != null) RequireHere(bias, op, "bias");
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
        var y = Empty(outShape);
        if (y.Numel == 0) return y;
        int n = x.Size(0);
        using var scope = TensorScope.Begin();
        try
        {
            bool mixed = Options.MixedPrecision && weight.DType != DType.F32;
            DType ct = mixed ? weight.DType : DType.F32;
            CountPath("conv", GemmPathName(mixed, weight.DType, g.IsPointwise ? "" : "im2col + "));
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
