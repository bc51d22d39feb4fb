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
        ConvDevices("Conv2d", x, weight, bias);
        var (g, shape) = OpShapes.Conv2d(x, weight, bias, stride, padding);
        return RunConv(g, x, weight, bias, shape);
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
        ConvDevices("Conv3d", x, weight, bias);
        var (g, shape) = OpShapes.Conv3d(x, weight, bias, stride, padding);
        return RunConv(g, x, weight, bias, shape);
    }

    /// <inheritdoc/>
    /// <remarks>out[..., i, j] = x[..., i / 2, j / 2]. F32; any rank ≥ 2.</remarks>
    public unsafe Tensor UpsampleNearest2x(Tensor x)
    {
        const string op = "UpsampleNearest2x";
        RequireF32(x, op, "x");
        var y = Empty(OpShapes.Upsample2x(x));
        int w = x.Size(-1);
        if (x.Numel == 0) return y;
        long rows = x.Numel / w; // input rows across all leading dimensions and H
        float* src = (float*)x.DataPointer, dst = (float*)y.DataPointer;
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Threads) };
        Parallel.For(0L, rows, options, r => ConvUpsample.Row(src + r * w, dst + r * 4L * w, w));
        return y;
    }

    /// <summary>The device checks (shapes and dtypes are <see cref="OpShapes"/>'s): x F32 on the CPU, weight and bias on the CPU.</summary>
    private static void ConvDevices(string op, Tensor x, Tensor weight, Tensor? bias)
    {
        RequireF32(x, op, "x");
        RequireCpu(weight, op, "weight");
        if (bias != null) RequireCpu(bias, op, "bias");
    }

    private unsafe Tensor RunConv(ConvGeometry g, Tensor x, Tensor weight, Tensor? bias, int[] outShape)
    {
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
