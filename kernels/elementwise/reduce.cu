// reduce.cu — softmax over the last dimension, and sum/mean over one dimension (f32).
//
// fv_softmax_f32 (CPU twin: IBackend.Softmax): y[r, c] = e[r, c] · (float)(1 / Σ_c e), e = exp(x − max_c x);
//   x, y [rows, cols] contiguous. Σ per thread in f32, across the block in double. A row with NaN gives NaN;
//   a row of only −inf gives NaN (as the CPU twin's Softmax and PyTorch) unless zero_masked_rows ≠ 0, when it
//   gives 0 (the attention contract: a query whose keys are all masked attends to nothing, as PyTorch's SDPA;
//   the F32 attention path sets it). Launch: grid.x = min(rows, 2^20), block 32..1024 (multiple of 32;
//   catalog: ceil(cols/4) rounded to 32, capped at 256); rows are strided over blocks.
// fv_reduce_rows_f32 (CPU twin: IBackend.Sum/Mean when the reduced dim is innermost): x viewed as
//   [outer, len] → y[outer]; one block per row, accumulation in double (as the CPU twin). Launch like softmax.
// fv_reduce_cols_f32 (the reduced dim has inner > 1): x viewed as [outer, len, inner] → y[outer, inner]; one
//   thread per output element walks len (coalesced across inner), double accumulation.
//   Launch: 1-D grid-stride over outer·inner, block 256.
// Both: mean ≠ 0 divides the double sum by len (len = 0 → NaN, as PyTorch).
// Why: softmax re-reads its row (max, exp-sum, write) out of L1/L2; reductions keep the CPU twin's double
//   accumulation so results agree to f32 rounding. Not --use_fast_math (accurate expf).
#include "fv_common.cuh"

struct FvSoftmaxParams
{
    void* y;
    const void* x;
    fv_i64 rows;
    int cols;
    int zero_masked_rows;
};
FV_ABI_STATIC_ASSERT(sizeof(FvSoftmaxParams) == 32, "FvSoftmaxParams layout is mirrored in C#");
FV_ABI_OFFSET(FvSoftmaxParams, zero_masked_rows, 28);

struct FvReduceParams
{
    void* y;
    const void* x;
    fv_i64 outer;
    fv_i64 len;
    fv_i64 inner;
    int mean;
    int reserved;
};
FV_ABI_STATIC_ASSERT(sizeof(FvReduceParams) == 48, "FvReduceParams layout is mirrored in C#");
FV_ABI_OFFSET(FvReduceParams, mean, 40);

extern "C" __global__ void fv_softmax_f32(const FvSoftmaxParams p)
{
    __shared__ float scratch[32];
    __shared__ double scratch_d[32];
    const int cols = p.cols;
    for (fv_i64 r = blockIdx.x; r < p.rows; r += gridDim.x)
    {
        const float* x = (const float*)p.x + r * cols;
        float* y = (float*)p.y + r * cols;
        float mx = -__int_as_float(0x7f800000);
        bool nan = false;
        for (int c = threadIdx.x; c < cols; c += blockDim.x)
        {
            const float v = x[c];
            nan |= v != v;
            mx = fmaxf(mx, v);
        }
        // fmaxf drops NaN: a NaN anywhere in the row makes the max NaN, so every output becomes NaN.
        if (__syncthreads_or(nan)) mx = __int_as_float(0x7fc00000);
        else mx = fv_block_max(mx, scratch);
        // mx is the same in every thread, so the whole block takes this branch (no barrier is skipped by some).
        if (p.zero_masked_rows && mx == -__int_as_float(0x7f800000))
        {
            for (int c = threadIdx.x; c < cols; c += blockDim.x) y[c] = 0.f;
            continue;
        }
        float s = 0.f;
        for (int c = threadIdx.x; c < cols; c += blockDim.x) s += expf(x[c] - mx);
        const float inv = (float)(1.0 / fv_block_sum_d((double)s, scratch_d));
        for (int c = threadIdx.x; c < cols; c += blockDim.x) y[c] = expf(x[c] - mx) * inv;
    }
}

extern "C" __global__ void fv_reduce_rows_f32(const FvReduceParams p)
{
    __shared__ double scratch[32];
    for (fv_i64 r = blockIdx.x; r < p.outer; r += gridDim.x)
    {
        const float* x = (const float*)p.x + r * p.len;
        double s = 0.0;
        for (fv_i64 c = threadIdx.x; c < p.len; c += blockDim.x) s += (double)x[c];
        s = fv_block_sum_d(s, scratch);
        if (threadIdx.x == 0) ((float*)p.y)[r] = (float)(p.mean ? s / (double)p.len : s);
    }
}

extern "C" __global__ void fv_reduce_cols_f32(const FvReduceParams p)
{
    const fv_i64 n = p.outer * p.inner;
    FV_GRID_STRIDE(i, n)
    {
        const fv_i64 o = i / p.inner, in = i - o * p.inner;
        const float* x = (const float*)p.x + o * p.len * p.inner + in;
        double s = 0.0;
        for (fv_i64 l = 0; l < p.len; l++) s += (double)x[l * p.inner];
        ((float*)p.y)[i] = (float)(p.mean ? s / (double)p.len : s);
    }
}
