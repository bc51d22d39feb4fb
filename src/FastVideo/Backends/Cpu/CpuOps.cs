using System.Runtime.Intrinsics;

namespace FastVideo.Backends.Cpu;

// Operator structs for CpuSimd's drivers. Each states its formula once in three forms (scalar, 512, 256)
// that compute the same expression in the same order, so a result does not depend on the path taken.

internal readonly struct AddOp : IBinaryOp
{
    public float Invoke(float a, float b) => a + b;
    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a + b;
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a + b;
}

internal readonly struct SubOp : IBinaryOp
{
    public float Invoke(float a, float b) => a - b;
    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a - b;
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a - b;
}

internal readonly struct MulOp : IBinaryOp
{
    public float Invoke(float a, float b) => a * b;
    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a * b;
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a * b;
}

internal readonly struct DivOp : IBinaryOp
{
    public float Invoke(float a, float b) => a / b;
    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a / b;
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a / b;
}

/// <summary>alpha·a + beta·b as fma(alpha, a, beta·b).</summary>
internal readonly struct AxpbyOp(float alpha, float beta) : IBinaryOp
{
    public float Invoke(float a, float b) => MathF.FusedMultiplyAdd(alpha, a, beta * b);
    public Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) =>
        Vector512.FusedMultiplyAdd(Vector512.Create(alpha), a, Vector512.Create(beta) * b);
    public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) =>
        Vector256.FusedMultiplyAdd(Vector256.Create(alpha), a, Vector256.Create(beta) * b);
}

/// <summary>scale·x + bias as one fma (exactly scale·x when bias is 0).</summary>
internal readonly struct ScaleOp(float scale, float bias) : IUnaryOp
{
    public float Invoke(float x) => MathF.FusedMultiplyAdd(x, scale, bias);
    public Vector512<float> Invoke(Vector512<float> x) => Vector512.FusedMultiplyAdd(x, Vector512.Create(scale), Vector512.Create(bias));
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.FusedMultiplyAdd(x, Vector256.Create(scale), Vector256.Create(bias));
}

/// <summary>min(max(x, lo), hi); NaN propagates (IEEE 754-2019 minimum/maximum, as torch.clamp).</summary>
internal readonly struct ClampOp(float lo, float hi) : IUnaryOp
{
    public float Invoke(float x) => MathF.Min(MathF.Max(x, lo), hi);
    public Vector512<float> Invoke(Vector512<float> x) => Vector512.Min(Vector512.Max(x, Vector512.Create(lo)), Vector512.Create(hi));
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Min(Vector256.Max(x, Vector256.Create(lo)), Vector256.Create(hi));
}

/// <summary>x·(1 + scale) + shift as fma(x, 1 + scale, shift).</summary>
internal readonly struct ModulateOp : ITernaryOp
{
    public float Invoke(float x, float scale, float shift) => MathF.FusedMultiplyAdd(x, 1f + scale, shift);
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> scale, Vector512<float> shift) =>
        Vector512.FusedMultiplyAdd(x, Vector512<float>.One + scale, shift);
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> scale, Vector256<float> shift) =>
        Vector256.FusedMultiplyAdd(x, Vector256<float>.One + scale, shift);
}

/// <summary>x + y·gate as fma(y, gate, x).</summary>
internal readonly struct AddGatedOp : ITernaryOp
{
    public float Invoke(float x, float y, float gate) => MathF.FusedMultiplyAdd(y, gate, x);
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> gate) => Vector512.FusedMultiplyAdd(y, gate, x);
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> gate) => Vector256.FusedMultiplyAdd(y, gate, x);
}

/// <summary>
/// SiLU x·σ(x) written as x / (1 + exp(−x)): no cancellation anywhere; exp overflow for x ≪ 0 gives x/∞ = −0.
/// </summary>
internal readonly struct SiluOp : IUnaryOp
{
    public float Invoke(float x) => x / (1f + CpuExp.Exp(-x));
    public Vector512<float> Invoke(Vector512<float> x) => x / (Vector512<float>.One + CpuExp.Exp(-x));
    public Vector256<float> Invoke(Vector256<float> x) => x / (Vector256<float>.One + CpuExp.Exp(-x));
}

/// <summary>
/// GELU, tanh approximation: 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³). Uses the identity
/// 1 + tanh(u) = 2 / (1 + exp(−2u)), so y = x / (1 + exp(−2u)): no cancellation near u = 0 or for u ≪ 0.
/// </summary>
internal readonly struct GeluTanhOp : IUnaryOp
{
    private const float K = 0.7978845608028654f; // sqrt(2/pi)
    private const float C = 0.044715f;

    public float Invoke(float x)
    {
        float u = K * MathF.FusedMultiplyAdd(C * x, x * x, x);
        return x / (1f + CpuExp.Exp(-2f * u));
    }

    public Vector512<float> Invoke(Vector512<float> x)
    {
        var u = Vector512.Create(K) * Vector512.FusedMultiplyAdd(Vector512.Create(C) * x, x * x, x);
        return x / (Vector512<float>.One + CpuExp.Exp(Vector512.Create(-2f) * u));
    }

    public Vector256<float> Invoke(Vector256<float> x)
    {
        var u = Vector256.Create(K) * Vector256.FusedMultiplyAdd(Vector256.Create(C) * x, x * x, x);
        return x / (Vector256<float>.One + CpuExp.Exp(Vector256.Create(-2f) * u));
    }
}

/// <summary>
/// Exact GELU x·Φ(x), Φ(x) = ½·erfc(−x/√2), evaluated in double. erfc(z) for z ≥ 0 uses the Chebyshev-fitted
/// form erfc(z) ≈ t·exp(−z² + P(t)), t = 1/(1 + z/2) (Press et al., Numerical Recipes §6.2), whose
/// fractional error is below 1.2e-7 for every z ≥ 0. Working from erfc of |x|/√2 keeps the relative error
/// small on both sides: for x &lt; 0, y = x·½erfc(z) directly; for x ≥ 0, y = x·(1 − ½erfc(z)).
/// </summary>
internal readonly struct GeluErfOp : IUnaryOp
{
    private const double InvSqrt2 = 0.70710678118654752440;
    private const double P0 = -1.26551223, P1 = 1.00002368, P2 = 0.37409196, P3 = 0.09678418, P4 = -0.18628806,
        P5 = 0.27886807, P6 = -1.13520398, P7 = 1.48851587, P8 = -0.82215223, P9 = 0.17087277;

    /// <summary>½·erfc(z) for z ≥ 0 (fractional error &lt; 1.2e-7).</summary>
    public static double HalfErfc(double z)
    {
        double t = 1.0 / (1.0 + 0.5 * z);
        double p = P9;
        p = Math.FusedMultiplyAdd(p, t, P8); p = Math.FusedMultiplyAdd(p, t, P7); p = Math.FusedMultiplyAdd(p, t, P6);
        p = Math.FusedMultiplyAdd(p, t, P5); p = Math.FusedMultiplyAdd(p, t, P4); p = Math.FusedMultiplyAdd(p, t, P3);
        p = Math.FusedMultiplyAdd(p, t, P2); p = Math.FusedMultiplyAdd(p, t, P1); p = Math.FusedMultiplyAdd(p, t, P0);
        return 0.5 * t * Math.Exp(p - z * z);
    }

    public float Invoke(float x)
    {
        double xd = x;
        double e = HalfErfc(Math.Abs(xd) * InvSqrt2);
        return (float)(xd * (xd >= 0 ? 1.0 - e : e));
    }

    public Vector512<float> Invoke(Vector512<float> x)
    {
        var (lo, hi) = Vector512.Widen(x);
        return Vector512.Narrow(Gelu(lo), Gelu(hi));
    }

    public Vector256<float> Invoke(Vector256<float> x)
    {
        var (lo, hi) = Vector256.Widen(x);
        return Vector256.Narrow(Gelu(lo), Gelu(hi));
    }

    private static Vector512<double> Gelu(Vector512<double> x)
    {
        var z = Vector512.Abs(x) * Vector512.Create(InvSqrt2);
        var one = Vector512<double>.One;
        var t = one / (one + Vector512.Create(0.5) * z);
        var p = Vector512.Create(P9);
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P8));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P7));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P6));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P5));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P0));
        var e = Vector512.Create(0.5) * t * Vector512.Exp(p - z * z);
        var phi = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<double>.Zero), one - e, e);
        return x * phi;
    }

    private static Vector256<double> Gelu(Vector256<double> x)
    {
        var z = Vector256.Abs(x) * Vector256.Create(InvSqrt2);
        var one = Vector256<double>.One;
        var t = one / (one + Vector256.Create(0.5) * z);
        var p = Vector256.Create(P9);
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P8));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P7));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P6));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P5));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P0));
        var e = Vector256.Create(0.5) * t * Vector256.Exp(p - z * z);
        var phi = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<double>.Zero), one - e, e);
        return x * phi;
    }
}
