// fv_common.cuh — shared by every kernel family: fixed-width types, dtype codes, bf16/f16 conversions,
// vector loads and warp/block reductions.
//
// Under FV_EMULATE (kernels/dev/emu/fv_emu.h, the lab's CPU emulator) the inline PTX is replaced by C++.
//
// Contract: this header must compile with both nvcc (-fatbin, host compiler clang-14) and NVRTC (run-time
// fallback). NVRTC has no standard library and no CUDA toolkit headers unless the caller passes them, so
// nothing here includes anything: bf16/f16 are carried as raw 16-bit patterns and converted with PTX `cvt`
// (sm_80+, the oldest architecture these kernels support). The managed side hands this file to NVRTC under
// the include name "fv_common.cuh".
#pragma once

typedef unsigned char fv_u8;
typedef unsigned short fv_u16;
typedef unsigned int fv_u32;
typedef int fv_i32;
typedef long long fv_i64;
typedef unsigned long long fv_u64;

// Element types, numbered as FastVideo.Tensors.DType (F32, F16, BF16, I32, I64, U8, Bool).
#define FV_DT_F32 0
#define FV_DT_F16 1
#define FV_DT_BF16 2
#define FV_DT_I32 3
#define FV_DT_I64 4
#define FV_DT_U8 5
#define FV_DT_BOOL 6

// Most ranks a strided kernel takes (broadcast, permute, ternary); the managed side collapses contiguous
// dimensions first, so 6 covers every tensor this engine builds (its largest is rank 8 before collapsing,
// Wan's unpatchify, which has its own kernel).
#define FV_MAX_RANK 6

// Layout checks of the params structs (mirrored in C#). NVRTC has no offsetof builtin: there, only sizes are checked.
#define FV_ABI_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#ifdef __CUDACC_RTC__
#define FV_ABI_OFFSET(type, field, offset) static_assert(true, "")
#else
#define FV_ABI_OFFSET(type, field, offset) static_assert(__builtin_offsetof(type, field) == offset, #type "." #field " is mirrored in C#")
#endif

#define FV_DEVICE __device__ __forceinline__

// ---- params shared by several kernel files ---------------------------------------------------------------

/// One contiguous input, one contiguous output of n elements, two scalar operands (activations, scale, clamp,
/// casts). y may alias x.
struct FvUnaryParams
{
    void* y;
    const void* x;
    fv_i64 n;
    float a;
    float b;
};
FV_ABI_STATIC_ASSERT(sizeof(FvUnaryParams) == 32, "FvUnaryParams layout is mirrored in C#");
FV_ABI_OFFSET(FvUnaryParams, a, 24);

// ---- element types ---------------------------------------------------------------------------------------

/// 16-bit bfloat16 pattern; distinct struct types keep the two half-precision formats from mixing by accident.
struct fv_bf16 { fv_u16 bits; };
struct fv_f16 { fv_u16 bits; };

FV_DEVICE float fv_bf16_to_f32(fv_u16 b) { return __uint_as_float(((fv_u32)b) << 16); }

/// Round to nearest even; NaN stays NaN (cvt produces the canonical quiet NaN).
FV_DEVICE fv_u16 fv_f32_to_bf16(float f)
{
#ifdef FV_EMULATE
    return fv_emu_f32_to_bf16(f);
#else
    fv_u16 r;
    asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(r) : "f"(f));
    return r;
#endif
}

FV_DEVICE float fv_f16_to_f32(fv_u16 h)
{
#ifdef FV_EMULATE
    return fv_emu_f16_to_f32(h);
#else
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
#endif
}

/// Round to nearest even; overflow gives ±inf (IEEE, as System.Half).
FV_DEVICE fv_u16 fv_f32_to_f16(float f)
{
#ifdef FV_EMULATE
    return fv_emu_f32_to_f16(f);
#else
    fv_u16 r;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(r) : "f"(f));
    return r;
#endif
}

/// Two floats packed as bf16x2: `lo` in bits 0..15, `hi` in bits 16..31 (the mma.sync operand order).
FV_DEVICE fv_u32 fv_pack_bf16x2(float lo, float hi)
{
#ifdef FV_EMULATE
    return (fv_u32)fv_f32_to_bf16(lo) | ((fv_u32)fv_f32_to_bf16(hi) << 16);
#else
    fv_u32 r;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
#endif
}

FV_DEVICE fv_u32 fv_pack_f16x2(float lo, float hi)
{
#ifdef FV_EMULATE
    return (fv_u32)fv_f32_to_f16(lo) | ((fv_u32)fv_f32_to_f16(hi) << 16);
#else
    fv_u32 r;
    asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
#endif
}

/// Load/store one element of T as float. T is float, fv_bf16 or fv_f16.
template <typename T> struct fv_elem;
template <> struct fv_elem<float>
{
    static constexpr int dtype = FV_DT_F32;
    static FV_DEVICE float load(const float* p) { return *p; }
    static FV_DEVICE void store(float* p, float v) { *p = v; }
    static FV_DEVICE float from_bits(fv_u32 b) { return __uint_as_float(b); }
};
template <> struct fv_elem<fv_bf16>
{
    static constexpr int dtype = FV_DT_BF16;
    static FV_DEVICE float load(const fv_bf16* p) { return fv_bf16_to_f32(p->bits); }
    static FV_DEVICE void store(fv_bf16* p, float v) { p->bits = fv_f32_to_bf16(v); }
    static FV_DEVICE float from_bits(fv_u16 b) { return fv_bf16_to_f32(b); }
};
template <> struct fv_elem<fv_f16>
{
    static constexpr int dtype = FV_DT_F16;
    static FV_DEVICE float load(const fv_f16* p) { return fv_f16_to_f32(p->bits); }
    static FV_DEVICE void store(fv_f16* p, float v) { p->bits = fv_f32_to_f16(v); }
    static FV_DEVICE float from_bits(fv_u16 b) { return fv_f16_to_f32(b); }
};

template <typename T> FV_DEVICE float fv_load(const T* p) { return fv_elem<T>::load(p); }
template <typename T> FV_DEVICE void fv_store(T* p, float v) { fv_elem<T>::store(p, v); }

/// Any float dtype read at run time (weights whose dtype is a field of the params struct).
FV_DEVICE float fv_load_dyn(const void* p, int dtype, fv_i64 i)
{
    if (dtype == FV_DT_BF16) return fv_bf16_to_f32(((const fv_u16*)p)[i]);
    if (dtype == FV_DT_F16) return fv_f16_to_f32(((const fv_u16*)p)[i]);
    return ((const float*)p)[i];
}

// ---- 16-byte vectors -------------------------------------------------------------------------------------

/// 16 bytes: 4 floats or 8 half-precision values. Loads and stores through it are single 128-bit accesses.
struct __align__(16) fv_vec16 { fv_u32 w[4]; };

/// One 128-bit load/store (LDG.E.128 / STG.E.128). Copying fv_vec16 itself may be split into 32-bit accesses
/// by the compiler; uint4 is not.
FV_DEVICE fv_vec16 fv_ld16(const void* p)
{
    const uint4 t = *(const uint4*)p;
    fv_vec16 v;
    v.w[0] = t.x; v.w[1] = t.y; v.w[2] = t.z; v.w[3] = t.w;
    return v;
}
/// Global memory only. Written as PTX: NVVM splits a C++ store of uint4 built from separate values into four
/// 32-bit stores (seen with nvcc 11.8), which costs a quarter of the store bandwidth per instruction.
FV_DEVICE void fv_st16(void* p, const fv_vec16& v)
{
#ifdef FV_EMULATE
    *(uint4*)p = make_uint4(v.w[0], v.w[1], v.w[2], v.w[3]);
#else
    asm volatile("st.global.v4.u32 [%0], {%1, %2, %3, %4};\n" ::"l"(p), "r"(v.w[0]), "r"(v.w[1]), "r"(v.w[2]), "r"(v.w[3]) : "memory");
#endif
}

template <typename T> struct fv_vec_traits { static constexpr int n = 16 / (int)sizeof(T); };

/// Unpacks a 16-byte vector of T into N floats (N = 16 / sizeof(T)).
template <typename T> FV_DEVICE void fv_unpack(const fv_vec16& v, float* out);
template <> FV_DEVICE void fv_unpack<float>(const fv_vec16& v, float* out)
{
#pragma unroll
    for (int i = 0; i < 4; i++) out[i] = __uint_as_float(v.w[i]);
}
template <> FV_DEVICE void fv_unpack<fv_bf16>(const fv_vec16& v, float* out)
{
#pragma unroll
    for (int i = 0; i < 4; i++)
    {
        out[2 * i] = fv_bf16_to_f32((fv_u16)(v.w[i] & 0xffffu));
        out[2 * i + 1] = fv_bf16_to_f32((fv_u16)(v.w[i] >> 16));
    }
}
template <> FV_DEVICE void fv_unpack<fv_f16>(const fv_vec16& v, float* out)
{
#pragma unroll
    for (int i = 0; i < 4; i++)
    {
        out[2 * i] = fv_f16_to_f32((fv_u16)(v.w[i] & 0xffffu));
        out[2 * i + 1] = fv_f16_to_f32((fv_u16)(v.w[i] >> 16));
    }
}

/// Packs N floats into a 16-byte vector of T (rounding to nearest even for the 16-bit types).
template <typename T> FV_DEVICE fv_vec16 fv_pack(const float* in);
template <> FV_DEVICE fv_vec16 fv_pack<float>(const float* in)
{
    fv_vec16 v;
#pragma unroll
    for (int i = 0; i < 4; i++) v.w[i] = __float_as_uint(in[i]);
    return v;
}
template <> FV_DEVICE fv_vec16 fv_pack<fv_bf16>(const float* in)
{
    fv_vec16 v;
#pragma unroll
    for (int i = 0; i < 4; i++) v.w[i] = fv_pack_bf16x2(in[2 * i], in[2 * i + 1]);
    return v;
}
template <> FV_DEVICE fv_vec16 fv_pack<fv_f16>(const float* in)
{
    fv_vec16 v;
#pragma unroll
    for (int i = 0; i < 4; i++) v.w[i] = fv_pack_f16x2(in[2 * i], in[2 * i + 1]);
    return v;
}

FV_DEVICE bool fv_aligned16(const void* p) { return (((fv_u64)p) & 15u) == 0; }

/// Stores N floats as T at p (global memory) with the widest accesses N·sizeof(T) allows: 16-byte vectors when it is a multiple
/// of 16, one 8-byte access when it is 8. p must be aligned to min(16, N·sizeof(T)).
template <typename T, int N> FV_DEVICE void fv_store_n(T* p, const float* v)
{
    constexpr int bytes = N * (int)sizeof(T);
    constexpr int per = 16 / (int)sizeof(T);
    if constexpr (bytes % 16 == 0)
    {
#pragma unroll
        for (int k = 0; k < N / per; k++) fv_st16(p + k * per, fv_pack<T>(v + k * per));
    }
    else if constexpr (bytes == 8 && sizeof(T) == 2)
    {
        uint2 w;
        if constexpr (fv_elem<T>::dtype == FV_DT_BF16)
        {
            w.x = fv_pack_bf16x2(v[0], v[1]);
            w.y = fv_pack_bf16x2(v[2], v[3]);
        }
        else
        {
            w.x = fv_pack_f16x2(v[0], v[1]);
            w.y = fv_pack_f16x2(v[2], v[3]);
        }
#ifdef FV_EMULATE
        *(uint2*)p = w;
#else
        asm volatile("st.global.v2.u32 [%0], {%1, %2};\n" ::"l"(p), "r"(w.x), "r"(w.y) : "memory");
#endif
    }
    else
    {
#pragma unroll
        for (int i = 0; i < N; i++) fv_store(p + i, v[i]);
    }
}

/// Loads N elements of T as floats with the widest accesses N·sizeof(T) allows (16 or 8 bytes, else scalar);
/// p must be aligned to min(16, N·sizeof(T)).
template <typename T, int N> FV_DEVICE void fv_load_n(const T* p, float* v)
{
    constexpr int bytes = N * (int)sizeof(T);
    constexpr int per = 16 / (int)sizeof(T);
    if constexpr (bytes % 16 == 0)
    {
#pragma unroll
        for (int k = 0; k < N / per; k++) fv_unpack<T>(fv_ld16(p + k * per), v + k * per);
    }
    else if constexpr (bytes == 8 && sizeof(T) == 2)
    {
        const uint2 w = *(const uint2*)p;
        v[0] = fv_elem<T>::from_bits((fv_u16)(w.x & 0xffffu));
        v[1] = fv_elem<T>::from_bits((fv_u16)(w.x >> 16));
        v[2] = fv_elem<T>::from_bits((fv_u16)(w.y & 0xffffu));
        v[3] = fv_elem<T>::from_bits((fv_u16)(w.y >> 16));
    }
    else
    {
#pragma unroll
        for (int i = 0; i < N; i++) v[i] = fv_load(p + i);
    }
}

/// Loads N (a multiple of 4) floats from a 16-byte-aligned f32 array with 16-byte accesses.
template <int N> FV_DEVICE void fv_load_f32_n(const float* p, float* v)
{
#pragma unroll
    for (int k = 0; k < N / 4; k++)
    {
        float4 t = *(const float4*)(p + 4 * k);
        v[4 * k] = t.x; v[4 * k + 1] = t.y; v[4 * k + 2] = t.z; v[4 * k + 3] = t.w;
    }
}

// ---- reductions ------------------------------------------------------------------------------------------

FV_DEVICE float fv_warp_sum(float v)
{
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

FV_DEVICE float fv_warp_max(float v)
{
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

FV_DEVICE double fv_warp_sum_d(double v)
{
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

/// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
/// `scratch` holds 32 floats of shared memory; the call ends with a barrier so scratch may be reused.
FV_DEVICE float fv_block_sum(float v, float* scratch)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = fv_warp_sum(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : 0.f;
    v = fv_warp_sum(v);
    __syncthreads();
    return v;
}

FV_DEVICE float fv_block_max(float v, float* scratch)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = fv_warp_max(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : -__int_as_float(0x7f800000);
    v = fv_warp_max(v);
    __syncthreads();
    return v;
}

FV_DEVICE double fv_block_sum_d(double v, double* scratch)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = fv_warp_sum_d(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : 0.0;
    v = fv_warp_sum_d(v);
    __syncthreads();
    return v;
}

/// Grid-stride loop over [0, n) with a 64-bit index.
#define FV_GRID_STRIDE(i, n) \
    for (fv_i64 i = (fv_i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (fv_i64)gridDim.x * blockDim.x)
