using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>
/// diffusers' <c>WanResidualBlock</c>:
/// y = conv2(silu(norm2(conv1(silu(norm1(x)))))) + shortcut(x), conv1/conv2 causal 3×3×3 with the feature
/// cache, shortcut a 1×1×1 conv when the channel count changes (identity otherwise). Dropout is a no-op at inference.
/// </summary>
internal sealed class WanResidualBlock : IWanBlock
{
    private readonly IBackend _backend;
    private readonly WanRmsNorm _norm1, _norm2;
    private readonly WanCausalConv3d _conv1, _conv2;
    private readonly WanCausalConv3d? _shortcut;
    private readonly int _slot1, _slot2;

    public int InDim { get; }
    public int OutDim { get; }

    public WanResidualBlock(IBackend backend, WanWeights weights, string name, int inDim, int outDim, WanCacheSlots slots)
    {
        _backend = backend;
        InDim = inDim;
        OutDim = outDim;
        _norm1 = WanRmsNorm.Load(backend, weights, name + ".norm1", inDim, images: false);
        _conv1 = WanCausalConv3d.Load(backend, weights, name + ".conv1", inDim, outDim, 3, 1);
        _norm2 = WanRmsNorm.Load(backend, weights, name + ".norm2", outDim, images: false);
        _conv2 = WanCausalConv3d.Load(backend, weights, name + ".conv2", outDim, outDim, 3, 1);
        if (inDim != outDim) _shortcut = WanCausalConv3d.Load(backend, weights, name + ".conv_shortcut", inDim, outDim, 1, 0);
        // diffusers walks its cache list in call order: conv1 then conv2.
        _slot1 = slots.Next();
        _slot2 = slots.Next();
    }

    public Tensor Forward(Tensor x, WanFeatureCache cache)
    {
        // Intermediates are released as soon as the next one exists (peak = a few chunk-sized tensors);
        // a failure in between leaves them to the caller's TensorScope.
        var a = _norm1.ForwardSilu(x);
        var y = _conv1.ForwardCached(a, cache, _slot1);
        a.Dispose();
        a = _norm2.ForwardSilu(y);
        y.Dispose();
        y = _conv2.ForwardCached(a, cache, _slot2);
        a.Dispose();
        // The shortcut comes last (diffusers computes it first; the sum is the same) so that it is not held
        // through both convolutions.
        using (y)
        using (var h = _shortcut?.Forward(x) ?? x.Share())
            return _backend.Add(y, h);
    }
}
