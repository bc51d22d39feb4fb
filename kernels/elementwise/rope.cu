// rope.cu — rotary embedding with per-token tables on interleaved pairs, standalone (the fused form is in
// qkv/qkv_norm_rope.cu).
//
// Contract (CPU twin: IBackend.ApplyRope, CpuBackend.Rope.cs): x, y [B, N, H, D] contiguous f32 (y may alias
//   x); cos, sin [N, D/2] f32. For pair j of every head at token n:
//   y[2j] = fma(x[2j], cos[n, j], x[2j+1]·(−sin[n, j])),  y[2j+1] = fma(x[2j+1], cos[n, j], x[2j]·sin[n, j]).
// Limits: D even. Launch: 1-D grid-stride over the B·N·H·D/2 pairs, block 256. No shared memory.
// Why: one thread per pair with an 8-byte access; the tables are tiny and stay in L1/L2.
//   Not --use_fast_math (matches the CPU twin exactly: same fma order).
#include "fv_common.cuh"

struct FvRopeParams
{
    void* y;
    const void* x;
    const float* cos;
    const float* sin;
    fv_i64 rows;
    int tokens;
    int heads;
    int head_dim;
    int reserved;
};
FV_ABI_STATIC_ASSERT(sizeof(FvRopeParams) == 56, "FvRopeParams layout is mirrored in C#");
FV_ABI_OFFSET(FvRopeParams, tokens, 40);

extern "C" __global__ void fv_rope_f32(const FvRopeParams p)
{
    const int half = p.head_dim / 2;
    const fv_i64 per_row = (fv_i64)p.heads * half;
    const fv_i64 pairs = p.rows * per_row;
    const float* x = (const float*)p.x;
    float* y = (float*)p.y;
    const bool vec = ((((fv_u64)p.x) | ((fv_u64)p.y)) & 7u) == 0;
    FV_GRID_STRIDE(i, pairs)
    {
        const fv_i64 r = i / per_row;
        const int j = (int)((i - r * per_row) % half);
        const fv_i64 n = r % p.tokens;
        const float c = p.cos[n * half + j], s = p.sin[n * half + j];
        float x0, x1;
        if (vec)
        {
            const float2 v = ((const float2*)x)[i];
            x0 = v.x;
            x1 = v.y;
        }
        else
        {
            x0 = x[2 * i];
            x1 = x[2 * i + 1];
        }
        const float y0 = fmaf(x0, c, x1 * -s), y1 = fmaf(x1, c, x0 * s);
        if (vec) ((float2*)y)[i] = make_float2(y0, y1);
        else
        {
            y[2 * i] = y0;
            y[2 * i + 1] = y1;
        }
    }
}
