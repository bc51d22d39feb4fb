using System.Runtime.Intrinsics;
using FastVideo.Tensors;

namespace FastVideo.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>
    /// Softmax over the last dimension: y = exp(x − max) / Σ exp(x − max), the sum accumulated in double.
    /// A row containing NaN, or made only of −∞, gives NaN (as PyTorch).
    /// </summary>
    public Tensor Softmax(Tensor x)
    {
        RequireF32(x, "Softmax", "x");
        Require(x.Rank > 0, "Softmax", "x is a scalar (rank 0)");
        long c = x.ShapeSpan[^1];
        var y = Empty(x.ShapeSpan);
        if (c == 0) return y;
        float* px = (float*)x.DataPointer, py = (float*)y.DataPointer;
        CpuParallel.For(x.Numel / c, c, Threads, (r0, r1) =>
        {
            for (long r = r0; r < r1; r++) SoftmaxRow(px + r * c, py + r * c, c);
        });
        return y;
    }

    private static void SoftmaxRow(float* x, float* y, long n)
    {
        float max = CpuReduce.Max(x, n);
        long i = 0;
        double sum = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vm = Vector512.Create(max);
            var a0 = Vector512<double>.Zero;
            var a1 = Vector512<double>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                var e = CpuExp.Exp(Vector512.Load(x + i) - vm);
                e.Store(y + i);
                var (lo, hi) = Vector512.Widen(e);
                a0 += lo;
                a1 += hi;
            }
            sum = Vector512.Sum(a0 + a1);
        }
        for (; i < n; i++)
        {
            float e = CpuExp.Exp(x[i] - max);
            y[i] = e;
            sum += e;
        }
        CpuSimd.Unary(y, y, n, new ScaleOp((float)(1.0 / sum), 0f));
    }

    /// <summary>
    /// LayerNorm over the last dimension: (x − mean)/sqrt(var + eps)·weight + bias, biased variance. Mean and
    /// variance are two-pass in double and the centring is done in double, so rows with a large mean relative
    /// to their spread keep full float accuracy.
    /// </summary>
    public Tensor LayerNorm(Tensor x, Tensor? weight, Tensor? bias, float eps)
    {
        RequireF32(x, "LayerNorm", "x");
        Require(x.Rank > 0, "LayerNorm", "x is a scalar (rank 0)");
        int c = x.ShapeSpan[^1];
        using var w = ParamVector("LayerNorm", "weight", weight, c, x);
        using var b = ParamVector("LayerNorm", "bias", bias, c, x);
        var y = Empty(x.ShapeSpan);
        if (c == 0) return y;
        float* px = (float*)x.DataPointer, py = (float*)y.DataPointer;
        float* pw = w.Pointer, pb = b.Pointer;
        CpuParallel.For(x.Numel / c, c, Threads, (r0, r1) =>
        {
            for (long r = r0; r < r1; r++) LayerNormRow(px + r * c, py + r * c, c, pw, pb, eps);
        });
        return y;
    }

    /// <summary>LayerNorm's row statistics (shared by the plain and the fused form, so both round alike): the mean and
    /// the biased variance in double, rstd = 1/√(var + eps).</summary>
    private static (double Mean, double Rstd) RowStatistics(float* x, int n, float eps)
    {
        double mean = CpuReduce.Sum(x, n) / n;
        double var = CpuReduce.SumSquaredDeviations(x, n, mean) / n;
        return (mean, 1.0 / Math.Sqrt(var + eps));
    }

    private static void LayerNormRow(float* x, float* y, int n, float* w, float* b, float eps)
    {
        var (mean, rstd) = RowStatistics(x, n, eps);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vm = Vector512.Create(mean);
            var vr = Vector512.Create(rstd);
            for (; i + 16 <= n; i += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Load(x + i));
                var t = Vector512.Narrow((lo - vm) * vr, (hi - vm) * vr);
                if (w != null) t *= Vector512.Load(w + i);
                if (b != null) t += Vector512.Load(b + i);
                t.Store(y + i);
            }
        }
        for (; i < n; i++)
        {
            float t = (float)((x[i] - mean) * rstd);
            if (w != null) t *= w[i];
            if (b != null) t += b[i];
            y[i] = t;
        }
    }

    /// <summary>
    /// Fused adaLN: LayerNorm(x, no affine, eps)·(1 + scale) + shift in one pass per row (statistics, then
    /// normalise and modulate while the row is in cache), multithreaded over rows. Each element is computed as
    /// <see cref="LayerNorm"/> then <see cref="Modulate"/> compute it — t = (float)((x − mean)·rstd) with mean and
    /// variance in double, then fma(t, 1 + scale, shift) — so the result is bit-identical to the composition.
    /// BF16 x is widened first; scale/shift broadcasts other than per sample or per token take the composition.
    /// </summary>
    public Tensor LayerNormModulate(Tensor x, Tensor scale, Tensor shift, float eps) =>
        FusedOps.LayerNormModulate(this, x, scale, shift, eps, RequireF32, (xf, m) => LayerNormModulateRows(xf, scale, shift, eps, m));

    private Tensor LayerNormModulateRows(Tensor x, Tensor scale, Tensor shift, float eps, ModulationRows m)
    {
        var y = Empty(x.ShapeSpan);
        int c = m.Cols;
        if (c == 0 || m.Rows == 0) return y;
        float* px = (float*)x.DataPointer, py = (float*)y.DataPointer, ps = (float*)scale.DataPointer, ph = (float*)shift.DataPointer;
        CpuParallel.For(m.Rows, c, Threads, (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                long o = m.Offset(r);
                LayerNormModulateRow(px + r * c, py + r * c, c, ps + o, ph + o, eps);
            }
        });
        return y;
    }

    private static void LayerNormModulateRow(float* x, float* y, int n, float* scale, float* shift, float eps)
    {
        // Same statistics and rounding as LayerNormRow, then ModulateOp's fma: bit-identical to the composition.
        var (mean, rstd) = RowStatistics(x, n, eps);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vm = Vector512.Create(mean);
            var vr = Vector512.Create(rstd);
            for (; i + 16 <= n; i += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Load(x + i));
                var t = Vector512.Narrow((lo - vm) * vr, (hi - vm) * vr);
                Vector512.FusedMultiplyAdd(t, Vector512<float>.One + Vector512.Load(scale + i), Vector512.Load(shift + i)).Store(y + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vm = Vector256.Create(mean);
            var vr = Vector256.Create(rstd);
            for (; i + 8 <= n; i += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Load(x + i));
                var t = Vector256.Narrow((lo - vm) * vr, (hi - vm) * vr);
                Vector256.FusedMultiplyAdd(t, Vector256<float>.One + Vector256.Load(scale + i), Vector256.Load(shift + i)).Store(y + i);
            }
        }
        for (; i < n; i++)
        {
            float t = (float)((x[i] - mean) * rstd);
            y[i] = MathF.FusedMultiplyAdd(t, 1f + scale[i], shift[i]);
        }
    }

    /// <summary>RMSNorm over the last dimension: x·r·weight with r = (float)(1/sqrt(mean(x²) + eps)), mean(x²) in double.</summary>
    public Tensor RmsNorm(Tensor x, Tensor? weight, float eps)
    {
        RequireF32(x, "RmsNorm", "x");
        Require(x.Rank > 0, "RmsNorm", "x is a scalar (rank 0)");
        int c = x.ShapeSpan[^1];
        using var w = ParamVector("RmsNorm", "weight", weight, c, x);
        var y = Empty(x.ShapeSpan);
        if (c == 0) return y;
        float* px = (float*)x.DataPointer, py = (float*)y.DataPointer, pw = w.Pointer;
        CpuParallel.For(x.Numel / c, c, Threads, (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                float* xr = px + r * c, yr = py + r * c;
                float s = (float)(1.0 / Math.Sqrt(CpuReduce.SumSquares(xr, c) / c + eps));
                if (pw == null) CpuSimd.Unary(xr, yr, c, new ScaleOp(s, 0f));
                else CpuSimd.Binary(xr, false, pw, false, yr, c, new ScaledMulOp(s));
            }
        });
        return y;
    }

    /// <summary>
    /// Wan VAE RMS_norm over dimension 1 of [N, C, ...]: y = x / max(‖x‖₂, eps)·sqrt(C)·gamma + bias, the norm
    /// taken over the C channels at each position (accumulated in double).
    /// </summary>
    public Tensor RmsNormChannels(Tensor x, Tensor? gamma, Tensor? bias, float eps = 1e-12f)
    {
        RequireF32(x, "RmsNormChannels", "x");
        if (x.Rank < 2)
            throw new ShapeMismatchException($"RmsNormChannels: x must be [N, C, ...] (rank ≥ 2), got [{ShapeUtil.Format(x.ShapeSpan)}]");
        int n = x.ShapeSpan[0], c = x.ShapeSpan[1];
        long s = 1;
        for (int i = 2; i < x.Rank; i++) s *= x.ShapeSpan[i];
        using var g = ParamVector("RmsNormChannels", "gamma", gamma, c, x, anyShape: true);
        using var b = ParamVector("RmsNormChannels", "bias", bias, c, x, anyShape: true);
        var y = Empty(x.ShapeSpan);
        if (x.Numel == 0) return y;
        float* px = (float*)x.DataPointer, py = (float*)y.DataPointer, pg = g.Pointer, pb = b.Pointer;
        float scale = MathF.Sqrt(c);
        const int chunk = 512;
        long chunks = (s + chunk - 1) / chunk;
        CpuParallel.For(n * chunks, (long)c * chunk, Threads, (t0, t1) =>
        {
            double* acc = stackalloc double[chunk];
            float* inv = stackalloc float[chunk];
            for (long t = t0; t < t1; t++)
            {
                long ni = t / chunks, s0 = t % chunks * chunk;
                int len = (int)Math.Min(chunk, s - s0);
                float* xb = px + ni * c * s + s0, yb = py + ni * c * s + s0;
                new Span<double>(acc, len).Clear();
                for (int ci = 0; ci < c; ci++) CpuReduce.AccumulateSquaresInto(acc, xb + ci * s, len);
                for (int j = 0; j < len; j++) inv[j] = 1f / MathF.Max((float)Math.Sqrt(acc[j]), eps);
                for (int ci = 0; ci < c; ci++)
                {
                    float gc = scale * (pg == null ? 1f : pg[ci]);
                    float bc = pb == null ? 0f : pb[ci];
                    CpuSimd.Binary(xb + ci * s, false, inv, false, yb + ci * s, len, new MulScaleShiftOp(gc, bc));
                }
            }
        });
        return y;
    }

    /// <summary>
    /// A small parameter vector (norm weight, bias, gamma) as F32 host floats: the tensor itself when it is
    /// F32, else a converted copy (any float dtype is accepted). Null stays null. It must hold exactly
    /// <paramref name="c"/> elements, shaped [C] (or, with <paramref name="anyShape"/>, [C, 1, ...] or any shape of C elements).
    /// </summary>
    private ParamHandle ParamVector(string op, string name, Tensor? t, int c, Tensor x, bool anyShape = false)
    {
        if (t is null) return default;
        RequireCpu(t, op, name);
        if (!t.DType.IsFloat())
            throw new ArgumentException($"{op}: {name} must be a float tensor, got {t.DType} [{ShapeUtil.Format(t.ShapeSpan)}]");
        bool ok = anyShape ? t.Numel == c : t.Rank == 1 && t.ShapeSpan[0] == c;
        if (!ok)
            throw new ShapeMismatchException(
                $"{op}: {name} must be [{c}]{(anyShape ? $" (or any shape of {c} elements)" : "")} to match x [{ShapeUtil.Format(x.ShapeSpan)}], got [{ShapeUtil.Format(t.ShapeSpan)}]");
        if (t.DType == DType.F32) return new ParamHandle((float*)t.DataPointer, null);
        var f = Cast(t, DType.F32);
        return new ParamHandle((float*)f.DataPointer, f);
    }

    private readonly struct ParamHandle(float* pointer, Tensor? owned) : IDisposable
    {
        public float* Pointer => pointer;
        public void Dispose() => owned?.Dispose();
    }
}

/// <summary>(a·s)·b: RMSNorm's x·r·weight with r fixed per row.</summary>
internal readonly struct ScaledMulOp(float s) : IBinaryOp
{
    public float Invoke(float a, float b) => a * s * b;
    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a * Vector512.Create(s) * b;
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a * Vector256.Create(s) * b;
}

/// <summary>(a·b)·g + h: RmsNormChannels' (x·inv)·(√C·gamma_c) + bias_c.</summary>
internal readonly struct MulScaleShiftOp(float g, float h) : IBinaryOp
{
    public float Invoke(float a, float b) => MathF.FusedMultiplyAdd(a * b, g, h);
    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => Vector512.FusedMultiplyAdd(a * b, Vector512.Create(g), Vector512.Create(h));
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.FusedMultiplyAdd(a * b, Vector256.Create(g), Vector256.Create(h));
}
