// flash_attn_fwd.cu — flash attention forward on tensor cores (mma.sync m16n8k16, sm_80+), non-causal,
// optional key padding per batch, f32 accumulation and online softmax; bf16 or f16 in and out.
//
// Contract: FvAttentionParams (common/fv_attention.cuh). CPU twin: IBackend.Attention (mask = a key-padding
//   mask: −inf at keys ≥ kv_len(b); rows with no valid key give 0 as PyTorch SDPA; the CPU twin is f32, so
//   parity is checked at bf16/f16 tolerance against its result on the upcast inputs).
// Entry points: fv_flash_attn_fwd_{bf16,f16}_d{64,128}.
// Layouts: q, k, v, o 16-bit with the head dim contiguous; base pointers and the b/h/n strides must keep every
//   row 16-byte aligned (strides multiples of 8 elements, pointers 16-byte aligned): rows are moved with
//   16-byte cp.async. lse [B, H, nq] f32 contiguous or null.
// Launch: grid (ceil(nq / 64), heads, batch), block 128 threads (4 warps), static shared memory only
//   (D = 128: 34 816 B; D = 64: 18 432 B), no opt-in needed.
// Tiles, and why: a block owns 64 query rows, 16 per warp (one m16 row-fragment each, so a row's softmax
//   statistics live in 4 lanes and reduce with two shuffles); keys stream in tiles of 64. Q stays in registers
//   for the whole loop (D/16 A-fragments). K and V tiles sit in shared memory with rows padded by 16 bytes so
//   the 8 rows an ldmatrix phase reads fall in distinct banks. V_j is fetched while S = Q·K_jᵀ runs and
//   K_{j+1} while the softmax and P·V_j run (two cp.async groups in flight, FA2's schedule). 64×64 tiles keep
//   registers at ≈ 170 for D = 128 (O: 64, S: 32, Q: 32 f32/b32 per thread) so 2–3 blocks fit per SM.
// Numerics: scores in f32; softmax in base 2 (scale·log2 e folded into one multiply); P rounded to the input
//   type for the P·V product (as FlashAttention); O normalised by the f32 row sum at the end.
//   Built with --use_fast_math: exp2/rcp approximations are far below bf16 rounding.
#include "fv_common.cuh"
#include "fv_attention.cuh"

#define FV_FA_BLOCK_M 64
#define FV_FA_BLOCK_N 64
#define FV_FA_THREADS 128

/// Copies rows [row0, row0 + 64) of a [rows, D] 16-bit matrix (row stride `stride` elements) into shared
/// memory with row pitch D + 8; rows at or past `limit` are zero-filled.
template <int D>
FV_DEVICE void fv_fa_load_tile(fv_u16* smem, const fv_u16* src, fv_i64 stride, int row0, int limit)
{
    constexpr int PITCH = D + 8, CHUNKS = D / 8; // 16-byte chunks per row
    for (int i = threadIdx.x; i < FV_FA_BLOCK_M * CHUNKS; i += FV_FA_THREADS)
    {
        const int r = i / CHUNKS, c = i % CHUNKS;
        const bool valid = row0 + r < limit;
        const fv_u16* g = valid ? src + (fv_i64)(row0 + r) * stride + c * 8 : src;
        fv_cp_async16(fv_smem_addr(smem + r * PITCH + c * 8), g, valid);
    }
}

template <typename T, int D>
__device__ void fv_flash_attn_fwd_impl(const FvAttentionParams& p)
{
    constexpr int PITCH = D + 8;
    constexpr int KT = D / 16;              // k-steps of Q·Kᵀ
    constexpr int NT = FV_FA_BLOCK_N / 8;   // n-tiles of S (8 keys each)
    constexpr int DT = D / 8;               // n-tiles of O (8 dims each)
    __shared__ __align__(16) fv_u16 sK[FV_FA_BLOCK_N * PITCH];
    __shared__ __align__(16) fv_u16 sV[FV_FA_BLOCK_N * PITCH];

    const int b = blockIdx.z, h = blockIdx.y, m0 = blockIdx.x * FV_FA_BLOCK_M;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const int kv_len = fv_attn_kv_len(p, b);
    const fv_u16* q = (const fv_u16*)p.q + b * p.q_stride_b + h * p.q_stride_h;
    const fv_u16* k = (const fv_u16*)p.k + b * p.k_stride_b + h * p.k_stride_h;
    const fv_u16* v = (const fv_u16*)p.v + b * p.v_stride_b + h * p.v_stride_h;

    // Q tile through sK into registers (A fragments), then sK is free for the first K tile.
    fv_fa_load_tile<D>(sK, q, p.q_stride_n, m0, p.nq);
    fv_cp_async_commit();
    fv_cp_async_wait<0>();
    __syncthreads();
    fv_u32 qf[KT][4];
    {
        const int row = warp * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
#pragma unroll
        for (int kk = 0; kk < KT; kk++)
            fv_ldmatrix_x4(fv_smem_addr(sK + row * PITCH + kk * 16 + (lane >> 4) * 8), qf[kk][0], qf[kk][1], qf[kk][2], qf[kk][3]);
    }
    __syncthreads();

    const int n_tiles = (kv_len + FV_FA_BLOCK_N - 1) / FV_FA_BLOCK_N;
    if (n_tiles > 0) fv_fa_load_tile<D>(sK, k, p.k_stride_n, 0, kv_len);
    fv_cp_async_commit();

    float acc_o[DT][4];
#pragma unroll
    for (int i = 0; i < DT; i++) acc_o[i][0] = acc_o[i][1] = acc_o[i][2] = acc_o[i][3] = 0.f;
    float m_i[2] = {FV_NEG_INF, FV_NEG_INF}, l_i[2] = {0.f, 0.f};
    const float sl2 = p.scale * FV_LOG2E;

    for (int j = 0; j < n_tiles; j++)
    {
        const int key0 = j * FV_FA_BLOCK_N;
        fv_cp_async_wait<0>(); // K_j landed (this thread's copies) ...
        __syncthreads();       // ... and everyone's; every warp is also done with V_{j-1}
        fv_fa_load_tile<D>(sV, v, p.v_stride_n, key0, kv_len);
        fv_cp_async_commit();

        // S = Q·K_jᵀ (16 rows × 64 keys per warp).
        float s[NT][4];
#pragma unroll
        for (int i = 0; i < NT; i++) s[i][0] = s[i][1] = s[i][2] = s[i][3] = 0.f;
#pragma unroll
        for (int kk = 0; kk < KT; kk++)
        {
#pragma unroll
            for (int nt = 0; nt < NT; nt += 2)
            {
                fv_u32 b0, b1, b2, b3;
                const int key = nt * 8 + (lane & 7) + (lane >> 4) * 8;
                const int col = kk * 16 + ((lane >> 3) & 1) * 8;
                fv_ldmatrix_x4(fv_smem_addr(sK + key * PITCH + col), b0, b1, b2, b3);
                fv_mma16816<T>(s[nt], qf[kk], b0, b1);
                fv_mma16816<T>(s[nt + 1], qf[kk], b2, b3);
            }
        }
        __syncthreads(); // every warp is done reading sK: fetch K_{j+1} under the softmax and P·V
        if (j + 1 < n_tiles) fv_fa_load_tile<D>(sK, k, p.k_stride_n, key0 + FV_FA_BLOCK_N, kv_len);
        fv_cp_async_commit(); // possibly empty: keeps "wait_group 1" meaning "V_j has landed"

        // Key padding: scores of keys ≥ kv_len become −inf.
        if (key0 + FV_FA_BLOCK_N > kv_len)
        {
#pragma unroll
            for (int nt = 0; nt < NT; nt++)
#pragma unroll
                for (int e = 0; e < 4; e++)
                    if (key0 + nt * 8 + 2 * t + (e & 1) >= kv_len) s[nt][e] = FV_NEG_INF;
        }

        // Online softmax; thread rows: r = 0 → row g (s[.][0..1]), r = 1 → row g + 8 (s[.][2..3]).
#pragma unroll
        for (int r = 0; r < 2; r++)
        {
            float mx = FV_NEG_INF;
#pragma unroll
            for (int nt = 0; nt < NT; nt++) mx = fmaxf(mx, fmaxf(s[nt][2 * r], s[nt][2 * r + 1]));
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
            const float m_new = fmaxf(m_i[r], mx * sl2);
            // A row with no finite score yet keeps base 0 so that exp2(−inf − base) = 0, never NaN.
            const float base = m_new == FV_NEG_INF ? 0.f : m_new;
            const float alpha = exp2f(m_i[r] - base);
            float sum = 0.f;
#pragma unroll
            for (int nt = 0; nt < NT; nt++)
            {
                s[nt][2 * r] = exp2f(fmaf(s[nt][2 * r], sl2, -base));
                s[nt][2 * r + 1] = exp2f(fmaf(s[nt][2 * r + 1], sl2, -base));
                sum += s[nt][2 * r] + s[nt][2 * r + 1];
            }
            l_i[r] = l_i[r] * alpha + sum; // per-lane partial; the 4 lanes of a row are summed at the end
            m_i[r] = m_new;
#pragma unroll
            for (int dt = 0; dt < DT; dt++)
            {
                acc_o[dt][2 * r] *= alpha;
                acc_o[dt][2 * r + 1] *= alpha;
            }
        }

        fv_cp_async_wait<1>(); // V_j landed (K_{j+1} may still be in flight)
        __syncthreads();

        // O += P·V_j: the S accumulators of n-tiles (2kk, 2kk+1) are exactly the A fragment of k-step kk.
#pragma unroll
        for (int kk = 0; kk < FV_FA_BLOCK_N / 16; kk++)
        {
            fv_u32 a[4];
            a[0] = fv_pack2<T>(s[2 * kk][0], s[2 * kk][1]);
            a[1] = fv_pack2<T>(s[2 * kk][2], s[2 * kk][3]);
            a[2] = fv_pack2<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]);
            a[3] = fv_pack2<T>(s[2 * kk + 1][2], s[2 * kk + 1][3]);
#pragma unroll
            for (int dt = 0; dt < DT; dt += 2)
            {
                fv_u32 b0, b1, b2, b3;
                const int key = kk * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
                const int col = dt * 8 + (lane >> 4) * 8;
                fv_ldmatrix_x4_trans(fv_smem_addr(sV + key * PITCH + col), b0, b1, b2, b3);
                fv_mma16816<T>(acc_o[dt], a, b0, b1);
                fv_mma16816<T>(acc_o[dt + 1], a, b2, b3);
            }
        }
    }
    fv_cp_async_wait<0>();

    // Finish: full row sums, normalise, stage the 64×D tile through sK for 16-byte coalesced stores.
    float inv[2];
#pragma unroll
    for (int r = 0; r < 2; r++)
    {
        float l = l_i[r];
        l += __shfl_xor_sync(0xffffffffu, l, 1);
        l += __shfl_xor_sync(0xffffffffu, l, 2);
        inv[r] = l > 0.f ? 1.f / l : 0.f;
        const int row = m0 + warp * 16 + g + 8 * r;
        if (p.lse != nullptr && t == 0 && row < p.nq)
            p.lse[((fv_i64)b * p.heads + h) * p.nq + row] = l > 0.f ? (m_i[r] + log2f(l)) * FV_LN2 : FV_NEG_INF;
    }
    __syncthreads(); // all warps done with sK/sV
#pragma unroll
    for (int dt = 0; dt < DT; dt++)
    {
        const int col = dt * 8 + 2 * t;
        *(fv_u32*)(sK + (warp * 16 + g) * PITCH + col) = fv_pack2<T>(acc_o[dt][0] * inv[0], acc_o[dt][1] * inv[0]);
        *(fv_u32*)(sK + (warp * 16 + g + 8) * PITCH + col) = fv_pack2<T>(acc_o[dt][2] * inv[1], acc_o[dt][3] * inv[1]);
    }
    __syncthreads();
    fv_u16* o = (fv_u16*)p.o + b * p.o_stride_b + h * p.o_stride_h;
    constexpr int CHUNKS = D / 8;
    for (int i = threadIdx.x; i < FV_FA_BLOCK_M * CHUNKS; i += FV_FA_THREADS)
    {
        const int r = i / CHUNKS, c = i % CHUNKS;
        if (m0 + r < p.nq) fv_st16(o + (fv_i64)(m0 + r) * p.o_stride_n + c * 8, fv_ld16(sK + r * PITCH + c * 8));
    }
}

#define FV_FA_ENTRY(name, T, D)                                                                 \
    extern "C" __global__ void __launch_bounds__(FV_FA_THREADS) name(const FvAttentionParams p) \
    {                                                                                           \
        fv_flash_attn_fwd_impl<T, D>(p);                                                        \
    }
FV_FA_ENTRY(fv_flash_attn_fwd_bf16_d64, fv_bf16, 64)
FV_FA_ENTRY(fv_flash_attn_fwd_bf16_d128, fv_bf16, 128)
FV_FA_ENTRY(fv_flash_attn_fwd_f16_d64, fv_f16, 64)
FV_FA_ENTRY(fv_flash_attn_fwd_f16_d128, fv_f16, 128)
