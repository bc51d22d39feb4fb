// rmsnorm.cu — row-wise RMSNorm: y[r, c] = (x[r, c] · rs_r) · w[c], rs_r = 1 / sqrt(mean_c(x[r, c]²) + eps).
//
// Contract (CPU twin: IBackend.RmsNorm, CpuBackend.Norms.cs):
//   x  [rows, cols] with row stride x_row_stride elements, dtype TIn (f32, bf16 or f16); last dim contiguous.
//   y  [rows, cols] with row stride y_row_stride, dtype TOut. y may alias x (in-place) when strides match.
//   weight [cols] f32 or null (no scaling). Math in f32; the mean of squares is reduced per thread in f32 and
//   across the block in f32, and rs is computed in double like the CPU twin so the rounding of 1/sqrt matches.
// Entry points: fv_rmsnorm_f32, fv_rmsnorm_bf16, fv_rmsnorm_f16 (y has x's dtype), fv_rmsnorm_f32_bf16
//   (f32 in, bf16 out: feeds a bf16 GEMM without a separate cast).
// Launch: grid.x = min(rows, 65535·32) blocks (each block strides over rows), block = 32..1024 threads, a multiple
//   of 32 (the catalog picks ceil(cols / vec) rounded to 32, capped at 256), no dynamic shared memory.
// Why: one block per row keeps the reduction in one block (no second pass over the grid); 16-byte loads
//   (4 f32 or 8 bf16/f16 per access) reach full bandwidth. The row is read twice (sum of squares, then
//   scale); the second read mostly hits L1/L2 for the row sizes of Wan (1536..5120).
//   A scalar path handles rows whose length, strides or pointers are not 16-byte aligned.
// Not built with --use_fast_math: it must match the CPU reference to 1e-5 (f32).
#include "fv_common.cuh"

struct FvRmsNormParams
{
    void* y;
    const void* x;
    const float* weight;
    fv_i64 rows;
    fv_i64 x_row_stride;
    fv_i64 y_row_stride;
    int cols;
    float eps;
};
FV_ABI_STATIC_ASSERT(sizeof(FvRmsNormParams) == 56, "FvRmsNormParams layout is mirrored in C#");
FV_ABI_OFFSET(FvRmsNormParams, cols, 48);

template <typename TIn, typename TOut>
__device__ void fv_rmsnorm_impl(const FvRmsNormParams& p)
{
    __shared__ float scratch[32];
    constexpr int VEC = fv_vec_traits<TIn>::n;
    const int cols = p.cols;
    const TIn* xb = (const TIn*)p.x;
    TOut* yb = (TOut*)p.y;
    // Vector path needs whole 16-byte input vectors and an output chunk of VEC elements that is itself aligned.
    const bool vec = (cols % VEC) == 0 && (p.x_row_stride % VEC) == 0 && (p.y_row_stride % VEC) == 0
        && fv_aligned16(p.x) && ((fv_u64)p.y % (VEC * sizeof(TOut))) == 0
        && (p.weight == nullptr || fv_aligned16(p.weight));

    for (fv_i64 r = blockIdx.x; r < p.rows; r += gridDim.x)
    {
        const TIn* x = xb + r * p.x_row_stride;
        TOut* y = yb + r * p.y_row_stride;
        float ss = 0.f;
        if (vec)
        {
            for (int c = threadIdx.x * VEC; c < cols; c += blockDim.x * VEC)
            {
                float v[VEC];
                fv_unpack<TIn>(fv_ld16(x + c), v);
#pragma unroll
                for (int i = 0; i < VEC; i++) ss = fmaf(v[i], v[i], ss);
            }
        }
        else
        {
            for (int c = threadIdx.x; c < cols; c += blockDim.x)
            {
                float v = fv_load(x + c);
                ss = fmaf(v, v, ss);
            }
        }
        ss = fv_block_sum(ss, scratch);
        const float rs = (float)(1.0 / sqrt((double)ss / cols + (double)p.eps));

        if (vec)
        {
            for (int c = threadIdx.x * VEC; c < cols; c += blockDim.x * VEC)
            {
                float v[VEC];
                fv_unpack<TIn>(fv_ld16(x + c), v);
#pragma unroll
                for (int i = 0; i < VEC; i++) v[i] = v[i] * rs;
                if (p.weight != nullptr)
                {
                    float w[VEC];
                    fv_load_f32_n<VEC>(p.weight + c, w);
#pragma unroll
                    for (int i = 0; i < VEC; i++) v[i] *= w[i];
                }
                fv_store_n<TOut, VEC>(y + c, v);
            }
        }
        else
        {
            for (int c = threadIdx.x; c < cols; c += blockDim.x)
            {
                float v = fv_load(x + c) * rs;
                if (p.weight != nullptr) v *= p.weight[c];
                fv_store(y + c, v);
            }
        }
    }
}

extern "C" __global__ void fv_rmsnorm_f32(const FvRmsNormParams p) { fv_rmsnorm_impl<float, float>(p); }
extern "C" __global__ void fv_rmsnorm_bf16(const FvRmsNormParams p) { fv_rmsnorm_impl<fv_bf16, fv_bf16>(p); }
extern "C" __global__ void fv_rmsnorm_f16(const FvRmsNormParams p) { fv_rmsnorm_impl<fv_f16, fv_f16>(p); }
extern "C" __global__ void fv_rmsnorm_f32_bf16(const FvRmsNormParams p) { fv_rmsnorm_impl<float, fv_bf16>(p); }
