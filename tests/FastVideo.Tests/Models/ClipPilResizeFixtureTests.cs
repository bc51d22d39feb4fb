using System.Runtime.InteropServices;
using FastVideo.Loading;
using FastVideo.Models.Encoders.ClipVision;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Models;

/// <summary>
/// Byte-exact parity with the real Pillow (9.4.0): Fixtures/pil_resize.safetensors holds <c>Image.resize</c> outputs
/// for every filter (down by large and small factors, one side up and the other down, a 5×7 image enlarged) and one
/// CLIPImageProcessor pixel_values computed the way transformers does (see Fixtures/make_pil_resize.py).
/// </summary>
public class ClipPilResizeFixtureTests
{
    private static string FixturePath
    {
        get
        {
            // Committed with the tests: a missing file is a broken checkout, never a reason to skip.
            var path = Path.Combine(Golden.RepoRoot, "tests", "FastVideo.Tests", "Fixtures", "pil_resize.safetensors");
            Assert.That(File.Exists(path), Is.True, $"fixture missing: {path}");
            return path;
        }
    }

    private static IEnumerable<string> ResizeNames()
    {
        using var file = SafetensorsFile.Open(FixturePath);
        return file.Names.Where(n => n.StartsWith("resize.", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
    }

    [TestCaseSource(nameof(ResizeNames))]
    public void ResizeMatchesPillowExactly(string name)
    {
        // name = resize.<source>.<PIL filter number>.<height>x<width>
        var parts = name.Split('.');
        var filter = (PilFilter)int.Parse(parts[2]);
        var size = parts[3].Split('x');
        int oh = int.Parse(size[0]), ow = int.Parse(size[1]);
        using var file = SafetensorsFile.Open(FixturePath);
        var src = file[parts[1]];
        var expected = file.GetBytes(name).ToArray();
        Assert.That(file[name].Shape, Is.EqualTo(new[] { oh, ow, 3 }), name);

        var got = PilBicubic.Resize(file.GetBytes(parts[1]), src.Shape[0], src.Shape[1], 3, oh, ow, filter);

        int maxDiff = expected.Zip(got, (e, g) => Math.Abs(e - g)).Max();
        Assert.That(maxDiff, Is.EqualTo(0), $"{name}: {src.Shape[1]}×{src.Shape[0]} → {ow}×{oh} {filter}, max |Δ| in uint8 levels");
    }

    [Test]
    public void ClipPreprocessMatchesTransformersPipeline()
    {
        using var file = SafetensorsFile.Open(FixturePath);
        const string name = "clip.image.se24.crop20x22";
        var src = file["image"];
        var expected = MemoryMarshal.Cast<byte, float>(file.GetBytes(name)).ToArray();
        var processor = new ClipImageProcessor { ShortestEdge = 24, CropHeight = 20, CropWidth = 22 };

        using var pixels = processor.Preprocess(file.GetBytes("image"), src.Shape[0], src.Shape[1]);

        Assert.That(pixels.Shape, Is.EqualTo(file[name].Shape));
        Assert.That(pixels.ToArray<float>(), Is.EqualTo(expected).Within(1e-6f));
    }
}
