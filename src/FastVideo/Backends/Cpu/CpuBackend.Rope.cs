using System.Runtime.Intrinsics;
using FastVideo.Tensors;

namespace FastVideo.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>
    /// Rotary embedding on interleaved pairs; x [B, N, H, D], cos/sin [N, D/2]:
    /// out[2i] = x[2i]·cos[i] − x[2i+1]·sin[i], out[2i+1] = x[2i]·sin[i] + x[2i+1]·cos[i].
    /// Vectorised as out = x·cos' + swap(x)·sin', where cos' repeats each cosine twice, sin' = (−sin, +sin)
    /// per pair and swap exchanges the two members of each pair; cos'/sin' are built once per position and
    /// reused for every head.
    /// </summary>
    public Tensor ApplyRope(Tensor x, Tensor cos, Tensor sin)
    {
        RequireF32(x, "ApplyRope", "x");
        RequireF32(cos, "ApplyRope", "cos");
        RequireF32(sin, "ApplyRope", "sin");
        var (bsz, n, h, d) = OpShapes.Rope(x, cos, sin);
        int half = d / 2;
        var y = Empty(x.ShapeSpan);
        if (x.Numel == 0) return y;
        float* px = (float*)x.DataPointer, py = (float*)y.DataPointer, pc = (float*)cos.DataPointer, ps = (float*)sin.DataPointer;
        long rowLen = (long)h * d;
        CpuParallel.For((long)bsz * n, rowLen, Threads, (r0, r1) =>
        {
            var tables = new float[2 * d];
            fixed (float* tab = tables)
            {
                float* cd = tab, sd = tab + d;
                for (long r = r0; r < r1; r++)
                {
                    long pos = r % n;
                    for (int i = 0; i < half; i++)
                    {
                        float cv = pc[pos * half + i], sv = ps[pos * half + i];
                        cd[2 * i] = cv; cd[2 * i + 1] = cv;
                        sd[2 * i] = -sv; sd[2 * i + 1] = sv;
                    }
                    for (int hi = 0; hi < h; hi++) RopeHead(px + r * rowLen + hi * d, py + r * rowLen + hi * d, cd, sd, d);
                }
            }
        });
        return y;
    }

    private static void RopeHead(float* x, float* y, float* cd, float* sd, int d)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var swap = Vector512.Create(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
            for (; i + 16 <= d; i += 16)
            {
                var v = Vector512.Load(x + i);
                var t = Vector512.Shuffle(v, swap) * Vector512.Load(sd + i);
                Vector512.FusedMultiplyAdd(v, Vector512.Load(cd + i), t).Store(y + i);
            }
        }
        for (; i < d; i += 2)
        {
            float x0 = x[i], x1 = x[i + 1];
            y[i] = MathF.FusedMultiplyAdd(x0, cd[i], x1 * sd[i]);
            y[i + 1] = MathF.FusedMultiplyAdd(x1, cd[i + 1], x0 * sd[i + 1]);
        }
    }

    /// <summary>
    /// Rows of weight [V, D] (F32/BF16/F16) gathered by ids (I32/I64, any shape) → [..., D] F32.
    /// Every id is checked before any row is copied; an id outside [0, V) throws naming it.
    /// </summary>
    public Tensor Embedding(Tensor weight, Tensor ids)
    {
        RequireCpu(weight, "Embedding", "weight");
        RequireCpu(ids, "Embedding", "ids");
        if (weight.Rank != 2 || !weight.DType.IsFloat())
            throw new ArgumentException($"Embedding: weight must be a float [V, D] tensor, got {weight.DType} [{ShapeUtil.Format(weight.ShapeSpan)}]");
        if (ids.DType is not (DType.I32 or DType.I64))
            throw new ArgumentException($"Embedding: ids must be I32 or I64, got {ids.DType} [{ShapeUtil.Format(ids.ShapeSpan)}]");
        int vocab = weight.ShapeSpan[0], d = weight.ShapeSpan[1];
        long count = ids.Numel;
        var index = new long[count];
        bool i64 = ids.DType == DType.I64;
        for (long k = 0; k < count; k++)
        {
            long id = i64 ? ((long*)ids.DataPointer)[k] : ((int*)ids.DataPointer)[k];
            if (id < 0 || id >= vocab)
                throw new ArgumentOutOfRangeException(nameof(ids),
                    $"Embedding: id {id} at position {k} is outside the vocabulary of size {vocab} (weight [{ShapeUtil.Format(weight.ShapeSpan)}])");
            index[k] = id;
        }
        var shape = new int[ids.Rank + 1];
        ids.ShapeSpan.CopyTo(shape);
        shape[^1] = d;
        var y = Empty(shape);
        byte* pw = (byte*)weight.DataPointer;
        float* py = (float*)y.DataPointer;
        DType wt = weight.DType;
        int es = wt.Size();
        CpuParallel.For(count, d, Threads, (k0, k1) =>
        {
            for (long k = k0; k < k1; k++) CpuCast.Convert(pw + index[k] * d * es, wt, (byte*)(py + k * d), DType.F32, d);
        });
        return y;
    }
}
