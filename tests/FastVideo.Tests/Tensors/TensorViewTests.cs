using FastVideo.Tensors;
using NUnit.Framework;

namespace FastVideo.Tests.Tensors;

public class TensorViewTests
{
    [Test]
    public void ReshapeSharesStorageAndInfersMinusOne()
    {
        using var t = Tensor.FromHost<float>(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        using var r = t.Reshape(3, -1);
        Assert.That(r.Shape, Is.EqualTo(new[] { 3, 2 }));
        Assert.That(r.Storage, Is.SameAs(t.Storage));
        r.AsSpan<float>()[0] = 42;
        Assert.That(t.ToArray<float>()[0], Is.EqualTo(42f));
    }

    [Test]
    public void ReshapeToWrongSizeNamesBothShapes()
    {
        using var t = Tensor.FromHost<float>(new float[6], 2, 3);
        var e = Assert.Throws<ShapeMismatchException>(() => t.Reshape(4, 2))!;
        Assert.That(e.Message, Does.Contain("[2, 3]").And.Contain("[4, 2]"));
    }

    [Test]
    public void NarrowAlongLeadingDimensionIsAView()
    {
        using var t = Tensor.FromHost<float>(new float[] { 1, 2, 3, 4, 5, 6 }, 3, 2);
        using var n = t.Narrow(0, 1, 2);
        Assert.That(n.Shape, Is.EqualTo(new[] { 2, 2 }));
        Assert.That(n.ToArray<float>(), Is.EqualTo(new float[] { 3, 4, 5, 6 }));
        using var row = t[2];
        Assert.That(row.ToArray<float>(), Is.EqualTo(new float[] { 5, 6 }));
    }

    [Test]
    public void NarrowAfterUnitDimensionsIsAViewButNotAfterOthers()
    {
        using var t = Tensor.FromHost<float>(new float[] { 1, 2, 3, 4, 5, 6 }, 1, 3, 2);
        using var n = t.Narrow(1, 2, 1);
        Assert.That(n.ToArray<float>(), Is.EqualTo(new float[] { 5, 6 }));
        Assert.Throws<InvalidOperationException>(() => t.Narrow(2, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Narrow(1, 2, 2));
    }

    [Test]
    public void ViewsKeepStorageAliveUntilTheLastIsDisposed()
    {
        var alloc = new CpuAllocator();
        var t = Tensor.FromHost<float>(alloc, new float[] { 1, 2, 3, 4 }, [4]);
        var v = t.Reshape(2, 2);
        t.Dispose();
        Assert.That(v.ToArray<float>(), Is.EqualTo(new float[] { 1, 2, 3, 4 }));
        Assert.That(alloc.Stats.CurrentBytes, Is.GreaterThan(0));
        v.Dispose();
        Assert.That(alloc.Stats.CurrentBytes, Is.EqualTo(0));
        Assert.Throws<ObjectDisposedException>(() => v.ToArray<float>());
    }

    [Test]
    public void ReadingWithTheWrongElementTypeThrows()
    {
        using var t = Tensor.FromHost<int>(new[] { 1, 2 }, 2);
        Assert.Throws<InvalidOperationException>(() => t.ToArray<float>());
        Assert.That(t.ToFloatArray(), Is.EqualTo(new float[] { 1, 2 }));
    }

    [Test]
    public void FromHostChecksTheElementCount()
    {
        Assert.Throws<ArgumentException>(() => Tensor.FromHost<float>(new float[5], 2, 3));
    }
}
