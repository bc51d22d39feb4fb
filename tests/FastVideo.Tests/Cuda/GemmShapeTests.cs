using FastVideo.Cuda;
using NUnit.Framework;

namespace FastVideo.Tests.Cuda;

/// <summary>The row-major GEMM description handed to cuBLASLt (no GPU needed).</summary>
public class GemmShapeTests
{
    [Test]
    public void LeadingDimensionsDefaultToPackedRows()
    {
        var s = new GemmShape(3, 5, 7);
        Assert.That((s.LeadA, s.LeadB, s.LeadD), Is.EqualTo((7L, 5L, 5L)));
        var t = new GemmShape(3, 5, 7, TransposeB: true);
        Assert.That(t.LeadB, Is.EqualTo(7L), "B stored [N, K]");
        var conv = new GemmShape(96, 1040, 2592, LdD: 18720);
        Assert.That(conv.LeadD, Is.EqualTo(18720L), "a slab of output columns inside the full row");
    }

    [TestCase(0x1000, 256)]
    [TestCase(0x1010, 16)]
    [TestCase(0x1004, 4)]
    [TestCase(0x1002, 2)]
    [TestCase(0x100, 256)]
    public void AlignmentIsTheLargestPowerOfTwoUpTo256(long pointer, int expected) =>
        Assert.That(CublasLtGemm.AlignmentOf((nint)pointer), Is.EqualTo(expected));
}
