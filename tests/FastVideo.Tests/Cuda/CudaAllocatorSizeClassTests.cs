using FastVideo.Cuda;
using NUnit.Framework;

namespace FastVideo.Tests.Cuda;

/// <summary>Size classes of the caching allocator (no GPU needed).</summary>
public class CudaAllocatorSizeClassTests
{
    [TestCase(0, 512)]
    [TestCase(1, 512)]
    [TestCase(512, 512)]
    [TestCase(513, 640)]
    [TestCase(1000, 1024)]
    [TestCase(1025, 1280)]
    [TestCase(3 * 1024 + 1, 3584)]
    [TestCase(1 << 20, 1 << 20)]
    [TestCase((1 << 20) + 1, 2 << 20)]
    [TestCase(5L << 20, 6L << 20)]
    [TestCase(10_000_000_000L, 10_001_317_888L)]
    public void KnownClasses(long bytes, long expected) => Assert.That(CudaCachingAllocator.SizeClass(bytes), Is.EqualTo(expected));

    [Test]
    public void ClassesCoverTheRequestAlignAndBoundTheWaste()
    {
        var rng = new Random(5);
        long previous = 0;
        for (long bytes = 0; bytes < 1 << 22; bytes += 1 + rng.Next(4000))
        {
            long c = CudaCachingAllocator.SizeClass(bytes);
            Assert.That(c, Is.GreaterThanOrEqualTo(bytes));
            Assert.That(c % CudaCachingAllocator.Alignment, Is.Zero, $"class of {bytes}");
            Assert.That(c, Is.GreaterThanOrEqualTo(previous), "monotonic");
            if (bytes > 512 && bytes <= CudaCachingAllocator.SmallLimit) Assert.That(c - bytes, Is.LessThanOrEqualTo(bytes / 4), $"≤ 25 % waste at {bytes}");
            if (bytes > CudaCachingAllocator.SmallLimit) Assert.That(c - bytes, Is.LessThan(CudaCachingAllocator.LargeGranularity));
            previous = c;
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => CudaCachingAllocator.SizeClass(-1));
    }

    [Test]
    public void FewClassesServeManySizes()
    {
        // Reuse needs equal classes: 10 000 sizes up to 1 MiB fall into a few dozen classes.
        var classes = Enumerable.Range(1, 10_000).Select(i => CudaCachingAllocator.SizeClass(i * 100L)).Distinct().Count();
        Assert.That(classes, Is.LessThan(50));
    }
}
