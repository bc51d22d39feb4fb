using FastVideo.Tensors;

namespace FastVideo.Loading;

/// <summary>
/// The parameters a model takes while it loads, through <see cref="Reader"/>: each is detached from any
/// <see cref="TensorScope"/> the caller has open (weights live as long as the model) and remembered, so that a load
/// failing half-way can dispose what it had taken (<see cref="DisposeAll"/>) and leak nothing.
/// </summary>
public sealed class OwnedParameters(ParameterReader reader)
{
    private readonly List<Tensor> _owned = new();

    public ParameterReader Reader { get; } = reader;

    /// <summary><see cref="ParameterReader.Take"/> (stored dtype), owned.</summary>
    public Tensor Take(string name, params int[] shape) => Own(Reader.Take(name, shape));

    /// <summary><see cref="ParameterReader.TakeF32"/>, owned.</summary>
    public Tensor TakeF32(string name, params int[] shape) => Own(Reader.TakeF32(name, shape));

    private Tensor Own(Tensor t)
    {
        _owned.Add(TensorScope.Detach(t));
        return t;
    }

    /// <summary>Disposes every parameter taken so far (a failed load).</summary>
    public void DisposeAll()
    {
        foreach (var t in _owned) t.Dispose();
        _owned.Clear();
    }
}
