using FastVideo.Attention;
using FastVideo.Backends.Cpu;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Attention;

/// <summary>The reference attention backend against a double-precision softmax(q·kᵀ·scale)·v in token-major layout.</summary>
public class SdpaAttentionTests
{
    [TestCase(1, 1, 1, 1, 4, 4)]
    [TestCase(2, 7, 5, 3, 8, 8)]
    [TestCase(1, 13, 1, 2, 6, 6)]
    [TestCase(3, 5, 17, 1, 16, 9)]
    [TestCase(1, 72, 72, 2, 32, 32)]
    public void MatchesDoubleReference(int b, int nq, int nk, int h, int d, int dv)
    {
        var backend = CpuBackend.Default;
        var attention = new SdpaAttention(backend);
        var q = Numerics.RandomNormal(b * nq * h * d, 11);
        var k = Numerics.RandomNormal(b * nk * h * d, 12);
        var v = Numerics.RandomNormal(b * nk * h * dv, 13);
        float scale = 1f / MathF.Sqrt(d);
        using var scope = TensorScope.Begin();
        var o = attention.Attend(Tensor.FromHost(q, b, nq, h, d), Tensor.FromHost(k, b, nk, h, d), Tensor.FromHost(v, b, nk, h, dv), scale);
        Assert.That(o.Shape, Is.EqualTo(new[] { b, nq, h, dv }));
        var expected = NaiveAttention.Reference(q, new[] { b, nq, h, d }, k, nk, v, dv, scale);
        Numerics.AssertRelL2(o.ToArray<float>(), expected, 1e-5, $"sdpa b{b} nq{nq} nk{nk} h{h} d{d} dv{dv}");
    }

    [Test]
    public void RejectsMismatchedLayouts()
    {
        var attention = new SdpaAttention(CpuBackend.Default);
        using var scope = TensorScope.Begin();
        var q = Tensor.FromHost(new float[2 * 3 * 4], 1, 2, 3, 4);
        Assert.Throws<ShapeMismatchException>(() => attention.Attend(q, Tensor.FromHost(new float[2 * 2 * 4], 1, 2, 2, 4), q, 1f)); // heads
        Assert.Throws<ShapeMismatchException>(() => attention.Attend(q, q, Tensor.FromHost(new float[3 * 3 * 4], 1, 3, 3, 4), 1f)); // Nk of v
        Assert.Throws<ShapeMismatchException>(() => attention.Attend(q.Reshape(2, 3, 4), q, q, 1f));                          // rank
    }
}
