using System.Runtime.Intrinsics;
using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Rng;

/// <summary>
/// Reproduces <c>torch.Generator("cpu").manual_seed(seed)</c> and the float32 <c>torch.rand</c> /
/// <c>torch.randn</c> it feeds, bit for bit against torch 1.13 (golden_rng; later torch versions keep the same
/// float32 algorithm as far as their sources were checked), so that initial latents and any other seeded noise
/// equal the Python pipeline's. The scalar path's double log/sin/cos come from the C library, as in torch. State: an <see cref="Mt19937"/> engine plus torch's
/// cached second Box-Muller value of the scalar (double) normal path. Consecutive calls advance the state
/// exactly as consecutive torch calls on one generator do. Not thread-safe (torch locks; one owner here).
/// </summary>
/// <remarks>
/// <para><b>rand</b> (float32): one 32-bit output per element, <c>u = (r &amp; 0xFFFFFF)·2⁻²⁴</c> ∈ [0, 1 − 2⁻²⁴].</para>
/// <para><b>randn</b>, numel ≥ 16 (torch's vectorised path): all numel uniforms are drawn first; each complete
/// block of 16 is transformed in place by Box-Muller, elements 0–7 giving radii √(−2·log(1 − u)) and
/// receiving the cosines, elements 8–15 giving angles 2π·u and receiving the sines. If numel is not a multiple
/// of 16, 16 fresh uniforms are drawn and their block overwrites the last 16 elements (numel + 16 draws).</para>
/// <para><b>randn</b>, numel &lt; 16 (scalar path): per element, a cached normal if the generator holds one;
/// otherwise u1, u2 = two doubles <c>(random64() &amp; (2⁵³−1))·2⁻⁵³</c>, r = √(−2·log(1 − u2)), θ = 2π·u1,
/// cache r·sin θ, return r·cos θ; rounded to float32. The cache survives vectorised calls.</para>
/// </remarks>
public sealed class TorchGenerator
{
    private readonly Mt19937 _engine;
    private double? _cachedNormal;

    /// <summary><c>torch.Generator("cpu").manual_seed(seed)</c>. Only the low 32 bits reach the engine.</summary>
    public TorchGenerator(ulong seed, TorchNormalKernel kernel = TorchNormalKernel.Avx2)
    {
        InitialSeed = seed;
        Kernel = kernel;
        _engine = new Mt19937(seed);
    }

    /// <summary>The seed as given (torch's <c>initial_seed()</c>).</summary>
    public ulong InitialSeed { get; private set; }

    /// <summary>Which torch CPU kernel the vectorised normal path reproduces.</summary>
    public TorchNormalKernel Kernel { get; }

    /// <summary>Re-seeds and clears the cached normal, like <c>manual_seed</c>.</summary>
    public TorchGenerator ManualSeed(ulong seed)
    {
        InitialSeed = seed;
        _engine.Seed(seed);
        _cachedNormal = null;
        return this;
    }

    /// <summary>One raw 32-bit engine output (<c>random()</c>).</summary>
    public uint NextUInt32() => _engine.NextUInt32();

    /// <summary>Two raw outputs combined as <c>random64()</c>.</summary>
    public ulong NextUInt64() => _engine.NextUInt64();

    /// <summary>Fills <paramref name="destination"/> as <c>torch.rand</c> of that many float32 elements.</summary>
    public void Rand(Span<float> destination)
    {
        Span<uint> words = stackalloc uint[1024];
        while (!destination.IsEmpty)
        {
            var chunk = words[..Math.Min(words.Length, destination.Length)];
            _engine.Fill(chunk);
            for (int i = 0; i < chunk.Length; i++) destination[i] = ToUniformFloat(chunk[i]);
            destination = destination[chunk.Length..];
        }
    }

    /// <summary>
    /// Fills <paramref name="destination"/> as <c>torch.randn</c> of a contiguous float32 tensor with that many
    /// elements (the flattened C-order values).
    /// </summary>
    public void Randn(Span<float> destination)
    {
        int n = destination.Length;
        if (n < 16)
        {
            for (int i = 0; i < n; i++) destination[i] = (float)NextScalarNormal();
            return;
        }
        Rand(destination);
        for (int i = 0; i + 16 <= n; i += 16) BoxMuller16(destination.Slice(i, 16));
        if (n % 16 != 0)
        {
            var tail = destination[(n - 16)..];
            Rand(tail);
            BoxMuller16(tail);
        }
    }

    /// <summary>A new host array of <c>torch.randn(shape)</c> values (flattened, C order).</summary>
    public float[] Randn(ReadOnlySpan<int> shape)
    {
        var values = new float[CheckedNumel(shape, nameof(shape))];
        Randn(values);
        return values;
    }

    /// <summary>A new host array of <c>torch.rand(shape)</c> values (flattened, C order).</summary>
    public float[] Rand(ReadOnlySpan<int> shape)
    {
        var values = new float[CheckedNumel(shape, nameof(shape))];
        Rand(values);
        return values;
    }

    /// <summary><c>torch.randn(shape, generator=this)</c> as a new F32 tensor from <paramref name="allocator"/> (values drawn on the host).</summary>
    public Tensor Randn(IAllocator allocator, ReadOnlySpan<int> shape)
    {
        ArgumentNullException.ThrowIfNull(allocator);
        return Tensor.FromHost<float>(allocator, Randn(shape), shape);
    }

    /// <summary><c>torch.randn(shape, generator=this)</c> as a new F32 tensor on <paramref name="backend"/>'s device.</summary>
    public Tensor Randn(IBackend backend, ReadOnlySpan<int> shape)
    {
        ArgumentNullException.ThrowIfNull(backend);
        return Randn(backend.Allocator, shape);
    }

    /// <summary><c>torch.rand(shape, generator=this)</c> as a new F32 tensor from <paramref name="allocator"/>.</summary>
    public Tensor Rand(IAllocator allocator, ReadOnlySpan<int> shape)
    {
        ArgumentNullException.ThrowIfNull(allocator);
        return Tensor.FromHost<float>(allocator, Rand(shape), shape);
    }

    /// <summary>uniform_real_distribution&lt;float&gt;(0, 1): the low 24 bits scaled by 2⁻²⁴ (exact).</summary>
    private static float ToUniformFloat(uint word) => (word & 0xFFFFFFu) * (1f / 16777216f);

    private double NextUniformDouble() => (_engine.NextUInt64() & ((1UL << 53) - 1)) * (1.0 / 9007199254740992.0);

    private double NextScalarNormal()
    {
        if (_cachedNormal is double cached)
        {
            _cachedNormal = null;
            return cached;
        }
        double u1 = NextUniformDouble();
        double u2 = NextUniformDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(1.0 - u2));
        double theta = 2.0 * Math.PI * u1;
        _cachedNormal = r * Math.Sin(theta);
        return r * Math.Cos(theta);
    }

    /// <summary>In-place Box-Muller on 16 uniforms: [0, 8) radii → cosines, [8, 16) angles → sines.</summary>
    private void BoxMuller16(Span<float> d)
    {
        if (Kernel == TorchNormalKernel.Generic) BoxMuller16Generic(d);
        else if (Vector256.IsHardwareAccelerated) BoxMuller16Avx2Vector(d);
        else BoxMuller16Avx2Scalar(d);
    }

    /// <summary>torch's AVX2 block, eight lanes at a time (the same bits as <see cref="BoxMuller16Avx2Scalar"/>).</summary>
    internal static void BoxMuller16Avx2Vector(Span<float> d)
    {
        var u1 = Vector256<float>.One - Vector256.Create<float>(d[..8]);
        var theta = Vector256.Create(6.2831855f) * Vector256.Create<float>(d.Slice(8, 8)); // _mm256_set1_ps(2π) · u2
        var (cos, sin) = CephesAvx2.RadiusTimesSinCos(u1, theta);
        cos.CopyTo(d[..8]);
        sin.CopyTo(d.Slice(8, 8));
    }

    /// <summary>torch's AVX2 block, one lane at a time.</summary>
    internal static void BoxMuller16Avx2Scalar(Span<float> d)
    {
        for (int j = 0; j < 8; j++)
        {
            float u1 = 1f - d[j];
            float radius = MathF.Sqrt(-2f * CephesAvx2.Log(u1));
            float theta = 6.2831855f * d[j + 8];
            CephesAvx2.SinCos(theta, out float sin, out float cos);
            d[j] = radius * cos;
            d[j + 8] = radius * sin;
        }
    }

    /// <summary>torch's generic block: float libm calls, θ = float(2π_double · u2).</summary>
    private static void BoxMuller16Generic(Span<float> d)
    {
        for (int j = 0; j < 8; j++)
        {
            float u1 = 1f - d[j];
            float radius = MathF.Sqrt(-2f * MathF.Log(u1));
            float theta = (float)(2.0 * Math.PI * d[j + 8]);
            d[j] = radius * MathF.Cos(theta);
            d[j + 8] = radius * MathF.Sin(theta);
        }
    }

    private static int CheckedNumel(ReadOnlySpan<int> shape, string arg)
    {
        long n = 1;
        foreach (int s in shape)
        {
            if (s < 0) throw new ArgumentException($"negative dimension in shape [{ShapeUtil.Format(shape)}]", arg);
            n *= s;
            if (n > int.MaxValue) throw new ArgumentException($"shape [{ShapeUtil.Format(shape)}] has more than {int.MaxValue} elements", arg);
        }
        return (int)n;
    }
}
