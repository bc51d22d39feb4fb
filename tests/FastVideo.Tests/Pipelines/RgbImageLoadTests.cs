using FastVideo.Loading;
using FastVideo.Pipelines;
using FastVideo.Tests.Support;
using ImageMagick;
using NUnit.Framework;

namespace FastVideo.Tests.Pipelines;

/// <summary>
/// <see cref="RgbImage.Load"/> against diffusers' <c>load_image</c> (PIL <c>Image.open</c>, <c>ImageOps.exif_transpose</c>,
/// <c>convert("RGB")</c>): Fixtures/pil_load holds tiny images of each kind a user may pass and pil_load.safetensors the
/// RGB bytes Pillow 9.4 gives for them (Fixtures/make_pil_load.py). Lossless formats must match exactly; JPEG and lossy
/// WebP decoders differ by a few levels between libjpeg/libwebp builds.
/// </summary>
public class RgbImageLoadTests
{
    private static string FixtureDir => Path.Combine(Golden.RepoRoot, "tests", "FastVideo.Tests", "Fixtures");

    private static string ExpectedPath
    {
        get
        {
            // Committed with the tests: a missing file is a broken checkout, never a reason to skip.
            var path = Path.Combine(FixtureDir, "pil_load.safetensors");
            Assert.That(File.Exists(path), Is.True, $"fixture missing: {path}");
            return path;
        }
    }

    private static IEnumerable<string> DecodableNames()
    {
        using var file = SafetensorsFile.Open(ExpectedPath);
        return file.Names.Order(StringComparer.Ordinal).ToArray();
    }

    [TestCaseSource(nameof(DecodableNames))]
    public void LoadMatchesPillowLoadImage(string name)
    {
        using var file = SafetensorsFile.Open(ExpectedPath);
        var shape = file[name].Shape;
        var expected = file.GetBytes(name).ToArray();

        var image = RgbImage.Load(Path.Combine(FixtureDir, "pil_load", name));

        Assert.That(new[] { image.Height, image.Width, 3 }, Is.EqualTo(shape), $"{name}: [H, W, 3] after EXIF orientation");
        int maxDiff = expected.Zip(image.Rgb, (e, g) => Math.Abs(e - g)).Max();
        bool lossy = name.EndsWith(".jpg", StringComparison.Ordinal) || name == "lossy.webp";
        TestContext.Out.WriteLine($"{name}: max |Δ| = {maxDiff} uint8 levels");
        Assert.That(maxDiff, Is.LessThanOrEqualTo(lossy ? 3 : 0), $"{name}: max |Δ| in uint8 levels against Pillow");
    }

    [TestCase("truncated.png")]
    [TestCase("truncated16.png")]
    [TestCase("not_an_image.png")]
    public void UnreadableFileThrowsNamingTheFile(string name)
    {
        var path = Path.Combine(FixtureDir, "pil_load", name);
        var e = Assert.Throws<InvalidDataException>(() => RgbImage.Load(path));
        Assert.That(e!.Message, Does.Contain(Path.GetFullPath(path)));
    }

    [Test]
    public void Interlaced16BitPngIsRejectedNamingTheFile()
    {
        var bytes = File.ReadAllBytes(Path.Combine(FixtureDir, "pil_load", "rgb16.png"));
        bytes[28] = 1;  // IHDR interlace method: Adam7 (rejected before any CRC or data is read)
        var path = Path.Combine(Path.GetTempPath(), $"rgbimage_{Guid.NewGuid():N}.png");
        try
        {
            File.WriteAllBytes(path, bytes);
            var e = Assert.Throws<NotSupportedException>(() => RgbImage.Load(path));
            Assert.That(e!.Message, Does.Contain(path).And.Contain("interlaced 16-bit"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void RgbaPngWrittenAtTestTimeDropsAlphaWithoutCompositing(bool sixteenBit)
    {
        // Independent expectation: convert("RGB") keeps (r, g, b) of every (r, g, b, a), even where a = 0. Written by
        // ImageMagick (Q8: a 16-bit sample is v·257, whose high byte Pillow keeps is v), with its own PNG filters.
        const int h = 3, w = 11;
        var rgba = new byte[h * w * 4];
        var rng = new Random(7);
        rng.NextBytes(rgba);
        for (int i = 0; i < w; i++) rgba[i * 4 + 3] = (byte)(i % 3 == 0 ? 0 : rgba[i * 4 + 3]);
        var path = Path.Combine(Path.GetTempPath(), $"rgbimage_{Guid.NewGuid():N}.png");
        try
        {
            using (var image = new MagickImage(rgba, new PixelReadSettings((uint)w, h, StorageType.Char, PixelMapping.RGBA)))
            {
                image.Write(path, sixteenBit ? MagickFormat.Png64 : MagickFormat.Png32);  // not a palette PNG
            }

            var header = File.ReadAllBytes(path);
            Assert.That((header[24], header[25]), Is.EqualTo((sixteenBit ? 16 : 8, 6)), "IHDR bit depth and colour type (RGBA)");

            var got = RgbImage.Load(path);

            Assert.That((got.Height, got.Width), Is.EqualTo((h, w)));
            var expected = Enumerable.Range(0, h * w * 3).Select(i => rgba[i / 3 * 4 + i % 3]).ToArray();
            Assert.That(got.Rgb, Is.EqualTo(expected));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
