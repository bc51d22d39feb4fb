// fv_emu.h — a CPU emulator for the kernels in kernels/, so the lab (kernels/dev/lab_*.cu) can validate them on
// a machine without a GPU: every CUDA thread of a block is a fiber (ucontext) of one OS thread, scheduled
// round-robin; __syncthreads is a block barrier,
// warp shuffles / ldmatrix / mma.sync are warp-collective exchanges through per-warp slots, cp.async copies at
// once. Blocks run one after another, so static __shared__ variables (plain statics here) are the block's
// shared memory. The PTX semantics emulated (ldmatrix, mma.m16n8k16 fragment layouts, cvt.rn) follow the PTX
// ISA; the kernels' own index arithmetic, masking, reductions and pipelines run unchanged.
// Not emulated: timing, memory-model races (cp.async and wgmma are synchronous). The sm_90a pieces of the
// Hopper kernel (mbarrier, wgmma) are in fv_emu_sm90.h.
// What a GPU would do differently, made visible here: shared memory starts every block as 0xFF bytes (NaN; the
// hardware leaves garbage, so a read before any write must not look like zeros), and the fibers of a block
// run in a different order per block (ascending, descending, odds before evens, by blockIdx), so a missing
// __syncthreads/__syncwarp between a write and another thread's read fails in one of the orders whichever
// thread writes first. A 16/8-byte vector access (uint4, float4, uint2, float2, cp.async, ldmatrix rows) through a
// misaligned address, which faults on a GPU, stops the lab; run_emu.sh adds -fsanitize=alignment (trap mode)
// for misaligned scalar accesses.
// Force-included with -include before the kernel sources, compiled as host C++ (-DFV_EMULATE).
#pragma once
#define FV_EMULATE 1

#include <algorithm>
#include <atomic>
#include <cmath>
#include <math.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <setjmp.h>
#include <ucontext.h>
#include <vector>

// Building many kernel sources into one shared library (kernels/dev/emu/device, the stand-in libcuda): each
// TU sets FV_EMU_SMEM_SECTION to its own section name (its "__shared__" statics then start at offset 0 of their
// own section) and defines FV_EMU_TU_LOCAL, which puts everything below in an anonymous namespace so the
// emulator's inline functions and globals of different TUs (each bound to its own section) do not merge.
#ifndef FV_EMU_SMEM_SECTION
#define FV_EMU_SMEM_SECTION fv_smem
#endif
#ifndef FV_EMU_DYNAMIC_SMEM_BYTES
#define FV_EMU_DYNAMIC_SMEM_BYTES (128 * 1024)
#endif
#define FV_EMU_STR2(x) #x
#define FV_EMU_STR(x) FV_EMU_STR2(x)
#define FV_EMU_CAT2(a, b) a##b
#define FV_EMU_CAT(a, b) FV_EMU_CAT2(a, b)
#define FV_EMU_SMEM_START FV_EMU_CAT(__start_, FV_EMU_SMEM_SECTION)
#define FV_EMU_SMEM_STOP FV_EMU_CAT(__stop_, FV_EMU_SMEM_SECTION)
#ifdef FV_EMU_TU_LOCAL
namespace {
#endif

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
// Every static "__shared__" variable goes to one section, so shared addresses are small offsets from its start
// (wgmma descriptors keep 18 address bits, as the hardware's shared window).
#define __shared__ static __attribute__((section(FV_EMU_STR(FV_EMU_SMEM_SECTION)), used))
#define __align__(n) __attribute__((aligned(n)))
#define __trap() std::abort()

struct dim3
{
    unsigned x = 1, y = 1, z = 1;
    dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
// CUDA's vector types. A GPU loads and stores them with one 16- or 8-byte access, which faults ("misaligned
// address") unless the address is a multiple of the size; x86 does not care, so here every copy from and
// assignment to one checks the address it touches (a struct copy escapes -fsanitize=alignment).
inline void fv_emu_check_align(const void* p, size_t a, const char* type)
{
    // The compiler may assume a T* is aligned to alignof(T) and fold the test away; hide the address from it.
    uintptr_t addr = (uintptr_t)p;
    asm volatile("" : "+r"(addr));
    if (addr % a != 0) { std::fprintf(stderr, "fv_emu: misaligned %s access at %p (the GPU would fault)\n", type, p); std::abort(); }
}
#define FV_EMU_VECTOR(T, E, N, ALIGN, ...)                                                          \
    struct alignas(ALIGN) T                                                                        \
    {                                                                                              \
        E __VA_ARGS__;                                                                             \
        T() = default;                                                                             \
        T(const T& o) { fv_emu_check_align(&o, ALIGN, #T); std::memcpy((void*)this, (const void*)&o, N * sizeof(E)); } \
        T& operator=(const T& o)                                                                   \
        {                                                                                          \
            fv_emu_check_align(this, ALIGN, #T);                                                   \
            std::memcpy((void*)this, (const void*)&o, N * sizeof(E));                              \
            return *this;                                                                          \
        }                                                                                          \
    };
FV_EMU_VECTOR(uint4, unsigned, 4, 16, x, y, z, w)
FV_EMU_VECTOR(uint2, unsigned, 2, 8, x, y)
FV_EMU_VECTOR(float4, float, 4, 16, x, y, z, w)
FV_EMU_VECTOR(float2, float, 2, 8, x, y)
#undef FV_EMU_VECTOR
inline uint4 make_uint4(unsigned a, unsigned b, unsigned c, unsigned d) { uint4 r; r.x = a; r.y = b; r.z = c; r.w = d; return r; }
inline float2 make_float2(float a, float b) { float2 r; r.x = a; r.y = b; return r; }

// ---- per-thread context: fibers ------------------------------------------------------------------------------

/// A barrier among fibers of one OS thread: arrivals count up; the last one opens a new generation, the others
/// yield until it does.
struct FvEmuBarrier
{
    int n = 0, count = 0;
    unsigned gen = 0;
};

struct FvEmuBlock
{
    FvEmuBarrier block_bar;
    std::vector<FvEmuBarrier> warp_bar;
    // Per-warp exchange slots: 32 lanes × 16 words (shuffles, ldmatrix addresses, mma fragments).
    std::vector<uint64_t> slots;
    int or_count = 0;
    jmp_buf scheduler;  // where a fiber returns to at a barrier or when it ends
};

struct FvEmuThread
{
    dim3 tid, bid, bdim, gdim;
    int linear = 0;
    FvEmuBlock* blk = nullptr;
    ucontext_t ctx;     // the fiber's first entry (makecontext on its stack)
    jmp_buf resume;     // where it continues after yielding
    char* stack = nullptr;
    bool started = false;
    bool done = false;
    std::function<void()> body;
};
inline FvEmuThread* fv_emu_cur = nullptr;

#define threadIdx (fv_emu_cur->tid)
#define blockIdx (fv_emu_cur->bid)
#define blockDim (fv_emu_cur->bdim)
#define gridDim (fv_emu_cur->gdim)

// Fibers switch with _setjmp/_longjmp, which (unlike swapcontext) do not save and restore the signal mask: no
// system call per switch. ucontext is used only to enter a fiber on its own stack the first time.
inline void fv_emu_yield()
{
    if (!_setjmp(fv_emu_cur->resume)) _longjmp(fv_emu_cur->blk->scheduler, 1);
}
inline void fv_emu_wait(FvEmuBarrier& b)
{
    const unsigned gen = b.gen;
    if (++b.count == b.n)
    {
        b.count = 0;
        b.gen++;
        return;
    }
    while (b.gen == gen) fv_emu_yield();
}

inline int fv_emu_lane() { return fv_emu_cur->linear & 31; }
inline int fv_emu_warp() { return fv_emu_cur->linear >> 5; }
inline uint64_t* fv_emu_slot(int lane) { return &fv_emu_cur->blk->slots[((size_t)fv_emu_warp() * 32 + lane) * 16]; }
inline void fv_emu_warp_sync() { fv_emu_wait(fv_emu_cur->blk->warp_bar[fv_emu_warp()]); }

inline void __syncthreads() { fv_emu_wait(fv_emu_cur->blk->block_bar); }
inline int __syncthreads_or(int v)
{
    auto* b = fv_emu_cur->blk;
    __syncthreads();
    if (v) b->or_count++;
    __syncthreads();
    int r = b->or_count != 0;
    __syncthreads();
    if (fv_emu_cur->linear == 0) b->or_count = 0;
    __syncthreads();
    return r;
}
inline void __syncwarp(unsigned = 0xffffffffu) { fv_emu_warp_sync(); }

template <typename T> T __shfl_xor_sync(unsigned, T v, int mask)
{
    static_assert(sizeof(T) <= 8, "");
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    fv_emu_slot(fv_emu_lane())[0] = bits;
    fv_emu_warp_sync();
    uint64_t other = fv_emu_slot(fv_emu_lane() ^ mask)[0];
    fv_emu_warp_sync();
    T r;
    std::memcpy(&r, &other, sizeof(T));
    return r;
}

// ---- math and bit intrinsics -----------------------------------------------------------------------------

inline float __uint_as_float(unsigned u) { float f; std::memcpy(&f, &u, 4); return f; }
inline unsigned __float_as_uint(float f) { unsigned u; std::memcpy(&u, &f, 4); return u; }
inline float __int_as_float(int u) { float f; std::memcpy(&f, &u, 4); return f; }
using std::sqrt; // erfcf, expf, exp2f, fmaf, fmaxf, fminf, log2f: the C library's, from <math.h>
inline int atomicExch(int* p, int v) { int o = *p; *p = v; return o; } // one OS thread: no races

inline uint16_t fv_emu_f32_to_bf16(float f)
{
    uint32_t u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fff; // cvt.rn.bf16.f32 gives the canonical NaN
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}
inline uint16_t fv_emu_f32_to_f16(float f)
{
    uint32_t x = __float_as_uint(f), sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return (uint16_t)(sign | 0x7fffu);
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);
    if (ax < 0x38800000u)
    {
        double a = (double)__uint_as_float(ax) * 16777216.0;
        double m = std::nearbyint(a); // round half to even (default rounding mode)
        return (uint16_t)(sign | (uint32_t)m);
    }
    uint32_t h = (((ax >> 23) - 112u) << 10) | ((ax >> 13) & 0x3ffu), rest = ax & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;
    return (uint16_t)(sign | h);
}
inline float fv_emu_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0) return (sign ? -1.f : 1.f) * (float)m * (1.f / 16777216.f);
    if (e == 31) return __uint_as_float(sign | 0x7f800000u | (m << 13));
    return __uint_as_float(sign | ((e + 112u) << 23) | (m << 13));
}

// ---- shared-memory addresses: offsets into the fv_smem section ----------------------------------------------

extern "C" char FV_EMU_SMEM_START[], FV_EMU_SMEM_STOP[];
#define __start_fv_smem FV_EMU_SMEM_START
#define __stop_fv_smem FV_EMU_SMEM_STOP
/// Dynamic shared memory of the running block (flash_attn_hopper): 128 KiB inside the section by default.
__shared__ __attribute__((aligned(1024))) unsigned char fv_emu_dynamic_smem[FV_EMU_DYNAMIC_SMEM_BYTES];
inline uint32_t fv_emu_smem_addr(const void* p)
{
    const char* c = (const char*)p;
    if (c < __start_fv_smem || c >= __stop_fv_smem) { std::fprintf(stderr, "fv_emu: %p is not shared memory\n", p); std::abort(); }
    return (uint32_t)(c - __start_fv_smem);
}
inline void* fv_emu_smem_ptr(uint32_t a) { return __start_fv_smem + a; }

// ---- warp-collective tensor-core ops ---------------------------------------------------------------------------

/// ldmatrix.m8n8.x4(.trans).b16: lane l supplies the row address of row l%8 of matrix l/8; without .trans lane
/// l receives (row l/4, cols 2(l%4), 2(l%4)+1) of each matrix, with .trans (rows 2(l%4), 2(l%4)+1; col l/4).
inline void fv_emu_ldmatrix_x4(uint32_t addr, uint32_t* r, bool trans)
{
    const int lane = fv_emu_lane();
    // Each row address must be 16-byte aligned (the 8 rows of a matrix are 16-byte rows).
    if ((addr & 15u) != 0) { std::fprintf(stderr, "fv_emu: misaligned ldmatrix row address %u\n", addr); std::abort(); }
    fv_emu_slot(lane)[0] = addr;
    fv_emu_warp_sync();
    for (int m = 0; m < 4; m++)
    {
        uint16_t e[2];
        for (int k = 0; k < 2; k++)
        {
            int row = trans ? 2 * (lane % 4) + k : lane / 4;
            int col = trans ? lane / 4 : 2 * (lane % 4) + k;
            const uint16_t* rp = (const uint16_t*)fv_emu_smem_ptr((uint32_t)fv_emu_slot(m * 8 + row)[0]);
            e[k] = rp[col];
        }
        r[m] = (uint32_t)e[0] | ((uint32_t)e[1] << 16);
    }
    fv_emu_warp_sync();
}

/// mma.sync.m16n8k16.row.col.f32.{bf16,f16}: A 16×16 (a0: row g cols 2t,2t+1; a1: row g+8; a2: row g cols
/// 2t+8, +9; a3: row g+8 cols 2t+8, +9), B 16×8 (b0: rows 2t, 2t+1 col g; b1: rows 2t+8, +9 col g), C/D 16×8
/// (c0, c1: row g cols 2t, 2t+1; c2, c3: row g+8). Lower column/row index in the low 16 bits.
inline void fv_emu_mma16816(float* d, const uint32_t* a, uint32_t b0, uint32_t b1, bool f16)
{
    const int lane = fv_emu_lane();
    uint64_t* s = fv_emu_slot(lane);
    for (int i = 0; i < 4; i++) s[i] = a[i];
    s[4] = b0;
    s[5] = b1;
    fv_emu_warp_sync();
    auto cvt = [&](uint32_t bits) { return f16 ? fv_emu_f16_to_f32((uint16_t)bits) : __uint_as_float(bits << 16); };
    float A[16][16], B[16][8];
    for (int l = 0; l < 32; l++)
    {
        const uint64_t* o = fv_emu_slot(l);
        int g = l / 4, t = l % 4;
        for (int h = 0; h < 2; h++)
        {
            A[g][2 * t + h] = cvt((uint32_t)(o[0] >> (16 * h)) & 0xffff);
            A[g + 8][2 * t + h] = cvt((uint32_t)(o[1] >> (16 * h)) & 0xffff);
            A[g][2 * t + 8 + h] = cvt((uint32_t)(o[2] >> (16 * h)) & 0xffff);
            A[g + 8][2 * t + 8 + h] = cvt((uint32_t)(o[3] >> (16 * h)) & 0xffff);
            B[2 * t + h][g] = cvt((uint32_t)(o[4] >> (16 * h)) & 0xffff);
            B[2 * t + 8 + h][g] = cvt((uint32_t)(o[5] >> (16 * h)) & 0xffff);
        }
    }
    fv_emu_warp_sync();
    const int g = lane / 4, t = lane % 4;
    for (int i = 0; i < 4; i++)
    {
        int row = g + (i >= 2 ? 8 : 0), col = 2 * t + (i & 1);
        float acc = d[i];
        for (int k = 0; k < 16; k++) acc += A[row][k] * B[k][col];
        d[i] = acc;
    }
}

#include "fv_emu_sm90.h"

// ---- launch ------------------------------------------------------------------------------------------------

inline void fv_emu_trampoline(unsigned lo, unsigned hi)
{
    auto* t = (FvEmuThread*)(((uintptr_t)hi << 32) | lo);
    t->body();
    t->done = true;
    _longjmp(t->blk->scheduler, 1);
}

/// The fiber stack of CUDA thread i: kept for the whole run and reused by every launch on this OS thread
/// (allocating and zero-filling 256 KiB per CUDA thread per launch cost ~40 ms a launch, mostly page faults).
inline constexpr size_t fv_emu_stack_bytes = 256 * 1024;
inline char* fv_emu_stack(int i)
{
    static thread_local std::vector<std::unique_ptr<char[]>> pool;
    while ((int)pool.size() <= i) pool.emplace_back(new char[fv_emu_stack_bytes]);
    return pool[(size_t)i].get();
}

/// Runs kernel(params) over grid × block. Blocks run one after another; within a block every CUDA thread is a
/// fiber, resumed round-robin until all have finished (a fiber yields only inside a barrier), so the static
/// "__shared__" arrays belong to the running block.
template <typename P>
inline void fv_emu_launch(void (*kernel)(const P), dim3 grid, dim3 block, size_t dynamic_smem, const P& p)
{
    if (dynamic_smem > sizeof(fv_emu_dynamic_smem)) { std::fprintf(stderr, "fv_emu: %zu bytes of dynamic shared memory\n", dynamic_smem); std::abort(); }
    const int n = (int)(block.x * block.y * block.z);
    FvEmuBlock blk;
    blk.block_bar.n = n;
    for (int w = 0; w < (n + 31) / 32; w++)
    {
        FvEmuBarrier b;
        b.n = std::min(32, n - 32 * w);
        blk.warp_bar.push_back(b);
    }
    blk.slots.assign((size_t)((n + 31) / 32) * 32 * 16, 0);
    std::vector<FvEmuThread> threads(n);
    for (int i = 0; i < n; i++)
    {
        auto& t = threads[i];
        t.linear = i;
        t.tid = dim3(i % block.x, i / block.x % block.y, i / (block.x * block.y));
        t.bdim = block;
        t.gdim = grid;
        t.blk = &blk;
        t.stack = fv_emu_stack(i);
        t.body = [kernel, &p] { kernel(p); };
    }
    std::vector<FvEmuThread*> order(n);
    for (unsigned z = 0; z < grid.z; z++)
        for (unsigned y = 0; y < grid.y; y++)
            for (unsigned x = 0; x < grid.x; x++)
            {
                // NaN bytes over the block's shared memory: the static arrays and the launch's dynamic bytes (the
                // unused tail of the dynamic array is out of bounds for the kernel, so it is left alone).
                std::memset(__start_fv_smem, 0xFF, (size_t)((char*)fv_emu_dynamic_smem - __start_fv_smem));
                std::memset(fv_emu_dynamic_smem, 0xFF, dynamic_smem);
                std::memset((char*)fv_emu_dynamic_smem + sizeof(fv_emu_dynamic_smem), 0xFF,
                    (size_t)(__stop_fv_smem - ((char*)fv_emu_dynamic_smem + sizeof(fv_emu_dynamic_smem))));
                // Scheduling order of this block's fibers: 0 ascending, 1 descending, 2 odd threads then even ones.
                const unsigned kind = (x + y + z) % 3;
                for (int i = 0; i < n; i++)
                {
                    const int j = kind == 0 ? i : kind == 1 ? n - 1 - i : (i < n / 2 ? 2 * i + 1 : 2 * (i - n / 2));
                    order[i] = &threads[j];
                }
                for (auto& t : threads)
                {
                    t.bid = dim3(x, y, z);
                    t.done = false;
                    t.started = false;
                    getcontext(&t.ctx);
                    t.ctx.uc_stack.ss_sp = t.stack;
                    t.ctx.uc_stack.ss_size = fv_emu_stack_bytes;
                    t.ctx.uc_link = nullptr;
                    uintptr_t a = (uintptr_t)&t;
                    makecontext(&t.ctx, (void (*)())fv_emu_trampoline, 2, (unsigned)(a & 0xffffffffu), (unsigned)(a >> 32));
                }
                for (int live = n; live > 0;)
                {
                    live = 0;
                    for (FvEmuThread* t : order)
                    {
                        if (t->done) continue;
                        fv_emu_cur = t;
                        if (!_setjmp(blk.scheduler))
                        {
                            if (!t->started)
                            {
                                t->started = true;
                                setcontext(&t->ctx);
                            }
                            _longjmp(t->resume, 1);
                        }
                        fv_emu_cur = nullptr;
                        live += t->done ? 0 : 1;
                    }
                }
                if (blk.block_bar.count != 0)
                {
                    std::fprintf(stderr, "fv_emu: block (%u, %u, %u) ended with threads waiting at __syncthreads\n", x, y, z);
                    std::abort();
                }
            }
}

// ---- the CUDA runtime subset the lab uses ------------------------------------------------------------------

typedef int cudaError_t;
typedef void* cudaEvent_t;
enum { cudaSuccess = 0, cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2, cudaDevAttrL2CacheSize = 89,
    cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };
inline const char* cudaGetErrorName(cudaError_t) { return "cudaErrorEmulated"; }
inline const char* cudaGetErrorString(cudaError_t) { return "emulated"; }
inline cudaError_t cudaMalloc(void** p, size_t n) { *p = std::aligned_alloc(256, (n + 255) / 256 * 256); return *p ? 0 : 2; }
inline cudaError_t cudaFree(void* p) { std::free(p); return 0; }
inline cudaError_t cudaMemcpy(void* d, const void* s, size_t n, int) { std::memcpy(d, s, n); return 0; }
inline cudaError_t cudaMemset(void* d, int v, size_t n) { std::memset(d, v, n); return 0; }
inline cudaError_t cudaMemsetAsync(void* d, int v, size_t n) { std::memset(d, v, n); return 0; }
inline cudaError_t cudaGetLastError() { return 0; }
inline cudaError_t cudaDeviceSynchronize() { return 0; }
inline cudaError_t cudaGetDevice(int* d) { *d = 0; return 0; }
inline cudaError_t cudaDeviceGetAttribute(int* v, int, int) { *v = 1 << 20; return 0; }
inline cudaError_t cudaFuncSetAttribute(const void*, int, int) { return 0; }
inline cudaError_t cudaEventCreate(cudaEvent_t*) { return 0; }
inline cudaError_t cudaEventDestroy(cudaEvent_t) { return 0; }
inline cudaError_t cudaEventRecord(cudaEvent_t) { return 0; }
inline cudaError_t cudaEventSynchronize(cudaEvent_t) { return 0; }
inline cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t, cudaEvent_t) { *ms = 0; return 0; }

#ifdef FV_EMU_TU_LOCAL
} // namespace
#endif
