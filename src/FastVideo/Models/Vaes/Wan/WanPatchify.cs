using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>
/// diffusers' <c>patchify</c>/<c>unpatchify</c> for the Wan2.2 VAE (<c>patch_size</c> p): each p×p pixel patch
/// becomes p² channels, channel c·p² + pw·p + ph holding pixel (row h·p + ph, column w·p + pw) — the column
/// offset is the major one, as diffusers' permutation makes it.
/// </summary>
internal static class WanPatchify
{
    /// <summary>[B, C, F, H, W] → [B, C·p², F, H/p, W/p]; H and W must be multiples of p.</summary>
    public static Tensor Patchify(IBackend backend, Tensor x, int p)
    {
        if (p == 1) return x.Share();
        int b = x.Size(0), c = x.Size(1), f = x.Size(2), h = x.Size(3) / p, w = x.Size(4) / p;
        if (x.Size(3) % p != 0 || x.Size(4) % p != 0)
            throw new ShapeMismatchException($"patchify: height {x.Size(3)} and width {x.Size(4)} must be multiples of patch_size {p}");
        using var v = x.Reshape(b * c, f, h, p, w, p);                      // [B·C, F, H', ph, W', pw]
        using var q = backend.Permute(v, [0, 5, 3, 1, 2, 4]);                // [B·C, pw, ph, F, H', W']
        return q.Reshape(b, c * p * p, f, h, w);
    }

    /// <summary>[B, C·p², F, H, W] → [B, C, F, H·p, W·p], the inverse of <see cref="Patchify"/>.</summary>
    public static Tensor Unpatchify(IBackend backend, Tensor x, int p)
    {
        if (p == 1) return x.Share();
        int b = x.Size(0), c = x.Size(1) / (p * p), f = x.Size(2), h = x.Size(3), w = x.Size(4);
        using var v = x.Reshape(b * c, p, p, f, h, w);                      // [B·C, pw, ph, F, H, W]
        using var q = backend.Permute(v, [0, 3, 4, 2, 5, 1]);                // [B·C, F, H, ph, W, pw]
        return q.Reshape(b, c, f, h * p, w * p);
    }
}
