using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>
/// diffusers' <c>WanRMS_norm</c> (channel_first, no bias): y = x / max(‖x‖₂, 1e-12) · √C · γ, the L2 norm
/// taken over the channel dimension 1 at every (t, h, w) position (<c>F.normalize(x, dim=1)</c>).
/// γ is stored as [C, 1, 1, 1] (<c>images=False</c>) or [C, 1, 1] (<c>images=True</c>, the attention block).
/// </summary>
internal sealed class WanRmsNorm
{
    /// <summary><c>F.normalize</c>'s default eps.</summary>
    public const float Eps = 1e-12f;

    private readonly IBackend _backend;
    public Tensor Gamma { get; }

    private WanRmsNorm(IBackend backend, Tensor gamma)
    {
        _backend = backend;
        Gamma = gamma;
    }

    /// <summary>Reads <c>{name}.gamma</c>: [C, 1, 1, 1] when <paramref name="images"/> is false, else [C, 1, 1].</summary>
    public static WanRmsNorm Load(IBackend backend, WanWeights weights, string name, int channels, bool images)
    {
        int[] shape = images ? [channels, 1, 1] : [channels, 1, 1, 1];
        return new WanRmsNorm(backend, weights.Take(name + ".gamma", shape));
    }

    /// <summary>x: [N, C, ...] → same shape.</summary>
    public Tensor Forward(Tensor x) => _backend.RmsNormChannels(x, Gamma, null, Eps);

    /// <summary>silu(norm(x)), releasing the normalised intermediate at once.</summary>
    public Tensor ForwardSilu(Tensor x)
    {
        using var n = Forward(x);
        return _backend.Silu(n);
    }

}
