using FastVideo.Entrypoints;
using FastVideo.Pipelines;
using FastVideo.Pipelines.Wan;
using FastVideo.Tests.Loading;
using FastVideo.Tests.Support;
using ImageMagick;
using NUnit.Framework;

namespace FastVideo.Tests.Pipelines;

/// <summary>
/// Wan2.1 image-to-video. No pipeline golden exists, so: the mask and condition construction against
/// hand-computed cases, the image conversions, and the whole pipeline on a tiny I2V checkpoint assembled from the
/// component goldens (shapes, finiteness, the condition's layout).
/// </summary>
public class WanImageToVideoTests
{
    [Test]
    public void MaskMarksTheFirstFrameInEveryChannelOfLatentFrameZero()
    {
        // F = 9, r = 4: frames [1,0,0,0,0,0,0,0,0] → expanded [1,1,1,1, 0,0,0,0, 0,0,0,0] → view [3,4] → transpose [4,3].
        var (values, shape) = WanImageMask.Build(batch: 1, numFrames: 9, latentHeight: 2, latentWidth: 3, temporalFactor: 4);
        Assert.That(shape, Is.EqualTo(new[] { 1, 4, 3, 2, 3 }));
        var expected = new float[4 * 3 * 6];
        for (int c = 0; c < 4; c++)
            for (int p = 0; p < 6; p++) expected[(c * 3 + 0) * 6 + p] = 1f; // t' = 0 only
        Assert.That(values, Is.EqualTo(expected));
    }

    [Test]
    public void MaskWithALastImageMarksItsOwnChannel()
    {
        // F = 9 with a last image: frames [1,0,0,0,0,0,0,0,1] → expanded [1,1,1,1, 0,0,0,0, 0,0,0,1]:
        // t' = 2 holds frames 5..8, only channel 3 (frame 8) is given.
        var (values, shape) = WanImageMask.Build(2, 9, 1, 2, 4, lastImage: true);
        Assert.That(shape, Is.EqualTo(new[] { 2, 4, 3, 1, 2 }));
        float[,] perChannelFrame =
        {
            { 1, 0, 0 },
            { 1, 0, 0 },
            { 1, 0, 0 },
            { 1, 0, 1 },
        };
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 4; c++)
                for (int t = 0; t < 3; t++)
                    for (int p = 0; p < 2; p++)
                        Assert.That(values[((b * 4 + c) * 3 + t) * 2 + p], Is.EqualTo(perChannelFrame[c, t]), $"b{b} c{c} t{t} p{p}");
    }

    [Test]
    public void MaskOfASingleFrameIsAllOnes()
    {
        var (values, shape) = WanImageMask.Build(1, 1, 2, 2, 4);
        Assert.That(shape, Is.EqualTo(new[] { 1, 4, 1, 2, 2 }));
        Assert.That(values, Is.All.EqualTo(1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => WanImageMask.Build(1, 8, 2, 2, 4));
    }

    [Test]
    public void ImageFileRoundTripsAndMapsToSignedUnitRange()
    {
        using var dir = new TempDir();
        var image = TestImage(5, 7, seed: 3);
        var path = WritePng(dir, image);
        var read = RgbImage.Load(path);
        Assert.That((read.Height, read.Width), Is.EqualTo((5, 7)));
        Assert.That(read.Rgb, Is.EqualTo(image.Rgb));

        using var t = read.ToSignedUnitTensor(FastVideo.Tensors.CpuAllocator.Shared);
        Assert.That(t.Shape, Is.EqualTo(new[] { 1, 3, 5, 7 }));
        var v = t.ToArray<float>();
        for (int y = 0; y < 5; y++)
            for (int x = 0; x < 7; x++)
                for (int c = 0; c < 3; c++)
                    Assert.That(v[(c * 5 + y) * 7 + x], Is.EqualTo(2f * (image.Rgb[(y * 7 + x) * 3 + c] / 255f) - 1f));
        Assert.Throws<FileNotFoundException>(() => RgbImage.Load(Path.Combine(dir.Path, "missing.png")));
    }

    [Test]
    public void LanczosResizeKeepsConstantsAndRampsAndIsIdentityAtTheSameSize()
    {
        var constant = new RgbImage(Enumerable.Repeat((byte)77, 9 * 13 * 3).ToArray(), 9, 13);
        Assert.That(constant.ResizeLanczos(4, 6).Rgb, Is.All.EqualTo((byte)77));
        Assert.That(constant.ResizeLanczos(17, 20).Rgb, Is.All.EqualTo((byte)77));
        var random = TestImage(6, 8, 1);
        Assert.That(random.ResizeLanczos(6, 8).Rgb, Is.EqualTo(random.Rgb));

        // A horizontal ramp v(x) = 20x. Lanczos weights are symmetric and normalised, so away from the borders
        // (all 6·scale taps inside) the output is the ramp at the sample centre: 20·((x' + 0.5)·scale − 0.5).
        const int w = 24, outW = 16;
        var ramp = new byte[w * 3];
        for (int x = 0; x < w; x++) ramp[x * 3] = ramp[x * 3 + 1] = ramp[x * 3 + 2] = (byte)(10 * x);
        var resized = new RgbImage(ramp, 1, w).ResizeLanczos(1, outW).Rgb;
        double scale = (double)w / outW, support = 3 * scale;
        for (int xx = 0; xx < outW; xx++)
        {
            double center = (xx + 0.5) * scale;
            if (center - support < 0 || center + support > w) continue;
            Assert.That(resized[xx * 3], Is.EqualTo(10 * (center - 0.5)).Within(1.0), $"x' = {xx}");
        }
    }

    [Test]
    public void PipelineRunsEndToEndOnATinyCheckpoint()
    {
        using var dir = new TempDir();
        using var folder = PipelineFolder.TinyI2V();
        var imagePath = WritePng(dir, TestImage(40, 56, seed: 7)); // resized to 32×48 (Lanczos) for the VAE, 32×44 → crop 32 for CLIP
        var logs = new List<string>();
        using var gen = VideoGenerator.FromPretrained(folder.Path, new GeneratorOptions { Trace = true, Log = logs.Add });
        Assert.That(gen.PipelineClass, Is.EqualTo("WanImageToVideoPipeline"));
        Assert.That(gen.IsImageToVideo);
        Assert.That(gen.Preset, Is.EqualTo(WanPresets.I2V_14B_480P));
        Assert.That(gen.StageNames, Is.EqualTo(new[]
        {
            "InputValidation", "TextEncoding", "ImageEncoding", "Conditioning", "TimestepPreparation",
            "LatentPreparation", "ImageLatentPreparation", "Denoising", "Decoding",
        }));

        var progress = new RecordingProgress<StepProgress>();
        using var result = gen.Generate(new GenerationRequest
        {
            Prompt = "A cat walks on the grass, realistic style.",
            NegativePrompt = "blurry, low quality, static",
            ImagePath = imagePath,
            Height = 32, Width = 48, NumFrames = 5, Steps = 2, GuidanceScale = 5f, FlowShift = 3f, Seed = 11,
            MaxSequenceLength = 512,
        }, progress);

        var trace = result.Trace!;
        Assert.That(trace.PromptEmbeds!.Shape, Is.EqualTo(new[] { 1, 512, 32 }));
        Assert.That(trace.ImageEmbeds!.Shape, Is.EqualTo(new[] { 1, 17, 32 }), "CLIP penultimate hidden state");
        Assert.That(trace.ImageCondition!.Shape, Is.EqualTo(new[] { 1, 20, 2, 4, 6 }), "4 mask + 16 latent channels");
        // Channels 0-3 are the mask: latent frame 0 given, frame 1 not.
        var cond = trace.ImageCondition.Values;
        for (int c = 0; c < 4; c++)
            for (int t = 0; t < 2; t++)
                Assert.That(cond.Skip((c * 2 + t) * 24).Take(24), Is.All.EqualTo(t == 0 ? 1f : 0f), $"mask c{c} t{t}");
        Assert.That(trace.NoisePredCond, Has.Count.EqualTo(2));
        Assert.That(trace.NoisePredUncond, Has.Count.EqualTo(2));
        Assert.That(trace.NoisePredCond[0].Shape, Is.EqualTo(new[] { 1, 16, 2, 4, 6 }));
        Assert.That(progress.Reports.Select(p => p.Step), Is.EqualTo(new[] { 1, 2 }));

        Assert.That(result.Latents.Shape, Is.EqualTo(new[] { 1, 16, 2, 4, 6 }));
        Assert.That(result.FloatFrames.Shape, Is.EqualTo(new[] { 5, 32, 48, 3 }));
        Assert.That(result.Latents.ToArray<float>(), Is.All.Matches<float>(float.IsFinite));
        var frames = result.FloatFrames.ToArray<float>();
        Assert.That(frames, Is.All.InRange(0f, 1f));
        Assert.That(frames.Distinct().Count(), Is.GreaterThan(100), "not a constant video");
        Assert.That(logs, Has.Some.Contains("resized to 48×32"));
        TestContext.Out.WriteLine(string.Join(", ", result.Timings.Select(t => $"{t.Stage} {t.Elapsed.TotalMilliseconds:F0} ms")));
    }

    [Test]
    public void ImageLatentsAreTheNormalisedVaeEncodingOfFirstFrameAndZeros()
    {
        using var dir = new TempDir();
        using var folder = PipelineFolder.TinyI2V();
        var image = TestImage(32, 48, seed: 5); // already the video size: no resize
        var imagePath = WritePng(dir, image);
        var backend = new FastVideo.Backends.Cpu.CpuBackend(new FastVideo.Tensors.CpuAllocator());
        using var pipeline = (WanPipelineBase)PipelineRegistry.Load(new PipelineLoadContext(
            FastVideo.Loading.DiffusersFolder.Open(folder.Path), backend, new FastVideo.Attention.SdpaAttention(backend)));
        var request = new GenerationRequest { Prompt = "x", ImagePath = imagePath, Height = 32, Width = 48, NumFrames = 5, Steps = 1, MaxSequenceLength = 512 }
            .Resolve(WanPresets.I2V_14B_480P);
        using var batch = new WanBatch(request);
        var context = new PipelineContext(backend);
        // Only the stages the condition depends on (the text and image encoders are not needed here).
        foreach (var s in pipeline.Stages.Where(s => s.Name is "InputValidation" or "LatentPreparation" or "ImageLatentPreparation"))
            s.Run(batch, context);

        // Independently: video = [image, 0, 0, 0, 0] in [−1, 1], encoded (mode), normalised per channel on the host.
        var vae = pipeline.Modules.Vae;
        var video = new float[3 * 5 * 32 * 48];
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < 32 * 48; p++)
                video[c * 5 * 32 * 48 + p] = 2f * (image.Rgb[p * 3 + c] / 255f) - 1f;
        using var videoT = FastVideo.Tensors.Tensor.FromHost<float>(backend.Allocator, video, [1, 3, 5, 32, 48]);
        using var mean = vae.EncodeMean(videoT);
        var m = mean.ToArray<float>();
        int plane = 2 * 4 * 6;
        var expected = new float[m.Length];
        for (int c = 0; c < 16; c++)
            for (int i = 0; i < plane; i++)
                expected[c * plane + i] = (m[c * plane + i] - vae.Config.LatentsMean[c]) * (1f / vae.Config.LatentsStd[c]);
        var condition = batch.ImageCondition!.ToArray<float>();
        Numerics.AssertClose(condition.AsSpan(4 * plane), expected, 1e-6, 1e-6, "condition channels 4..19");
    }

    private static RgbImage TestImage(int h, int w, int seed)
    {
        var rng = new Random(seed);
        var rgb = new byte[h * w * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++)
                    rgb[(y * w + x) * 3 + c] = (byte)Math.Clamp(40 * c + 3 * x + 2 * y + rng.Next(-20, 21), 0, 255);
        return new RgbImage(rgb, h, w);
    }

    private static string WritePng(TempDir dir, RgbImage image)
    {
        var path = Path.Combine(dir.Path, $"input_{image.Width}x{image.Height}.png");
        using var img = new MagickImage(image.Rgb, new MagickReadSettings { Width = (uint)image.Width, Height = (uint)image.Height, Format = MagickFormat.Rgb, Depth = 8 });
        img.Write(path, MagickFormat.Png);
        return path;
    }
}
