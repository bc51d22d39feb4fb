using FastVideo.Backends;
using FastVideo.Loading;
using FastVideo.Tensors;

namespace FastVideo.Layers;

/// <summary>
/// y = x·Wᵀ + b with W [out, in] kept in its stored dtype (F32, BF16 or F16: <see cref="IBackend.Linear"/>
/// accumulates in F32) and b [out] in F32. Owns its tensors.
/// </summary>
public sealed class Linear : IDisposable
{
    private readonly IBackend _backend;

    public Tensor Weight { get; }
    public Tensor? Bias { get; }
    public int InFeatures => Weight.Size(1);
    public int OutFeatures => Weight.Size(0);

    public Linear(IBackend backend, Tensor weight, Tensor? bias)
    {
        _backend = backend ?? throw new ArgumentNullException(nameof(backend));
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2) throw new ShapeMismatchException($"Linear: weight {weight.Name} must be [out, in], got [{ShapeUtil.Format(weight.ShapeSpan)}]");
        if (bias != null && (bias.Rank != 1 || bias.Size(0) != weight.Size(0)))
            throw new ShapeMismatchException($"Linear: bias {bias.Name} must be [{weight.Size(0)}], got [{ShapeUtil.Format(bias.ShapeSpan)}]");
        // Parameters live as long as the layer, not as long as a TensorScope that happened to be open.
        Weight = TensorScope.Detach(weight);
        Bias = bias is null ? null : TensorScope.Detach(bias);
    }

    /// <summary>Loads <c>{prefix}.weight</c> [out, in] (stored dtype) and, if <paramref name="bias"/>, <c>{prefix}.bias</c> [out] (F32).</summary>
    public static Linear Load(IBackend backend, ParameterReader reader, string prefix, int inFeatures, int outFeatures, bool bias = true)
    {
        var w = reader.Take(prefix + ".weight", outFeatures, inFeatures);
        try
        {
            var b = bias ? reader.TakeF32(prefix + ".bias", outFeatures) : null;
            return new Linear(backend, w, b);
        }
        catch
        {
            w.Dispose();
            throw;
        }
    }

    /// <summary>
    /// One Linear whose output is the concatenation of several checkpoint Linears over the same input
    /// (e.g. to_q | to_k | to_v): weights stacked along the output dimension, so one GEMM replaces several.
    /// Weights keep their stored dtype when all parts share it, otherwise all become F32.
    /// </summary>
    public static Linear LoadFused(IBackend backend, ParameterReader reader, IReadOnlyList<string> prefixes, int inFeatures, IReadOnlyList<int> outFeatures)
    {
        if (prefixes.Count == 0 || prefixes.Count != outFeatures.Count)
            throw new ArgumentException($"LoadFused: {prefixes.Count} prefixes for {outFeatures.Count} output sizes", nameof(outFeatures));
        using var scope = TensorScope.Begin();
        var ws = new List<Tensor>();
        var bs = new List<Tensor>();
        for (int i = 0; i < prefixes.Count; i++)
        {
            ws.Add(reader.Take(prefixes[i] + ".weight", outFeatures[i], inFeatures));
            bs.Add(reader.TakeF32(prefixes[i] + ".bias", outFeatures[i]));
        }
        if (ws.Any(w => w.DType != ws[0].DType))
            ws = ws.Select(w => w.DType == DType.F32 ? w : backend.Cast(w, DType.F32)).ToList();
        var weight = backend.Concat(ws, 0);
        var biasT = backend.Concat(bs, 0);
        weight.Name = string.Join("|", prefixes) + ".weight";
        biasT.Name = string.Join("|", prefixes) + ".bias";
        scope.Keep(weight);
        scope.Keep(biasT);
        return new Linear(backend, weight, biasT);
    }

    /// <summary>x [..., in] F32 → [..., out] F32.</summary>
    public Tensor Forward(Tensor x) => _backend.Linear(x, Weight, Bias);

    public void Dispose()
    {
        Weight.Dispose();
        Bias?.Dispose();
    }
}
