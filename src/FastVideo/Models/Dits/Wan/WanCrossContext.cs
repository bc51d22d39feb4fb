using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Dits.Wan;

/// <summary>
/// What each cross-attention attends to, cut as diffusers 0.35.2 cuts it. The model passes the blocks
/// ctx = cat([image, text], dim=1) (image tokens first; text alone when there is no image). Then:
/// <list type="bullet">
/// <item>without image projections (added_kv_proj_dim null): the whole ctx goes through to_k/to_v;</item>
/// <item>with them, <c>WanAttnProcessor</c> takes icl = total − 512 (text length hard-coded) and slices with
/// Python semantics: image part ctx[:, :icl] through add_k_proj/add_v_proj, text part ctx[:, icl:] through
/// to_k/to_v. So the cut is at e = icl for icl ≥ 0 and at e = max(total + icl, 0) for icl &lt; 0; it equals
/// the image token count exactly when the text has 512 tokens. An empty image part (e = 0) contributes
/// nothing: attention over no keys is a zero output in the reference (softmax of an empty row, times an
/// empty v), and a zero added to the text attention changes nothing.</item>
/// </list>
/// The cut is the same in every block, so it is made once per forward.
/// </summary>
public static class WanCrossContext
{
    /// <summary>Where ctx[:, :icl] ends for a context of <paramref name="total"/> tokens: the image part's length.</summary>
    public static int ImagePartLength(int total)
    {
        int icl = total - WanTransformerConfig.I2VTextLength;
        return icl >= 0 ? icl : Math.Max(total + icl, 0);
    }

    /// <summary>
    /// text [B, L, inner] and image [B, Li, inner] (or null), both embedded → the text part and image part (null
    /// when empty or when <paramref name="imageProjections"/> is false). Returns the inputs themselves where no
    /// cut is needed; new tensors otherwise (in the caller's <see cref="TensorScope"/>).
    /// </summary>
    public static (Tensor Text, Tensor? Image) Split(IBackend backend, Tensor text, Tensor? image, bool imageProjections)
    {
        if (!imageProjections)
            return (image is null ? text : backend.Concat(new[] { image, text }, 1), null);
        int li = image?.Size(1) ?? 0, total = li + text.Size(1);
        int e = ImagePartLength(total);
        if (e == li) return (text, image);                       // the usual case: 512 text tokens
        var ctx = image is null ? text : backend.Concat(new[] { image, text }, 1);
        var textPart = backend.Slice(ctx, 1, e, total - e);
        return (textPart, e == 0 ? null : backend.Slice(ctx, 1, 0, e));
    }
}
