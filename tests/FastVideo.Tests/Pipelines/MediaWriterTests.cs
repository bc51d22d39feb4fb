using FastVideo.Loading;
using FastVideo.Media;
using NUnit.Framework;

namespace FastVideo.Tests.Pipelines;

public class MediaWriterTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("fv-media-").FullName;

    [TearDown]
    public void TearDown()
    {
        Environment.SetEnvironmentVariable("FASTVIDEO_FFMPEG", null);
        Directory.Delete(_dir, recursive: true);
    }

    private static VideoFrames Gradient(int t = 5, int h = 32, int w = 48)
    {
        var rgb = new byte[t * h * w * 3];
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)((i * 7 + i / 4608 * 31) & 0xFF);
        return new VideoFrames(rgb, t, h, w);
    }

    private string[] Leftovers() => Directory.GetFileSystemEntries(_dir).Where(p => Path.GetFileName(p).StartsWith('.')).ToArray();

    [Test]
    public void UnitFloatsRoundHalfToEvenAndClamp()
    {
        var v = VideoFrames.FromUnitFloats(new float[] { 0f, 1f, -0.5f, 2f, 0.5f / 255f, 1.5f / 255f }, 1, 1, 2);
        Assert.That(v.Rgb, Is.EqualTo(new byte[] { 0, 255, 0, 255, 0, 2 }));
        Assert.Throws<ArgumentException>(() => VideoFrames.FromUnitFloats(new[] { float.NaN, 0, 0 }, 1, 1, 1));
    }

    [Test]
    public void Mp4ThroughFfmpegWhenPresent()
    {
        if (MediaWriter.FindFfmpeg() == null)
        {
            if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail("ffmpeg must be installed on CI (.ci/deps)");
            Assert.Ignore("ffmpeg not on PATH");
        }
        var path = Path.Combine(_dir, "v.mp4");
        var saved = MediaWriter.Save(Gradient(), path, OutputFormat.Mp4, 16);
        Assert.That(saved.Format, Is.EqualTo(OutputFormat.Mp4));
        var bytes = File.ReadAllBytes(path);
        Assert.That(System.Text.Encoding.ASCII.GetString(bytes, 4, 4), Is.EqualTo("ftyp"));
        Assert.That(Leftovers(), Is.Empty);
    }

    [Test]
    public void WithoutFfmpegAnMp4RequestWritesAnAnimatedWebPAndSaysHow()
    {
        Environment.SetEnvironmentVariable("FASTVIDEO_FFMPEG", "none");
        var saved = MediaWriter.Save(Gradient(), Path.Combine(_dir, "v.mp4"), OutputFormat.Mp4, 16);
        Assert.That(saved.Format, Is.EqualTo(OutputFormat.WebP));
        Assert.That(saved.Path, Does.EndWith("v.webp"));
        Assert.That(saved.Note, Does.Contain("ffmpeg"));
        var bytes = File.ReadAllBytes(saved.Path);
        Assert.That(System.Text.Encoding.ASCII.GetString(bytes, 8, 4), Is.EqualTo("WEBP"));
        Assert.That(File.Exists(Path.Combine(_dir, "v.mp4")), Is.False);
    }

    [Test]
    public void GifAndPngFolderAndContactSheet()
    {
        var v = Gradient();
        MediaWriter.Save(v, Path.Combine(_dir, "v.gif"), OutputFormat.Gif, 8);
        Assert.That(System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(Path.Combine(_dir, "v.gif")), 0, 3), Is.EqualTo("GIF"));
        MediaWriter.Save(v, Path.Combine(_dir, "frames"), OutputFormat.Png, 8);
        Assert.That(Directory.GetFiles(Path.Combine(_dir, "frames"), "*.png"), Has.Length.EqualTo(5));
        var sheet = MediaWriter.WriteContactSheet(v, Path.Combine(_dir, "sheet.png"), columns: 3);
        using var img = new ImageMagick.MagickImage(sheet);
        Assert.That((img.Width, img.Height), Is.EqualTo((3u * 48, 2u * 32)));
        Assert.That(Leftovers(), Is.Empty);
    }

    [Test]
    public void SafetensorsHoldsFramesInUnitRange()
    {
        var v = Gradient(2, 16, 16);
        var path = Path.Combine(_dir, "v.safetensors");
        MediaWriter.Save(v, path, OutputFormat.Safetensors, 16);
        using var f = SafetensorsFile.Open(path);
        Assert.That(f["frames"].Shape, Is.EqualTo(new[] { 2, 16, 16, 3 }));
        var frames = f.Read<float>("frames");
        Assert.That(frames[5], Is.EqualTo(v.Rgb[5] / 255f));
    }

    [Test]
    public void CancellationLeavesNoFileBehind()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        foreach (var fmt in new[] { OutputFormat.Mp4, OutputFormat.Gif, OutputFormat.Png, OutputFormat.WebP })
        {
            var path = Path.Combine(_dir, "c." + fmt.ToString().ToLowerInvariant());
            Assert.Throws<OperationCanceledException>(() => MediaWriter.Save(Gradient(), path, fmt, 16, cancel: cts.Token), fmt.ToString());
            Assert.That(File.Exists(path) || Directory.Exists(path), Is.False, fmt.ToString());
        }
        Assert.That(Directory.GetFileSystemEntries(_dir), Is.Empty);
    }

    [Test]
    public void FailingFfmpegLeavesNoPartialFile()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("uses a shell script as a fake ffmpeg");
        // A fake "ffmpeg" that reads a little and fails: the writer must report it and remove its temporary file.
        var fake = Path.Combine(_dir, "fake-ffmpeg");
        File.WriteAllText(fake, "#!/bin/sh\nhead -c 100 >/dev/null\necho 'boom: encoder exploded' >&2\nexit 3\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Environment.SetEnvironmentVariable("FASTVIDEO_FFMPEG", fake);
        var path = Path.Combine(_dir, "x.mp4");
        var e = Assert.Throws<IOException>(() => MediaWriter.Save(Gradient(9, 64, 64), path, OutputFormat.Mp4, 16))!;
        Assert.That(e.Message, Does.Contain("boom").Or.Contain("ffmpeg"));
        Assert.That(File.Exists(path), Is.False);
        Assert.That(Directory.GetFiles(_dir).Where(p => p.Contains(".partial")), Is.Empty);
    }
}
