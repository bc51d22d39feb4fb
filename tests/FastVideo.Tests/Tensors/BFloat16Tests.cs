using FastVideo.Tensors;
using NUnit.Framework;

namespace FastVideo.Tests.Tensors;

public class BFloat16Tests
{
    // Independent reference: pick the nearer of the two bf16 neighbours in double, ties to even mantissa.
    private static ushort Reference(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(f);
        ushort lo = (ushort)(u >> 16);
        ushort hi = (ushort)(lo + 1);
        double dl = Math.Abs((double)BFloat16.BitsToSingle(lo) - f);
        double dh = Math.Abs((double)BFloat16.BitsToSingle(hi) - f);
        if ((u & 0xFFFF) == 0) return lo;
        if (dl < dh) return lo;
        if (dh < dl) return hi;
        return (lo & 1) == 0 ? lo : hi;
    }

    [Test]
    public void RoundsToNearestEvenOnRandomFloats()
    {
        var rng = new Random(7);
        for (int i = 0; i < 200_000; i++)
        {
            uint bits = (uint)rng.NextInt64(0, 1L << 32);
            float f = BitConverter.UInt32BitsToSingle(bits);
            if (!float.IsFinite(f) || Math.Abs(f) > 3.3e38f) continue;
            Assert.That(BFloat16.RoundToBits(f), Is.EqualTo(Reference(f)), $"bits 0x{bits:X8}");
        }
    }

    [Test]
    public void TiesGoToEven()
    {
        // 1 + 2^-8 is exactly halfway between bf16 1.0 and 1.0078125: rounds down to the even 1.0
        Assert.That((float)(BFloat16)(1f + 1f / 256), Is.EqualTo(1f));
        // 1.0078125 + 2^-8 is halfway between 1.0078125 (odd) and 1.015625 (even): rounds up
        Assert.That((float)(BFloat16)(1.0078125f + 1f / 256), Is.EqualTo(1.015625f));
    }

    [Test]
    public void SpecialValuesArePreserved()
    {
        Assert.That(((BFloat16)float.NaN).IsNaN, Is.True);
        Assert.That((float)(BFloat16)float.PositiveInfinity, Is.EqualTo(float.PositiveInfinity));
        Assert.That((float)(BFloat16)float.NegativeInfinity, Is.EqualTo(float.NegativeInfinity));
        Assert.That(((BFloat16)(-0f)).Bits, Is.EqualTo((ushort)0x8000));
        // Largest finite float rounds up to infinity as in PyTorch.
        Assert.That((float)(BFloat16)float.MaxValue, Is.EqualTo(float.PositiveInfinity));
        Assert.That((float)(BFloat16)3.140625f, Is.EqualTo(3.140625f));
    }
}
