using FastVideo.Cli;
using FastVideo.Loading;
using FastVideo.Tests.Loading;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Cli;

/// <summary>
/// <c>fastvideo generate</c> end to end on the tiny golden pipeline folder (golden README 8/8b: the call arguments
/// are those of its manifest.json): the frames written with <c>--format safetensors</c> match the golden
/// <c>video_frames</c> within the pipeline tolerance 1e-3; Ctrl+C between steps leaves no file; the MP4 → WebP
/// fallback is reported.
/// </summary>
public class GenerateGoldenTests
{
    private const double PipelineAtol = 1e-3;

    /// <summary>The golden call: prompt, negative prompt, 32×48, 9 frames, 6 steps, guidance 5, 32 tokens, seed 6101.</summary>
    private static string[] GoldenCall(params string[] extra) => GoldenCall(6, 9, extra);

    private static string[] GoldenCall(int steps, int frames, params string[] extra) =>
    [
        "generate", "--model", Golden.Path_("wan_pipeline_t2v", "pipeline"),
        "--prompt", "A cat walks on the grass, realistic style.", "--negative-prompt", "blurry, low quality, static",
        "--height", "32", "--width", "48", "--num-frames", frames.ToString(System.Globalization.CultureInfo.InvariantCulture), "--steps", steps.ToString(System.Globalization.CultureInfo.InvariantCulture), "--guidance-scale", "5.0",
        "--max-sequence-length", "32", "--seed", "6101", .. extra,
    ];

    [Test]
    public void SafetensorsFramesMatchTheGolden()
    {
        using var dir = new TempDir();
        var outPath = dir.File("cat.safetensors");
        var run = CliTestSupport.Run(GoldenCall("--output", outPath, "--format", "safetensors"));
        Assert.That(run.ExitCode, Is.EqualTo(CliApp.ExitOk), run.ToString());
        Assert.That(run.Stderr, Is.Empty);

        using (var actual = SafetensorsFile.Open(outPath))
        using (var golden = SafetensorsFile.Open(Golden.Path_("wan_pipeline_t2v", "unipc_main_flowshift3.safetensors")))
        {
            // golden video_frames [1, 9, 32, 48, 3]; the file holds frames [9, 32, 48, 3].
            Assert.That(actual.Entry("frames").Shape, Is.EqualTo(golden.Entry("video_frames").Shape[1..]));
            Numerics.AssertClose(actual.Read<float>("frames"), golden.Read<float>("video_frames"), PipelineAtol, 0, "video_frames");
        }

        // What the user sees: the settings, one plain progress line per step (the writer is not a terminal),
        // where the file went, and the stage table with the total and the peak.
        Assert.That(run.Stdout, Does.Contain("settings  48×32, 9 frames, 6 steps, guidance 5.0").And.Contain("seed 6101, 32 text tokens"));
        for (int i = 1; i <= 6; i++) Assert.That(run.Stdout, Does.Contain($"denoising step {i}/6"));
        Assert.That(run.Stdout, Does.Not.Contain("\r"));
        Assert.That(run.Stdout, Does.Contain($"saved     {outPath} (safetensors, 9 frames 48×32 at 16 fps)"));
        Assert.That(run.Stdout, Does.Match(@"\nDenoising +\d+\.\d+ s +\d+\.\d %"));
        Assert.That(run.Stdout, Does.Match(@"\ntotal +\d+\.\d+ s +\d+\.\d \w?i?B peak on cpu"));
        Assert.That(run.Stdout, Does.Not.Contain("smoke model"), "a real folder is not the smoke model");
    }

    [Test]
    public void CtrlCBetweenStepsLeavesNoOutput()
    {
        using var dir = new TempDir();
        using var cts = new CancellationTokenSource();
        var outPath = dir.File("cat.safetensors");
        // Cancel as the first step's progress line is printed, as Ctrl+C would in the middle of the loop.
        var stdout = new CancelOnText("denoising step 1/6", cts);
        var stderr = new StringWriter();
        int code = CliApp.Run(GoldenCall("--output", outPath), stdout, stderr, cts.Token);
        Assert.That(code, Is.EqualTo(CliApp.ExitCancelled), $"{stdout}\n{stderr}");
        Assert.That(stderr.ToString().Trim(), Is.EqualTo("fastvideo: cancelled; nothing was written"));
        Assert.That(stdout.ToString(), Does.Not.Contain("denoising step 2/6"), "stopped between steps");
        Assert.That(Directory.GetFileSystemEntries(dir.Path), Is.Empty, "no output or temporary file");
    }

    [Test]
    public void Mp4WithoutFfmpegFallsBackToWebPAndSaysSo()
    {
        using var dir = new TempDir();
        var old = Environment.GetEnvironmentVariable("FASTVIDEO_FFMPEG");
        Environment.SetEnvironmentVariable("FASTVIDEO_FFMPEG", "none");
        try
        {
            var run = CliTestSupport.Run(GoldenCall(1, 1, "--output", dir.File("cat.mp4")));
            Assert.That(run.ExitCode, Is.EqualTo(CliApp.ExitOk), run.ToString());
            Assert.That(File.Exists(dir.File("cat.webp")), Is.True);
            Assert.That(File.Exists(dir.File("cat.mp4")), Is.False);
            var notes = run.Stdout.Split('\n').Where(l => l.StartsWith("note: ", StringComparison.Ordinal)).ToList();
            Assert.That(notes, Has.Count.EqualTo(1), run.Stdout);
            Assert.That(notes[0], Does.Contain("ffmpeg").And.Contain("WebP"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("FASTVIDEO_FFMPEG", old);
        }
    }

    [Test]
    public void WithoutModelTheSmokeModelRunsAndSaysSo()
    {
        // Small sizes keep it fast; the point is the notice and how to get real output.
        using var dir = new TempDir();
        var outPath = dir.File("smoke.safetensors");
        var run = CliTestSupport.Run("generate", "--prompt", "a fox", "--height", "16", "--width", "16", "--num-frames", "1", "--steps", "1", "--output", outPath);
        Assert.That(run.ExitCode, Is.EqualTo(CliApp.ExitOk), run.ToString());
        Assert.That(File.Exists(outPath), Is.True);
        Assert.That(run.Stdout, Does.Contain("note: this was the built-in smoke model").And.Contain("--model Wan-AI/Wan2.1-T2V-1.3B-Diffusers"));
    }

    /// <summary>Captures output and cancels when a line containing <paramref name="trigger"/> is written.</summary>
    private sealed class CancelOnText(string trigger, CancellationTokenSource cts) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value is not null && value.Contains(trigger, StringComparison.Ordinal)) cts.Cancel();
        }
    }
}
