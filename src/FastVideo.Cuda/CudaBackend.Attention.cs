using FastVideo.Cuda.Kernels;
using FastVideo.Interop;
using FastVideo.Tensors;

namespace FastVideo.Cuda;

public sealed partial class CudaBackend
{
    /// <summary>Bytes the F32 attention path may spend on its score and probability buffers per chunk.</summary>
    public long AttentionScratchBytes { get; init; } = 1L << 30;

    /// <inheritdoc/>
    /// <remarks>
    /// With <see cref="CudaBackendOptions.MixedPrecision"/>, no mask, D = Dv ∈ {64, 128}: q, k, v are rounded to
    /// BF16 and the flash kernel runs (the Hopper wgmma kernel on sm_90 with <see cref="CudaBackendOptions.HopperAttention"/>), output
    /// widened back to F32. Otherwise the F32 path: per chunk of (batch, head) entries and query rows,
    /// S = scale·q·kᵀ (cuBLASLt, FP32) (+ mask, in place), P = softmax(S), o = P·v, with S and P bounded by
    /// <see cref="AttentionScratchBytes"/>. Known difference: on the F32 path a row whose scores are all −∞
    /// gives NaN (the softmax kernel's rule), not 0 as the contract and the CPU backend.
    /// </remarks>
    public Tensor Attention(Tensor q, Tensor k, Tensor v, Tensor? mask, float scale)
    {
        const string op = "Attention";
        RequireF32(q, op, "q");
        RequireF32(k, op, "k");
        RequireF32(v, op, "v");
        if (q.Rank != 4) throw new ShapeMismatchException($"{op}: q must be [B, H, Nq, D], got [{ShapeUtil.Format(q.ShapeSpan)}]");
        if (k.Rank != 4) throw new ShapeMismatchException($"{op}: k must be [B, H, Nk, D], got [{ShapeUtil.Format(k.ShapeSpan)}]");
        if (v.Rank != 4) throw new ShapeMismatchException($"{op}: v must be [B, H, Nk, Dv], got [{ShapeUtil.Format(v.ShapeSpan)}]");
        int b = q.Size(0), h = q.Size(1), nq = q.Size(2), d = q.Size(3);
        int nk = k.Size(2), dv = v.Size(3);
        if (k.Size(0) != b || k.Size(1) != h || k.Size(3) != d)
            throw new ShapeMismatchException($"{op}: k must be [{b}, {h}, Nk, {d}] to match q [{ShapeUtil.Format(q.ShapeSpan)}], got [{ShapeUtil.Format(k.ShapeSpan)}]");
        if (v.Size(0) != b || v.Size(1) != h || v.Size(2) != nk)
            throw new ShapeMismatchException($"{op}: v must be [{b}, {h}, {nk}, Dv] to match k [{ShapeUtil.Format(k.ShapeSpan)}], got [{ShapeUtil.Format(v.ShapeSpan)}]");
        long[]? maskStrides = null;
        if (mask != null)
        {
            RequireF32(mask, op, "mask");
            maskStrides = MaskStrides(mask, [b, h, nq, nk]);
        }
        var o = Empty([b, h, nq, dv]);
        if (o.Numel == 0) return o;
        // No keys: every row's scores are all −∞ (nothing to attend to), which gives 0.
        if (nk == 0)
        {
            o.Dispose();
            return Full([b, h, nq, dv], 0f);
        }
        try
        {
            if (UseFlash(mask, d, dv, b, h)) FlashAttention(q, k, v, o, scale);
            else AttentionF32(q, k, v, mask, maskStrides, o, scale);
            AfterOp(op);
            return o;
        }
        catch
        {
            o.Dispose();
            throw;
        }
    }

    /// <summary>Whether the flash kernel takes this call (mixed precision, no mask, head dims it is built for).</summary>
    internal bool UseFlash(Tensor? mask, int d, int dv, int batch, int heads) =>
        Options.MixedPrecision && mask == null && d == dv && KernelCatalog.AttentionHeadDims.Contains(d) && batch <= 65535 && heads <= 65535
        && HasModule(KernelCatalog.Modules.FlashAttention);

    private bool UseHopperFlash => Options.HopperAttention && _device.Info.ComputeCapability == 90 && HasModule(KernelCatalog.Modules.FlashAttentionHopper);

    private void FlashAttention(Tensor q, Tensor k, Tensor v, Tensor o, float scale)
    {
        int b = q.Size(0), h = q.Size(1), nq = q.Size(2), d = q.Size(3), nk = k.Size(2);
        using var scope = TensorScope.Begin();
        var q16 = Cast(q, DType.BF16);
        var k16 = Cast(k, DType.BF16);
        var v16 = Cast(v, DType.BF16);
        var o16 = Empty(o.ShapeSpan, DType.BF16);
        bool hopper = UseHopperFlash;
        var p = new AttentionParams
        {
            Q = q16.DataPointer, K = k16.DataPointer, V = v16.DataPointer, O = o16.DataPointer,
            Batch = b, Heads = h, Nq = nq, Nk = nk, Scale = scale,
        };
        p.SetContiguousBhnd(nq, nk, h, d);
        Launch(KernelCatalog.FlashAttention(DType.BF16, d, hopper), KernelCatalog.FlashAttentionLaunch(b, h, nq, d, hopper), p);
        CastInto(o16.DataPointer, DType.BF16, o.DataPointer, DType.F32, o.Numel);
    }

    private void AttentionF32(Tensor q, Tensor k, Tensor v, Tensor? mask, long[]? ms, Tensor o, float scale)
    {
        int b = q.Size(0), h = q.Size(1), nq = q.Size(2), d = q.Size(3), nk = k.Size(2), dv = v.Size(3);
        long entries = (long)b * h;
        long perEntry = 2L * nq * nk * 4; // S and P of one (batch, head) entry
        int cnt = (int)Math.Clamp(AttentionScratchBytes / Math.Max(1, perEntry), 1, Math.Min(entries, int.MaxValue));
        int qc = cnt > 1 ? nq : (int)Math.Clamp(AttentionScratchBytes / Math.Max(1, 2L * nk * 4), 1, nq);
        using var s = Empty([cnt * qc * nk]);
        using var pr = Empty([cnt * qc * nk]);
        var f32 = CudaDataType.R32F;
        for (long e0 = 0; e0 < entries; e0 += cnt)
        {
            int ce = (int)Math.Min(cnt, entries - e0);
            for (int q0 = 0; q0 < nq; q0 += qc)
            {
                int rows = Math.Min(qc, nq - q0);
                if (d == 0) CudaDriver.Memset32(s.DataPointer, 0, (long)ce * rows * nk, _device.Stream);
                else
                    _gemm.Run(f32, f32, CublasComputeType.F32,
                        new GemmShape(rows, nk, d, ce, TransposeB: true, StrideA: (long)nq * d, StrideB: (long)nk * d, StrideD: (long)rows * nk),
                        q.DataPointer + (nint)((e0 * nq + q0) * d * 4), k.DataPointer + (nint)(e0 * nk * d * 4), s.DataPointer, 0, scale);
                if (mask != null) AddMask(mask, ms!, s.DataPointer, e0, ce, h, q0, rows, nk);
                SoftmaxInto(pr.DataPointer, s.DataPointer, (long)ce * rows, nk);
                if (dv > 0)
                    _gemm.Run(f32, f32, CublasComputeType.F32,
                        new GemmShape(rows, dv, nk, ce, StrideA: (long)rows * nk, StrideB: (long)nk * dv, StrideD: (long)nq * dv),
                        pr.DataPointer, v.DataPointer + (nint)(e0 * nk * dv * 4), o.DataPointer + (nint)((e0 * nq + q0) * dv * 4), 0, 1f);
            }
        }
    }

    /// <summary>S[e, i, j] += mask[b(e), h(e), q0 + i, j] over a chunk of entries, in place.</summary>
    private void AddMask(Tensor mask, long[] ms, nint s, long e0, int ce, int heads, int q0, int rows, int nk)
    {
        long[] shape = [ce, rows, nk];
        long[] packed = [(long)rows * nk, nk, 1];
        // Entry e = b·H + h: one launch when the mask's entry stride is uniform (sb = H·sh, e.g. both 0).
        if (ms[0] == heads * ms[1])
        {
            nint m = mask.DataPointer + (nint)((e0 * ms[1] + q0 * ms[2]) * 4);
            LaunchStrided("Attention mask", KernelCatalog.Add, shape, s, s, packed, m, [ms[1], ms[2], ms[3]]);
            return;
        }
        for (int i = 0; i < ce; i++)
        {
            long e = e0 + i;
            nint m = mask.DataPointer + (nint)(((e / heads) * ms[0] + (e % heads) * ms[1] + q0 * ms[2]) * 4);
            nint si = s + (nint)((long)i * rows * nk * 4);
            LaunchStrided("Attention mask", KernelCatalog.Add, [rows, nk], si, si, [nk, 1], m, [ms[2], ms[3]]);
        }
    }

    /// <summary>Element strides of <paramref name="mask"/> seen as [B, H, Nq, Nk]: 0 along broadcast (size-1 or missing leading) dimensions.</summary>
    internal static long[] MaskStrides(Tensor mask, int[] target)
    {
        if (mask.Rank > 4)
            throw new ShapeMismatchException($"Attention: mask must have rank ≤ 4 and broadcast to [{ShapeUtil.Format(target)}], got [{ShapeUtil.Format(mask.ShapeSpan)}]");
        var own = ShapeUtil.Strides(mask.ShapeSpan);
        var strides = new long[4];
        int lead = 4 - mask.Rank;
        for (int i = lead; i < 4; i++)
        {
            int size = mask.Size(i - lead);
            if (size != 1 && size != target[i])
                throw new ShapeMismatchException($"Attention: mask [{ShapeUtil.Format(mask.ShapeSpan)}] does not broadcast to [{ShapeUtil.Format(target)}] (B, H, Nq, Nk): dimension {i} is {size}, expected 1 or {target[i]}");
            strides[i] = size == 1 ? 0 : own[i - lead];
        }
        return strides;
    }
}
