// layout.cu — data movement: permute (rank ≤ 6), strided row copies (concat/slice/split), Wan patchify and
// unpatchify, nearest 2× upsampling, embedding gather. Any dtype, by element size (_b1/_b2/_b4/_b8).
//
// fv_permute_b{1,2,4,8} (CPU twin: IBackend.Permute): y contiguous with shape shape[0..rank);
//   y[i_0, …] = x[Σ_d i_d · in_stride[d]], in_stride[d] = x's element stride of the input dim that becomes
//   output dim d. Launch: grid-stride over numel, block 256.
// fv_copy_rows (CPU twins: IBackend.Concat, Slice, Split): rows × row_bytes bytes, row r from
//   src + r·src_stride_bytes to dst + r·dst_stride_bytes. Moves 16-, 8-, 4- or 1-byte units, the widest that
//   divides row_bytes, both strides and both pointers (chosen per launch). Concat = one launch per input
//   (dst offset by its column start), Slice = one launch with src offset by start·inner.
//   Launch: grid-stride over rows·row_bytes/unit, block 256.
// fv_patchify_b{2,4}: x [B, C, T, H, W] → y [B, (T/pt)(H/ph)(W/pw), C·pt·ph·pw], inner order (c, kt, kh, kw):
//   the patch embedding Conv3d(kernel = stride = patch) becomes y · Wᵀ with W = weight viewed [O, C·pt·ph·pw].
// fv_unpatchify_b{2,4}: x [B, f·h·w, pt·ph·pw·C] (inner order (kt, kh, kw, c), Wan's proj_out) →
//   y [B, C, f·pt, h·ph, w·pw], as diffusers' reshape + permute(0, 7, 1, 4, 2, 5, 3, 6) + flatten.
//   For both, frames/height/width are the unpatched T, H, W (multiples of pt, ph, pw).
//   Launch: grid-stride over numel (one thread per output element, coalesced writes), block 256.
// fv_upsample_nearest2x_b{2,4} (CPU twin: IBackend.UpsampleNearest2x): x [planes, H, W] → y [planes, 2H, 2W],
//   y[p, i, j] = x[p, i/2, j/2]. Launch: grid-stride over planes·4HW, block 256.
// fv_embedding_f32 (CPU twin: IBackend.Embedding): y[k, :] = weight[ids[k], :] as f32; weight [vocab, dim] of
//   weight_dtype (f32/bf16/f16), ids of ids_dtype (I32 or I64, DType codes). An id outside [0, vocab) writes
//   NaN to its row and sets *error = 1 when error is not null (the managed side validates ids it can see
//   on the host; this is the device-side guard). Launch: grid-stride over count·dim, block 256.
#include "fv_common.cuh"

struct FvPermuteParams
{
    void* y;
    const void* x;
    fv_i64 numel;
    fv_i64 shape[FV_MAX_RANK];
    fv_i64 in_stride[FV_MAX_RANK];
    int rank;
    int reserved;
};
FV_ABI_STATIC_ASSERT(sizeof(FvPermuteParams) == 128, "FvPermuteParams layout is mirrored in C#");
FV_ABI_OFFSET(FvPermuteParams, in_stride, 72);
FV_ABI_OFFSET(FvPermuteParams, rank, 120);

struct FvCopyRowsParams
{
    void* dst;
    const void* src;
    fv_i64 rows;
    fv_i64 row_bytes;
    fv_i64 src_stride_bytes;
    fv_i64 dst_stride_bytes;
};
FV_ABI_STATIC_ASSERT(sizeof(FvCopyRowsParams) == 48, "FvCopyRowsParams layout is mirrored in C#");

struct FvPatchParams
{
    void* y;
    const void* x;
    fv_i64 numel;
    int batch;
    int channels;
    int frames;
    int height;
    int width;
    int pt;
    int ph;
    int pw;
};
FV_ABI_STATIC_ASSERT(sizeof(FvPatchParams) == 56, "FvPatchParams layout is mirrored in C#");
FV_ABI_OFFSET(FvPatchParams, batch, 24);

struct FvUpsampleParams
{
    void* y;
    const void* x;
    fv_i64 planes;
    int height;
    int width;
};
FV_ABI_STATIC_ASSERT(sizeof(FvUpsampleParams) == 32, "FvUpsampleParams layout is mirrored in C#");

struct FvEmbeddingParams
{
    void* y;
    const void* weight;
    const void* ids;
    int* error;
    fv_i64 count;
    int vocab;
    int dim;
    int weight_dtype;
    int ids_dtype;
};
FV_ABI_STATIC_ASSERT(sizeof(FvEmbeddingParams) == 56, "FvEmbeddingParams layout is mirrored in C#");
FV_ABI_OFFSET(FvEmbeddingParams, vocab, 40);

template <typename U>
__device__ void fv_permute_impl(const FvPermuteParams& p)
{
    const U* x = (const U*)p.x;
    U* y = (U*)p.y;
    FV_GRID_STRIDE(i, p.numel)
    {
        fv_i64 rem = i, off = 0;
#pragma unroll
        for (int d = FV_MAX_RANK - 1; d >= 0; d--)
        {
            if (d >= p.rank) continue;
            const fv_i64 n = p.shape[d];
            const fv_i64 q = rem / n;
            off += (rem - q * n) * p.in_stride[d];
            rem = q;
        }
        y[i] = x[off];
    }
}

template <typename U>
__device__ void fv_copy_rows_impl(const FvCopyRowsParams& p)
{
    const fv_i64 per_row = p.row_bytes / (fv_i64)sizeof(U);
    const fv_i64 n = p.rows * per_row;
    FV_GRID_STRIDE(i, n)
    {
        const fv_i64 r = i / per_row, c = i - r * per_row;
        *((U*)((char*)p.dst + r * p.dst_stride_bytes) + c) = *((const U*)((const char*)p.src + r * p.src_stride_bytes) + c);
    }
}

template <typename U>
__device__ void fv_patchify_impl(const FvPatchParams& p)
{
    const int f = p.frames / p.pt, h = p.height / p.ph, w = p.width / p.pw;
    const fv_i64 K = (fv_i64)p.channels * p.pt * p.ph * p.pw, L = (fv_i64)f * h * w;
    const U* x = (const U*)p.x;
    U* y = (U*)p.y;
    FV_GRID_STRIDE(i, p.numel)
    {
        fv_i64 k = i % K;
        const fv_i64 bl = i / K, l = bl % L, b = bl / L;
        const int kw = (int)(k % p.pw); k /= p.pw;
        const int kh = (int)(k % p.ph); k /= p.ph;
        const int kt = (int)(k % p.pt);
        const fv_i64 c = k / p.pt;
        const int wi = (int)(l % w), hi = (int)((l / w) % h), fi = (int)(l / ((fv_i64)w * h));
        const fv_i64 src = (((b * p.channels + c) * p.frames + (fi * p.pt + kt)) * (fv_i64)p.height + (hi * p.ph + kh)) * p.width
            + (wi * p.pw + kw);
        y[i] = x[src];
    }
}

template <typename U>
__device__ void fv_unpatchify_impl(const FvPatchParams& p)
{
    const int h = p.height / p.ph, w = p.width / p.pw;
    const fv_i64 C = p.channels, plane = (fv_i64)p.frames * p.height * p.width;
    const fv_i64 K = C * p.pt * p.ph * p.pw;
    const U* x = (const U*)p.x;
    U* y = (U*)p.y;
    FV_GRID_STRIDE(i, p.numel)
    {
        fv_i64 pos = i % plane;
        const fv_i64 bc = i / plane, c = bc % C, b = bc / C;
        const int ww = (int)(pos % p.width); pos /= p.width;
        const int hh = (int)(pos % p.height);
        const int t = (int)(pos / p.height);
        const int fi = t / p.pt, kt = t % p.pt, hi = hh / p.ph, kh = hh % p.ph, wi = ww / p.pw, kw = ww % p.pw;
        const fv_i64 l = ((fv_i64)fi * h + hi) * w + wi;
        const fv_i64 k = (((fv_i64)kt * p.ph + kh) * p.pw + kw) * C + c;
        y[i] = x[(b * ((fv_i64)(p.frames / p.pt) * h * w) + l) * K + k];
    }
}

template <typename U>
__device__ void fv_upsample_impl(const FvUpsampleParams& p)
{
    const fv_i64 W2 = 2 * (fv_i64)p.width, H2 = 2 * (fv_i64)p.height, n = p.planes * H2 * W2;
    const U* x = (const U*)p.x;
    U* y = (U*)p.y;
    FV_GRID_STRIDE(i, n)
    {
        const fv_i64 j = i % W2, r = i / W2, ii = r % H2, pl = r / H2;
        y[i] = x[(pl * p.height + ii / 2) * p.width + j / 2];
    }
}

extern "C" __global__ void fv_permute_b1(const FvPermuteParams p) { fv_permute_impl<fv_u8>(p); }
extern "C" __global__ void fv_permute_b2(const FvPermuteParams p) { fv_permute_impl<fv_u16>(p); }
extern "C" __global__ void fv_permute_b4(const FvPermuteParams p) { fv_permute_impl<fv_u32>(p); }
extern "C" __global__ void fv_patchify_b2(const FvPatchParams p) { fv_patchify_impl<fv_u16>(p); }
extern "C" __global__ void fv_patchify_b4(const FvPatchParams p) { fv_patchify_impl<fv_u32>(p); }
extern "C" __global__ void fv_unpatchify_b2(const FvPatchParams p) { fv_unpatchify_impl<fv_u16>(p); }
extern "C" __global__ void fv_unpatchify_b4(const FvPatchParams p) { fv_unpatchify_impl<fv_u32>(p); }
extern "C" __global__ void fv_upsample_nearest2x_b2(const FvUpsampleParams p) { fv_upsample_impl<fv_u16>(p); }
extern "C" __global__ void fv_upsample_nearest2x_b4(const FvUpsampleParams p) { fv_upsample_impl<fv_u32>(p); }
extern "C" __global__ void fv_permute_b8(const FvPermuteParams p) { fv_permute_impl<fv_u64>(p); }

extern "C" __global__ void fv_copy_rows(const FvCopyRowsParams p)
{
    const fv_u64 bits = (fv_u64)p.dst | (fv_u64)p.src | (fv_u64)p.row_bytes | (fv_u64)p.src_stride_bytes | (fv_u64)p.dst_stride_bytes;
    if ((bits & 15u) == 0) fv_copy_rows_impl<uint4>(p);
    else if ((bits & 7u) == 0) fv_copy_rows_impl<fv_u64>(p);
    else if ((bits & 3u) == 0) fv_copy_rows_impl<fv_u32>(p);
    else fv_copy_rows_impl<fv_u8>(p);
}

extern "C" __global__ void fv_embedding_f32(const FvEmbeddingParams p)
{
    const fv_i64 n = p.count * p.dim;
    float* y = (float*)p.y;
    FV_GRID_STRIDE(i, n)
    {
        const fv_i64 k = i / p.dim, d = i - k * p.dim;
        const fv_i64 id = p.ids_dtype == FV_DT_I64 ? ((const fv_i64*)p.ids)[k] : (fv_i64)((const int*)p.ids)[k];
        if (id < 0 || id >= p.vocab)
        {
            y[i] = __int_as_float(0x7fc00000);
            if (p.error != nullptr && d == 0) atomicExch(p.error, 1);
            continue;
        }
        y[i] = fv_load_dyn(p.weight, p.weight_dtype, id * p.dim + d);
    }
}
