using FastVideo.Backends;
using FastVideo.Loading;
using FastVideo.Tensors;

namespace FastVideo.Layers;

/// <summary>
/// LayerNorm over the last dimension in F32 (diffusers' FP32LayerNorm): (x − mean)/sqrt(var + eps)·w + b,
/// biased variance; w and b (F32, [C]) are absent when the norm has no affine parameters.
/// </summary>
public sealed class LayerNorm : IDisposable
{
    private readonly IBackend _backend;

    public Tensor? Weight { get; }
    public Tensor? Bias { get; }
    public float Eps { get; }

    public LayerNorm(IBackend backend, Tensor? weight, Tensor? bias, float eps)
    {
        _backend = backend ?? throw new ArgumentNullException(nameof(backend));
        // Parameters live as long as the layer, not as long as a TensorScope that happened to be open.
        Weight = weight is null ? null : TensorScope.Detach(weight);
        Bias = bias is null ? null : TensorScope.Detach(bias);
        Eps = eps;
    }

    /// <summary>A norm without affine parameters (nothing to load).</summary>
    public static LayerNorm NoAffine(IBackend backend, float eps) => new(backend, null, null, eps);

    /// <summary>Loads <c>{prefix}.weight</c> and <c>{prefix}.bias</c>, both [<paramref name="dim"/>], as F32.</summary>
    public static LayerNorm Load(IBackend backend, ParameterReader reader, string prefix, int dim, float eps)
    {
        var w = reader.TakeF32(prefix + ".weight", dim);
        try
        {
            return new LayerNorm(backend, w, reader.TakeF32(prefix + ".bias", dim), eps);
        }
        catch
        {
            w.Dispose();
            throw;
        }
    }

    public Tensor Forward(Tensor x) => _backend.LayerNorm(x, Weight, Bias, Eps);

    public void Dispose()
    {
        Weight?.Dispose();
        Bias?.Dispose();
    }
}
