using FastVideo.Tensors;

namespace FastVideo.Models.Smoke;

/// <summary>
/// One parameter of a smoke component: its library name, shape and initial distribution N(mean, std²), the
/// rules the golden models were randomised with (/work/shared/golden README, "Parameters are overwritten").
/// </summary>
internal sealed record ParameterSpec(string Name, int[] Shape, double Mean, double Std)
{
    public long Count => ShapeUtil.Numel(Shape);

    /// <summary>Linear/convolution weight [out, in, k…]: N(0, gain/fan_in), fan_in = in·∏k.</summary>
    public static ParameterSpec Weight(string name, params int[] shape) => ScaledWeight(name, 1.0, shape);

    /// <summary>A weight drawn from N(0, gain/fan_in) (the goldens use gain 0.25 for the VAE's last convolution).</summary>
    public static ParameterSpec ScaledWeight(string name, double gain, params int[] shape)
    {
        long fanIn = 1;
        for (int i = 1; i < shape.Length; i++) fanIn *= shape[i];
        return new(name, shape, 0.0, Math.Sqrt(gain / fanIn));
    }

    /// <summary>Bias: N(0, 0.1²).</summary>
    public static ParameterSpec Bias(string name, int size) => new(name, [size], 0.0, 0.1);

    /// <summary>Norm gain (RMSNorm/LayerNorm weight, Wan RMS_norm gamma): 1 + N(0, 0.1²).</summary>
    public static ParameterSpec Gain(string name, params int[] shape) => new(name, shape, 1.0, 0.1);

    /// <summary>Embedding table (token embeddings, relative position bias): N(0, 1).</summary>
    public static ParameterSpec Embedding(string name, params int[] shape) => new(name, shape, 0.0, 1.0);

    /// <summary>Wan <c>scale_shift_table</c> [1, n, dim]: N(0, 1/dim).</summary>
    public static ParameterSpec Table(string name, params int[] shape) => new(name, shape, 0.0, Math.Sqrt(1.0 / shape[^1]));
}

/// <summary>Builds parameter lists: a weight and its bias under one prefix.</summary>
internal sealed class ParameterList : List<ParameterSpec>
{
    /// <summary><c>prefix.weight</c> [shape] and, with <paramref name="bias"/>, <c>prefix.bias</c> [shape[0]].</summary>
    public void Layer(string prefix, bool bias, params int[] shape)
    {
        Add(ParameterSpec.Weight(prefix + ".weight", shape));
        if (bias) Add(ParameterSpec.Bias(prefix + ".bias", shape[0]));
    }

    public void Layer(string prefix, params int[] shape) => Layer(prefix, true, shape);
}
