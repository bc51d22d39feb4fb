// flash_attn_hopper.cu — flash attention forward for Hopper (sm_90a): wgmma tensor-core products from shared
// memory, a producer warpgroup that streams K/V tiles into a 2-stage ring guarded by mbarriers, and two
// consumer warpgroups that each own 64 query rows (FA3's warp specialisation, without its intra-warpgroup
// ping-pong). Same contract and params as flash_attn_fwd.cu (FvAttentionParams); the managed side selects it
// at run time on compute capability 9.0 when this module is present.
//
// STATUS: UNVERIFIED ON HARDWARE. nvcc 11.8 (this project's CI) cannot compile sm_90a; CMake builds this file
//   only with nvcc >= 12 and NVRTC >= 12. It compiles cleanly with nvcc 12.4 and NVRTC 12.4 on a machine
//   without a GPU (scripts/nvcc12-local.sh: no spills, HGMMA in the SASS; docs/GPU.md), but has never run. It
//   passes the attention lab on the CPU emulator (kernels/dev/run_emu.sh: mbarrier protocol, warpgroup roles,
//   masking, output), whose wgmma follows the PTX ISA's descriptor / canonical-layout definitions — the same
//   reading this kernel was written from, so the swizzle and descriptor fields are the part only a GPU can
//   confirm. Run kernels/dev/run_lab.sh on an H100/H200 (it adds this kernel to the attention lab) before
//   enabling it; until then the mma.sync kernel is the one to use.
// Entry points: fv_flash_attn_hopper_{bf16,f16}_d{64,128}.
// Launch: grid (ceil(nq / 128), heads, batch), block 384 (warpgroup 0 = producer, 1–2 = consumers),
//   dynamic shared memory 2·D·(128 + 2·2·64) + 1024 bytes (D = 128: 99 328 B), which needs
//   CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES raised first.
// Layouts in shared memory: every tile is stored as column blocks of 64 elements (128 bytes) per row, rows
//   128 bytes apart, 16-byte chunks XOR-swizzled by (row mod 8) — the 128-byte swizzle wgmma descriptors
//   describe; tiles are 1024-byte aligned. Q and K are read K-major (S = Q·Kᵀ, no transpose), V MN-major
//   (transpose-B) for O += P·V with P from registers (the S accumulators converted in place).
// Why no TMA: the producer moves tiles with 16-byte cp.async into the swizzled layout, then fences the async
//   proxy (fence.proxy.async) and arrives on the stage's mbarrier. TMA would need host-built tensor maps
//   (cuTensorMapEncodeTiled) per q/k/v tensor in the params; cp.async keeps one params struct for both
//   attention kernels. A TMA producer is the next step if the lab shows the producer as the bottleneck.
// Numerics: as flash_attn_fwd.cu (f32 scores/accumulators, base-2 online softmax, P rounded to the input type).
#include "fv_common.cuh"
#include "fv_attention.cuh"

#define FV_FH_BLOCK_M 128 // query rows per block: 64 per consumer warpgroup (the wgmma M)
#define FV_FH_BLOCK_N 64  // keys per K/V tile
#define FV_FH_STAGES 2
#define FV_FH_THREADS 384
#ifndef FV_FH_SETMAXNREG
#define FV_FH_SETMAXNREG 1 // producer gives registers to the consumers (needs __launch_bounds__(384, 1))
#endif

#if (defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)) || defined(FV_EMULATE)
#define FV_FH_ENABLED 1
#include "fv_wgmma.cuh"

#ifdef FV_EMULATE // kernels/dev/emu/fv_emu_sm90.h
FV_DEVICE void fv_mbar_init(fv_u32 bar, int count) { fv_emu_mbar_init(bar, count); }
FV_DEVICE void fv_mbar_arrive(fv_u32 bar) { fv_emu_mbar_arrive(bar); }
FV_DEVICE void fv_mbar_wait(fv_u32 bar, fv_u32 parity) { fv_emu_mbar_wait(bar, parity); }
FV_DEVICE void fv_fence_proxy_async() {}
FV_DEVICE void fv_wgmma_fence() {}
FV_DEVICE void fv_wgmma_commit() {}
FV_DEVICE void fv_wgmma_wait0() {}
#else
FV_DEVICE void fv_mbar_init(fv_u32 bar, int count) { asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count)); }
FV_DEVICE void fv_mbar_arrive(fv_u32 bar)
{
    asm volatile("{\n.reg .b64 st;\nmbarrier.arrive.shared::cta.b64 st, [%0];\n}\n" ::"r"(bar) : "memory");
}
FV_DEVICE void fv_mbar_wait(fv_u32 bar, fv_u32 parity)
{
    fv_u32 done = 0;
    while (!done)
        asm volatile("{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}\n"
                     : "=r"(done) : "r"(bar), "r"(parity) : "memory");
}
FV_DEVICE void fv_fence_proxy_async() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }
FV_DEVICE void fv_wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
FV_DEVICE void fv_wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
FV_DEVICE void fv_wgmma_wait0() { asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory"); }
#endif

/// Shared-memory matrix descriptor, 128-byte swizzle: start address, leading/stride byte offsets (16-byte units).
FV_DEVICE fv_u64 fv_gmma_desc(fv_u32 addr, fv_u32 lbo, fv_u32 sbo)
{
    fv_u64 d = 0;
    d |= (fv_u64)((addr & 0x3FFFF) >> 4);
    d |= (fv_u64)((lbo >> 4) & 0x3FFF) << 16;
    d |= (fv_u64)((sbo >> 4) & 0x3FFF) << 32;
    d |= (fv_u64)1 << 62; // layout type 1: 128-byte swizzle
    return d;
}

/// Byte offset of 16-byte chunk c (of D/8) of row r in a swizzled tile of `rows` rows.
FV_DEVICE fv_u32 fv_swz(int r, int c, int rows) { return (fv_u32)((c >> 3) * rows * 128 + r * 128 + (((c & 7) ^ (r & 7)) << 4)); }

/// The producer warpgroup's 128 threads copy rows [row0, row0 + rows) of a [*, D] matrix into a swizzled tile;
/// rows at or past `limit` are zero-filled.
template <int D>
FV_DEVICE void fv_fh_load(fv_u32 tile, const fv_u16* src, fv_i64 stride, int row0, int rows, int limit, int ptid)
{
    constexpr int CH = D / 8;
    for (int i = ptid; i < rows * CH; i += 128)
    {
        const int r = i / CH, c = i % CH;
        const bool valid = row0 + r < limit;
        fv_cp_async16(tile + fv_swz(r, c, rows), valid ? src + (fv_i64)(row0 + r) * stride + c * 8 : src, valid);
    }
}

/// S (64 × 64 per warpgroup) = Q·Kᵀ over D: D/16 k-steps; a k-step is 32 bytes inside a 128-byte row, and every
/// 4 steps move to the next 64-element column block (Q: 128 rows, K: 64 rows per block).
template <typename T, int D>
FV_DEVICE void fv_fh_qk_impl(float* s, fv_u32 q_tile, fv_u32 k_tile)
{
#pragma unroll
    for (int kk = 0; kk < D / 16; kk++)
    {
        const fv_u32 qa = q_tile + (kk >> 2) * FV_FH_BLOCK_M * 128 + (kk & 3) * 32;
        const fv_u32 ka = k_tile + (kk >> 2) * FV_FH_BLOCK_N * 128 + (kk & 3) * 32;
        const fv_u64 da = fv_gmma_desc(qa, 16, 1024), db = fv_gmma_desc(ka, 16, 1024);
        if constexpr (fv_elem<T>::dtype == FV_DT_BF16) fv_wgmma_ss_m64n64k16_bf16(s, da, db);
        else fv_wgmma_ss_m64n64k16_f16(s, da, db);
    }
}

/// O (64 × D) += P (64 × 64, registers) · V (64 keys × D, MN-major): 4 k-steps of 16 keys = 2048 bytes each;
/// the N extent crosses D/64 column blocks spaced FV_FH_BLOCK_N·128 bytes apart (LBO).
template <typename T, int D>
FV_DEVICE void fv_fh_pv_impl(float* o, const fv_u32 (*a)[4], fv_u32 v_tile)
{
#pragma unroll
    for (int kk = 0; kk < FV_FH_BLOCK_N / 16; kk++)
    {
        const fv_u64 db = fv_gmma_desc(v_tile + kk * 16 * 128, FV_FH_BLOCK_N * 128, 1024);
        if constexpr (D == 64)
        {
            if constexpr (fv_elem<T>::dtype == FV_DT_BF16) fv_wgmma_rs_m64n64k16_bf16_tb(o, a[kk], db);
            else fv_wgmma_rs_m64n64k16_f16_tb(o, a[kk], db);
        }
        else
        {
            if constexpr (fv_elem<T>::dtype == FV_DT_BF16) fv_wgmma_rs_m64n128k16_bf16_tb(o, a[kk], db);
            else fv_wgmma_rs_m64n128k16_f16_tb(o, a[kk], db);
        }
    }
}

template <typename T, int D>
__device__ void fv_flash_attn_hopper_impl(const FvAttentionParams& p)
{
    constexpr int Q_BYTES = FV_FH_BLOCK_M * D * 2, KV_BYTES = FV_FH_BLOCK_N * D * 2;
#ifdef FV_EMULATE
    unsigned char* fv_fh_smem = fv_emu_dynamic_smem;
#else
    extern __shared__ __align__(16) unsigned char fv_fh_smem[];
#endif
    __shared__ __align__(8) fv_u64 bars[1 + 2 * FV_FH_STAGES]; // q_full, full[stage], empty[stage]

    const fv_u32 raw = fv_smem_addr(fv_fh_smem);
    const fv_u32 base = (raw + 1023u) & ~1023u;
    const fv_u32 sQ = base;
    const fv_u32 sK0 = sQ + Q_BYTES;                      // K stages, then V stages
    const fv_u32 sV0 = sK0 + FV_FH_STAGES * KV_BYTES;
    const fv_u32 bar_q = fv_smem_addr(&bars[0]);
    auto bar_full = [&](int s) { return fv_smem_addr(&bars[1 + s]); };
    auto bar_empty = [&](int s) { return fv_smem_addr(&bars[1 + FV_FH_STAGES + s]); };

    const int b = blockIdx.z, h = blockIdx.y, m0 = blockIdx.x * FV_FH_BLOCK_M;
    const int kv_len = fv_attn_kv_len(p, b);
    const int n_tiles = (kv_len + FV_FH_BLOCK_N - 1) / FV_FH_BLOCK_N;
    const int wg = threadIdx.x / 128;

    if (threadIdx.x == 0)
    {
        fv_mbar_init(bar_q, 128);
        for (int s = 0; s < FV_FH_STAGES; s++)
        {
            fv_mbar_init(bar_full(s), 128); // every producer thread arrives once its copies landed
            fv_mbar_init(bar_empty(s), 8);  // lane 0 of each of the 8 consumer warps
        }
    }
    __syncthreads();

    if (wg == 0)
    {
        // ---- producer ----
#if FV_FH_SETMAXNREG && !defined(FV_EMULATE)
        asm volatile("setmaxnreg.dec.sync.aligned.u32 56;\n");
#endif
        const int ptid = threadIdx.x;
        const fv_u16* q = (const fv_u16*)p.q + b * p.q_stride_b + h * p.q_stride_h;
        const fv_u16* k = (const fv_u16*)p.k + b * p.k_stride_b + h * p.k_stride_h;
        const fv_u16* v = (const fv_u16*)p.v + b * p.v_stride_b + h * p.v_stride_h;
        fv_fh_load<D>(sQ, q, p.q_stride_n, m0, FV_FH_BLOCK_M, p.nq, ptid);
        fv_cp_async_commit();
        fv_cp_async_wait<0>();
        fv_fence_proxy_async(); // generic-proxy writes (cp.async) before async-proxy reads (wgmma)
        fv_mbar_arrive(bar_q);
        for (int j = 0; j < n_tiles; j++)
        {
            const int s = j % FV_FH_STAGES;
            if (j >= FV_FH_STAGES) fv_mbar_wait(bar_empty(s), (fv_u32)((j / FV_FH_STAGES - 1) & 1));
            fv_fh_load<D>(sK0 + s * KV_BYTES, k, p.k_stride_n, j * FV_FH_BLOCK_N, FV_FH_BLOCK_N, kv_len, ptid);
            fv_fh_load<D>(sV0 + s * KV_BYTES, v, p.v_stride_n, j * FV_FH_BLOCK_N, FV_FH_BLOCK_N, kv_len, ptid);
            fv_cp_async_commit();
            fv_cp_async_wait<0>();
            fv_fence_proxy_async();
            fv_mbar_arrive(bar_full(s));
        }
        return;
    }

    // ---- consumers: warpgroup wg ∈ {1, 2} owns query rows [m0 + 64(wg − 1), +64) ----
#if FV_FH_SETMAXNREG && !defined(FV_EMULATE)
    asm volatile("setmaxnreg.inc.sync.aligned.u32 224;\n");
#endif
    const int cw = wg - 1;
    const int warp = (threadIdx.x / 32) % 4, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    const fv_u32 q_tile = sQ + cw * 64 * 128; // 64-row slice of every column block (8 KiB: 1024-aligned)
    float acc_o[D / 2];
#pragma unroll
    for (int i = 0; i < D / 2; i++) acc_o[i] = 0.f;
    float m_i[2] = {FV_NEG_INF, FV_NEG_INF}, l_i[2] = {0.f, 0.f};
    const float sl2 = p.scale * FV_LOG2E;

    fv_mbar_wait(bar_q, 0);
    for (int j = 0; j < n_tiles; j++)
    {
        const int s = j % FV_FH_STAGES, key0 = j * FV_FH_BLOCK_N;
        fv_mbar_wait(bar_full(s), (fv_u32)((j / FV_FH_STAGES) & 1));

        float sc[32]; // S: 8 n-tiles × 4, the mma.sync C layout per warp (rows g, g + 8 of the warp's 16)
#pragma unroll
        for (int i = 0; i < 32; i++) sc[i] = 0.f;
        fv_wgmma_fence();
        fv_fh_qk_impl<T, D>(sc, q_tile, sK0 + s * KV_BYTES);
        fv_wgmma_commit();
        fv_wgmma_wait0();

        if (key0 + FV_FH_BLOCK_N > kv_len)
        {
#pragma unroll
            for (int i = 0; i < 32; i++)
                if (key0 + (i / 4) * 8 + 2 * t + (i & 1) >= kv_len) sc[i] = FV_NEG_INF;
        }
#pragma unroll
        for (int r = 0; r < 2; r++)
        {
            float mx = FV_NEG_INF;
#pragma unroll
            for (int nt = 0; nt < 8; nt++) mx = fmaxf(mx, fmaxf(sc[nt * 4 + 2 * r], sc[nt * 4 + 2 * r + 1]));
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
            const float m_new = fmaxf(m_i[r], mx * sl2);
            const float base_m = m_new == FV_NEG_INF ? 0.f : m_new;
            const float alpha = exp2f(m_i[r] - base_m);
            float sum = 0.f;
#pragma unroll
            for (int nt = 0; nt < 8; nt++)
            {
                sc[nt * 4 + 2 * r] = exp2f(fmaf(sc[nt * 4 + 2 * r], sl2, -base_m));
                sc[nt * 4 + 2 * r + 1] = exp2f(fmaf(sc[nt * 4 + 2 * r + 1], sl2, -base_m));
                sum += sc[nt * 4 + 2 * r] + sc[nt * 4 + 2 * r + 1];
            }
            l_i[r] = l_i[r] * alpha + sum;
            m_i[r] = m_new;
#pragma unroll
            for (int dt = 0; dt < D / 8; dt++)
            {
                acc_o[dt * 4 + 2 * r] *= alpha;
                acc_o[dt * 4 + 2 * r + 1] *= alpha;
            }
        }
        fv_u32 a[4][4];
#pragma unroll
        for (int kk = 0; kk < 4; kk++)
        {
            a[kk][0] = fv_pack2<T>(sc[(2 * kk) * 4 + 0], sc[(2 * kk) * 4 + 1]);
            a[kk][1] = fv_pack2<T>(sc[(2 * kk) * 4 + 2], sc[(2 * kk) * 4 + 3]);
            a[kk][2] = fv_pack2<T>(sc[(2 * kk + 1) * 4 + 0], sc[(2 * kk + 1) * 4 + 1]);
            a[kk][3] = fv_pack2<T>(sc[(2 * kk + 1) * 4 + 2], sc[(2 * kk + 1) * 4 + 3]);
        }
        fv_wgmma_fence();
        fv_fh_pv_impl<T, D>(acc_o, a, sV0 + s * KV_BYTES);
        fv_wgmma_commit();
        fv_wgmma_wait0();
        __syncwarp();
        if (lane == 0) fv_mbar_arrive(bar_empty(s)); // this warp is done with stage s
    }

    // Normalise and store straight from the accumulators (4-byte stores of two adjacent columns).
    fv_u16* o = (fv_u16*)p.o + b * p.o_stride_b + h * p.o_stride_h;
#pragma unroll
    for (int r = 0; r < 2; r++)
    {
        float l = l_i[r];
        l += __shfl_xor_sync(0xffffffffu, l, 1);
        l += __shfl_xor_sync(0xffffffffu, l, 2);
        const float inv = l > 0.f ? 1.f / l : 0.f;
        const int row = m0 + cw * 64 + warp * 16 + g + 8 * r;
        if (row >= p.nq) continue;
        if (p.lse != nullptr && t == 0)
            p.lse[((fv_i64)b * p.heads + h) * p.nq + row] = l > 0.f ? (m_i[r] + log2f(l)) * FV_LN2 : FV_NEG_INF;
#pragma unroll
        for (int dt = 0; dt < D / 8; dt++)
            *(fv_u32*)(o + (fv_i64)row * p.o_stride_n + dt * 8 + 2 * t) =
                fv_pack2<T>(acc_o[dt * 4 + 2 * r] * inv, acc_o[dt * 4 + 2 * r + 1] * inv);
    }
}
#endif // sm_90a

#ifdef FV_FH_ENABLED
#define FV_FH_BODY(T, D) fv_flash_attn_hopper_impl<T, D>(p);
#else
// Not sm_90a (host pass, or an NVRTC/nvcc target without wgmma): the entry points exist but trap if launched.
#define FV_FH_BODY(T, D) { (void)p; __trap(); }
#endif

#define FV_FH_ENTRY(name, T, D)                                                                    \
    extern "C" __global__ void __launch_bounds__(FV_FH_THREADS, 1) name(const FvAttentionParams p) \
    {                                                                                              \
        FV_FH_BODY(T, D)                                                                           \
    }
FV_FH_ENTRY(fv_flash_attn_hopper_bf16_d64, fv_bf16, 64)
FV_FH_ENTRY(fv_flash_attn_hopper_bf16_d128, fv_bf16, 128)
FV_FH_ENTRY(fv_flash_attn_hopper_f16_d64, fv_f16, 64)
FV_FH_ENTRY(fv_flash_attn_hopper_f16_d128, fv_f16, 128)
