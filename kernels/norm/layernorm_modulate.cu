// layernorm_modulate.cu — LayerNorm over the last dim with optional affine and fused adaLN modulation, and the
// gated residual add of a DiT block.
//
// fv_layernorm_<in>[_<out>] (CPU twins: IBackend.LayerNorm then IBackend.Modulate):
//   t[r, c] = (x[r, c] − μ_r) · rstd_r,   μ_r = mean_c x,   rstd_r = 1 / sqrt(mean_c (x − μ_r)² + eps)  (biased var)
//   t = t · weight[c] (when weight) + bias[c] (when bias)
//   y[r, c] = fma(t, 1 + scale[m(r), c], shift[m(r), c])  (when scale; shift may be null = 0)
//   with m(r) = (r / rows_per_group) · mod_group_stride + (r % rows_per_group) · mod_row_stride: Wan2.1's
//   modulation is [B, C] per batch (rows_per_group = tokens, mod_group_stride = C, mod_row_stride = 0); a
//   per-token modulation [B, N, C] uses mod_row_stride = C.
//   x [rows, cols] (row stride x_row_stride), y [rows, cols] (y_row_stride); weight, bias, scale, shift are f32.
// fv_residual_gate_<x>[_<y>] (CPU twin: IBackend.AddGated): out[r, c] = fma(y[r, c], gate[m(r), c], x[r, c]),
//   out may alias x (in-place residual update). gate null means gate = 1.
// Launch (both): grid.x = min(rows, 2^21) (blocks stride over rows), block = 32..1024 threads, a multiple of 32
//   (catalog: ceil(cols / vec) rounded up to 32, capped at 256); no dynamic shared memory.
// Why: one block per row (Wan C = 1536..5120), 16-byte loads; the row is read three times (mean, variance,
//   output): the two-pass variance keeps full accuracy when |μ| ≫ σ, and rows of ≤ 10 KiB stay in L1/L2.
//   The mean is accumulated in double; the variance's per-thread partial sums are f32 (≤ 20 terms each for
//   C = 5120), combined across the block in double.
// Not built with --use_fast_math (matches the CPU reference to 1e-5 in f32).
#include "fv_common.cuh"

struct FvLayerNormParams
{
    void* y;
    const void* x;
    const float* weight;
    const float* bias;
    const float* scale;
    const float* shift;
    fv_i64 rows;
    fv_i64 x_row_stride;
    fv_i64 y_row_stride;
    fv_i64 mod_group_stride;
    fv_i64 mod_row_stride;
    int cols;
    int rows_per_group;
    float eps;
    int reserved;
};
FV_ABI_STATIC_ASSERT(sizeof(FvLayerNormParams) == 104, "FvLayerNormParams layout is mirrored in C#");
FV_ABI_OFFSET(FvLayerNormParams, cols, 88);

struct FvGatedResidualParams
{
    void* out;
    const void* x;
    const void* y;
    const float* gate;
    fv_i64 rows;
    fv_i64 x_row_stride;
    fv_i64 y_row_stride;
    fv_i64 out_row_stride;
    fv_i64 gate_group_stride;
    fv_i64 gate_row_stride;
    int cols;
    int rows_per_group;
};
FV_ABI_STATIC_ASSERT(sizeof(FvGatedResidualParams) == 88, "FvGatedResidualParams layout is mirrored in C#");
FV_ABI_OFFSET(FvGatedResidualParams, cols, 80);

FV_DEVICE fv_i64 fv_mod_offset(fv_i64 r, int rows_per_group, fv_i64 group_stride, fv_i64 row_stride)
{
    return (r / rows_per_group) * group_stride + (r % rows_per_group) * row_stride;
}

template <typename TIn, typename TOut>
__device__ void fv_layernorm_impl(const FvLayerNormParams& p)
{
    __shared__ double scratch[32];
    constexpr int VEC = fv_vec_traits<TIn>::n;
    const int cols = p.cols;
    const bool vec = (cols % VEC) == 0 && (p.x_row_stride % VEC) == 0 && (p.y_row_stride % VEC) == 0
        && fv_aligned16(p.x) && ((fv_u64)p.y % (VEC * sizeof(TOut))) == 0
        && (p.weight == nullptr || fv_aligned16(p.weight)) && (p.bias == nullptr || fv_aligned16(p.bias))
        && (p.scale == nullptr || (fv_aligned16(p.scale) && p.mod_group_stride % 4 == 0 && p.mod_row_stride % 4 == 0))
        && (p.shift == nullptr || (fv_aligned16(p.shift) && p.mod_group_stride % 4 == 0 && p.mod_row_stride % 4 == 0));

    for (fv_i64 r = blockIdx.x; r < p.rows; r += gridDim.x)
    {
        const TIn* x = (const TIn*)p.x + r * p.x_row_stride;
        TOut* y = (TOut*)p.y + r * p.y_row_stride;
        const fv_i64 mo = fv_mod_offset(r, p.rows_per_group, p.mod_group_stride, p.mod_row_stride);

        // Pass 1: mean, accumulated in double (one add per element): with f32 partial sums a row with
        // |μ| ≫ σ would carry a mean error of ~1e-6·|μ| into every centred value.
        double s = 0.0;
        if (vec)
            for (int c = threadIdx.x * VEC; c < cols; c += blockDim.x * VEC)
            {
                float v[VEC];
                fv_unpack<TIn>(fv_ld16(x + c), v);
#pragma unroll
                for (int i = 0; i < VEC; i++) s += v[i];
            }
        else
            for (int c = threadIdx.x; c < cols; c += blockDim.x) s += fv_load(x + c);
        // The mean as a float pair: x − hi is exact when x is near the mean (Sterbenz), and subtracting lo then
        // recovers what rounding the mean to float lost, so rows with |μ| ≫ σ centre as accurately as in double.
        const double mean_d = fv_block_sum_d(s, scratch) / cols;
        const float mean = (float)mean_d, mean_lo = (float)(mean_d - (double)mean);

        // Pass 2: biased variance around the mean.
        float q = 0.f;
        if (vec)
            for (int c = threadIdx.x * VEC; c < cols; c += blockDim.x * VEC)
            {
                float v[VEC];
                fv_unpack<TIn>(fv_ld16(x + c), v);
#pragma unroll
                for (int i = 0; i < VEC; i++)
                {
                    float d = (v[i] - mean) - mean_lo;
                    q = fmaf(d, d, q);
                }
            }
        else
            for (int c = threadIdx.x; c < cols; c += blockDim.x)
            {
                float d = (fv_load(x + c) - mean) - mean_lo;
                q = fmaf(d, d, q);
            }
        const double var = fv_block_sum_d((double)q, scratch) / cols;
        const float rstd = (float)(1.0 / sqrt(var + (double)p.eps));

        // Pass 3: normalise, affine, modulate.
        if (vec)
            for (int c = threadIdx.x * VEC; c < cols; c += blockDim.x * VEC)
            {
                float v[VEC], a[VEC];
                fv_unpack<TIn>(fv_ld16(x + c), v);
#pragma unroll
                for (int i = 0; i < VEC; i++) v[i] = ((v[i] - mean) - mean_lo) * rstd;
                if (p.weight != nullptr)
                {
                    fv_load_f32_n<VEC>(p.weight + c, a);
#pragma unroll
                    for (int i = 0; i < VEC; i++) v[i] *= a[i];
                }
                if (p.bias != nullptr)
                {
                    fv_load_f32_n<VEC>(p.bias + c, a);
#pragma unroll
                    for (int i = 0; i < VEC; i++) v[i] += a[i];
                }
                if (p.scale != nullptr)
                {
                    float b[VEC];
                    fv_load_f32_n<VEC>(p.scale + mo + c, a);
                    if (p.shift != nullptr) fv_load_f32_n<VEC>(p.shift + mo + c, b);
#pragma unroll
                    for (int i = 0; i < VEC; i++) v[i] = fmaf(v[i], 1.f + a[i], p.shift != nullptr ? b[i] : 0.f);
                }
                else if (p.shift != nullptr)
                {
                    fv_load_f32_n<VEC>(p.shift + mo + c, a);
#pragma unroll
                    for (int i = 0; i < VEC; i++) v[i] += a[i];
                }
                fv_store_n<TOut, VEC>(y + c, v);
            }
        else
            for (int c = threadIdx.x; c < cols; c += blockDim.x)
            {
                float v = ((fv_load(x + c) - mean) - mean_lo) * rstd;
                if (p.weight != nullptr) v *= p.weight[c];
                if (p.bias != nullptr) v += p.bias[c];
                const float sh = p.shift != nullptr ? p.shift[mo + c] : 0.f;
                if (p.scale != nullptr) v = fmaf(v, 1.f + p.scale[mo + c], sh);
                else v += sh;
                fv_store(y + c, v);
            }
    }
}

template <typename TX, typename TY>
__device__ void fv_residual_gate_impl(const FvGatedResidualParams& p)
{
    constexpr int VEC = fv_vec_traits<TY>::n > fv_vec_traits<TX>::n ? fv_vec_traits<TX>::n : fv_vec_traits<TY>::n;
    const int cols = p.cols;
    const bool vec = (cols % VEC) == 0 && (p.x_row_stride % VEC) == 0 && (p.y_row_stride % VEC) == 0
        && (p.out_row_stride % VEC) == 0 && ((fv_u64)p.x % (VEC * sizeof(TX))) == 0
        && ((fv_u64)p.out % (VEC * sizeof(TX))) == 0 && ((fv_u64)p.y % (VEC * sizeof(TY))) == 0
        && (p.gate == nullptr || (fv_aligned16(p.gate) && p.gate_group_stride % 4 == 0 && p.gate_row_stride % 4 == 0));
    for (fv_i64 r = blockIdx.x; r < p.rows; r += gridDim.x)
    {
        const TX* x = (const TX*)p.x + r * p.x_row_stride;
        const TY* y = (const TY*)p.y + r * p.y_row_stride;
        TX* o = (TX*)p.out + r * p.out_row_stride;
        const float* g = p.gate != nullptr ? p.gate + fv_mod_offset(r, p.rows_per_group, p.gate_group_stride, p.gate_row_stride) : nullptr;
        if (vec)
            for (int c = threadIdx.x * VEC; c < cols; c += blockDim.x * VEC)
            {
                float xv[VEC], yv[VEC], gv[VEC];
                fv_load_n<TX, VEC>(x + c, xv);
                fv_load_n<TY, VEC>(y + c, yv);
                if (g != nullptr) fv_load_f32_n<VEC>(g + c, gv);
#pragma unroll
                for (int i = 0; i < VEC; i++) xv[i] = g != nullptr ? fmaf(yv[i], gv[i], xv[i]) : xv[i] + yv[i];
                fv_store_n<TX, VEC>(o + c, xv);
            }
        else
            for (int c = threadIdx.x; c < cols; c += blockDim.x)
            {
                const float yv = fv_load(y + c), xv = fv_load(x + c);
                fv_store(o + c, g != nullptr ? fmaf(yv, g[c], xv) : xv + yv);
            }
    }
}

extern "C" __global__ void fv_layernorm_f32(const FvLayerNormParams p) { fv_layernorm_impl<float, float>(p); }
extern "C" __global__ void fv_layernorm_f32_bf16(const FvLayerNormParams p) { fv_layernorm_impl<float, fv_bf16>(p); }
extern "C" __global__ void fv_layernorm_bf16(const FvLayerNormParams p) { fv_layernorm_impl<fv_bf16, fv_bf16>(p); }
extern "C" __global__ void fv_layernorm_f16(const FvLayerNormParams p) { fv_layernorm_impl<fv_f16, fv_f16>(p); }

extern "C" __global__ void fv_residual_gate_f32(const FvGatedResidualParams p) { fv_residual_gate_impl<float, float>(p); }
extern "C" __global__ void fv_residual_gate_f32_bf16(const FvGatedResidualParams p) { fv_residual_gate_impl<float, fv_bf16>(p); }
extern "C" __global__ void fv_residual_gate_bf16(const FvGatedResidualParams p) { fv_residual_gate_impl<fv_bf16, fv_bf16>(p); }
