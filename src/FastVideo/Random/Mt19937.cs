namespace FastVideo.Rng;

/// <summary>
/// The 32-bit Mersenne Twister exactly as PyTorch's CPU generator runs it (<c>at::mt19937</c>, which equals
/// C++ <c>std::mt19937</c>): <c>init_genrand</c> seeding from the low 32 bits of the seed,
/// <c>state[j] = 1812433253·(state[j−1] ⊕ (state[j−1] ≫ 30)) + j</c> (mod 2³²), a full twist before the first
/// output, and the standard tempering. Seed 5489 gives 3499211612, 581869302, …
/// </summary>
public sealed class Mt19937
{
    private const int N = 624, M = 397;
    private const uint MatrixA = 0x9908B0DF, UpperMask = 0x80000000, LowerMask = 0x7FFFFFFF;

    private readonly uint[] _state = new uint[N];
    private int _next;

    /// <summary>Seeds with the low 32 bits of <paramref name="seed"/> (torch keeps the full value only for <c>initial_seed()</c>).</summary>
    public Mt19937(ulong seed) => Seed(seed);

    /// <summary>Re-seeds with the low 32 bits of <paramref name="seed"/>.</summary>
    public void Seed(ulong seed)
    {
        _state[0] = (uint)seed;
        for (int j = 1; j < N; j++)
            _state[j] = unchecked(1812433253u * (_state[j - 1] ^ (_state[j - 1] >> 30)) + (uint)j);
        _next = N; // torch's left_ = 1: the first draw twists
    }

    /// <summary>The next tempered 32-bit output (torch's <c>CPUGeneratorImpl::random()</c>).</summary>
    public uint NextUInt32()
    {
        if (_next >= N) Twist();
        uint y = _state[_next++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9D2C5680u;
        y ^= (y << 15) & 0xEFC60000u;
        y ^= y >> 18;
        return y;
    }

    /// <summary>torch's <c>random64()</c>: <c>(first output ≪ 32) | second output</c>.</summary>
    public ulong NextUInt64()
    {
        ulong hi = NextUInt32();
        return (hi << 32) | NextUInt32();
    }

    /// <summary>Fills <paramref name="destination"/> with consecutive outputs (the same as repeated <see cref="NextUInt32"/>).</summary>
    public void Fill(Span<uint> destination)
    {
        while (!destination.IsEmpty)
        {
            if (_next >= N) Twist();
            int count = Math.Min(N - _next, destination.Length);
            var src = _state.AsSpan(_next, count);
            for (int i = 0; i < src.Length; i++)
            {
                uint y = src[i];
                y ^= y >> 11;
                y ^= (y << 7) & 0x9D2C5680u;
                y ^= (y << 15) & 0xEFC60000u;
                y ^= y >> 18;
                destination[i] = y;
            }
            _next += count;
            destination = destination[count..];
        }
    }

    private void Twist()
    {
        // Sequential in-place update, split where (j + 1) and (j + M) wrap: element j reads element j+1 before
        // it is updated and element j+M (mod N) after, exactly as the reference C loop does.
        var s = _state;
        int j = 0;
        for (; j < N - M; j++) s[j] = s[j + M] ^ Mix(s[j], s[j + 1]);
        for (; j < N - 1; j++) s[j] = s[j + M - N] ^ Mix(s[j], s[j + 1]);
        s[N - 1] = s[M - 1] ^ Mix(s[N - 1], s[0]);
        _next = 0;
    }

    private static uint Mix(uint u, uint v)
    {
        uint y = (u & UpperMask) | (v & LowerMask);
        return (y >> 1) ^ ((v & 1u) != 0 ? MatrixA : 0u);
    }
}
