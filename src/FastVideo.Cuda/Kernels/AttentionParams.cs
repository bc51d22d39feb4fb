using System.Runtime.InteropServices;

namespace FastVideo.Cuda.Kernels;

/// <summary>
/// Mirror of <c>FvAttentionParams</c> (kernels/common/fv_attention.cuh), shared by the mma.sync entries
/// (flash_attn_fwd) and the Hopper ones (flash_attn_hopper): o = softmax(q·kᵀ·Scale)·v over keys j &lt; kv_len(b),
/// kv_len(b) = min(Nk, KvLens[b]) when KvLens ≠ 0. q, k, v, o are 16-bit with the head dim contiguous; the
/// batch/head/sequence strides are in elements and must be multiples of 8 (16-byte rows), base pointers
/// 16-byte aligned. Lse: F32 [B, H, Nq] (natural log-sum-exp) or 0.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct AttentionParams
{
    public nint Q;
    public nint K;
    public nint V;
    public nint O;
    public nint Lse;
    public nint KvLens;
    public long QStrideB, QStrideH, QStrideN;
    public long KStrideB, KStrideH, KStrideN;
    public long VStrideB, VStrideH, VStrideN;
    public long OStrideB, OStrideH, OStrideN;
    public int Batch;
    public int Heads;
    public int Nq;
    public int Nk;
    public float Scale;
    public int Reserved;

    /// <summary>Sets the strides of q, k, v and o for contiguous [B, H, N, D] tensors.</summary>
    public void SetContiguousBhnd(int nq, int nk, int heads, int headDim)
    {
        QStrideN = headDim; QStrideH = (long)nq * headDim; QStrideB = QStrideH * heads;
        KStrideN = headDim; KStrideH = (long)nk * headDim; KStrideB = KStrideH * heads;
        VStrideN = headDim; VStrideH = (long)nk * headDim; VStrideB = VStrideH * heads;
        OStrideN = headDim; OStrideH = (long)nq * headDim; OStrideB = OStrideH * heads;
    }
}
