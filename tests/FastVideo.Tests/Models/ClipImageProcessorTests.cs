using FastVideo.Models.Encoders.ClipVision;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Models;

/// <summary>
/// CLIP image preprocessing (no golden exists): geometry and normalisation on synthetic, non-square images against a
/// naive per-pixel reference written here from Pillow's and transformers' definitions.
/// </summary>
public class ClipImageProcessorTests
{
    private static byte[] SyntheticImage(int h, int w, int seed)
    {
        var rng = new Random(seed);
        var img = new byte[h * w * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                // Distinct gradients per channel (catches H/W or channel swaps) plus noise and hard edges (overshoot → clamping).
                img[(y * w + x) * 3 + 0] = (byte)Math.Clamp(255 * y / Math.Max(1, h - 1) + rng.Next(-20, 21), 0, 255);
                img[(y * w + x) * 3 + 1] = (byte)Math.Clamp(255 * x / Math.Max(1, w - 1) + rng.Next(-20, 21), 0, 255);
                img[(y * w + x) * 3 + 2] = (byte)(((x / 5 + y / 3) % 2) * 255);
            }
        return img;
    }

    private static double Cubic(double x)
    {
        x = Math.Abs(x);
        return x < 1 ? 1.5 * x * x * x - 2.5 * x * x + 1 : x < 2 ? -0.5 * x * x * x + 2.5 * x * x - 4 * x + 2 : 0;
    }

    /// <summary>One Pillow pass for a single output sample: antialiased cubic weights, 22-bit fixed point, round, clamp.</summary>
    private static byte Sample(Func<int, byte> input, int inSize, int outSize, int o)
    {
        double scale = (double)inSize / outSize, fs = Math.Max(1, scale), support = 2 * fs, center = (o + 0.5) * scale;
        int lo = Math.Max(0, (int)(center - support + 0.5)), hi = Math.Min(inSize, (int)(center + support + 0.5));
        var w = Enumerable.Range(lo, hi - lo).Select(i => Cubic((i - center + 0.5) / fs)).ToArray();
        double sum = w.Sum();
        long acc = 1 << 21;
        for (int i = lo; i < hi; i++)
        {
            double c = w[i - lo] / sum * (1 << 22);
            acc += input(i) * (long)(c < 0 ? c - 0.5 : c + 0.5);
        }
        return (byte)Math.Clamp(acc >> 22, 0, 255);
    }

    private static byte[] NaiveResize(byte[] img, int h, int w, int oh, int ow)
    {
        var tmp = new byte[h * ow * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < ow; x++)
                for (int c = 0; c < 3; c++)
                    tmp[(y * ow + x) * 3 + c] = ow == w ? img[(y * w + x) * 3 + c] : Sample(i => img[(y * w + i) * 3 + c], w, ow, x);
        var dst = new byte[oh * ow * 3];
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
                for (int c = 0; c < 3; c++)
                    dst[(y * ow + x) * 3 + c] = oh == h ? tmp[(y * ow + x) * 3 + c] : Sample(i => tmp[(i * ow + x) * 3 + c], h, oh, y);
        return dst;
    }

    [TestCase(37, 53, 16, 12, 14)]   // landscape, downscale, non-square crop
    [TestCase(53, 37, 16, 16, 16)]   // portrait
    [TestCase(9, 13, 20, 20, 25)]    // upscale, crop wider than the resized image (zero padding)
    [TestCase(1, 7, 4, 3, 5)]        // a one-pixel-high image
    public void MatchesNaiveReference(int h, int w, int shortest, int cropH, int cropW)
    {
        var img = SyntheticImage(h, w, seed: h * 100 + w);
        var proc = new ClipImageProcessor { ShortestEdge = shortest, CropHeight = cropH, CropWidth = cropW };
        using var pixels = proc.Preprocess(img, h, w);
        Assert.That(pixels.Shape, Is.EqualTo(new[] { 1, 3, cropH, cropW }));

        // Reference geometry: shorter side → shortest, longer side truncated; crop offsets floor((size − crop)/2).
        int rh = h <= w ? shortest : (int)(shortest * (double)h / w);
        int rw = h <= w ? (int)(shortest * (double)w / h) : shortest;
        Assert.That(proc.ResizedSize(h, w), Is.EqualTo((rh, rw)));
        var resized = NaiveResize(img, h, w, rh, rw);
        var expected = new float[3 * cropH * cropW];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < cropH; y++)
                for (int x = 0; x < cropW; x++)
                {
                    int sy = rh >= cropH ? (int)Math.Floor((rh - cropH) / 2.0) + y : y - (int)Math.Ceiling((cropH - rh) / 2.0);
                    int sx = rw >= cropW ? (int)Math.Floor((rw - cropW) / 2.0) + x : x - (int)Math.Ceiling((cropW - rw) / 2.0);
                    byte u = sy >= 0 && sy < rh && sx >= 0 && sx < rw ? resized[(sy * rw + sx) * 3 + c] : (byte)0;
                    float v = (float)(u * (1.0 / 255));
                    expected[(c * cropH + y) * cropW + x] = (v - proc.ImageMean[c]) / proc.ImageStd[c];
                }
        Numerics.AssertClose(pixels.ToArray<float>(), expected, 1e-6, 0, "pixel_values");
    }

    [Test]
    public void ResizeIsWithinOneLevelOfUnquantisedBicubicAndKeepsConstants()
    {
        int h = 41, w = 29;
        var img = SyntheticImage(h, w, 7);
        var resized = PilBicubicResize(img, h, w, 16, 12);
        // Real-valued weights, each pass rounded and clamped to 8 bits: Pillow's 22-bit coefficients can flip a
        // rounding only when a value sits within ~1e-4 of .5, so at most one level apart.
        double[] Pass(Func<int, double> input, int inSize, int outSize, int o)
        {
            double scale = (double)inSize / outSize, fs = Math.Max(1, scale), support = 2 * fs, center = (o + 0.5) * scale;
            int lo = Math.Max(0, (int)(center - support + 0.5)), hi = Math.Min(inSize, (int)(center + support + 0.5));
            double sum = 0, acc = 0;
            for (int i = lo; i < hi; i++) { double k = Cubic((i - center + 0.5) / fs); sum += k; acc += k * input(i); }
            return [Math.Clamp(Math.Floor(acc / sum + 0.5), 0, 255)];
        }
        var tmp = new double[h * 12 * 3];
        for (int y = 0; y < h; y++) for (int x = 0; x < 12; x++) for (int c = 0; c < 3; c++)
            tmp[(y * 12 + x) * 3 + c] = Pass(i => img[(y * w + i) * 3 + c], w, 12, x)[0];
        int maxDiff = 0;
        for (int y = 0; y < 16; y++) for (int x = 0; x < 12; x++) for (int c = 0; c < 3; c++)
        {
            double r = Pass(i => tmp[(i * 12 + x) * 3 + c], h, 16, y)[0];
            maxDiff = Math.Max(maxDiff, (int)Math.Abs(resized[(y * 12 + x) * 3 + c] - r));
        }
        Assert.That(maxDiff, Is.LessThanOrEqualTo(1));
        var constant = Enumerable.Repeat((byte)200, h * w * 3).ToArray();
        Assert.That(PilBicubicResize(constant, h, w, 16, 12).Distinct(), Is.EqualTo(new byte[] { 200 }));
    }

    private static byte[] PilBicubicResize(byte[] img, int h, int w, int oh, int ow)
    {
        var proc = new ClipImageProcessor { DoCenterCrop = false, DoRescale = false, DoNormalize = false, ShortestEdge = Math.Min(oh, ow) };
        Assert.That(proc.ResizedSize(h, w), Is.EqualTo((oh, ow)), "test sizes must follow the shortest-edge rule");
        using var t = proc.Preprocess(img, h, w);
        var chw = t.ToArray<float>();
        var hwc = new byte[chw.Length];
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < oh * ow; i++) hwc[i * 3 + c] = (byte)chw[c * oh * ow + i];
        return hwc;
    }

    [Test]
    public void PreprocessorConfigIsRead()
    {
        var path = Path.Combine(Path.GetTempPath(), $"fv-preproc-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """
            {"crop_size": {"height": 224, "width": 224}, "do_center_crop": true, "do_normalize": true, "do_rescale": true,
             "do_resize": true, "image_mean": [0.5, 0.25, 0.125], "image_std": [0.1, 0.2, 0.4], "resample": 3,
             "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 256}}
            """);
        try
        {
            var p = ClipImageProcessor.FromFile(path);
            Assert.That((p.ShortestEdge, p.CropHeight, p.CropWidth), Is.EqualTo((256, 224, 224)));
            Assert.That(p.ImageMean, Is.EqualTo(new[] { 0.5f, 0.25f, 0.125f }));
            Assert.That(p.ImageStd, Is.EqualTo(new[] { 0.1f, 0.2f, 0.4f }));
            File.WriteAllText(path, """{"resample": 2}""");
            Assert.That(Assert.Throws<NotSupportedException>(() => ClipImageProcessor.FromFile(path))!.Message, Does.Contain("resample"));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void WrongImageBufferIsReported()
    {
        var proc = new ClipImageProcessor();
        Assert.That(Assert.Throws<ArgumentException>(() => proc.Preprocess(new byte[10], 2, 2))!.Message, Does.Contain("2×2×3"));
        Assert.Throws<ArgumentOutOfRangeException>(() => proc.Preprocess([], 0, 5));
    }
}
