using System.Runtime.Intrinsics;

namespace FastVideo.Rng;

/// <summary>
/// Scalar emulation of the single-precision Cephes <c>log</c> and <c>sincos</c> of <c>avx_mathfun.h</c>
/// as torch 1.13's AVX2 normal kernel executes them: GCC contracts the intrinsic multiply/add pairs into
/// fused multiply-adds, so each step below is an FMA exactly where the compiled kernel has one (see
/// golden_rng/README.md). <see cref="MathF.FusedMultiplyAdd"/> is correctly rounded on every platform, so the
/// results are the same bits as torch everywhere.
/// </summary>
internal static class CephesAvx2
{
    private const float Sqrthf = 0.707106781186547524f;
    private const float LogQ1 = -2.12194440e-4f, LogQ2 = 0.693359375f;
    private const float LogP0 = 7.0376836292e-2f, LogP1 = -1.1514610310e-1f, LogP2 = 1.1676998740e-1f,
        LogP3 = -1.2420140846e-1f, LogP4 = 1.4249322787e-1f, LogP5 = -1.6668057665e-1f,
        LogP6 = 2.0000714765e-1f, LogP7 = -2.4999993993e-1f, LogP8 = 3.3333331174e-1f;

    private const float Dp1 = -0.78515625f, Dp2 = -2.4187564849853515625e-4f, Dp3 = -3.77489497744594108e-8f;
    private const float SinP0 = -1.9515295891e-4f, SinP1 = 8.3321608736e-3f, SinP2 = -1.6666654611e-1f;
    private const float CosP0 = 2.443315711809948e-005f, CosP1 = -1.388731625493765e-003f, CosP2 = 4.166664568298827e-002f;
    private const float FourOverPi = 1.27323954473516f;

    /// <summary>
    /// Natural log for x &gt; 0 (log256_ps): x = m·2^e with m ∈ [√½, √2), log x = e·ln2 + log1p(m − 1) by a
    /// degree-9 polynomial, ln2 split as q2 + q1. Inputs below the smallest normal are clamped to it.
    /// </summary>
    public static float Log(float x)
    {
        x = Math.Max(x, BitConverter.Int32BitsToSingle(0x00800000));
        uint bits = BitConverter.SingleToUInt32Bits(x);
        float e = (float)((int)(bits >> 23) - 0x7F) + 1f;
        x = BitConverter.UInt32BitsToSingle((bits & 0x807FFFFFu) | 0x3F000000u); // mantissa in [0.5, 1)
        bool small = x < Sqrthf;
        float tmp = small ? x : 0f;
        x -= 1f;
        e -= small ? 1f : 0f;
        x += tmp;
        float z = x * x;
        float y = LogP0;
        y = MathF.FusedMultiplyAdd(y, x, LogP1);
        y = MathF.FusedMultiplyAdd(y, x, LogP2);
        y = MathF.FusedMultiplyAdd(y, x, LogP3);
        y = MathF.FusedMultiplyAdd(y, x, LogP4);
        y = MathF.FusedMultiplyAdd(y, x, LogP5);
        y = MathF.FusedMultiplyAdd(y, x, LogP6);
        y = MathF.FusedMultiplyAdd(y, x, LogP7);
        y = MathF.FusedMultiplyAdd(y, x, LogP8);
        y *= x;
        y = MathF.FusedMultiplyAdd(y, z, e * LogQ1);
        y = MathF.FusedMultiplyAdd(-z, 0.5f, y);
        x += y;
        return MathF.FusedMultiplyAdd(e, LogQ2, x);
    }

    /// <summary>
    /// sin and cos together (sincos256_ps): j = round-to-even-integer(|x|·4/π), Cody-Waite reduction by
    /// j·π/4 in three parts, then the sine or cosine minimax polynomial on [−π/4, π/4] chosen by j's bits.
    /// </summary>
    public static void SinCos(float x, out float sin, out float cos)
    {
        uint signSin = BitConverter.SingleToUInt32Bits(x) & 0x80000000u;
        x = MathF.Abs(x);
        int j = (int)(x * FourOverPi); // cvttps: truncation of the rounded float product
        j = (j + 1) & ~1;
        float y = j;
        uint swapSin = (uint)(j & 4) << 29;
        bool polyMask = (j & 2) == 0;
        x = MathF.FusedMultiplyAdd(y, Dp1, x);
        x = MathF.FusedMultiplyAdd(y, Dp2, x);
        x = MathF.FusedMultiplyAdd(y, Dp3, x);
        uint signCos = (uint)(~(j - 2) & 4) << 29;
        signSin ^= swapSin;
        float z = x * x;

        float yc = MathF.FusedMultiplyAdd(CosP0, z, CosP1);
        yc = MathF.FusedMultiplyAdd(yc, z, CosP2);
        yc *= z;
        yc = MathF.FusedMultiplyAdd(yc, z, -(z * 0.5f));
        yc += 1f;

        float ys = MathF.FusedMultiplyAdd(SinP0, z, SinP1);
        ys = MathF.FusedMultiplyAdd(ys, z, SinP2);
        ys *= z;
        ys = MathF.FusedMultiplyAdd(ys, x, x);

        float s = polyMask ? ys : yc;
        float c = polyMask ? yc : ys;
        sin = BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(s) ^ signSin);
        cos = BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(c) ^ signCos);
    }

    /// <summary>
    /// Eight lanes of <see cref="Log(float)"/> and <see cref="SinCos(float, out float, out float)"/> at once: one 16-element Box-Muller block,
    /// radii from <paramref name="u"/> (lanes hold 1 − uniform) and angles <paramref name="theta"/>.
    /// Lane-wise the same operations in the same order as the scalar versions, so the same bits.
    /// </summary>
    public static (Vector256<float> Cos, Vector256<float> Sin) RadiusTimesSinCos(Vector256<float> u, Vector256<float> theta)
    {
        var radius = Vector256.Sqrt(Vector256.Create(-2f) * Log(u));
        SinCos(theta, out var sin, out var cos);
        return (radius * cos, radius * sin);
    }

    /// <summary>Vector form of <see cref="Log(float)"/>.</summary>
    public static Vector256<float> Log(Vector256<float> x)
    {
        x = Vector256.Max(x, Vector256.Create(BitConverter.Int32BitsToSingle(0x00800000)));
        var bits = x.AsUInt32();
        var e = Vector256.ConvertToSingle(Vector256.ShiftRightLogical(bits, 23).AsInt32() - Vector256.Create(0x7F)) + Vector256<float>.One;
        x = ((bits & Vector256.Create(0x807FFFFFu)) | Vector256.Create(0x3F000000u)).AsSingle();
        var small = Vector256.LessThan(x, Vector256.Create(Sqrthf));
        var tmp = x & small;
        x -= Vector256<float>.One;
        e -= Vector256<float>.One & small;
        x += tmp;
        var z = x * x;
        var y = Vector256.Create(LogP0);
        y = Vector256.FusedMultiplyAdd(y, x, Vector256.Create(LogP1));
        y = Vector256.FusedMultiplyAdd(y, x, Vector256.Create(LogP2));
        y = Vector256.FusedMultiplyAdd(y, x, Vector256.Create(LogP3));
        y = Vector256.FusedMultiplyAdd(y, x, Vector256.Create(LogP4));
        y = Vector256.FusedMultiplyAdd(y, x, Vector256.Create(LogP5));
        y = Vector256.FusedMultiplyAdd(y, x, Vector256.Create(LogP6));
        y = Vector256.FusedMultiplyAdd(y, x, Vector256.Create(LogP7));
        y = Vector256.FusedMultiplyAdd(y, x, Vector256.Create(LogP8));
        y *= x;
        y = Vector256.FusedMultiplyAdd(y, z, e * Vector256.Create(LogQ1));
        y = Vector256.FusedMultiplyAdd(-z, Vector256.Create(0.5f), y);
        x += y;
        return Vector256.FusedMultiplyAdd(e, Vector256.Create(LogQ2), x);
    }

    /// <summary>Vector form of <see cref="SinCos(float, out float, out float)"/>.</summary>
    public static void SinCos(Vector256<float> x, out Vector256<float> sin, out Vector256<float> cos)
    {
        var signMask = Vector256.Create(0x80000000u);
        var signSin = x.AsUInt32() & signMask;
        x = Vector256.Abs(x);
        var j = Vector256.ConvertToInt32(x * Vector256.Create(FourOverPi)); // truncation
        j = (j + Vector256<int>.One) & Vector256.Create(~1);
        var y = Vector256.ConvertToSingle(j);
        var four = Vector256.Create(4);
        var swapSin = Vector256.ShiftLeft(j & four, 29).AsUInt32();
        var polyMask = Vector256.Equals(j & Vector256.Create(2), Vector256<int>.Zero).AsSingle();
        x = Vector256.FusedMultiplyAdd(y, Vector256.Create(Dp1), x);
        x = Vector256.FusedMultiplyAdd(y, Vector256.Create(Dp2), x);
        x = Vector256.FusedMultiplyAdd(y, Vector256.Create(Dp3), x);
        var signCos = Vector256.ShiftLeft(~(j - Vector256.Create(2)) & four, 29).AsUInt32();
        signSin ^= swapSin;
        var z = x * x;

        var yc = Vector256.FusedMultiplyAdd(Vector256.Create(CosP0), z, Vector256.Create(CosP1));
        yc = Vector256.FusedMultiplyAdd(yc, z, Vector256.Create(CosP2));
        yc *= z;
        yc = Vector256.FusedMultiplyAdd(yc, z, -(z * Vector256.Create(0.5f)));
        yc += Vector256<float>.One;

        var ys = Vector256.FusedMultiplyAdd(Vector256.Create(SinP0), z, Vector256.Create(SinP1));
        ys = Vector256.FusedMultiplyAdd(ys, z, Vector256.Create(SinP2));
        ys *= z;
        ys = Vector256.FusedMultiplyAdd(ys, x, x);

        var s = Vector256.ConditionalSelect(polyMask, ys, yc);
        var c = Vector256.ConditionalSelect(polyMask, yc, ys);
        sin = (s.AsUInt32() ^ signSin).AsSingle();
        cos = (c.AsUInt32() ^ signCos).AsSingle();
    }
}
