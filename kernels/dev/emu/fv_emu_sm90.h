// fv_emu_sm90.h — the sm_90a pieces flash_attn_hopper.cu uses, for the CPU emulator (included by fv_emu.h):
// mbarriers (arrival counts and phase parity), wgmma from shared-memory descriptors with the 128-byte swizzle
// (K-major A/B, MN-major transposed B) and from register A fragments. wgmma runs synchronously here, so
// fence/commit/wait are no-ops. These follow the PTX ISA's descriptor and canonical-layout definitions; the
// emulator checks the kernel's protocol and indexing against them, not against hardware.
#pragma once

// ---- mbarrier: 64-bit word = pending (bits 0..30) | expected (bits 32..62) | phase (bit 63) ---------------

inline uint64_t* fv_emu_mbar(uint32_t addr) { return (uint64_t*)fv_emu_smem_ptr(addr); }
inline void fv_emu_mbar_init(uint32_t addr, int count) { *fv_emu_mbar(addr) = ((uint64_t)count << 32) | (uint64_t)count; }
inline void fv_emu_mbar_arrive(uint32_t addr)
{
    uint64_t v = *fv_emu_mbar(addr);
    uint64_t pending = v & 0x7fffffffull, expected = (v >> 32) & 0x7fffffffull, phase = v >> 63;
    if (pending == 0) { std::fprintf(stderr, "fv_emu: mbarrier over-arrived\n"); std::abort(); }
    if (--pending == 0) { pending = expected; phase ^= 1; }
    *fv_emu_mbar(addr) = (phase << 63) | (expected << 32) | pending;
}
/// try_wait.parity P: true once the phase with parity P has completed (the current phase bit differs from P).
inline void fv_emu_mbar_wait(uint32_t addr, uint32_t parity)
{
    for (long spins = 0; (uint32_t)(*fv_emu_mbar(addr) >> 63) == parity; spins++)
    {
        if (spins > 100000000) { std::fprintf(stderr, "fv_emu: mbarrier wait never completes (deadlock)\n"); std::abort(); }
        fv_emu_yield();
    }
}

// ---- wgmma ----------------------------------------------------------------------------------------------

inline uint32_t fv_emu_desc_start(uint64_t d) { return (uint32_t)(d & 0x3FFF) << 4; }
inline uint32_t fv_emu_desc_lbo(uint64_t d) { return (uint32_t)((d >> 16) & 0x3FFF) << 4; }
inline uint32_t fv_emu_desc_sbo(uint64_t d) { return (uint32_t)((d >> 32) & 0x3FFF) << 4; }
/// Swizzle<3,4,3>: address bits [4:6] XOR bits [7:9] (the 128-byte swizzle of a 1024-byte-aligned atom).
inline uint32_t fv_emu_swizzle128(uint32_t a) { return a ^ (((a >> 7) & 7u) << 4); }
inline float fv_emu_ld16bit(uint32_t a, bool f16)
{
    const uint16_t bits = *(const uint16_t*)fv_emu_smem_ptr(fv_emu_swizzle128(a));
    return f16 ? fv_emu_f16_to_f32(bits) : __uint_as_float((uint32_t)bits << 16);
}
inline void fv_emu_desc_check(uint64_t d)
{
    if ((d >> 62) != 1) { std::fprintf(stderr, "fv_emu: wgmma descriptor is not 128-byte swizzle\n"); std::abort(); }
}
/// K-major canonical layout ((8, m), (T, 2k)) : ((8T, SBO), (1, T)), 16-byte units, T = 8 elements: rows 128 B
/// apart, groups of 8 rows SBO apart, k contiguous within the 128-byte row.
inline float fv_emu_kmajor(uint64_t d, int row, int k, bool f16)
{
    return fv_emu_ld16bit(fv_emu_desc_start(d) + (uint32_t)(row / 8) * fv_emu_desc_sbo(d) + (uint32_t)(row % 8) * 128 + (uint32_t)k * 2, f16);
}
/// MN-major canonical layout ((T, 8, m), (8, k)) : ((1, T, LBO), (8T, SBO)): n contiguous in 64-element
/// (128-byte) rows, 64-wide blocks LBO apart; k rows 128 B apart, groups of 8 rows SBO apart.
inline float fv_emu_mnmajor(uint64_t d, int n, int k, bool f16)
{
    return fv_emu_ld16bit(fv_emu_desc_start(d) + (uint32_t)(n / 64) * fv_emu_desc_lbo(d) + (uint32_t)(n % 64) * 2
        + (uint32_t)(k % 8) * 128 + (uint32_t)(k / 8) * fv_emu_desc_sbo(d), f16);
}

/// D (64 × N, this thread's accumulator fragment) += A (64 × 16, K-major smem) · B (N × 16, K-major smem)ᵀ.
/// Accumulator fragment: warp w of the warpgroup owns rows 16w..16w+15; d[4j + i] is row 16w + g (+8 for
/// i ≥ 2), column 8j + 2t + (i & 1), g = lane / 4, t = lane % 4.
inline void fv_emu_wgmma_ss(float* d, int n, uint64_t da, uint64_t db, bool f16)
{
    fv_emu_desc_check(da);
    fv_emu_desc_check(db);
    const int w = fv_emu_warp() % 4, g = fv_emu_lane() / 4, t = fv_emu_lane() % 4;
    for (int j = 0; j < n / 8; j++)
        for (int i = 0; i < 4; i++)
        {
            const int row = 16 * w + g + (i >= 2 ? 8 : 0), col = 8 * j + 2 * t + (i & 1);
            float acc = d[4 * j + i];
            for (int k = 0; k < 16; k++) acc += fv_emu_kmajor(da, row, k, f16) * fv_emu_kmajor(db, col, k, f16);
            d[4 * j + i] = acc;
        }
}

/// D (64 × N) += A (64 × 16 from registers: per warp the mma.m16n8k16 A-fragment of its 16 rows) · B (16 × N,
/// MN-major smem, transpose-B).
inline void fv_emu_wgmma_rs_tb(float* d, int n, const uint32_t* a, uint64_t db, bool f16)
{
    fv_emu_desc_check(db);
    const int lane = fv_emu_lane(), g = lane / 4, t = lane % 4;
    uint64_t* s = fv_emu_slot(lane);
    for (int i = 0; i < 4; i++) s[i] = a[i];
    fv_emu_warp_sync();
    auto cvt = [&](uint32_t bits) { return f16 ? fv_emu_f16_to_f32((uint16_t)bits) : __uint_as_float(bits << 16); };
    float A[16][16];
    for (int l = 0; l < 32; l++)
    {
        const uint64_t* o = fv_emu_slot(l);
        const int lg = l / 4, lt = l % 4;
        for (int h = 0; h < 2; h++)
        {
            A[lg][2 * lt + h] = cvt((uint32_t)(o[0] >> (16 * h)) & 0xffff);
            A[lg + 8][2 * lt + h] = cvt((uint32_t)(o[1] >> (16 * h)) & 0xffff);
            A[lg][2 * lt + 8 + h] = cvt((uint32_t)(o[2] >> (16 * h)) & 0xffff);
            A[lg + 8][2 * lt + 8 + h] = cvt((uint32_t)(o[3] >> (16 * h)) & 0xffff);
        }
    }
    fv_emu_warp_sync();
    for (int j = 0; j < n / 8; j++)
        for (int i = 0; i < 4; i++)
        {
            const int row = g + (i >= 2 ? 8 : 0), col = 8 * j + 2 * t + (i & 1);
            float acc = d[4 * j + i];
            for (int k = 0; k < 16; k++) acc += A[row][k] * fv_emu_mnmajor(db, col, k, f16);
            d[4 * j + i] = acc;
        }
}

// The names fv_wgmma.cuh declares for the GPU.
inline void fv_wgmma_ss_m64n64k16_bf16(float* d, uint64_t da, uint64_t db) { fv_emu_wgmma_ss(d, 64, da, db, false); }
inline void fv_wgmma_ss_m64n64k16_f16(float* d, uint64_t da, uint64_t db) { fv_emu_wgmma_ss(d, 64, da, db, true); }
inline void fv_wgmma_rs_m64n64k16_bf16_tb(float* d, const uint32_t* a, uint64_t db) { fv_emu_wgmma_rs_tb(d, 64, a, db, false); }
inline void fv_wgmma_rs_m64n64k16_f16_tb(float* d, const uint32_t* a, uint64_t db) { fv_emu_wgmma_rs_tb(d, 64, a, db, true); }
inline void fv_wgmma_rs_m64n128k16_bf16_tb(float* d, const uint32_t* a, uint64_t db) { fv_emu_wgmma_rs_tb(d, 128, a, db, false); }
inline void fv_wgmma_rs_m64n128k16_f16_tb(float* d, const uint32_t* a, uint64_t db) { fv_emu_wgmma_rs_tb(d, 128, a, db, true); }
