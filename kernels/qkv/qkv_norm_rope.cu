// qkv_norm_rope.cu — the step between the fused QKV GEMM and attention in a Wan DiT block, in one pass:
// split q | k | v, RMSNorm q and k across all heads, rotate q and k (3-D RoPE tables), write [B, H, N, D].
//
// Contract (CPU twin: IBackend.RmsNorm over H·D → reshape [B, N, H, D] → IBackend.ApplyRope → IBackend.Permute
// to [B, H, N, D]; v only the permute):
//   qkv [B·N, 3·H·D] row stride qkv_row_stride (the GEMM output over Wq|Wk|Wv, bias already added), dtype TIn.
//     Row t = b·N + n holds q (cols [0, HD)), k ([HD, 2HD)), v ([2HD, 3HD)), each head-major (h·D + d).
//   apply_norm ≠ 0: q ← q · rs_q · q_weight, rs_q = 1/sqrt(mean over H·D of q² + eps) (double-rounded like the
//     CPU twin), likewise k; q_weight/k_weight [H·D] f32 or null (norm without scale). Wan's norm_q/norm_k.
//   cos/sin [N, D/2] f32 (one value per interleaved pair, the same for every head and batch) or null (no RoPE):
//     out[2i] = fma(a0, cos, a1·(−sin)), out[2i+1] = fma(a1, cos, a0·sin), a = the normalised pair.
//   q_out, k_out, v_out [B, H, N, D] contiguous, dtype TOut.
// Entry points: fv_qkv_norm_rope_<in>_<out>: f32_f32, f32_bf16, f32_f16, bf16_bf16, f16_f16.
// Limits: D even; H·D ≤ 2^31. Launch: grid.x = min(B·N, 2^21) blocks (each block strides over tokens),
//   block = 32..1024 threads, a multiple of 32 (catalog: 256); no dynamic shared memory.
// Why: a token's 3·H·D values are read twice (sum of squares, then transform) and written once; one block
//   per token keeps both norms' reductions in the block. Chunks of 16 bytes of input (2 or 4 RoPE pairs)
//   per thread when D is a multiple of 8 and rows are aligned; a scalar pair path otherwise.
// Not built with --use_fast_math (matches the CPU chain to 1e-5 in f32).
#include "fv_common.cuh"

struct FvQkvNormRopeParams
{
    void* q_out;
    void* k_out;
    void* v_out;
    const void* qkv;
    const float* q_weight;
    const float* k_weight;
    const float* cos;
    const float* sin;
    fv_i64 qkv_row_stride;
    int batch;
    int tokens;
    int heads;
    int head_dim;
    float eps;
    int apply_norm;
};
FV_ABI_STATIC_ASSERT(sizeof(FvQkvNormRopeParams) == 96, "FvQkvNormRopeParams layout is mirrored in C#");
FV_ABI_OFFSET(FvQkvNormRopeParams, batch, 72);
FV_ABI_OFFSET(FvQkvNormRopeParams, apply_norm, 92);

/// Rotates and stores `n` consecutive elements (n even, pairs aligned) of one head.
template <typename TOut, int N>
FV_DEVICE void fv_qkv_emit(TOut* dst, const float* v, const float* cs, const float* sn, bool rope)
{
    float o[N];
#pragma unroll
    for (int i = 0; i < N; i += 2)
    {
        if (rope)
        {
            const float c = cs[i / 2], s = sn[i / 2];
            o[i] = fmaf(v[i], c, v[i + 1] * -s);
            o[i + 1] = fmaf(v[i + 1], c, v[i] * s);
        }
        else
        {
            o[i] = v[i];
            o[i + 1] = v[i + 1];
        }
    }
    fv_store_n<TOut, N>(dst, o);
}

template <typename TIn, typename TOut>
__device__ void fv_qkv_norm_rope_impl(const FvQkvNormRopeParams& p)
{
    __shared__ float scratch[32];
    constexpr int VEC = fv_vec_traits<TIn>::n; // 4 (f32) or 8 (16-bit) elements = 2 or 4 pairs
    const int D = p.head_dim, H = p.heads, N = p.tokens, HD = H * D, half = D / 2;
    const fv_i64 rows = (fv_i64)p.batch * N;
    const bool rope = p.cos != nullptr && p.sin != nullptr;
    const bool vec = (D % VEC) == 0 && (p.qkv_row_stride % VEC) == 0 && fv_aligned16(p.qkv)
        && (p.q_weight == nullptr || fv_aligned16(p.q_weight)) && (p.k_weight == nullptr || fv_aligned16(p.k_weight))
        && ((fv_u64)p.q_out % (VEC * sizeof(TOut))) == 0 && ((fv_u64)p.k_out % (VEC * sizeof(TOut))) == 0
        && ((fv_u64)p.v_out % (VEC * sizeof(TOut))) == 0;

    for (fv_i64 t = blockIdx.x; t < rows; t += gridDim.x)
    {
        const TIn* q = (const TIn*)p.qkv + t * p.qkv_row_stride;
        const TIn* k = q + HD;
        const TIn* v = k + HD;
        const fv_i64 b = t / N;
        const int n = (int)(t % N);

        float rq = 1.f, rk = 1.f;
        if (p.apply_norm)
        {
            float sq = 0.f, sk = 0.f;
            if (vec)
                for (int c = threadIdx.x * VEC; c < HD; c += blockDim.x * VEC)
                {
                    float a[VEC], e[VEC];
                    fv_unpack<TIn>(fv_ld16(q + c), a);
                    fv_unpack<TIn>(fv_ld16(k + c), e);
#pragma unroll
                    for (int i = 0; i < VEC; i++) { sq = fmaf(a[i], a[i], sq); sk = fmaf(e[i], e[i], sk); }
                }
            else
                for (int c = threadIdx.x; c < HD; c += blockDim.x)
                {
                    const float a = fv_load(q + c), e = fv_load(k + c);
                    sq = fmaf(a, a, sq);
                    sk = fmaf(e, e, sk);
                }
            sq = fv_block_sum(sq, scratch);
            sk = fv_block_sum(sk, scratch);
            rq = (float)(1.0 / sqrt((double)sq / HD + (double)p.eps));
            rk = (float)(1.0 / sqrt((double)sk / HD + (double)p.eps));
        }
        const float* cs = rope ? p.cos + (fv_i64)n * half : nullptr;
        const float* sn = rope ? p.sin + (fv_i64)n * half : nullptr;

        if (vec)
        {
            for (int c = threadIdx.x * VEC; c < HD; c += blockDim.x * VEC)
            {
                const int h = c / D, d = c % D;
                const fv_i64 o = (((b * H + h) * (fv_i64)N) + n) * D + d;
                float cc[VEC / 2], ss[VEC / 2];
                if (rope)
#pragma unroll
                    for (int i = 0; i < VEC / 2; i++) { cc[i] = cs[d / 2 + i]; ss[i] = sn[d / 2 + i]; }
                float a[VEC], w[VEC];
                fv_unpack<TIn>(fv_ld16(q + c), a);
#pragma unroll
                for (int i = 0; i < VEC; i++) a[i] = a[i] * rq;
                if (p.apply_norm && p.q_weight != nullptr)
                {
                    fv_load_f32_n<VEC>(p.q_weight + c, w);
#pragma unroll
                    for (int i = 0; i < VEC; i++) a[i] *= w[i];
                }
                fv_qkv_emit<TOut, VEC>((TOut*)p.q_out + o, a, cc, ss, rope);

                fv_unpack<TIn>(fv_ld16(k + c), a);
#pragma unroll
                for (int i = 0; i < VEC; i++) a[i] = a[i] * rk;
                if (p.apply_norm && p.k_weight != nullptr)
                {
                    fv_load_f32_n<VEC>(p.k_weight + c, w);
#pragma unroll
                    for (int i = 0; i < VEC; i++) a[i] *= w[i];
                }
                fv_qkv_emit<TOut, VEC>((TOut*)p.k_out + o, a, cc, ss, rope);

                fv_unpack<TIn>(fv_ld16(v + c), a);
                fv_store_n<TOut, VEC>((TOut*)p.v_out + o, a);
            }
        }
        else
        {
            for (int c = threadIdx.x * 2; c < HD; c += blockDim.x * 2)
            {
                const int h = c / D, d = c % D;
                const fv_i64 o = (((b * H + h) * (fv_i64)N) + n) * D + d;
                float cc[1], ss[1], a[2];
                if (rope) { cc[0] = cs[d / 2]; ss[0] = sn[d / 2]; }
                a[0] = fv_load(q + c) * rq;
                a[1] = fv_load(q + c + 1) * rq;
                if (p.apply_norm && p.q_weight != nullptr) { a[0] *= p.q_weight[c]; a[1] *= p.q_weight[c + 1]; }
                fv_qkv_emit<TOut, 2>((TOut*)p.q_out + o, a, cc, ss, rope);
                a[0] = fv_load(k + c) * rk;
                a[1] = fv_load(k + c + 1) * rk;
                if (p.apply_norm && p.k_weight != nullptr) { a[0] *= p.k_weight[c]; a[1] *= p.k_weight[c + 1]; }
                fv_qkv_emit<TOut, 2>((TOut*)p.k_out + o, a, cc, ss, rope);
                fv_store((TOut*)p.v_out + o, fv_load(v + c));
                fv_store((TOut*)p.v_out + o + 1, fv_load(v + c + 1));
            }
        }
    }
}

extern "C" __global__ void fv_qkv_norm_rope_f32_f32(const FvQkvNormRopeParams p) { fv_qkv_norm_rope_impl<float, float>(p); }
extern "C" __global__ void fv_qkv_norm_rope_f32_bf16(const FvQkvNormRopeParams p) { fv_qkv_norm_rope_impl<float, fv_bf16>(p); }
extern "C" __global__ void fv_qkv_norm_rope_f32_f16(const FvQkvNormRopeParams p) { fv_qkv_norm_rope_impl<float, fv_f16>(p); }
extern "C" __global__ void fv_qkv_norm_rope_bf16_bf16(const FvQkvNormRopeParams p) { fv_qkv_norm_rope_impl<fv_bf16, fv_bf16>(p); }
extern "C" __global__ void fv_qkv_norm_rope_f16_f16(const FvQkvNormRopeParams p) { fv_qkv_norm_rope_impl<fv_f16, fv_f16>(p); }
