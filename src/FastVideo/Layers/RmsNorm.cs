using FastVideo.Backends;
using FastVideo.Loading;
using FastVideo.Tensors;

namespace FastVideo.Layers;

/// <summary>x·rsqrt(mean(x²) + eps)·w over the last dimension; w [C] in F32.</summary>
public sealed class RmsNorm : IDisposable
{
    private readonly IBackend _backend;

    public Tensor Weight { get; }
    public float Eps { get; }

    public RmsNorm(IBackend backend, Tensor weight, float eps)
    {
        _backend = backend ?? throw new ArgumentNullException(nameof(backend));
        Weight = TensorScope.Detach(weight ?? throw new ArgumentNullException(nameof(weight)));
        Eps = eps;
    }

    /// <summary>Loads <c>{prefix}.weight</c> [<paramref name="dim"/>] as F32.</summary>
    public static RmsNorm Load(IBackend backend, ParameterReader reader, string prefix, int dim, float eps) =>
        new(backend, reader.TakeF32(prefix + ".weight", dim), eps);

    public Tensor Forward(Tensor x) => _backend.RmsNorm(x, Weight, Eps);

    public void Dispose() => Weight.Dispose();
}
