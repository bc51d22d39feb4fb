using FastVideo.Tensors;
using NUnit.Framework;

namespace FastVideo.Tests;

public class TensorBasicsTests
{
    [Test]
    public void ReshapeSharesStorageAndNarrowIsAView()
    {
        using var t = Tensor.FromHost<float>(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        using var r = t.Reshape(3, -1);
        Assert.That(r.ShapeSpan.ToArray(), Is.EqualTo(new[] { 3, 2 }));
        using var n = t.Narrow(0, 1, 1);
        Assert.That(n.ToArray<float>(), Is.EqualTo(new float[] { 4, 5, 6 }));
    }
}
