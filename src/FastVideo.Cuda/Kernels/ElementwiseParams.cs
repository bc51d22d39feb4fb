using System.Runtime.InteropServices;

namespace FastVideo.Cuda.Kernels;

/// <summary>
/// Mirror of <c>FvUnaryParams</c> (kernels/common/fv_common.cuh): y[i] = f(x[i]), i &lt; N, contiguous; A and B are
/// the op's scalars (Scale: scale, bias; Clamp: min, max; unused by activations and casts).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct UnaryParams
{
    public nint Y;
    public nint X;
    public long N;
    public float A;
    public float B;
}

/// <summary>Mirror of <c>FvBinaryParams</c> (kernels/elementwise/activations.cu): y[i] = a[i] ∘ b[i] (axpby: fma(Alpha, a, Beta·b)).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct BinaryParams
{
    public nint Y;
    public nint A;
    public nint B;
    public long N;
    public float Alpha;
    public float Beta;
}

/// <summary>
/// Mirror of <c>FvBroadcastParams</c> (kernels/elementwise/broadcast.cu): out contiguous with Shape[0..Rank);
/// operand k read at Σ_d i_d·Stride_k[d] (0 along broadcast dims). Rank ≤ <see cref="KernelLimits.MaxRank"/>.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct BroadcastParams
{
    public nint Out;
    public nint In0;
    public nint In1;
    public nint In2;
    public long Numel;
    public fixed long Shape[KernelLimits.MaxRank];
    public fixed long Stride0[KernelLimits.MaxRank];
    public fixed long Stride1[KernelLimits.MaxRank];
    public fixed long Stride2[KernelLimits.MaxRank];
    public int Rank;
    public int Reserved;
}

/// <summary>Mirror of <c>FvFillParams</c> (kernels/elementwise/convert.cu): y[i] = the low ElemSize bytes of ValueBits.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FillParams
{
    public nint Y;
    public long N;
    public ulong ValueBits;
    public int ElemSize;
    public int Reserved;
}

/// <summary>
/// Mirror of <c>FvCastParams</c> (kernels/elementwise/convert.cu): y[i] = x[i] converted from dtype From to dtype To
/// (<see cref="FastVideo.Tensors.DType"/> codes) by the CPU backend's rules; N elements, contiguous.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct CastParams
{
    public nint Y;
    public nint X;
    public long N;
    public int From;
    public int To;
}

/// <summary>
/// Mirror of <c>FvSoftmaxParams</c> (kernels/elementwise/reduce.cu): softmax over the last dim of a contiguous
/// [Rows, Cols] F32 tensor. ZeroMaskedRows ≠ 0: a row of only −∞ gives 0 (attention's rule) instead of NaN.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct SoftmaxParams
{
    public nint Y;
    public nint X;
    public long Rows;
    public int Cols;
    public int ZeroMaskedRows;
}

/// <summary>
/// Mirror of <c>FvReduceParams</c> (kernels/elementwise/reduce.cu): x viewed [Outer, Len, Inner] → y [Outer, Inner],
/// Σ over Len in double (Mean ≠ 0: divided by Len).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct ReduceParams
{
    public nint Y;
    public nint X;
    public long Outer;
    public long Len;
    public long Inner;
    public int Mean;
    public int Reserved;
}

/// <summary>Mirror of <c>FvRopeParams</c> (kernels/elementwise/rope.cu): x, y [Rows = B·N, H, D] F32, Cos/Sin [N, D/2].</summary>
[StructLayout(LayoutKind.Sequential)]
public struct RopeParams
{
    public nint Y;
    public nint X;
    public nint Cos;
    public nint Sin;
    public long Rows;
    public int Tokens;
    public int Heads;
    public int HeadDim;
    public int Reserved;
}
