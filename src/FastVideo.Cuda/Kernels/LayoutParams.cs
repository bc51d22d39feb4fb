using System.Runtime.InteropServices;

namespace FastVideo.Cuda.Kernels;

/// <summary>
/// Mirror of <c>FvPermuteParams</c> (kernels/elementwise/layout.cu): y contiguous with Shape[0..Rank);
/// y[i_0, …] = x[Σ_d i_d·InStride[d]], InStride[d] = x's stride of the input dim that becomes output dim d.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct PermuteParams
{
    public nint Y;
    public nint X;
    public long Numel;
    public fixed long Shape[KernelLimits.MaxRank];
    public fixed long InStride[KernelLimits.MaxRank];
    public int Rank;
    public int Reserved;
}

/// <summary>Mirror of <c>FvCopyRowsParams</c> (kernels/elementwise/layout.cu): Rows rows of RowBytes bytes between byte-strided buffers.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct CopyRowsParams
{
    public nint Dst;
    public nint Src;
    public long Rows;
    public long RowBytes;
    public long SrcStrideBytes;
    public long DstStrideBytes;
}

/// <summary>
/// Mirror of <c>FvPatchParams</c> (kernels/elementwise/layout.cu), for patchify ([B, C, T, H, W] → [B, L, C·pt·ph·pw])
/// and unpatchify ([B, L, pt·ph·pw·C] → [B, C, T, H, W]); Frames/Height/Width are the unpatched T, H, W; Numel the output's.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct PatchParams
{
    public nint Y;
    public nint X;
    public long Numel;
    public int Batch;
    public int Channels;
    public int Frames;
    public int Height;
    public int Width;
    public int Pt;
    public int Ph;
    public int Pw;
}

/// <summary>Mirror of <c>FvUpsampleParams</c> (kernels/elementwise/layout.cu): x [Planes, Height, Width] → y [Planes, 2·Height, 2·Width].</summary>
[StructLayout(LayoutKind.Sequential)]
public struct UpsampleParams
{
    public nint Y;
    public nint X;
    public long Planes;
    public int Height;
    public int Width;
}

/// <summary>
/// Mirror of <c>FvEmbeddingParams</c> (kernels/elementwise/layout.cu): y [Count, Dim] F32 = rows of weight [Vocab, Dim]
/// (WeightDtype: a <see cref="FastVideo.Tensors.DType"/> code, F32/BF16/F16) gathered by ids (IdsDtype I32 or I64).
/// Out-of-range ids give NaN rows and set *Error = 1 (Error may be 0).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct EmbeddingParams
{
    public nint Y;
    public nint Weight;
    public nint Ids;
    public nint Error;
    public long Count;
    public int Vocab;
    public int Dim;
    public int WeightDtype;
    public int IdsDtype;
}

/// <summary>
/// Mirror of <c>FvIm2ColParams</c> (kernels/elementwise/im2col.cu): column matrix [K, Rows·OutWidth] of one sample
/// x [C, T, H, W] for output rows [R0, R0 + Rows) (row = to·OutHeight + ho), K = C·Kt·Kh·Kw.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct Im2ColParams
{
    public nint Col;
    public nint X;
    public int Channels, Frames, Height, Width;
    public int Kt, Kh, Kw;
    public int St, Sh, Sw;
    public int PadFront, PadTop, PadLeft;
    public int OutFrames, OutHeight, OutWidth;
    public int R0, Rows;
}
