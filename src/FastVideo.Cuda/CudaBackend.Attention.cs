using FastVideo.Backends;
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
    /// With <see cref="CudaBackendOptions.MixedPrecision"/>, no mask, D = Dv ∈ {64, 128} and a positive finite
    /// scale: q, k, v are rounded to BF16 and the flash kernel runs (the Hopper wgmma kernel on sm_90 with
    /// <see cref="CudaBackendOptions.HopperAttention"/>), output widened back to F32. Otherwise the F32 path: per
    /// chunk of (batch, head) entries and query rows, S = scale·q·kᵀ (cuBLASLt, FP32) (+ mask, in place),
    /// P = softmax(S), o = P·v, with S and P bounded by <see cref="AttentionScratchBytes"/>. A query row whose
    /// scores are all −∞ gives 0 on both paths, as the contract and the CPU backend (the softmax runs with
    /// zero_masked_rows; the flash kernels give 0 for a row with no valid key); no keys at all (Nk = 0) gives 0.
    /// </remarks>
    public Tensor Attention(Tensor q, Tensor k, Tensor v, Tensor? mask, float scale)
    {
        const string op = "Attention";
        RequireF32(q, op, "q");
        RequireF32(k, op, "k");
        RequireF32(v, op, "v");
        if (mask != null) RequireF32(mask, op, "mask");
        long[]? maskStrides = OpShapes.Attention(q, k, v, mask);
        int b = q.Size(0), h = q.Size(1), nq = q.Size(2), d = q.Size(3);
        int nk = k.Size(2), dv = v.Size(3);
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
            bool flash = UseFlash(mask, d, dv, b, h, scale);
            if (flash) FlashAttention(q, k, v, o, scale);
            else AttentionF32(q, k, v, mask, maskStrides, o, scale);
            CountPath("attention", AttentionPathName(flash, flash && UseHopperFlash, d, mask != null));
            AfterOp(op);
            return o;
        }
        catch
        {
            o.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether the flash kernel takes this call: mixed precision, no mask, head dims it is built for, and a
    /// positive finite scale (the kernels take the row max of the raw scores before scaling, which is the max
    /// of the scaled ones only for scale &gt; 0; other scales take the F32 path).
    /// </summary>
    internal bool UseFlash(Tensor? mask, int d, int dv, int batch, int heads, float scale) =>
        Options.MixedPrecision && mask == null && d == dv && KernelCatalog.AttentionHeadDims.Contains(d) && batch <= 65535 && heads <= 65535
        && scale > 0 && float.IsFinite(scale) && HasModule(KernelCatalog.Modules.FlashAttention);

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
                SoftmaxInto(pr.DataPointer, s.DataPointer, (long)ce * rows, nk, zeroMaskedRows: true);
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
}
