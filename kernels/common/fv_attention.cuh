// fv_attention.cuh — the params struct shared by both flash-attention entry families (mma.sync for sm_80+,
// wgmma for sm_90a): the managed side fills one struct and picks the entry point at run time.
#pragma once
#include "fv_common.cuh"

/// o[b, h, i, :] = Σ_j softmax_j(q[b,h,i]·k[b,h,j]·scale) · v[b,h,j, :] over keys j < kv_len(b), with
/// kv_len(b) = min(nk, kv_lens[b]) when kv_lens is set, else nk (key padding). Non-causal.
/// q, k, v, o: 16-bit (bf16 or f16 by entry point), last dim contiguous (head_dim elements), other dims by the
/// explicit element strides below, so [B, H, N, D] and [B, N, H, D] are both accepted without a copy.
/// lse: [B, H, nq] f32 contiguous, natural log of Σ_j exp(q·k·scale) (−inf for a row with no valid key), or null.
struct FvAttentionParams
{
    const void* q;
    const void* k;
    const void* v;
    void* o;
    float* lse;
    const int* kv_lens;
    fv_i64 q_stride_b, q_stride_h, q_stride_n;
    fv_i64 k_stride_b, k_stride_h, k_stride_n;
    fv_i64 v_stride_b, v_stride_h, v_stride_n;
    fv_i64 o_stride_b, o_stride_h, o_stride_n;
    int batch;
    int heads;
    int nq;
    int nk;
    float scale;
    int reserved;
};
FV_ABI_STATIC_ASSERT(sizeof(FvAttentionParams) == 168, "FvAttentionParams layout is mirrored in C#");
FV_ABI_OFFSET(FvAttentionParams, q_stride_b, 48);
FV_ABI_OFFSET(FvAttentionParams, batch, 144);
FV_ABI_OFFSET(FvAttentionParams, scale, 160);

FV_DEVICE int fv_attn_kv_len(const FvAttentionParams& p, int b)
{
    int n = p.nk;
    if (p.kv_lens != nullptr)
    {
        const int l = p.kv_lens[b];
        n = l < 0 ? 0 : (l < n ? l : n);
    }
    return n;
}

// ---- Ampere-style async copies and tensor-core fragments (sm_80+) --------------------------------------------

#ifdef FV_EMULATE
FV_DEVICE fv_u32 fv_smem_addr(const void* p) { return fv_emu_smem_addr(p); }
#else
FV_DEVICE fv_u32 fv_smem_addr(const void* p) { return (fv_u32)__cvta_generic_to_shared(p); }
#endif

/// 16-byte global → shared copy; `valid` false zero-fills the destination (src is then not read).
FV_DEVICE void fv_cp_async16(fv_u32 dst, const void* src, bool valid)
{
#ifdef FV_EMULATE
    // The hardware needs both addresses 16-byte aligned (else a misaligned-address fault).
    if ((dst & 15u) != 0 || (valid && ((uintptr_t)src & 15u) != 0)) { std::fprintf(stderr, "fv_emu: misaligned cp.async\n"); std::abort(); }
    if (valid) std::memcpy(fv_emu_smem_ptr(dst), src, 16);
    else std::memset(fv_emu_smem_ptr(dst), 0, 16);
#else
    const int n = valid ? 16 : 0;
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(n));
#endif
}
#ifdef FV_EMULATE
FV_DEVICE void fv_cp_async_commit() {}
template <int N> FV_DEVICE void fv_cp_async_wait() {}
#else
FV_DEVICE void fv_cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N> FV_DEVICE void fv_cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N)); }
#endif

FV_DEVICE void fv_ldmatrix_x4(fv_u32 addr, fv_u32& r0, fv_u32& r1, fv_u32& r2, fv_u32& r3)
{
#ifdef FV_EMULATE
    fv_u32 r[4];
    fv_emu_ldmatrix_x4(addr, r, false);
    r0 = r[0]; r1 = r[1]; r2 = r[2]; r3 = r[3];
#else
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(addr));
#endif
}
FV_DEVICE void fv_ldmatrix_x4_trans(fv_u32 addr, fv_u32& r0, fv_u32& r1, fv_u32& r2, fv_u32& r3)
{
#ifdef FV_EMULATE
    fv_u32 r[4];
    fv_emu_ldmatrix_x4(addr, r, true);
    r0 = r[0]; r1 = r[1]; r2 = r[2]; r3 = r[3];
#else
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(addr));
#endif
}

/// d += a·b, m16n8k16, 16-bit operands (T = fv_bf16 or fv_f16), f32 accumulators.
template <typename T> FV_DEVICE void fv_mma16816(float* d, const fv_u32* a, fv_u32 b0, fv_u32 b1);
template <> FV_DEVICE void fv_mma16816<fv_bf16>(float* d, const fv_u32* a, fv_u32 b0, fv_u32 b1)
{
#ifdef FV_EMULATE
    fv_emu_mma16816(d, a, b0, b1, false);
#else
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#endif
}
template <> FV_DEVICE void fv_mma16816<fv_f16>(float* d, const fv_u32* a, fv_u32 b0, fv_u32 b1)
{
#ifdef FV_EMULATE
    fv_emu_mma16816(d, a, b0, b1, true);
#else
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#endif
}

template <typename T> FV_DEVICE fv_u32 fv_pack2(float lo, float hi);
template <> FV_DEVICE fv_u32 fv_pack2<fv_bf16>(float lo, float hi) { return fv_pack_bf16x2(lo, hi); }
template <> FV_DEVICE fv_u32 fv_pack2<fv_f16>(float lo, float hi) { return fv_pack_f16x2(lo, hi); }

#define FV_LOG2E 1.4426950408889634f
#define FV_LN2 0.6931471805599453f
#define FV_NEG_INF (-__int_as_float(0x7f800000))
