namespace FastVideo.Models.Smoke;

/// <summary>
/// The deterministic random numbers behind the smoke model's weights. Every value depends only on IEEE-754
/// double arithmetic (+, −, ×, ÷ and exact bit manipulation), never on <see cref="System.Random"/> or on the
/// platform's libm (<c>Math.Log</c>/<c>Math.Cos</c> may differ by an ulp between runtimes and operating
/// systems), so the weights — and the hash of the cache folder — are the same on every machine and every
/// .NET version.
/// <list type="bullet">
/// <item>uniform: splitmix64 (Steele, Lea, Flood 2014): <c>state += 0x9E3779B97F4A7C15</c>, then
/// <c>z = (z ^ z≫30)·0xBF58476D1CE4E5B9; z = (z ^ z≫27)·0x94D049BB133111EB; z ^ z≫31</c>;
/// the top 53 bits give u ∈ [0, 1): <c>u = (z ≫ 11)·2⁻⁵³</c>.</item>
/// <item>normal: Box–Muller, <c>r = √(−2·ln(1 − u₁))</c> (1 − u₁ ∈ (0, 1] keeps the log finite), then
/// <c>r·cos(2π·u₂)</c> and <c>r·sin(2π·u₂)</c> in turn, with <see cref="Log"/> and <see cref="CosSin2Pi"/> below.</item>
/// </list>
/// </summary>
internal sealed class SmokeRandom
{
    private ulong _state;

    public SmokeRandom(ulong seed) => _state = seed;

    /// <summary>A generator for one named tensor: the seed mixes the recipe seed with FNV-1a of the name, so
    /// adding, removing or reordering tensors never changes the values of the others.</summary>
    public static SmokeRandom ForName(ulong seed, string name)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (char c in name)
        {
            h ^= c;
            h *= 0x100000001B3UL;
        }
        var r = new SmokeRandom(seed ^ h);
        r.NextUInt64(); // decorrelate from the raw hash
        return r;
    }

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    private double _spare;
    private bool _hasSpare;

    /// <summary>Standard normal N(0, 1) by Box–Muller: each pair of uniforms gives r·cos(2πu₂), then r·sin(2πu₂).</summary>
    public double NextNormal()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }
        double u1 = 1.0 - NextDouble(); // (0, 1]
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Log(u1));
        var (cos, sin) = CosSin2Pi(u2);
        _spare = r * sin;
        _hasSpare = true;
        return r * cos;
    }

    private const double Ln2 = 0.69314718055994530942;

    // Series coefficients, each one correctly rounded division (IEEE), so identical everywhere.
    private static readonly double[] s_logCoef = Enumerable.Range(0, 16).Select(j => 1.0 / (2 * j + 1)).Reverse().ToArray();
    private static readonly double[] s_cosCoef = Enumerable.Range(1, 9).Select(j => -1.0 / (2 * j * (2 * j - 1))).Reverse().ToArray();
    private static readonly double[] s_sinCoef = Enumerable.Range(1, 9).Select(j => -1.0 / ((2 * j + 1) * (2 * j))).Reverse().ToArray();

    /// <summary>
    /// Natural log of x &gt; 0 (finite, normal), accurate to a few ulp: x = m·2^e with m ∈ [√½, √2) taken from the
    /// bits, then ln m = 2·atanh(s) = 2·(s + s³/3 + s⁵/5 + …), s = (m − 1)/(m + 1), |s| ≤ 0.172, summed to s³¹
    /// (the next term is below 1e-25 relative).
    /// </summary>
    internal static double Log(double x)
    {
        if (!(x > 0) || !double.IsFinite(x) || !double.IsNormal(x))
            throw new ArgumentOutOfRangeException(nameof(x), x, "Log needs a positive, finite, normal number");
        long bits = BitConverter.DoubleToInt64Bits(x);
        int e = (int)((bits >> 52) & 0x7FF) - 1023;
        double m = BitConverter.Int64BitsToDouble((bits & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L); // [1, 2)
        if (m > 1.4142135623730951)
        {
            m *= 0.5; // exact
            e++;
        }
        double s = (m - 1.0) / (m + 1.0);
        double s2 = s * s;
        double sum = 0.0;
        foreach (double c in s_logCoef) sum = sum * s2 + c; // Horner in s², 1/31 first
        return 2.0 * s * sum + e * Ln2;
    }

    /// <summary>cos(2π·v) for v ∈ [0, 1) (see <see cref="CosSin2Pi"/>).</summary>
    internal static double Cos2Pi(double v) => CosSin2Pi(v).Cos;

    /// <summary>
    /// (cos 2πv, sin 2πv) for v ∈ [0, 1): the quadrant k comes from 4v (exact), the remainder gives
    /// θ = (4v − k)·π/2 ∈ [−π/4, π/4], where Taylor series of cos and sin to θ¹⁸/θ¹⁹ are exact to double precision;
    /// then cos(θ + kπ/2), sin(θ + kπ/2) by quadrant.
    /// </summary>
    internal static (double Cos, double Sin) CosSin2Pi(double v)
    {
        if (!(v >= 0 && v < 1)) throw new ArgumentOutOfRangeException(nameof(v), v, "CosSin2Pi takes v in [0, 1)");
        double q = v * 4.0;             // exact (power of two)
        double k = Math.Floor(q + 0.5); // nearest quarter turn, 0..4
        double theta = (q - k) * (Math.PI / 2);
        double t2 = theta * theta;
        // cos θ = 1 − θ²/2·(1 − θ²/12·(1 − …)), sin θ = θ·(1 − θ²/6·(1 − θ²/20·(1 − …)))
        double c = 0.0, s = 0.0;
        foreach (double a in s_cosCoef) c = (c + 1.0) * (t2 * a);
        foreach (double a in s_sinCoef) s = (s + 1.0) * (t2 * a);
        c += 1.0;
        s = (s + 1.0) * theta;
        return ((int)k & 3) switch
        {
            0 => (c, s),
            1 => (-s, c),
            2 => (-c, -s),
            _ => (s, -c),
        };
    }
}
