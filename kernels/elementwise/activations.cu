// activations.cu — contiguous element-wise maps: GELU (erf, tanh), SiLU, scale·x + bias, clamp, axpby, and the
// contiguous same-shape binary ops (the broadcast forms live in broadcast.cu).
//
// Contract (CPU twins, CpuOps.cs): y[i] = f(x[i]) for i < n over contiguous buffers; y may alias x.
//   fv_gelu_erf_*   x·Φ(x) = ½·x·erfc(−x/√2)               (IBackend.Gelu(None))
//   fv_gelu_tanh_*  x / (1 + exp(−2u)), u = √(2/π)·fma(0.044715·x, x², x)   (IBackend.Gelu(Tanh), same formula)
//   fv_silu_*       x / (1 + exp(−x))                       (IBackend.Silu)
//   fv_scale_f32    fma(x, a, b)  (a = scale, b = bias)     (IBackend.Scale)
//   fv_clamp_f32    fminf(fmaxf(x, a), b) with NaN kept     (IBackend.Clamp)
//   fv_axpby_f32    fma(alpha, a[i], beta·b[i])             (IBackend.Axpby)
//   fv_{add,sub,mul,div}_f32_contig  a[i] ∘ b[i]            (IBackend.Add/... when shapes are equal)
// Types: _f32 (f32 → f32), _bf16 (bf16 → bf16, math in f32).
// Launch: 1-D grid-stride; block 256; grid = min(ceil(n / (256·vec)), 65535·8) where vec = 4 (f32) or 8
//   (bf16); any grid works. No shared memory.
// Why: pure bandwidth; 16-byte accesses when the buffers are 16-byte aligned (checked per launch, uniform),
//   a scalar loop for the rest. Not built with --use_fast_math: erfcf/expf are the accurate library
//   versions (≤ 2–4 ulp), so results match the CPU twin to ~1e-7 relative.
#include "fv_common.cuh"


struct FvBinaryParams
{
    void* y;
    const void* a;
    const void* b;
    fv_i64 n;
    float alpha;
    float beta;
};
FV_ABI_STATIC_ASSERT(sizeof(FvBinaryParams) == 40, "FvBinaryParams layout is mirrored in C#");
FV_ABI_OFFSET(FvBinaryParams, alpha, 32);

struct FvGeluErf { FV_DEVICE float operator()(float x, float, float) const { return 0.5f * x * erfcf(-x * 0.70710678118654752f); } };
struct FvGeluTanh
{
    FV_DEVICE float operator()(float x, float, float) const
    {
        const float u = 0.7978845608028654f * fmaf(0.044715f * x, x * x, x);
        return x / (1.f + expf(-2.f * u));
    }
};
struct FvSilu { FV_DEVICE float operator()(float x, float, float) const { return x / (1.f + expf(-x)); } };
struct FvScale { FV_DEVICE float operator()(float x, float a, float b) const { return fmaf(x, a, b); } };
struct FvClamp
{
    // fmaxf/fminf drop NaN operands; torch.clamp (and the CPU twin) keep a NaN input.
    FV_DEVICE float operator()(float x, float a, float b) const { return x != x ? x : fminf(fmaxf(x, a), b); }
};

template <typename T, typename Op>
__device__ void fv_unary_impl(const FvUnaryParams& p)
{
    constexpr int VEC = fv_vec_traits<T>::n;
    const Op op;
    const T* x = (const T*)p.x;
    T* y = (T*)p.y;
    fv_i64 head = 0;
    if (fv_aligned16(p.x) && fv_aligned16(p.y))
    {
        const fv_i64 nv = p.n / VEC;
        FV_GRID_STRIDE(i, nv)
        {
            float v[VEC];
            fv_unpack<T>(fv_ld16((const fv_vec16*)x + i), v);
#pragma unroll
            for (int e = 0; e < VEC; e++) v[e] = op(v[e], p.a, p.b);
            fv_st16((fv_vec16*)y + i, fv_pack<T>(v));
        }
        head = nv * VEC;
    }
    const fv_i64 rest = p.n - head;
    FV_GRID_STRIDE(i, rest) fv_store(y + head + i, op(fv_load(x + head + i), p.a, p.b));
}

struct FvAxpby { FV_DEVICE float operator()(float a, float b, float alpha, float beta) const { return fmaf(alpha, a, beta * b); } };
struct FvAdd { FV_DEVICE float operator()(float a, float b, float, float) const { return a + b; } };
struct FvSub { FV_DEVICE float operator()(float a, float b, float, float) const { return a - b; } };
struct FvMul { FV_DEVICE float operator()(float a, float b, float, float) const { return a * b; } };
struct FvDiv { FV_DEVICE float operator()(float a, float b, float, float) const { return a / b; } };

template <typename Op>
__device__ void fv_binary_contig_impl(const FvBinaryParams& p)
{
    const Op op;
    const float* a = (const float*)p.a;
    const float* b = (const float*)p.b;
    float* y = (float*)p.y;
    fv_i64 head = 0;
    if (fv_aligned16(p.a) && fv_aligned16(p.b) && fv_aligned16(p.y))
    {
        const fv_i64 nv = p.n / 4;
        FV_GRID_STRIDE(i, nv)
        {
            const float4 u = ((const float4*)a)[i], w = ((const float4*)b)[i];
            float4 r;
            r.x = op(u.x, w.x, p.alpha, p.beta);
            r.y = op(u.y, w.y, p.alpha, p.beta);
            r.z = op(u.z, w.z, p.alpha, p.beta);
            r.w = op(u.w, w.w, p.alpha, p.beta);
            ((float4*)y)[i] = r;
        }
        head = nv * 4;
    }
    const fv_i64 rest = p.n - head;
    FV_GRID_STRIDE(i, rest) y[head + i] = op(a[head + i], b[head + i], p.alpha, p.beta);
}

#define FV_UNARY(name, T, Op) \
    extern "C" __global__ void name(const FvUnaryParams p) { fv_unary_impl<T, Op>(p); }
FV_UNARY(fv_gelu_erf_f32, float, FvGeluErf)
FV_UNARY(fv_gelu_erf_bf16, fv_bf16, FvGeluErf)
FV_UNARY(fv_gelu_tanh_f32, float, FvGeluTanh)
FV_UNARY(fv_gelu_tanh_bf16, fv_bf16, FvGeluTanh)
FV_UNARY(fv_silu_f32, float, FvSilu)
FV_UNARY(fv_silu_bf16, fv_bf16, FvSilu)
FV_UNARY(fv_scale_f32, float, FvScale)
FV_UNARY(fv_clamp_f32, float, FvClamp)

#define FV_BINARY(name, Op) \
    extern "C" __global__ void name(const FvBinaryParams p) { fv_binary_contig_impl<Op>(p); }
FV_BINARY(fv_axpby_f32, FvAxpby)
FV_BINARY(fv_add_f32_contig, FvAdd)
FV_BINARY(fv_sub_f32_contig, FvSub)
FV_BINARY(fv_mul_f32_contig, FvMul)
FV_BINARY(fv_div_f32_contig, FvDiv)
