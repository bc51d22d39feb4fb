// im2col.cu — the column matrix of a 2-D or 3-D convolution, so the managed side runs conv as
// im2col + cuBLASLt GEMM: y[n] viewed [O, P] = W [O, K] · col [K, P] (+ bias), K = C·KT·KH·KW.
//
// Contract (CPU twin: ConvIm2Col.FillRow, used by IBackend.Conv2d/Conv3d): x is one sample [C, T, H, W]
//   (a 2-D conv is T = KT = ST = 1, pad_front = 0). Output rows are numbered r = to·Ho + ho; a launch fills the
//   slab r ∈ [r0, r0 + rows) (the managed side bounds the column scratch like ConvDriver's slabs):
//   col[k, (r − r0)·Wo + wo] = x[c, ti, hi, wi] with k = ((c·KT + kt)·KH + kh)·KW + kw,
//   ti = to·ST − pad_front + kt, hi = ho·SH − pad_top + kh, wi = wo·SW − pad_left + kw, 0 outside the input.
//   col is [K, rows·Wo] row-major (leading dimension rows·Wo).
// Entry points: fv_im2col_f32, fv_im2col_bf16, fv_im2col_f16 (col has x's dtype), fv_im2col_f32_bf16.
// Launch: 1-D grid-stride over K·rows·Wo, block 256. No shared memory.
// Why: one thread per column element keeps the writes coalesced along wo (and the reads too for stride 1);
//   the index arithmetic is 32-bit except the final offsets.
#include "fv_common.cuh"

struct FvIm2ColParams
{
    void* col;
    const void* x;
    int channels, frames, height, width;
    int kt, kh, kw;
    int st, sh, sw;
    int pad_front, pad_top, pad_left;
    int out_frames, out_height, out_width;
    int r0, rows;
};
FV_ABI_STATIC_ASSERT(sizeof(FvIm2ColParams) == 88, "FvIm2ColParams layout is mirrored in C#");
FV_ABI_OFFSET(FvIm2ColParams, kt, 32);
FV_ABI_OFFSET(FvIm2ColParams, rows, 84);

template <typename TIn, typename TOut>
__device__ void fv_im2col_impl(const FvIm2ColParams& p)
{
    const fv_i64 cols = (fv_i64)p.rows * p.out_width;
    const fv_i64 n = (fv_i64)p.channels * p.kt * p.kh * p.kw * cols;
    const TIn* x = (const TIn*)p.x;
    TOut* col = (TOut*)p.col;
    FV_GRID_STRIDE(i, n)
    {
        const fv_i64 kq = i / cols;
        const int j = (int)(i - kq * cols);
        int k = (int)kq;
        const int kw = k % p.kw; k /= p.kw;
        const int kh = k % p.kh; k /= p.kh;
        const int kt = k % p.kt;
        const int c = k / p.kt;
        const int r = p.r0 + j / p.out_width, wo = j % p.out_width;
        const int to = r / p.out_height, ho = r % p.out_height;
        const int ti = to * p.st - p.pad_front + kt, hi = ho * p.sh - p.pad_top + kh, wi = wo * p.sw - p.pad_left + kw;
        float v = 0.f;
        if ((unsigned)ti < (unsigned)p.frames && (unsigned)hi < (unsigned)p.height && (unsigned)wi < (unsigned)p.width)
            v = fv_load(x + ((((fv_i64)c * p.frames + ti) * p.height + hi) * p.width + wi));
        fv_store(col + i, v);
    }
}

extern "C" __global__ void fv_im2col_f32(const FvIm2ColParams p) { fv_im2col_impl<float, float>(p); }
extern "C" __global__ void fv_im2col_bf16(const FvIm2ColParams p) { fv_im2col_impl<fv_bf16, fv_bf16>(p); }
extern "C" __global__ void fv_im2col_f16(const FvIm2ColParams p) { fv_im2col_impl<fv_f16, fv_f16>(p); }
extern "C" __global__ void fv_im2col_f32_bf16(const FvIm2ColParams p) { fv_im2col_impl<float, fv_bf16>(p); }
