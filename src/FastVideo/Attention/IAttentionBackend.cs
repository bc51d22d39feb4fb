using FastVideo.Tensors;

namespace FastVideo.Attention;

/// <summary>The token grid of a video self-attention: frames × height × width patches, flattened in (t, h, w) order.</summary>
public readonly record struct VideoGrid(int T, int H, int W)
{
    public int Tokens => T * H * W;
}

/// <summary>
/// Scaled dot-product attention as the models call it, in their natural token-major layout:
/// out = softmax(q·kᵀ·scale)·v per batch and head, no mask.
/// q [B, Nq, H, D]; k [B, Nk, H, D]; v [B, Nk, H, Dv] → [B, Nq, H, Dv] (F32, caller owns the result).
/// Implementations: <see cref="SdpaAttention"/> (reference, through <see cref="Backends.IBackend.Attention"/>);
/// flash and sliding-tile kernels later. A backend may use the grid argument (given for video
/// self-attention, null for cross-attention) to restrict attention to local tiles; a dense backend ignores it.
/// </summary>
public interface IAttentionBackend
{
    string Name { get; }

    Tensor Attend(Tensor q, Tensor k, Tensor v, float scale, VideoGrid? grid = null);
}
