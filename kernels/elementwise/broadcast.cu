// broadcast.cu — binary and ternary f32 ops with NumPy broadcasting through explicit per-dimension strides.
//
// Contract (CPU twins: IBackend.Add/Sub/Mul/Div, Modulate, AddGated; CpuBroadcast.cs):
//   out is contiguous with shape shape[0..rank) (rank ≤ 6, innermost last); operand k's element for output
//   index (i_0, …, i_{rank−1}) is in_k[Σ_d i_d · stride_k[d]], stride 0 along broadcast dimensions.
//   The managed side collapses adjacent dimensions that are contiguous for every operand before the launch,
//   so the common cases ([B, N, C] + [C], [B, N, C] ∘ [B, 1, C]) arrive as rank 2 or 3.
//   fv_{add,sub,mul,div}_f32:  out = in0 ∘ in1
//   fv_modulate_f32:           out = fma(in0, 1 + in1, in2)   (x·(1 + scale) + shift)
//   fv_add_gated_f32:          out = fma(in1, in2, in0)       (x + y·gate)
// Launch: 1-D grid-stride over numel; block 256; grid = min(ceil(numel / 256), 65535·8). No shared memory.
// Why: one generic kernel instead of a kernel per broadcast pattern; the index arithmetic (≤ 6 div/mod per
//   element) is hidden behind memory latency for these bandwidth-bound ops. Equal shapes go to the
//   vectorised fv_*_f32_contig entries (activations.cu) instead. Not --use_fast_math (IEEE div).
#include "fv_common.cuh"

struct FvBroadcastParams
{
    void* out;
    const void* in0;
    const void* in1;
    const void* in2;
    fv_i64 numel;
    fv_i64 shape[FV_MAX_RANK];
    fv_i64 stride0[FV_MAX_RANK];
    fv_i64 stride1[FV_MAX_RANK];
    fv_i64 stride2[FV_MAX_RANK];
    int rank;
    int reserved;
};
FV_ABI_STATIC_ASSERT(sizeof(FvBroadcastParams) == 240, "FvBroadcastParams layout is mirrored in C#");
FV_ABI_OFFSET(FvBroadcastParams, shape, 40);
FV_ABI_OFFSET(FvBroadcastParams, stride2, 184);
FV_ABI_OFFSET(FvBroadcastParams, rank, 232);

struct FvBAdd { FV_DEVICE float operator()(float a, float b, float) const { return a + b; } };
struct FvBSub { FV_DEVICE float operator()(float a, float b, float) const { return a - b; } };
struct FvBMul { FV_DEVICE float operator()(float a, float b, float) const { return a * b; } };
struct FvBDiv { FV_DEVICE float operator()(float a, float b, float) const { return a / b; } };
struct FvBModulate { FV_DEVICE float operator()(float x, float scale, float shift) const { return fmaf(x, 1.f + scale, shift); } };
struct FvBAddGated { FV_DEVICE float operator()(float x, float y, float gate) const { return fmaf(y, gate, x); } };

template <typename Op, bool Ternary>
__device__ void fv_broadcast_impl(const FvBroadcastParams& p)
{
    const Op op;
    const float* a = (const float*)p.in0;
    const float* b = (const float*)p.in1;
    const float* c = (const float*)p.in2;
    float* y = (float*)p.out;
    FV_GRID_STRIDE(i, p.numel)
    {
        fv_i64 rem = i, o0 = 0, o1 = 0, o2 = 0;
#pragma unroll
        for (int d = FV_MAX_RANK - 1; d >= 0; d--)
        {
            if (d >= p.rank) continue;
            const fv_i64 n = p.shape[d];
            const fv_i64 q = rem / n, idx = rem - q * n;
            rem = q;
            o0 += idx * p.stride0[d];
            o1 += idx * p.stride1[d];
            if (Ternary) o2 += idx * p.stride2[d];
        }
        y[i] = op(a[o0], b[o1], Ternary ? c[o2] : 0.f);
    }
}

#define FV_BCAST(name, Op, Ternary) \
    extern "C" __global__ void name(const FvBroadcastParams p) { fv_broadcast_impl<Op, Ternary>(p); }
FV_BCAST(fv_add_f32, FvBAdd, false)
FV_BCAST(fv_sub_f32, FvBSub, false)
FV_BCAST(fv_mul_f32, FvBMul, false)
FV_BCAST(fv_div_f32, FvBDiv, false)
FV_BCAST(fv_modulate_f32, FvBModulate, true)
FV_BCAST(fv_add_gated_f32, FvBAddGated, true)
