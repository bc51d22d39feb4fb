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

    [Test]
    public void BatchedOperandsAreOnlyAsAlignedAsTheirBatchStride()
    {
        // Attention F32 path: S [ce, 17, 33] F32, entries 2 244 bytes apart: 4-byte alignment whatever the base.
        Assert.That(CublasLtGemm.OperandAlignment(0x10000, 17 * 33, batch: 3, elementBytes: 4), Is.EqualTo(4));
        Assert.That(CublasLtGemm.OperandAlignment(0x10000, 17 * 33, batch: 1, elementBytes: 4), Is.EqualTo(256), "one entry: the stride is never used");
        Assert.That(CublasLtGemm.OperandAlignment(0x10000, 1560 * 128, batch: 12, elementBytes: 4), Is.EqualTo(256));
        Assert.That(CublasLtGemm.OperandAlignment(0x10008, 64, batch: 2, elementBytes: 2), Is.EqualTo(8), "the base pointer still counts");
        Assert.That(CublasLtGemm.OperandAlignment(0x10000, 5 * 3, batch: 2, elementBytes: 2), Is.EqualTo(2));
    }
}
