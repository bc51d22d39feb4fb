using FastVideo.Loading;
using FastVideo.Tensors;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>
/// Owns every parameter tensor of a Wan VAE: layers take their weights through it and never dispose them;
/// the model disposes this once. A load that fails half-way disposes what it had taken, so nothing leaks.
/// Parameters are converted to F32 on load (the CPU backend computes in F32).
/// </summary>
internal sealed class WanWeights : IDisposable
{
    private readonly List<Tensor> _owned = new();

    public WanWeights(ParameterReader reader) => Reader = reader;

    public ParameterReader Reader { get; }

    /// <summary>The F32 parameter <paramref name="name"/>, whose stored shape must be exactly <paramref name="shape"/>.</summary>
    public Tensor Take(string name, params int[] shape) => Own(Reader.TakeF32(name, shape));

    /// <summary>The parameter read with <paramref name="stored"/>, then viewed as <paramref name="view"/> (same elements).</summary>
    public Tensor TakeAs(string name, int[] stored, int[] view)
    {
        using var t = Reader.TakeF32(name, stored);
        return Own(t.Reshape(view));
    }

    /// <summary>Takes ownership of <paramref name="t"/> (removed from any <see cref="TensorScope"/>).</summary>
    public Tensor Own(Tensor t)
    {
        _owned.Add(TensorScope.Detach(t));
        return t;
    }

    public long Bytes => _owned.Sum(t => t.IsDisposed ? 0 : t.Bytes);

    public void Dispose()
    {
        foreach (var t in _owned) t.Dispose();
        _owned.Clear();
    }
}
