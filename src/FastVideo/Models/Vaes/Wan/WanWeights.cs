using FastVideo.Backends;
using FastVideo.Loading;
using FastVideo.Tensors;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>
/// Owns every parameter tensor of a Wan VAE: layers take their weights through it by diffusers name and
/// exact shape, and never dispose them; the model disposes this once. A load that fails half-way disposes
/// what it had taken, so nothing leaks. Parameters come from a checkpoint (converted to F32, the CPU
/// backend's compute type) or from a seeded random initialiser (benchmarks, smoke models).
/// </summary>
internal sealed class WanWeights : IDisposable
{
    private readonly List<Tensor> _owned = new();
    private readonly Func<string, int[], Tensor> _take;

    private WanWeights(Func<string, int[], Tensor> take) => _take = take;

    /// <summary>Parameters from a checkpoint; <see cref="ParameterReader.TakeF32"/> checks names and shapes.</summary>
    public static WanWeights From(ParameterReader reader) => new((name, shape) => reader.TakeF32(name, shape));

    /// <summary>
    /// Seeded random parameters with the golden's initialisation rules: conv weights N(0, 1/fan_in), biases
    /// N(0, 0.1²), norm gains 1 + N(0, 0.1²). The same seed gives the same weights.
    /// </summary>
    public static WanWeights Random(IBackend backend, int seed)
    {
        var rng = new Random(seed);
        return new((name, shape) =>
        {
            var values = new float[ShapeUtil.Numel(shape)];
            bool gain = name.EndsWith(".gamma", StringComparison.Ordinal);
            double std = name.EndsWith(".weight", StringComparison.Ordinal) ? Math.Sqrt(1.0 / (values.Length / shape[0])) : 0.1;
            for (int i = 0; i < values.Length; i++)
            {
                // Box-Muller; quality is irrelevant here, determinism and scale are what matter.
                double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
                double n = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
                values[i] = (float)((gain ? 1 : 0) + std * n);
            }
            return Tensor.FromHost<float>(backend.Allocator, values, shape);
        });
    }

    /// <summary>The F32 parameter <paramref name="name"/>, whose shape must be exactly <paramref name="shape"/>.</summary>
    public Tensor Take(string name, params int[] shape) => Own(_take(name, shape));

    /// <summary>The parameter read with <paramref name="stored"/>, then viewed as <paramref name="view"/> (same elements).</summary>
    public Tensor TakeAs(string name, int[] stored, int[] view)
    {
        using var t = _take(name, stored);
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
