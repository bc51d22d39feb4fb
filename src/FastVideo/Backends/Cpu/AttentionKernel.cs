using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FastVideo.Backends.Cpu;

/// <summary>
/// Plain-data arguments of <see cref="AttentionKernel.Run"/>. q [B, H, Nq, D], k [B, H, Nk, D], v [B, H, Nk, Dv]
/// and o [B, H, Nq, Dv] are contiguous F32. The additive mask is read at
/// Mask[b·MaskStrideB + h·MaskStrideH + i·MaskStrideQ + j·MaskStrideK]; a broadcast dimension has stride 0.
/// Mask is null when there is none.
/// </summary>
internal unsafe struct AttentionArgs
{
    public float* Q, K, V, Mask, O;
    public int B, H, Nq, Nk, D, Dv;
    public long MaskStrideB, MaskStrideH, MaskStrideQ, MaskStrideK;
    public float Scale;
}

/// <summary>
/// Flash-attention on the CPU: o = softmax(q·kᵀ·scale + mask)·v without materialising the Nq×Nk scores.
/// One task per (b, h, block of <see cref="BlockQ"/> queries); a task walks the keys in blocks of
/// <see cref="BlockK"/> and keeps per query row a running max m, running sum l and an unnormalised
/// accumulator acc[Dv]. For a key block with scores s (after scale and mask):
/// m' = max(m, max_j s_j); α = exp(m − m'); p_j = exp(s_j − m'); l ← α·l + Σ p_j; acc ← α·acc + Σ p_j·v_j.
/// At the end o = acc / l. Memory per task is O((BlockQ + BlockK)·(D + Dv)), whatever Nq and Nk.
/// Fully masked rows: a row whose every score is −∞ has l = 0 and yields 0, as PyTorch's
/// scaled_dot_product_attention does since 2.5 (its _safe_softmax); plain softmax would give NaN there.
/// With a finite mask such as float.MinValue (T5) nothing is special: the scores stay finite and the
/// softmax is the ordinary one, as in PyTorch. NaN in the inputs propagates to the rows it touches.
/// </summary>
internal static unsafe class AttentionKernel
{
    /// <summary>Queries per task: amortises packing a key/value block over 64 rows while acc [64, Dv] stays in L1/L2.</summary>
    public const int BlockQ = 64;

    /// <summary>Keys per block: the width of the score tiles of <see cref="AttentionTiles512"/> and <see cref="AttentionTiles256"/>.</summary>
    public const int BlockK = 64;

    /// <summary>Tests set this on their thread to run the Vector256 tiles on a machine that has Vector512.</summary>
    [ThreadStatic] internal static bool t_forceVector256;

    /// <summary>Computes <c>a.O</c>; parallel over (b, h, query block) with at most <paramref name="threads"/> workers.</summary>
    public static void Run(in AttentionArgs a, int threads)
    {
        if (a.B == 0 || a.H == 0 || a.Nq == 0 || a.Dv == 0) return;
        int qBlocks = (a.Nq + BlockQ - 1) / BlockQ;
        long tasks = (long)a.B * a.H * qBlocks;
        bool wide = Vector512.IsHardwareAccelerated && !t_forceVector256;
        var args = a;
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) };
        Parallel.For(0L, tasks, options,
            () => new Scratch(args.D, args.Dv),
            (task, _, scratch) =>
            {
                RunTask(args, task, qBlocks, scratch, wide);
                return scratch;
            },
            scratch => scratch.Dispose());
    }

    /// <summary>Per-worker buffers, 64-byte aligned: Kt [D, 64], Vp [64, DvPad], S [64, 64], acc [64, DvPad], m [64], l [64].</summary>
    private sealed class Scratch : IDisposable
    {
        public readonly int DvPad;
        public readonly float* Kt, Vp, S, Acc, M, L;
        private void* _block;

        public Scratch(int d, int dv)
        {
            DvPad = (dv + 15) & ~15;
            long kt = (long)d * BlockK, vp = (long)BlockK * DvPad, s = BlockQ * BlockK, acc = (long)BlockQ * DvPad;
            long total = kt + vp + s + acc + 2 * BlockQ;
            _block = NativeMemory.AlignedAlloc((nuint)(total * sizeof(float)), 64);
            Kt = (float*)_block;
            Vp = Kt + kt;
            S = Vp + vp;
            Acc = S + s;
            M = Acc + acc;
            L = M + BlockQ;
            // Padding columns of Vp stay zero for the worker's lifetime: only [0, Dv) of each row is rewritten.
            new Span<float>(Vp, checked((int)vp)).Clear();
        }

        public void Dispose()
        {
            if (_block != null) NativeMemory.AlignedFree(_block);
            _block = null;
        }
    }

    private static void RunTask(in AttentionArgs a, long task, int qBlocks, Scratch w, bool wide)
    {
        int qb = (int)(task % qBlocks);
        long bh = task / qBlocks;
        int b = (int)(bh / a.H), h = (int)(bh % a.H);
        int i0 = qb * BlockQ, rows = Math.Min(BlockQ, a.Nq - i0);
        int d = a.D, dv = a.Dv, dvPad = w.DvPad;
        float* q = a.Q + (bh * a.Nq + i0) * d;
        float* k = a.K + bh * a.Nk * d;
        float* v = a.V + bh * a.Nk * dv;
        float* mask = a.Mask == null ? null : a.Mask + b * a.MaskStrideB + h * a.MaskStrideH + i0 * a.MaskStrideQ;
        // When Dv is already a multiple of 16, V is read in place; otherwise each block is copied to a padded tile.
        bool packV = dv != dvPad;

        new Span<float>(w.M, rows).Fill(float.NegativeInfinity);
        new Span<float>(w.L, rows).Clear();
        new Span<float>(w.Acc, rows * dvPad).Clear();

        for (int j0 = 0; j0 < a.Nk; j0 += BlockK)
        {
            int kn = Math.Min(BlockK, a.Nk - j0);
            PackKt(k + (long)j0 * d, d, kn, w.Kt);
            float* vTile = v + (long)j0 * dv;
            if (packV)
            {
                for (int j = 0; j < kn; j++)
                    Unsafe.CopyBlockUnaligned(w.Vp + (long)j * dvPad, vTile + (long)j * dv, (uint)dv * sizeof(float));
                vTile = w.Vp;
            }

            if (wide) AttentionTiles512.QkT(q, d, w.Kt, d, w.S, rows);
            else AttentionTiles256.QkT(q, d, w.Kt, d, w.S, rows);

            for (int i = 0; i < rows; i++)
            {
                float* maskRow = mask == null ? null : mask + i * a.MaskStrideQ + j0 * a.MaskStrideK;
                OnlineSoftmaxRow(w.S + i * BlockK, kn, a.Scale, maskRow, a.MaskStrideK, ref w.M[i], ref w.L[i], w.Acc + (long)i * dvPad, dvPad);
            }

            if (wide) AttentionTiles512.PV(w.S, vTile, kn, dvPad, w.Acc, rows);
            else AttentionTiles256.PV(w.S, vTile, kn, dvPad, w.Acc, rows);
        }

        float* o = a.O + (bh * a.Nq + i0) * dv;
        for (int i = 0; i < rows; i++)
        {
            float* src = w.Acc + (long)i * dvPad, dst = o + (long)i * dv;
            float l = w.L[i];
            if (l == 0f)
            {
                new Span<float>(dst, dv).Clear(); // every score was −∞ (see the class remarks)
                continue;
            }
            float inv = 1f / l;
            for (int e = 0; e < dv; e++) dst[e] = src[e] * inv;
        }
    }

    /// <summary>kt[e, j] = k[j, e] for j &lt; kn, 0 for kn ≤ j &lt; 64 (k rows have stride d).</summary>
    private static void PackKt(float* k, int d, int kn, float* kt)
    {
        for (int j = 0; j < kn; j++)
        {
            float* kr = k + (long)j * d;
            for (int e = 0; e < d; e++) kt[e * BlockK + j] = kr[e];
        }
        if (kn < BlockK)
            for (int e = 0; e < d; e++) new Span<float>(kt + e * BlockK + kn, BlockK - kn).Clear();
    }

    /// <summary>
    /// One query row of one key block. On entry s[0:kn] holds q·kⱼ; on exit s[0:64] holds pⱼ = exp(sⱼ·scale + maskⱼ − m')
    /// (0 for j ≥ kn), m and l are updated and acc is rescaled by α = exp(m − m') ready for acc += p·V.
    /// </summary>
    private static void OnlineSoftmaxRow(float* s, int kn, float scale, float* mask, long maskStride,
        ref float m, ref float l, float* acc, int dvPad)
    {
        int j = 0;
        var vs = Vector256.Create(scale);
        if (mask == null)
        {
            for (; j + 8 <= kn; j += 8) (Vector256.Load(s + j) * vs).Store(s + j);
            for (; j < kn; j++) s[j] *= scale;
        }
        else if (maskStride == 1)
        {
            for (; j + 8 <= kn; j += 8) Vector256.FusedMultiplyAdd(Vector256.Load(s + j), vs, Vector256.Load(mask + j)).Store(s + j);
            for (; j < kn; j++) s[j] = MathF.FusedMultiplyAdd(s[j], scale, mask[j]);
        }
        else
        {
            for (; j < kn; j++) s[j] = MathF.FusedMultiplyAdd(s[j], scale, mask[j * maskStride]);
        }
        for (j = kn; j < BlockK; j++) s[j] = float.NegativeInfinity;

        var vmax = Vector256.Load(s);
        for (j = 8; j < BlockK; j += 8) vmax = Vector256.Max(vmax, Vector256.Load(s + j));
        float blockMax = vmax[0];
        for (int e = 1; e < 8; e++) blockMax = Math.Max(blockMax, vmax[e]);

        float mNew = Math.Max(m, blockMax);
        if (float.IsNegativeInfinity(mNew))
        {
            // Every score so far is −∞: nothing to add (exp(−∞ − (−∞)) would be NaN).
            new Span<float>(s, BlockK).Clear();
            return;
        }
        float alpha = MathF.Exp(m - mNew);
        var vm = Vector256.Create(mNew);
        var vsum = Vector256<float>.Zero;
        for (j = 0; j < BlockK; j += 8)
        {
            var p = Vector256.Exp(Vector256.Load(s + j) - vm);
            p.Store(s + j);
            vsum += p;
        }
        l = l * alpha + Vector256.Sum(vsum);
        m = mNew;
        if (alpha != 1f)
        {
            var va = Vector256.Create(alpha);
            for (int e = 0; e < dvPad; e += 8) (Vector256.Load(acc + e) * va).Store(acc + e);
        }
    }
}
