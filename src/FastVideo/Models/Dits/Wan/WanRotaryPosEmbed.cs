using FastVideo.Attention;

namespace FastVideo.Models.Dits.Wan;

/// <summary>
/// Wan's 3D rotary position tables (diffusers <c>WanRotaryPosEmbed</c>), computed on the host.
/// <para>
/// Channel table: the head dim D is cut into t | h | w parts of t = D − 2h, h = w = 2·⌊D/6⌋ channels; in a part
/// of d channels, channel c (local) rotates with frequency θ^(−2⌊c/2⌋/d), θ = 10000 (each frequency repeated
/// for the two channels of a pair), all in float64 as diffusers computes it, and cos/sin(pos·freq) rounded to
/// float32 at the end. Token (f, y, x) then reads the channel table at position f for its first
/// D − 2⌊D/3⌋ channels, y for the next ⌊D/3⌋, x for the last ⌊D/3⌋ (diffusers' forward split, which differs
/// from the t/h/w part sizes when D is not a multiple of 6, e.g. 22/21/21 against 24/20/20 for D = 64; reproduced
/// as is. diffusers after 0.35.2 splits by the part sizes instead; for D a multiple of 6 both agree). Below D = 6
/// the h and w parts are empty: every frequency comes from the t part, while the split still gives the last
/// ⌊D/3⌋ + ⌊D/3⌋ channels the y and x positions.
/// </para>
/// <para>
/// The rotation acts on interleaved pairs (2i, 2i+1): cos for pair i is the table's channel 2i and sin its channel
/// 2i+1, exactly as diffusers' <c>apply_rotary_emb</c> reads <c>freqs_cos[..., 0::2]</c> and <c>freqs_sin[..., 1::2]</c>.
/// </para>
/// </summary>
public static class WanRotaryPosEmbed
{
    public const double Theta = 10000.0;

    /// <summary>
    /// Per-pair tables for a token grid: cos and sin [grid.Tokens, D/2] row-major, tokens in (t, h, w) order.
    /// Every grid extent must be at most <paramref name="maxSeqLen"/> (the length diffusers precomputes).
    /// </summary>
    public static (float[] Cos, float[] Sin) PairTables(int headDim, int maxSeqLen, VideoGrid grid)
    {
        if (headDim < 2 || headDim % 2 != 0) throw new ArgumentOutOfRangeException(nameof(headDim), headDim, "head dim must be even and positive");
        if (grid.T <= 0 || grid.H <= 0 || grid.W <= 0) throw new ArgumentOutOfRangeException(nameof(grid), grid, "grid extents must be positive");
        if (grid.T > maxSeqLen || grid.H > maxSeqLen || grid.W > maxSeqLen)
            throw new ArgumentOutOfRangeException(nameof(grid), grid, $"a grid extent exceeds rope_max_seq_len {maxSeqLen}");

        var (cosTable, sinTable) = ChannelTables(headDim, Math.Max(grid.T, Math.Max(grid.H, grid.W)));
        int third = headDim / 3;
        int splitT = headDim - 2 * third, splitH = splitT + third;
        int pairs = headDim / 2;
        var cos = new float[(long)grid.Tokens * pairs];
        var sin = new float[cos.Length];
        long row = 0;
        for (int f = 0; f < grid.T; f++)
            for (int y = 0; y < grid.H; y++)
                for (int x = 0; x < grid.W; x++, row += pairs)
                    for (int i = 0; i < pairs; i++)
                    {
                        int cc = 2 * i, cs = 2 * i + 1;
                        cos[row + i] = cosTable[Position(cc, splitT, splitH, f, y, x) * headDim + cc];
                        sin[row + i] = sinTable[Position(cs, splitT, splitH, f, y, x) * headDim + cs];
                    }
        return (cos, sin);
    }

    private static int Position(int channel, int splitT, int splitH, int f, int y, int x) =>
        channel < splitT ? f : channel < splitH ? y : x;

    /// <summary>cos/sin tables [positions, D] over the concatenated t | h | w channel parts.</summary>
    internal static (float[] Cos, float[] Sin) ChannelTables(int headDim, int positions)
    {
        int hDim = 2 * (headDim / 6), tDim = headDim - 2 * hDim;
        var freqs = new double[headDim];
        int c0 = 0;
        foreach (int dim in new[] { tDim, hDim, hDim })
        {
            for (int c = 0; c < dim; c++)
            {
                double exponent = (double)(c / 2 * 2) / dim;
                freqs[c0 + c] = 1.0 / Math.Pow(Theta, exponent);
            }
            c0 += dim;
        }
        var cos = new float[(long)positions * headDim];
        var sin = new float[cos.Length];
        for (int p = 0; p < positions; p++)
            for (int c = 0; c < headDim; c++)
            {
                double angle = p * freqs[c];
                cos[p * headDim + c] = (float)Math.Cos(angle);
                sin[p * headDim + c] = (float)Math.Sin(angle);
            }
        return (cos, sin);
    }
}
