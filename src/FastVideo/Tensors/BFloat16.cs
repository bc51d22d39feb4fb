using System.Runtime.CompilerServices;

namespace FastVideo.Tensors;

/// <summary>
/// Brain floating point: the top 16 bits of an IEEE binary32. Conversion from float rounds to nearest,
/// ties to even; NaN stays NaN (quiet, sign kept); infinities and signed zeros are preserved.
/// </summary>
public readonly struct BFloat16 : IEquatable<BFloat16>
{
    public readonly ushort Bits;

    private BFloat16(ushort bits) => Bits = bits;

    public static BFloat16 FromBits(ushort bits) => new(bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort RoundToBits(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(f);
        if ((u & 0x7FFF_FFFFu) > 0x7F80_0000u)
            return (ushort)((u >> 16) | 0x0040u); // NaN: keep sign and payload top, force quiet
        // round to nearest even: add 0x7FFF plus the lowest kept bit
        uint lsb = (u >> 16) & 1u;
        u += 0x7FFFu + lsb;
        return (ushort)(u >> 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BitsToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    public static explicit operator BFloat16(float f) => new(RoundToBits(f));
    public static explicit operator float(BFloat16 b) => BitsToSingle(b.Bits);

    public float ToSingle() => BitsToSingle(Bits);
    public bool IsNaN => (Bits & 0x7FFF) > 0x7F80;
    public bool Equals(BFloat16 other) => Bits == other.Bits;
    public override bool Equals(object? obj) => obj is BFloat16 b && Equals(b);
    public override int GetHashCode() => Bits;
    public override string ToString() => ToSingle().ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
