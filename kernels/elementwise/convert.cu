// convert.cu — dtype casts (any pair of F32, F16, BF16, I32, I64, U8, Bool), and fill.
//
// Contract (CPU twins: IBackend.Cast, CpuCast.cs; IBackend.Full):
//   fv_cast_<from>_<to> (float pairs): y[i] = convert(x[i]) for i < n, contiguous (FvUnaryParams; a, b unused).
//     To bf16/f16: round to nearest even, NaN stays NaN, overflow to ±inf (f16); from bf16/f16: exact.
//     bf16 ↔ f16 goes through f32 (exact widening, then one rounding).
//   fv_cast_any (FvCastParams, any pair, dtype codes as FastVideo.Tensors.DType): the rules of CpuCast:
//     a float source (F32/F16/BF16) is read exactly as f32, an integer source (I32/I64/U8/Bool) as int64
//     (U8/Bool as 0..255), then
//       f32 → F32/F16/BF16: as above;   f32 → I32/I64: truncate toward zero, saturate at the type's range,
//       NaN → 0 (.NET's conversions);   f32 → U8: to I32 as above, then the low 8 bits (−2.5 → 254);
//       int64 → F32: round to nearest even; → F16/BF16: to F32 first, then one more rounding (as the CPU);
//       int64 → I32/U8: the low 32/8 bits (two's complement wrap); anything → Bool: value ≠ 0 (NaN → 1).
//     The managed side sends float↔float pairs to the entries above and same-dtype casts to a copy.
//   fv_fill: y[i] = the low elem_size bytes of value_bits, elem_size ∈ {1, 2, 4, 8} (any dtype: the managed
//     side encodes the value, e.g. a bf16 pattern for 1.0 is 0x3F80).
// Launch: 1-D grid-stride; block 256; grid = min(ceil(n / (256·8)), 2^20) (fv_cast_any: perThread 1). No
//   shared memory.
// Why: bandwidth-bound; each thread converts one 16-byte input vector (4 f32 or 8 halves) when aligned. Integer
//   casts (ids, masks) are rare and small: one scalar kernel with the dtypes as run-time fields (uniform
//   branches) instead of 40 instantiations.
#include "fv_common.cuh"


struct FvFillParams
{
    void* y;
    fv_i64 n;
    fv_u64 value_bits;
    int elem_size;
    int reserved;
};
FV_ABI_STATIC_ASSERT(sizeof(FvFillParams) == 32, "FvFillParams layout is mirrored in C#");
FV_ABI_OFFSET(FvFillParams, elem_size, 24);

struct FvCastParams
{
    void* y;
    const void* x;
    fv_i64 n;
    int from;
    int to;
};
FV_ABI_STATIC_ASSERT(sizeof(FvCastParams) == 32, "FvCastParams layout is mirrored in C#");
FV_ABI_OFFSET(FvCastParams, from, 24);
FV_ABI_OFFSET(FvCastParams, to, 28);

template <typename TIn, typename TOut>
__device__ void fv_cast_impl(const FvUnaryParams& p)
{
    constexpr int VEC = 8; // 8 elements: 2 or 1 16-byte vectors on either side
    const TIn* x = (const TIn*)p.x;
    TOut* y = (TOut*)p.y;
    fv_i64 head = 0;
    if (fv_aligned16(p.x) && fv_aligned16(p.y))
    {
        const fv_i64 nv = p.n / VEC;
        FV_GRID_STRIDE(i, nv)
        {
            float v[VEC];
            constexpr int per = 16 / (int)sizeof(TIn);
#pragma unroll
            for (int k = 0; k < VEC / per; k++) fv_unpack<TIn>(fv_ld16((const fv_vec16*)(x + i * VEC) + k), v + k * per);
            fv_store_n<TOut, VEC>(y + i * VEC, v);
        }
        head = nv * VEC;
    }
    const fv_i64 rest = p.n - head;
    FV_GRID_STRIDE(i, rest) fv_store(y + head + i, fv_load(x + head + i));
}

#define FV_CAST(name, TIn, TOut) \
    extern "C" __global__ void name(const FvUnaryParams p) { fv_cast_impl<TIn, TOut>(p); }
FV_CAST(fv_cast_f32_bf16, float, fv_bf16)
FV_CAST(fv_cast_bf16_f32, fv_bf16, float)
FV_CAST(fv_cast_f32_f16, float, fv_f16)
FV_CAST(fv_cast_f16_f32, fv_f16, float)
FV_CAST(fv_cast_bf16_f16, fv_bf16, fv_f16)
FV_CAST(fv_cast_f16_bf16, fv_f16, fv_bf16)

FV_DEVICE bool fv_dt_is_float(int dt) { return dt == FV_DT_F32 || dt == FV_DT_F16 || dt == FV_DT_BF16; }

/// f32 → int32: truncation toward zero, saturating (2^31 and above → INT32_MAX), NaN → 0. Written out because a
/// C++ cast of an out-of-range float is undefined (the emulator's host compiler would differ from cvt.rzi.s32).
FV_DEVICE fv_i32 fv_f32_to_i32_sat(float v)
{
    if (v != v) return 0;
    if (v >= 2147483648.f) return 2147483647;
    if (v <= -2147483648.f) return -2147483647 - 1;
    return (fv_i32)v;
}

/// f32 → int64, as fv_f32_to_i32_sat (2^63 = 9223372036854775808 is the first float out of range).
FV_DEVICE fv_i64 fv_f32_to_i64_sat(float v)
{
    if (v != v) return 0;
    if (v >= 9223372036854775808.f) return 9223372036854775807LL;
    if (v <= -9223372036854775808.f) return -9223372036854775807LL - 1;
    return (fv_i64)v;
}

FV_DEVICE void fv_cast_store_f(void* y, int dt, fv_i64 i, float v)
{
    switch (dt)
    {
    case FV_DT_F32: ((float*)y)[i] = v; break;
    case FV_DT_F16: ((fv_u16*)y)[i] = fv_f32_to_f16(v); break;
    case FV_DT_BF16: ((fv_u16*)y)[i] = fv_f32_to_bf16(v); break;
    case FV_DT_I32: ((fv_i32*)y)[i] = fv_f32_to_i32_sat(v); break;
    case FV_DT_I64: ((fv_i64*)y)[i] = fv_f32_to_i64_sat(v); break;
    case FV_DT_U8: ((fv_u8*)y)[i] = (fv_u8)((fv_u32)fv_f32_to_i32_sat(v) & 0xffu); break;
    default: ((fv_u8*)y)[i] = v != 0.f ? 1 : 0; break; // Bool; NaN ≠ 0
    }
}

FV_DEVICE void fv_cast_store_i(void* y, int dt, fv_i64 i, fv_i64 v)
{
    switch (dt)
    {
    case FV_DT_F32: ((float*)y)[i] = (float)v; break; // cvt.rn.f32.s64
    case FV_DT_F16: ((fv_u16*)y)[i] = fv_f32_to_f16((float)v); break;
    case FV_DT_BF16: ((fv_u16*)y)[i] = fv_f32_to_bf16((float)v); break;
    case FV_DT_I32: ((fv_i32*)y)[i] = (fv_i32)(fv_u32)((fv_u64)v & 0xffffffffu); break;
    case FV_DT_I64: ((fv_i64*)y)[i] = v; break;
    case FV_DT_U8: ((fv_u8*)y)[i] = (fv_u8)((fv_u64)v & 0xffu); break;
    default: ((fv_u8*)y)[i] = v != 0 ? 1 : 0; break; // Bool
    }
}

FV_DEVICE fv_i64 fv_cast_load_i(const void* x, int dt, fv_i64 i)
{
    if (dt == FV_DT_I32) return ((const fv_i32*)x)[i];
    if (dt == FV_DT_I64) return ((const fv_i64*)x)[i];
    return ((const fv_u8*)x)[i]; // U8, Bool
}

extern "C" __global__ void fv_cast_any(const FvCastParams p)
{
    if (fv_dt_is_float(p.from))
    {
        FV_GRID_STRIDE(i, p.n) fv_cast_store_f(p.y, p.to, i, fv_load_dyn(p.x, p.from, i));
    }
    else
    {
        FV_GRID_STRIDE(i, p.n) fv_cast_store_i(p.y, p.to, i, fv_cast_load_i(p.x, p.from, i));
    }
}

extern "C" __global__ void fv_fill(const FvFillParams p)
{
    switch (p.elem_size)
    {
    case 1: { const fv_u8 v = (fv_u8)p.value_bits; FV_GRID_STRIDE(i, p.n) ((fv_u8*)p.y)[i] = v; break; }
    case 2: { const fv_u16 v = (fv_u16)p.value_bits; FV_GRID_STRIDE(i, p.n) ((fv_u16*)p.y)[i] = v; break; }
    case 4: { const fv_u32 v = (fv_u32)p.value_bits; FV_GRID_STRIDE(i, p.n) ((fv_u32*)p.y)[i] = v; break; }
    default: { const fv_u64 v = p.value_bits; FV_GRID_STRIDE(i, p.n) ((fv_u64*)p.y)[i] = v; break; }
    }
}
