using FastVideo.Backends.Cpu;
using FastVideo.Models.Vaes.Wan;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Models;

/// <summary>
/// The feature cache: a causal convolution run chunk by chunk equals the same convolution over the whole
/// sequence, and memory for a chunked encode/decode follows one chunk, not the video.
/// </summary>
[TestFixture]
public class WanVaeCacheTests
{
    [TestCase(new[] { 1, 4, 4 }, TestName = "CachedConvEqualsWholeSequence_EncoderChunks")]
    [TestCase(new[] { 1, 1, 1, 1, 1 }, TestName = "CachedConvEqualsWholeSequence_SingleFrames")]
    [TestCase(new[] { 2, 1, 3 }, TestName = "CachedConvEqualsWholeSequence_MixedChunks")]
    public void CachedConvEqualsWholeSequence(int[] chunks)
    {
        var b = CpuBackend.Default;
        int c = 3, o = 5, t = chunks.Sum(), h = 4, w = 7;
        using var x = Tensor.FromHost<float>(Numerics.RandomNormal(2 * c * t * h * w, 1), 2, c, t, h, w);
        using var weight = Tensor.FromHost<float>(Numerics.RandomNormal(o * c * 27, 2, 0.2f), o, c, 3, 3, 3);
        using var bias = Tensor.FromHost<float>(Numerics.RandomNormal(o, 3, 0.1f), o);
        var conv = WanCausalConv3d.Create(b, "test", weight, bias, (1, 1, 1), (1, 1, 1));

        using var whole = conv.Forward(x);                                   // zero front padding of 2 frames
        Assert.That(whole.ShapeSpan.ToArray(), Is.EqualTo(new[] { 2, o, t, h, w }));

        using var cache = new WanFeatureCache(1);
        var parts = new List<Tensor>();
        int start = 0;
        foreach (int n in chunks)
        {
            using var chunk = b.Slice(x, 2, start, n);
            parts.Add(conv.ForwardCached(chunk, cache, 0));
            Assert.That(cache.Get(0)!.Size(2), Is.EqualTo(Math.Min(start + n, WanFeatureCache.CacheFrames)), "cache keeps the last 2 frames");
            start += n;
        }
        using var joined = b.Concat(parts, 2);
        foreach (var p in parts) p.Dispose();
        Numerics.AssertClose(joined.ToArray<float>(), whole.ToArray<float>(), 1e-5, 1e-5, "chunked causal conv");
    }

    private static (long Peak, long Output) DecodePeak(AutoencoderKLWan vae, CpuAllocator alloc, int latentFrames)
    {
        using var host = Tensor.FromHost<float>(Numerics.RandomNormal(16 * latentFrames * 4 * 6, latentFrames), 1, 16, latentFrames, 4, 6);
        alloc.ResetPeak();
        long before = alloc.Stats.CurrentBytes;
        using var video = vae.DecodeUnclamped(host);
        return (alloc.Stats.PeakBytes - before, video.Bytes);
    }

    private static (long Peak, long Output) EncodePeak(AutoencoderKLWan vae, CpuAllocator alloc, int frames)
    {
        using var host = Tensor.FromHost<float>(Numerics.RandomUniform(3 * frames * 32 * 48, frames), 1, 3, frames, 32, 48);
        alloc.ResetPeak();
        long before = alloc.Stats.CurrentBytes;
        using var latents = vae.EncodeMoments(host);
        return (alloc.Stats.PeakBytes - before, latents.Bytes);
    }

    [Test]
    public void PeakMemoryFollowsOneChunk()
    {
        // A private allocator so that nothing else is counted; inputs live on the shared one.
        var alloc = new CpuAllocator();
        var backend = new CpuBackend(alloc);
        using var vae = AutoencoderKLWan.FromPretrained(Golden.Path_("wan_vae", "model"), backend);

        var d2 = DecodePeak(vae, alloc, 2);
        var d4 = DecodePeak(vae, alloc, 4);
        // Two more latent frames add 8 output frames, held twice while the chunks are joined, and
        // nothing else: activations and the cache are per chunk.
        long decodeGrowth = d4.Peak - d2.Peak, decodeAllowed = 2 * (d4.Output - d2.Output) + d2.Peak / 10;
        TestContext.Out.WriteLine($"decode peak: 2 latent frames {d2.Peak:N0} B, 4 latent frames {d4.Peak:N0} B (output {d2.Output:N0} → {d4.Output:N0})");
        Assert.That(decodeGrowth, Is.LessThanOrEqualTo(decodeAllowed), "decode peak grows with the video beyond its output");

        // Both lengths past the second chunk: the third chunk is the first whose cache slots hold two full
        // frames (the second sees one frame cached from the single-frame first chunk), so 5 frames (two chunks)
        // peaks lower than any longer video by a fixed amount that does not grow with the length.
        var e9 = EncodePeak(vae, alloc, 9);
        var e17 = EncodePeak(vae, alloc, 17);
        long encodeGrowth = e17.Peak - e9.Peak, encodeAllowed = 2 * (e17.Output - e9.Output) + e9.Peak / 10;
        TestContext.Out.WriteLine($"encode peak: 9 frames {e9.Peak:N0} B, 17 frames {e17.Peak:N0} B");
        Assert.That(encodeGrowth, Is.LessThanOrEqualTo(encodeAllowed), "encode peak grows with the video beyond its output");
    }
}
