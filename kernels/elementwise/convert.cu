// convert.cu — dtype casts between f32, bf16 and f16, and fill.
//
// Contract (CPU twins: IBackend.Cast for the float dtypes, CpuCast.cs; IBackend.Full):
//   fv_cast_<from>_<to>: y[i] = convert(x[i]) for i < n, contiguous (FvUnaryParams; a and b unused).
//     To bf16/f16: round to nearest even, NaN stays NaN, overflow to ±inf (f16); from bf16/f16: exact.
//     bf16 ↔ f16 goes through f32 (exact widening, then one rounding).
//   fv_fill: y[i] = the low elem_size bytes of value_bits, elem_size ∈ {1, 2, 4, 8} (any dtype: the managed
//     side encodes the value, e.g. a bf16 pattern for 1.0 is 0x3F80).
// Launch: 1-D grid-stride; block 256; grid = min(ceil(n / (256·8)), 65535·8). No shared memory.
// Why: bandwidth-bound; each thread converts one 16-byte input vector (4 f32 or 8 halves) when aligned.
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
