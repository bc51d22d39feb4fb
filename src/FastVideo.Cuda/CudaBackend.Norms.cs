using FastVideo.Backends;
using FastVideo.Cuda.Kernels;
using FastVideo.Tensors;

namespace FastVideo.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>Softmax over the last dimension (fv_softmax_f32; a row with NaN or only −∞ gives NaN, as the CPU backend).</summary>
    public Tensor Softmax(Tensor x)
    {
        RequireF32(x, "Softmax", "x");
        Require(x.Rank > 0, "Softmax", "x is a scalar (rank 0)");
        int c = x.ShapeSpan[^1];
        var y = Empty(x.ShapeSpan);
        return Run(y, () =>
        {
            if (c == 0 || y.Numel == 0) return;
            SoftmaxInto(y.DataPointer, x.DataPointer, y.Numel / c, c);
        });
    }

    /// <summary>Softmax of <paramref name="rows"/> contiguous rows; <paramref name="zeroMaskedRows"/>: an all −∞ row gives 0, not NaN (attention).</summary>
    private void SoftmaxInto(nint y, nint x, long rows, int cols, bool zeroMaskedRows = false) =>
        Launch(KernelCatalog.Softmax, KernelCatalog.RowLaunch(rows, cols, DType.F32),
            new SoftmaxParams { Y = y, X = x, Rows = rows, Cols = cols, ZeroMaskedRows = zeroMaskedRows ? 1 : 0 });

    /// <summary>LayerNorm over the last dimension (fv_layernorm_f32: two-pass, mean in double, biased variance).</summary>
    public Tensor LayerNorm(Tensor x, Tensor? weight, Tensor? bias, float eps)
    {
        RequireF32(x, "LayerNorm", "x");
        Require(x.Rank > 0, "LayerNorm", "x is a scalar (rank 0)");
        int c = x.ShapeSpan[^1];
        using var w = ParamVector("LayerNorm", "weight", weight, c, x);
        using var b = ParamVector("LayerNorm", "bias", bias, c, x);
        var y = Empty(x.ShapeSpan);
        return Run(y, () =>
        {
            if (c == 0 || y.Numel == 0) return;
            long rows = y.Numel / c;
            var p = new LayerNormParams
            {
                Y = y.DataPointer, X = x.DataPointer, Weight = w?.DataPointer ?? 0, Bias = b?.DataPointer ?? 0,
                Rows = rows, XRowStride = c, YRowStride = c, Cols = c, RowsPerGroup = 1, Eps = eps,
            };
            Launch(KernelCatalog.LayerNorm(DType.F32, DType.F32), KernelCatalog.RowLaunch(rows, c, DType.F32), p);
        });
    }

    /// <summary>
    /// Fused adaLN LayerNorm(x, no affine, eps)·(1 + scale) + shift with one fv_layernorm_f32 launch: the kernel's
    /// scale/shift indexing (rows_per_group = N, mod_group_stride, mod_row_stride) takes per-sample [B, 1, C] and
    /// per-token [B, N, C] modulation; other broadcasts take the composition. BF16 x is widened first.
    /// </summary>
    public Tensor LayerNormModulate(Tensor x, Tensor scale, Tensor shift, float eps) =>
        FusedOps.LayerNormModulate(this, x, scale, shift, eps, RequireF32, (xf, m) => LayerNormModulateRows(xf, scale, shift, eps, m));

    private Tensor LayerNormModulateRows(Tensor x, Tensor scale, Tensor shift, float eps, ModulationRows m)
    {
        var y = Empty(x.ShapeSpan);
        return Run(y, () =>
        {
            if (m.Cols == 0 || m.Rows == 0) return;
            var p = new LayerNormParams
            {
                Y = y.DataPointer, X = x.DataPointer, Scale = scale.DataPointer, Shift = shift.DataPointer,
                Rows = m.Rows, XRowStride = m.Cols, YRowStride = m.Cols, ModGroupStride = m.GroupStride, ModRowStride = m.RowStride,
                Cols = m.Cols, RowsPerGroup = m.RowsPerGroup, Eps = eps,
            };
            Launch(KernelCatalog.LayerNorm(DType.F32, DType.F32), KernelCatalog.RowLaunch(m.Rows, m.Cols, DType.F32), p);
        });
    }

    /// <summary>RMSNorm over the last dimension (fv_rmsnorm_f32: x·(1/sqrt(mean(x²) + eps))·weight).</summary>
    public Tensor RmsNorm(Tensor x, Tensor? weight, float eps)
    {
        RequireF32(x, "RmsNorm", "x");
        Require(x.Rank > 0, "RmsNorm", "x is a scalar (rank 0)");
        int c = x.ShapeSpan[^1];
        using var w = ParamVector("RmsNorm", "weight", weight, c, x);
        var y = Empty(x.ShapeSpan);
        return Run(y, () =>
        {
            if (c == 0 || y.Numel == 0) return;
            RmsNormInto(y.DataPointer, x.DataPointer, w?.DataPointer ?? 0, y.Numel / c, c, eps);
        });
    }

    private void RmsNormInto(nint y, nint x, nint weight, long rows, int cols, float eps) =>
        Launch(KernelCatalog.RmsNorm(DType.F32, DType.F32), KernelCatalog.RowLaunch(rows, cols, DType.F32),
            new RmsNormParams { Y = y, X = x, Weight = weight, Rows = rows, XRowStride = cols, YRowStride = cols, Cols = cols, Eps = eps });

    /// <summary>
    /// Wan VAE RMS_norm over dimension 1 of [N, C, ...]: x / max(‖x‖₂, eps)·sqrt(C)·gamma + bias. Composed from the
    /// catalog: channels moved last (permute), the row RMSNorm with eps' = eps²/C (x·rsqrt(Σx²/C + eps²/C) =
    /// x·sqrt(C)/sqrt(‖x‖² + eps²), equal to the max form up to eps²/‖x‖², and 0 for a zero vector), moved back,
    /// then the bias added in place.
    /// </summary>
    public Tensor RmsNormChannels(Tensor x, Tensor? gamma, Tensor? bias, float eps = 1e-12f)
    {
        RequireF32(x, "RmsNormChannels", "x");
        if (x.Rank < 2)
            throw new ShapeMismatchException($"RmsNormChannels: x must be [N, C, ...] (rank ≥ 2), got [{ShapeUtil.Format(x.ShapeSpan)}]");
        int n = x.ShapeSpan[0], c = x.ShapeSpan[1];
        long s = x.Numel / Math.Max(1L, (long)n * c);
        using var g = ParamVector("RmsNormChannels", "gamma", gamma, c, x, anyShape: true);
        using var b = ParamVector("RmsNormChannels", "bias", bias, c, x, anyShape: true);
        if (x.Numel == 0) return Empty(x.ShapeSpan);
        if (s > int.MaxValue) throw new ArgumentException($"RmsNormChannels: x [{ShapeUtil.Format(x.ShapeSpan)}] has more than 2³¹ positions per channel");
        float epsRow = eps * eps / c;
        using var scope = TensorScope.Begin();
        Tensor y;
        if (s == 1)
        {
            y = Empty(x.ShapeSpan);
            RmsNormInto(y.DataPointer, x.DataPointer, g?.DataPointer ?? 0, n, c, epsRow);
        }
        else
        {
            using var x3 = x.Reshape(n, c, (int)s);
            var last = Permute(x3, [0, 2, 1]);
            var normed = Empty(last.ShapeSpan);
            RmsNormInto(normed.DataPointer, last.DataPointer, g?.DataPointer ?? 0, (long)n * s, c, epsRow);
            using var back = Permute(normed, [0, 2, 1]);
            y = back.Reshape(x.Shape);
        }
        if (b != null)
        {
            var plan = BroadcastLayout.Plan("RmsNormChannels bias", [n, c, (int)s], [c, 1]);
            LaunchBroadcast("RmsNormChannels", KernelCatalog.Add, plan, y.DataPointer, y.DataPointer, b.DataPointer, 0);
        }
        return scope.Keep(y);
    }

    /// <summary>
    /// A parameter vector (norm weight, bias, gamma) as an F32 device tensor: a new reference when it is F32,
    /// else a converted copy. It must hold exactly <paramref name="c"/> elements shaped [C] (or, with
    /// <paramref name="anyShape"/>, any shape of C elements). Null stays null.
    /// </summary>
    private Tensor? ParamVector(string op, string name, Tensor? t, int c, Tensor x, bool anyShape = false)
    {
        if (t is null) return null;
        RequireHere(t, op, name);
        if (!t.DType.IsFloat())
            throw new ArgumentException($"{op}: {name} must be a float tensor, got {t.DType} [{ShapeUtil.Format(t.ShapeSpan)}]");
        bool ok = anyShape ? t.Numel == c : t.Rank == 1 && t.ShapeSpan[0] == c;
        if (!ok)
            throw new ShapeMismatchException(
                $"{op}: {name} must be [{c}]{(anyShape ? $" (or any shape of {c} elements)" : "")} to match x [{ShapeUtil.Format(x.ShapeSpan)}], got [{ShapeUtil.Format(t.ShapeSpan)}]");
        return As(t, DType.F32);
    }
}
