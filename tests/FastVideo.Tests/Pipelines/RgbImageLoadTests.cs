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
    [TestCase("not_an_image.png")]
    public void UnreadableFileThrowsNamingTheFile(string name)
    {
        var path = Path.Combine(FixtureDir, "pil_load", name);
        var e = Assert.Throws<InvalidDataException>(() => RgbImage.Load(path));
        Assert.That(e!.Message, Does.Contain(Path.GetFullPath(path)));
    }
}
