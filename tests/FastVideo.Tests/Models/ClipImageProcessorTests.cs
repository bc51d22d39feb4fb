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

    private static double Sinc(double x) => x == 0 ? 1 : Math.Sin(Math.PI * x) / (Math.PI * x);

    /// <summary>Pillow's filters by PIL number (Resample.c): kernel and support.</summary>
    private static (Func<double, double> Kernel, double Support) PilKernel(int resample) => resample switch
    {
        1 => (x => x >= -3 && x < 3 ? Sinc(x) * Sinc(x / 3) : 0, 3),
        2 => (x => Math.Max(0, 1 - Math.Abs(x)), 1),
        3 => (Cubic, 2),
        4 => (x => x > -0.5 && x <= 0.5 ? 1 : 0, 0.5),
        5 => (x => Math.Abs(x) < 1 ? Sinc(x) * ((double)0.54f + (double)0.46f * Math.Cos(Math.PI * x)) : 0, 1), // Resample.c: float literals
        _ => throw new ArgumentOutOfRangeException(nameof(resample)),
    };

    /// <summary>One Pillow pass for a single output sample: antialiased weights, 22-bit fixed point, round, clamp.</summary>
    private static byte Sample(Func<int, byte> input, int inSize, int outSize, int o, int resample = 3)
    {
        if (resample == 0) return input((int)Math.Floor((o + 0.5) * inSize / outSize)); // sizes in the tests keep this exact
        var (kernel, baseSupport) = PilKernel(resample);
        double scale = (double)inSize / outSize, fs = Math.Max(1, scale), support = baseSupport * fs, center = (o + 0.5) * scale;
        int lo = Math.Max(0, (int)(center - support + 0.5)), hi = Math.Min(inSize, (int)(center + support + 0.5));
        var w = Enumerable.Range(lo, hi - lo).Select(i => kernel((i - center + 0.5) / fs)).ToArray();
        double sum = w.Sum();
        long acc = 1 << 21;
        for (int i = lo; i < hi; i++)
        {
            double c = w[i - lo] / sum * (1 << 22);
            acc += input(i) * (long)(c < 0 ? c - 0.5 : c + 0.5);
        }
        return (byte)Math.Clamp(acc >> 22, 0, 255);
    }

    private static byte[] NaiveResize(byte[] img, int h, int w, int oh, int ow, int resample = 3)
    {
        var tmp = new byte[h * ow * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < ow; x++)
                for (int c = 0; c < 3; c++)
                    tmp[(y * ow + x) * 3 + c] = ow == w ? img[(y * w + x) * 3 + c] : Sample(i => img[(y * w + i) * 3 + c], w, ow, x, resample);
        var dst = new byte[oh * ow * 3];
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
                for (int c = 0; c < 3; c++)
                    dst[(y * ow + x) * 3 + c] = oh == h ? tmp[(y * ow + x) * 3 + c] : Sample(i => tmp[(i * ow + x) * 3 + c], h, oh, y, resample);
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

    [TestCase(0, 12, 7, 8, 4)]    // nearest: 12→8 rows (step 1.5), 7→4 columns (1.75)
    [TestCase(1, 23, 17, 9, 30)]  // lanczos: shrink rows, enlarge columns
    [TestCase(2, 23, 17, 9, 30)]  // bilinear
    [TestCase(4, 23, 17, 9, 30)]  // box
    [TestCase(5, 23, 17, 9, 30)]  // hamming
    [TestCase(3, 5, 13, 5, 6)]    // bicubic, height unchanged: only the horizontal pass runs
    public void ExactResizeWithEveryPilFilterMatchesNaiveReference(int resample, int h, int w, int oh, int ow)
    {
        var img = SyntheticImage(h, w, seed: resample * 1000 + h);
        var proc = new ClipImageProcessor
        {
            ResizeTo = (oh, ow), Resample = resample, DoCenterCrop = false, DoRescale = true, RescaleFactor = 0.5, DoNormalize = false,
        };
        using var pixels = proc.Preprocess(img, h, w);
        Assert.That(pixels.Shape, Is.EqualTo(new[] { 1, 3, oh, ow }));
        var resized = NaiveResize(img, h, w, oh, ow, resample);
        var expected = new float[3 * oh * ow];
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < oh * ow; i++) expected[c * oh * ow + i] = (float)(resized[i * 3 + c] * 0.5);
        Assert.That(pixels.ToArray<float>(), Is.EqualTo(expected), $"resample {resample}");
    }

    [Test]
    public void NoResizeNoCropKeepsTheImageAndNormalisesRawValues()
    {
        // do_rescale false: transformers normalises the uint8 values cast to float32.
        var img = SyntheticImage(3, 5, seed: 1);
        var proc = new ClipImageProcessor { DoResize = false, DoCenterCrop = false, DoRescale = false, ImageMean = [1f, 2f, 3f], ImageStd = [2f, 4f, 8f] };
        using var pixels = proc.Preprocess(img, 3, 5);
        Assert.That(pixels.Shape, Is.EqualTo(new[] { 1, 3, 3, 5 }));
        var values = pixels.ToArray<float>();
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 15; i++)
                Assert.That(values[c * 15 + i], Is.EqualTo((img[i * 3 + c] - proc.ImageMean[c]) / proc.ImageStd[c]));
    }

    private static ClipImageProcessor Read(string json)
    {
        var path = Path.Combine(Path.GetTempPath(), $"fv-preproc-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        try { return ClipImageProcessor.FromFile(path); }
        finally { File.Delete(path); }
    }

    [Test]
    public void SizeForms()
    {
        Assert.That(Read("{}") is { ShortestEdge: 224, ResizeTo: null, CropHeight: 224, CropWidth: 224, Resample: 3 });
        Assert.That(Read("""{"size": 64}""") is { ShortestEdge: 64, ResizeTo: null });
        Assert.That(Read("""{"size": {"height": 20, "width": 30}}""").ResizeTo, Is.EqualTo((20, 30)));
        Assert.That(Read("""{"size": [21, 31]}""").ResizeTo, Is.EqualTo((21, 31)));
        Assert.That(Read("""{"size": {"shortest_edge": 40, "longest_edge": 50}}""") is { ShortestEdge: 40, ResizeTo: null }, "longest_edge is unused by CLIP's resize");
        Assert.That(Read("""{"size": {"shortest_edge": 40}, "use_square_size": true}""").ResizeTo, Is.EqualTo((40, 40)));
        Assert.That(Read("""{"crop_size": 48}""") is { CropHeight: 48, CropWidth: 48 });
        Assert.That(Read("""{"crop_size": [10, 12]}""") is { CropHeight: 10, CropWidth: 12 });
        Assert.That(Read("""{"image_mean": 0.5, "image_std": [0.1, 0.2, 0.3]}""").ImageMean, Is.EqualTo(new[] { 0.5f, 0.5f, 0.5f }));
        Assert.That(Read("""{"resample": 1, "do_convert_rgb": true}""").Resample, Is.EqualTo(1));
        Assert.That(Read("""{"size": {"longest_edge": 50}, "do_resize": false}""").DoResize, Is.False, "an unusable size is fine when resize is off");
        Assert.That(Read("""{"size": {"height": 20, "width": 30}, "do_center_crop": false}""").FixedOutputSize, Is.EqualTo((20, 30)));
        Assert.That(Read("""{"do_center_crop": false}""").FixedOutputSize, Is.Null, "shortest-edge resize follows the input");
        Assert.That(Read("""{"crop_size": [10, 12]}""").FixedOutputSize, Is.EqualTo((10, 12)));
    }

    [TestCase("""{"resample": 7}""", "resample")]
    [TestCase("""{"size": {"longest_edge": 50}}""", "size")]
    [TestCase("""{"size": {"width": 50}}""", "size")]
    [TestCase("""{"size": "big"}""", "size")]
    [TestCase("""{"size": {"shortest_edge": 0}}""", "size.shortest_edge")]
    [TestCase("""{"crop_size": {"shortest_edge": 50}}""", "crop_size")]
    [TestCase("""{"image_mean": [0.5, 0.5]}""", "image_mean")]
    [TestCase("""{"do_resize": "yes"}""", "do_resize")]
    [TestCase("""{"rescale_factor": "1/255"}""", "rescale_factor")]
    public void InvalidPreprocessorConfigIsNamed(string json, string key)
    {
        var e = Assert.Throws<InvalidDataException>(() => Read(json));
        Assert.That(e!.Message, Does.Contain(key).And.Contain("fv-preproc-"));
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
            Assert.That((p.Resample, p.RescaleFactor), Is.EqualTo((3, 0.00392156862745098)));
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
