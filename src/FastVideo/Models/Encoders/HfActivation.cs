using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Models.Encoders;

/// <summary>
/// An entry of transformers' <c>ACT2FN</c> (activations.py) built from backend ops:
/// <list type="bullet">
/// <item>gelu, gelu_python: x·Φ(x) (erf); gelu_10: that clamped to [−10, 10];</item>
/// <item>gelu_new, gelu_pytorch_tanh, gelu_fast, gelu_accurate: ½x(1 + tanh(√(2/π)(x + 0.044715x³))) — the same
/// function written four ways, equal to float32 rounding;</item>
/// <item>quick_gelu: x·σ(1.702x) = silu(1.702x)/1.702;</item>
/// <item>relu: max(x, 0); relu2: max(x, 0)²; relu6: min(max(x, 0), 6); leaky_relu: max(x, 0) + 0.01·min(x, 0);</item>
/// <item>silu, swish: x·σ(x); linear: x.</item>
/// </list>
/// sigmoid, tanh, mish and laplace need an op the backend set lacks and are rejected when the config is read.
/// </summary>
internal sealed class HfActivation
{
    private enum Kind { Gelu, Gelu10, GeluTanh, QuickGelu, Relu, Relu2, Relu6, LeakyRelu, Silu, Linear }

    private readonly Kind _kind;

    /// <summary>The ACT2FN name as given.</summary>
    public string Name { get; }

    private HfActivation(string name, Kind kind)
    {
        Name = name;
        _kind = kind;
    }

    /// <summary>The activations this class implements, for messages and tests.</summary>
    public static readonly IReadOnlyList<string> Supported =
    [
        "gelu", "gelu_python", "gelu_10", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu_accurate",
        "quick_gelu", "relu", "relu2", "relu6", "leaky_relu", "silu", "swish", "linear",
    ];

    /// <summary>
    /// The activation called <paramref name="name"/>; an unknown or unsupported name raises
    /// <see cref="NotSupportedException"/> naming <paramref name="source"/> (the config file) and <paramref name="key"/>.
    /// </summary>
    public static HfActivation Parse(string name, string source, string key)
    {
        Kind? kind = name switch
        {
            "gelu" or "gelu_python" => Kind.Gelu,
            "gelu_10" => Kind.Gelu10,
            "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" or "gelu_accurate" => Kind.GeluTanh,
            "quick_gelu" => Kind.QuickGelu,
            "relu" => Kind.Relu,
            "relu2" => Kind.Relu2,
            "relu6" => Kind.Relu6,
            "leaky_relu" => Kind.LeakyRelu,
            "silu" or "swish" => Kind.Silu,
            "linear" => Kind.Linear,
            _ => null,
        };
        if (kind is null)
        {
            string why = name is "sigmoid" or "tanh" or "mish" or "laplace"
                ? "it is a transformers activation, but the backend op set has no sigmoid/tanh/erf to build it from"
                : "it is not an activation transformers knows (ACT2FN)";
            throw new NotSupportedException($"{source}: '{key}' = \"{name}\" is not supported ({why}); supported: {string.Join(", ", Supported)}");
        }
        return new HfActivation(name, kind.Value);
    }

    /// <summary>act(x) as a new tensor; x is left as is.</summary>
    public Tensor Apply(IBackend be, Tensor x)
    {
        switch (_kind)
        {
            case Kind.Gelu: return be.Gelu(x, GeluApproximation.None);
            case Kind.GeluTanh: return be.Gelu(x, GeluApproximation.Tanh);
            case Kind.Silu: return be.Silu(x);
            case Kind.Relu: return be.Clamp(x, 0f, float.PositiveInfinity);
            case Kind.Relu6: return be.Clamp(x, 0f, 6f);
            case Kind.Linear: return be.Copy(x);
            case Kind.Gelu10:
            {
                using var g = be.Gelu(x, GeluApproximation.None);
                return be.Clamp(g, -10f, 10f);
            }
            case Kind.QuickGelu:
            {
                using var scaled = be.Scale(x, 1.702f);
                using var s = be.Silu(scaled);
                return be.Scale(s, 1f / 1.702f);
            }
            case Kind.Relu2:
            {
                using var r = be.Clamp(x, 0f, float.PositiveInfinity);
                return be.Mul(r, r);
            }
            case Kind.LeakyRelu:
            {
                using var pos = be.Clamp(x, 0f, float.PositiveInfinity);
                using var neg = be.Clamp(x, float.NegativeInfinity, 0f);
                return be.Axpby(1f, pos, 0.01f, neg);
            }
            default: throw new InvalidOperationException($"activation {Name}");
        }
    }
}
