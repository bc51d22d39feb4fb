using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using FastVideo.Media;
using FastVideo.Models.Encoders.ClipVision;
using FastVideo.Pipelines;
using FastVideo.Tests.Loading;
using ImageMagick;
using NUnit.Framework;

namespace FastVideo.Tests.Pipelines;

/// <summary>
/// <see cref="RgbImage.Load"/> on hostile input (a reliability probe's findings): nodes that are not regular files,
/// files past the byte cap, headers that claim absurd sizes, truncated files of every decoded format, and aspect
/// ratios whose CLIP resize would not fit. Every refusal names the file, stays within a bounded time and memory,
/// and leaves no ImageMagick temp file behind. Fixtures are written at test time.
/// </summary>
public class ImageInputHardeningTests
{
    private const long MiB = 1 << 20;

    // ---- Finding 3: endless, huge and non-regular inputs ----

    [Test]
    public void SymlinkToDevZeroIsRefusedWithoutReading()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("needs /dev/zero");
        using var dir = new TempDir();
        var link = dir.File("zero.png");
        File.CreateSymbolicLink(link, "/dev/zero");

        var e = Bounded(() => RgbImage.Load(link), maxAllocatedMiB: 16);

        Assert.That(e, Is.InstanceOf<InvalidDataException>());
        Assert.That(e!.Message, Does.Contain(link).And.Contain("character device"));
    }

    [Test]
    public void FifoIsRefusedWithoutOpeningIt()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("needs mkfifo");
        using var dir = new TempDir();
        var fifo = dir.File("pipe.png");
        using (var mk = Process.Start("mkfifo", fifo)) Assert.That(mk.WaitForExit(10_000) && mk.ExitCode == 0, Is.True, "mkfifo");

        var load = Task.Run(() => RgbImage.Load(fifo));
        try
        {
            Assert.That(((IAsyncResult)load).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(20)), Is.True, "RgbImage.Load blocked on a FIFO");
            var e = Assert.Throws<AggregateException>(() => load.Wait())!.InnerException;
            Assert.That(e, Is.InstanceOf<InvalidDataException>());
            Assert.That(e!.Message, Does.Contain(fifo).And.Contain("FIFO"));
        }
        finally
        {
            // Release a reader stuck in open(2) (the bug): a writer that opens and closes gives it end-of-file.
            if (!load.IsCompleted) using (new FileStream(fifo, FileMode.Open, FileAccess.Write)) { }
        }
    }

    [Test]
    public void FileOverTheByteCapIsRefusedWithoutReadingIt()
    {
        using var dir = new TempDir();
        var path = dir.File("huge.png");
        using (var f = new FileStream(path, FileMode.Create)) f.SetLength(ImageLimits.MaxFileBytes + 1);  // sparse

        var e = Bounded(() => RgbImage.Load(path), maxAllocatedMiB: 64);

        Assert.That(e, Is.InstanceOf<InvalidDataException>());
        Assert.That(e!.Message, Does.Contain(path).And.Contain("256 MiB"));
    }

    [Test]
    public void EmptyFileIsAnErrorNamingTheFile()
    {
        using var dir = new TempDir();
        var path = dir.File("empty.jpg");
        File.WriteAllBytes(path, []);
        var e = Assert.Throws<InvalidDataException>(() => RgbImage.Load(path));
        Assert.That(e!.Message, Does.Contain(path).And.Contain("empty"));
    }

    [Test]
    public void ContentDecidesTheFormatNotTheExtension()
    {
        using var dir = new TempDir();
        var rgb = Gradient(5, 7);
        var png = dir.File("really_a_png.jpg");
        using (var img = FromRgb(rgb, 5, 7)) img.Write(png, MagickFormat.Png24);
        var got = RgbImage.Load(png);
        Assert.That((got.Height, got.Width, got.Rgb), Is.EqualTo((5, 7, rgb)), "a PNG named .jpg decodes as the PNG it is (Pillow sniffs the content)");

        var text = dir.File("notes.png");
        File.WriteAllText(text, "this is not an image, only text that is long enough to sniff\n");
        var e = Assert.Throws<InvalidDataException>(() => RgbImage.Load(text));
        Assert.That(e!.Message, Does.Contain(text));
    }

    // ---- Finding 4: headers that claim absurd sizes ----

    private static IEnumerable<TestCaseData> HugeHeaders()
    {
        yield return new TestCaseData("png8", 100_000, 100_000).SetName("HugeHeader_Png8bit_100000x100000");
        yield return new TestCaseData("png16", 100_000, 100_000).SetName("HugeHeader_Png16bit_100000x100000");
        yield return new TestCaseData("png8", 20_000, 1).SetName("HugeHeader_Png8bit_20000x1");
        yield return new TestCaseData("jpg", 65_000, 65_000).SetName("HugeHeader_Jpeg_65000x65000");
        yield return new TestCaseData("jpg", 16_384, 16_385).SetName("HugeHeader_Jpeg_16384x16385");
        yield return new TestCaseData("gif", 65_000, 65_000).SetName("HugeHeader_Gif_65000x65000");
        yield return new TestCaseData("bmp", 100_000, 100_000).SetName("HugeHeader_Bmp_100000x100000");
    }

    [TestCaseSource(nameof(HugeHeaders))]
    public void HeaderClaimingAnAbsurdSizeIsRefusedBeforeAnyPixelIsAllocated(string kind, int width, int height)
    {
        using var dir = new TempDir();
        var path = dir.File("bomb." + kind[..3]);
        File.WriteAllBytes(path, kind switch
        {
            "png8" => PngClaiming(width, height, 8),
            "png16" => PngClaiming(width, height, 16),
            "jpg" => Patched(MagickFormat.Jpeg, width, height),
            "gif" => Patched(MagickFormat.Gif, width, height),
            _ => Patched(MagickFormat.Bmp, width, height),
        });
        Assert.That(new FileInfo(path).Length, Is.LessThan(4096), "the fixture is tiny");

        var e = Bounded(() => RgbImage.Load(path), maxAllocatedMiB: 64);

        Assert.That(e, Is.InstanceOf<InvalidDataException>(), e?.ToString());
        Assert.That(e!.Message, Does.Contain(path).And.Contain(ImageLimits.MaxSide.ToString()));
    }

    [Test]
    public void ImageMagickResourceLimitsAreSetForTheProcess()
    {
        ImageLimits.ApplyToImageMagick();
        Assert.That(ResourceLimits.Disk, Is.Zero, "no pixel cache on disk");
        Assert.That(ResourceLimits.Width, Is.EqualTo((ulong)ImageLimits.MaxSide));
        Assert.That(ResourceLimits.Height, Is.EqualTo((ulong)ImageLimits.MaxSide));
        Assert.That(ResourceLimits.Area, Is.EqualTo((ulong)ImageLimits.MaxPixels));
        Assert.That(ResourceLimits.Memory, Is.EqualTo(ImageLimits.MagickMemoryBytes));
    }

    [Test]
    public void LimitsLeaveRoomForThe81FrameGifAndContactSheetOutputs()
    {
        // MediaWriter shares the process-wide ImageMagick limits: an 81-frame 832×480 animation (the Wan default)
        // and a 4×4 contact sheet must still write.
        ImageLimits.ApplyToImageMagick();
        const int frames = 81, h = 480, w = 832;
        var rgb = new byte[(long)frames * h * w * 3];
        for (long i = 0; i < rgb.LongLength; i++) rgb[i] = (byte)(i * 7 / 3 + i / (w * 3));
        var video = new VideoFrames(rgb, frames, h, w);
        using var dir = new TempDir();
        var gif = dir.File("v.gif");
        MediaWriter.Save(video, gif, OutputFormat.Gif, fps: 16);
        using (var written = new MagickImageCollection(gif)) Assert.That(written, Has.Count.EqualTo(frames));
        var sheet = dir.File("sheet.png");
        MediaWriter.WriteContactSheet(video, sheet);
        var info = new MagickImageInfo(sheet);
        Assert.That((info.Width, info.Height), Is.EqualTo((4u * w, 4u * h)));
    }

    // ---- Finding 5: extreme aspect ratios ----

    [Test]
    public void ClipResizeOfAnExtremeAspectRatioIsRefusedWithTheSizeAndTheRule()
    {
        const int h = 1, w = 16_384;   // shortest edge → 224: 224 × 3 670 016 before the crop
        var rgb = new byte[h * w * 3];
        Exception? e = Bounded(() => new ClipImageProcessor().Preprocess(rgb, h, w).Dispose(), maxAllocatedMiB: 64);
        Assert.That(e, Is.InstanceOf<ArgumentException>(), e?.ToString());
        Assert.That(e!.Message, Does.Contain("16384×1").And.Contain("3670016").And.Contain(ImageLimits.MaxPixels.ToString()));
    }

    [Test]
    public void ClipResizeOfAWideButFeasibleImageWorks()
    {
        const int h = 2, w = 600;      // 224 × 67 200 intermediate, then the centre crop
        var rgb = Gradient(h, w);
        using var pixels = new ClipImageProcessor().Preprocess(rgb, h, w);
        Assert.That(pixels.ShapeSpan.ToArray(), Is.EqualTo(new[] { 1, 3, 224, 224 }));
    }

    // ---- Finding 6: truncated and corrupt files ----

    private static IEnumerable<TestCaseData> Truncations()
    {
        foreach (var format in new[] { "png", "jpg", "gif", "webp", "lossy.webp", "bmp", "png16" })
            foreach (var keep in new[] { 0.5, 0.9 })
                yield return new TestCaseData(format, keep).SetName($"Truncated_{format}_{keep:0.0}");
    }

    [TestCaseSource(nameof(Truncations))]
    public void TruncatedImageIsAnErrorNamingTheFile(string format, double keep)
    {
        using var dir = new TempDir();
        var bytes = Encode(format, Gradient(48, 64), 48, 64);
        var whole = dir.File("whole." + format);
        File.WriteAllBytes(whole, bytes);
        Assert.That(RgbImage.Load(whole).Width, Is.EqualTo(64), "the untruncated file loads");

        var path = dir.File("cut." + format);
        File.WriteAllBytes(path, bytes.AsSpan(0, (int)(bytes.Length * keep)).ToArray());
        var e = Assert.Throws<InvalidDataException>(() => RgbImage.Load(path));
        TestContext.Out.WriteLine(e!.Message);
        Assert.That(e.Message, Does.Contain(path));
    }

    // ---- helpers ----

    /// <summary>Runs <paramref name="load"/> (expected to throw) and checks it stayed cheap: little managed allocation,
    /// no jump in the process's peak working set, under 20 s, and no new <c>magick-*</c> file in the temp folder.</summary>
    private static Exception? Bounded(Action load, long maxAllocatedMiB)
    {
        var before = MagickTempFiles();
        using var self = Process.GetCurrentProcess();
        long peakBefore = self.PeakWorkingSet64;
        long allocBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        Exception? caught = null;
        try { load(); }
        catch (Exception e) { caught = e; }
        clock.Stop();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocBefore;
        self.Refresh();
        Assert.That(allocated, Is.LessThan(maxAllocatedMiB * MiB), $"managed bytes allocated ({caught?.GetType().Name}: {caught?.Message})");
        Assert.That(self.PeakWorkingSet64 - peakBefore, Is.LessThan(512 * MiB), "growth of the peak working set");
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)));
        Assert.That(MagickTempFiles().Except(before), Is.Empty, "ImageMagick temp files left behind");
        Assert.That(caught, Is.Not.Null, "the input was accepted");
        TestContext.Out.WriteLine($"{caught!.GetType().Name}: {caught.Message} ({allocated / MiB} MiB allocated, {clock.ElapsedMilliseconds} ms)");
        return caught;
    }

    private static string[] MagickTempFiles() => Directory.GetFiles(Path.GetTempPath(), "magick-*");

    private static byte[] Gradient(int h, int w)
    {
        var rgb = new byte[h * w * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = (y * w + x) * 3;
                (rgb[i], rgb[i + 1], rgb[i + 2]) = ((byte)(x * 255 / Math.Max(1, w - 1)), (byte)(y * 255 / Math.Max(1, h - 1)), (byte)((x * 31 + y * 17) & 255));
            }
        return rgb;
    }

    private static MagickImage FromRgb(byte[] rgb, int h, int w) =>
        new(rgb, new PixelReadSettings((uint)w, (uint)h, StorageType.Char, PixelMapping.RGB));

    private static byte[] Encode(string format, byte[] rgb, int h, int w)
    {
        using var img = FromRgb(rgb, h, w);
        if (format == "webp") img.Settings.SetDefine(MagickFormat.WebP, "lossless", true);
        return img.ToByteArray(format switch
        {
            "png" => MagickFormat.Png24,
            "png16" => MagickFormat.Png48,
            "jpg" => MagickFormat.Jpeg,
            "gif" => MagickFormat.Gif,
            "bmp" => MagickFormat.Bmp,
            _ => MagickFormat.WebP,
        });
    }

    /// <summary>A valid PNG (correct CRCs) whose IHDR claims <paramref name="width"/>×<paramref name="height"/>, with a tiny IDAT.</summary>
    private static byte[] PngClaiming(int width, int height, byte depth)
    {
        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        (ihdr[8], ihdr[9]) = (depth, 2);
        Chunk(png, "IHDR", ihdr);
        var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true)) zs.Write(new byte[4096]);
        Chunk(png, "IDAT", z.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var body = new byte[4 + data.Length];
        System.Text.Encoding.ASCII.GetBytes(type, body);
        data.CopyTo(body, 4);
        var word = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        s.Write(body);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(body));
        s.Write(word);
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }

    /// <summary>A small real image whose header fields are rewritten to claim <paramref name="width"/>×<paramref name="height"/>.</summary>
    private static byte[] Patched(MagickFormat format, int width, int height)
    {
        var b = Encode(format == MagickFormat.Jpeg ? "jpg" : format == MagickFormat.Gif ? "gif" : "bmp", Gradient(8, 8), 8, 8);
        switch (format)
        {
            case MagickFormat.Jpeg:
                for (int i = 2; i + 9 < b.Length; i++)
                    if (b[i] == 0xFF && b[i + 1] is 0xC0 or 0xC1 or 0xC2)
                    {
                        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(i + 5), (ushort)height);
                        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(i + 7), (ushort)width);
                        return b;
                    }
                throw new InvalidOperationException("no SOF marker");
            case MagickFormat.Gif:
                BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(6), (ushort)width);    // logical screen
                BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(8), (ushort)height);
                int d = 13 + ((b[10] & 0x80) != 0 ? 3 << ((b[10] & 7) + 1) : 0);          // past the colour table
                while (b[d] == 0x21)                                                       // extensions: label, sub-blocks
                {
                    for (d += 2; b[d] != 0; d += b[d] + 1) { }
                    d++;
                }
                BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(d + 5), (ushort)width);
                BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(d + 7), (ushort)height);
                return b;
            default:
                BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(18), width);
                BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(22), height);
                return b;
        }
    }
}
