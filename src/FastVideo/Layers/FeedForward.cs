using FastVideo.Backends;
using FastVideo.Loading;
using FastVideo.Tensors;

namespace FastVideo.Layers;

/// <summary>
/// diffusers' FeedForward: y = W₂·GELU(W₁·x + b₁) + b₂, parameters <c>{prefix}.net.0.proj</c> (dim → inner)
/// and <c>{prefix}.net.2</c> (inner → out); net.1 is a dropout with no parameters.
/// </summary>
public sealed class FeedForward : IDisposable
{
    private readonly IBackend _backend;
    private readonly GeluApproximation _approximation;

    public Linear Up { get; }
    public Linear Down { get; }

    private FeedForward(IBackend backend, Linear up, Linear down, GeluApproximation approximation)
    {
        _backend = backend;
        Up = up;
        Down = down;
        _approximation = approximation;
    }

    public static FeedForward Load(IBackend backend, ParameterReader reader, string prefix, int dim, int inner, int outDim, GeluApproximation approximation)
    {
        var up = Linear.Load(backend, reader, prefix + ".net.0.proj", dim, inner);
        try
        {
            return new FeedForward(backend, up, Linear.Load(backend, reader, prefix + ".net.2", inner, outDim), approximation);
        }
        catch
        {
            up.Dispose();
            throw;
        }
    }

    /// <summary>x [..., dim] → [..., out].</summary>
    public Tensor Forward(Tensor x)
    {
        using var h = Up.Forward(x);
        using var a = _backend.Gelu(h, _approximation);
        return Down.Forward(a);
    }

    public void Dispose()
    {
        Up.Dispose();
        Down.Dispose();
    }
}
