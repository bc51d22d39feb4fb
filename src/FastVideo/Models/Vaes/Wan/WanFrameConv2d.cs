using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>
/// A 2-D convolution applied to every frame of [B, C, T, H, W] (diffusers folds time into the batch and calls
/// <c>nn.Conv2d</c>). Run as a Conv3d with a 1-frame kernel, which is the same sum without two permutes.
/// </summary>
internal sealed class WanFrameConv2d
{
    private readonly IBackend _backend;
    private readonly (int H, int W) _stride;
    private readonly (int Top, int Bottom, int Left, int Right) _padding;

    /// <summary>[O, C, 1, kH, kW], a view of the stored [O, C, kH, kW] weight.</summary>
    public Tensor Weight { get; }
    public Tensor Bias { get; }

    private WanFrameConv2d(IBackend backend, Tensor weight, Tensor bias, (int, int) stride, (int, int, int, int) padding)
    {
        _backend = backend;
        Weight = weight;
        Bias = bias;
        _stride = stride;
        _padding = padding;
    }

    /// <summary>Reads <c>{name}.weight</c> [out, in, k, k] and <c>{name}.bias</c> [out].</summary>
    public static WanFrameConv2d Load(IBackend backend, WanWeights weights, string name, int inChannels, int outChannels, int kernel,
        (int H, int W) stride, (int Top, int Bottom, int Left, int Right) padding)
    {
        var w5 = weights.TakeAs(name + ".weight", [outChannels, inChannels, kernel, kernel], [outChannels, inChannels, 1, kernel, kernel]);
        var b = weights.Take(name + ".bias", outChannels);
        return new WanFrameConv2d(backend, w5, b, stride, padding);
    }

    /// <summary>x: [B, C, T, H, W] → [B, O, T, H', W'].</summary>
    public Tensor Forward(Tensor x) =>
        _backend.Conv3d(x, Weight, Bias, (1, _stride.H, _stride.W), (0, 0, _padding.Top, _padding.Bottom, _padding.Left, _padding.Right));
}
