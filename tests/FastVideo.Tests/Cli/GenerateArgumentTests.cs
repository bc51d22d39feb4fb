using FastVideo.Cli.Generate;
using FastVideo.Media;
using FastVideo.Tests.Loading;
using NUnit.Framework;

namespace FastVideo.Tests.Cli;

/// <summary>
/// <c>fastvideo generate</c> argument checks: each bad value exits 2 with one line naming the option, the value
/// and the rule, before any model is loaded (these runs name no model and would otherwise need one).
/// </summary>
public class GenerateArgumentTests
{
    private static CliRun Generate(params string[] extra) =>
        CliTestSupport.Run(["generate", "--prompt", "a fox in the snow", .. extra]);

    [TestCase("--num-frames", "8", "--num-frames 8", "1 + 4k", "use 5 or 9")]
    [TestCase("--num-frames", "0", "--num-frames 0", "1 + 4k")]
    [TestCase("--height", "30", "--height 30", "multiple of 16", "32")]
    [TestCase("--width", "50", "--width 50", "multiple of 16", "48")]
    [TestCase("--width", "-16", "--width -16", "multiple of 16")]
    [TestCase("--steps", "0", "--steps 0", "at least 1")]
    [TestCase("--steps", "10001", "--steps 10001", "at most 10000")]
    [TestCase("--steps", "2147483647", "--steps 2147483647", "at most 10000")]
    [TestCase("--guidance-scale", "0.5", "--guidance-scale 0.5", "at least 1")]
    [TestCase("--flow-shift", "0", "--flow-shift 0", "positive")]
    [TestCase("--max-sequence-length", "0", "--max-sequence-length 0", "at least 1")]
    [TestCase("--max-sequence-length", "65536", "--max-sequence-length 65536", "at most 4096")]
    [TestCase("--max-sequence-length", "100000", "--max-sequence-length 100000", "at most 4096")]
    [TestCase("--seed", "-1", "--seed -1", "non-negative")]
    [TestCase("--fps", "0", "--fps 0", "at least 1")]
    [TestCase("--format", "avi", "--format avi", "mp4, png, safetensors, gif, webp")]
    [TestCase("--scheduler", "ddim", "--scheduler ddim", "unipc or flowmatch")]
    [TestCase("--device", "tpu", "--device tpu", "cpu, cuda or cuda:N")]
    [TestCase("--attention-backend", "nope", "--attention-backend nope", "sdpa")]
    [TestCase("--image", "/no/such/image.png", "--image /no/such/image.png", "file not found")]
    [TestCase("--image", "/dev/zero", "--image /dev/zero", "is a character device; give an image file")]
    public void BadValueExits2WithOneLine(string option, string value, params string[] fragments) =>
        CliTestSupport.AssertUsageError(Generate(option, value), fragments);

    [Test]
    public void UnparsableAndMissingValuesExit2()
    {
        CliTestSupport.AssertUsageError(Generate("--steps", "many"), "many", "fastvideo generate --help");
        CliTestSupport.AssertUsageError(CliTestSupport.Run("generate", "--steps", "4"), "--prompt");
        CliTestSupport.AssertUsageError(CliTestSupport.Run("generate", "--prompt", "  "), "--prompt", "must not be empty");
        CliTestSupport.AssertUsageError(Generate("--no-such-option"), "--no-such-option");
    }

    [Test]
    public void MissingModelFolderExits2()
    {
        using var dir = new TempDir();
        var missing = dir.File("no-model-here");
        CliTestSupport.AssertUsageError(Generate("--model", missing), "--model", "no-model-here", "does not exist");
    }

    [Test]
    public void RepoIdNotInTheCacheExits2WithTheDownloadHint()
    {
        using var dir = new TempDir();
        var old = Environment.GetEnvironmentVariable("HF_HUB_CACHE");
        Environment.SetEnvironmentVariable("HF_HUB_CACHE", dir.Path);
        try
        {
            CliTestSupport.AssertUsageError(Generate("--model", "Wan-AI/Wan2.1-T2V-1.3B-Diffusers"), "not in the local Hugging Face cache", "huggingface-cli download");
        }
        finally
        {
            Environment.SetEnvironmentVariable("HF_HUB_CACHE", old);
        }
    }

    [Test]
    public void CudaDeviceThatCannotBeOpenedExits1()
    {
        // A valid command line on a machine without that GPU: a runtime failure, not a usage error.
        var run = Generate("--model", FastVideo.Tests.Support.Golden.Path_("wan_pipeline_t2v", "pipeline"), "--device", "cuda:99");
        CliTestSupport.AssertError(run, FastVideo.Cli.CliApp.ExitFailure, "cuda:99", "the CUDA backend is not available", "--device cpu");
    }

    [TestCase("A cat walks on the grass, realistic style.", "a-cat-walks-on-the-grass-realistic-style")]
    [TestCase("  Café über-fast!!  ", "caf-ber-fast")]
    [TestCase("日本語", "video")]
    [TestCase("", "video")]
    [TestCase("one two three four five six seven eight nine ten eleven twelve", "one-two-three-four-five-six-seven-eight-nine-ten")]
    public void SlugOfPrompt(string prompt, string slug)
    {
        Assert.That(GenerateArgs.Slug(prompt), Is.EqualTo(slug));
        Assert.That(GenerateArgs.Slug(prompt).Length, Is.LessThanOrEqualTo(48));
    }

    [Test]
    public void DefaultOutputAndFormat()
    {
        var a = new GenerateArgs { Prompt = "A red kite" };
        Assert.That(a.ResolveFormat(), Is.EqualTo(OutputFormat.Mp4));
        Assert.That(a.ResolveOutput(42), Is.EqualTo(Path.Combine("outputs", "a-red-kite-42.mp4")));
        Assert.That((a with { Format = "png" }).ResolveOutput(7), Is.EqualTo(Path.Combine("outputs", "a-red-kite-7")), "PNG frames go to a folder");
        Assert.That((a with { Format = "WebP" }).ResolveOutput(7), Is.EqualTo(Path.Combine("outputs", "a-red-kite-7.webp")));
        Assert.That((a with { Output = "x/clip.gif" }).ResolveFormat(), Is.EqualTo(OutputFormat.Gif), "format from the extension");
        Assert.That((a with { Output = "x/clip.gif", Format = "safetensors" }).ResolveFormat(), Is.EqualTo(OutputFormat.Safetensors), "--format wins");
        Assert.That((a with { Output = "x/clip.bin" }).ResolveFormat(), Is.EqualTo(OutputFormat.Mp4));
    }
}
