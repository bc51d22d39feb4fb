using System.Diagnostics;
using FastVideo.Loading;
using FastVideo.Pipelines;
using FastVideo.Tensors;
using ImageMagick;

namespace FastVideo.Media;

/// <summary>
/// Writes generated video. Every format goes to a temporary name beside the target and is renamed when
/// complete, so a failure or a cancellation never leaves a partial file at the requested path.
/// </summary>
public static class MediaWriter
{
    /// <summary>Finds <c>ffmpeg</c> on PATH (or FASTVIDEO_FFMPEG), or null.</summary>
    public static string? FindFfmpeg()
    {
        var env = Environment.GetEnvironmentVariable("FASTVIDEO_FFMPEG");
        if (!string.IsNullOrEmpty(env)) return File.Exists(env) ? env : null;
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, OperatingSystem.IsWindows() ? "ffmpeg.exe" : "ffmpeg");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    public static SavedOutput Save(VideoFrames video, string path, OutputFormat format, int fps,
        Tensor? floatFrames = null, Tensor? latents = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(video);
        if (fps <= 0) throw new ArgumentOutOfRangeException(nameof(fps), fps, "frames per second must be positive");
        cancel.ThrowIfCancellationRequested();
        switch (format)
        {
            case OutputFormat.Mp4:
                var ffmpeg = FindFfmpeg();
                if (ffmpeg != null)
                {
                    WriteMp4(ffmpeg, video, path, fps, cancel);
                    return new SavedOutput(Path.GetFullPath(path), OutputFormat.Mp4, null);
                }
                var webp = Path.ChangeExtension(path, ".webp");
                WriteAnimated(video, webp, fps, MagickFormat.WebP, cancel);
                return new SavedOutput(Path.GetFullPath(webp), OutputFormat.WebP,
                    "ffmpeg not found on PATH: wrote an animated WebP instead; install ffmpeg (e.g. 'apt-get install ffmpeg') for MP4");
            case OutputFormat.Gif:
                WriteAnimated(video, path, fps, MagickFormat.Gif, cancel);
                return new SavedOutput(Path.GetFullPath(path), format, null);
            case OutputFormat.WebP:
                WriteAnimated(video, path, fps, MagickFormat.WebP, cancel);
                return new SavedOutput(Path.GetFullPath(path), format, null);
            case OutputFormat.Png:
                WritePngFolder(video, path, cancel);
                return new SavedOutput(Path.GetFullPath(path), format, null);
            case OutputFormat.Safetensors:
                WriteSafetensors(video, path, floatFrames, latents);
                return new SavedOutput(Path.GetFullPath(path), format, null);
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, "unknown output format");
        }
    }

    /// <summary>A temporary path in the target's folder (same file system, so the final rename is atomic).</summary>
    internal static string TempPath(string target)
    {
        var full = Path.GetFullPath(target);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.partial{Path.GetExtension(full)}");
    }

    private static void Commit(string tmp, string target) => File.Move(tmp, Path.GetFullPath(target), overwrite: true);

    private static void WriteMp4(string ffmpeg, VideoFrames video, string path, int fps, CancellationToken cancel)
    {
        var tmp = TempPath(path);
        var psi = new ProcessStartInfo(ffmpeg)
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
        {
            "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{video.Width}x{video.Height}", "-r", fps.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-i", "-",
            // yuv420p needs even sizes; pad by one pixel when odd.
            "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "17", "-movflags", "+faststart",
            "-f", "mp4", tmp,
        }) psi.ArgumentList.Add(a);

        using var proc = Process.Start(psi) ?? throw new IOException($"could not start {ffmpeg}");
        var stderr = proc.StandardError.ReadToEndAsync();
        _ = proc.StandardOutput.ReadToEndAsync();
        bool committed = false;
        try
        {
            try
            {
                using var stdin = proc.StandardInput.BaseStream;
                for (int t = 0; t < video.Frames; t++)
                {
                    cancel.ThrowIfCancellationRequested();
                    stdin.Write(video.Frame(t));
                }
            }
            catch (IOException e)
            {
                proc.WaitForExit(5000);
                throw new IOException($"ffmpeg stopped reading frames while writing {path}: {SafeResult(stderr)}", e);
            }
            proc.WaitForExit();
            if (proc.ExitCode != 0)
                throw new IOException($"ffmpeg failed with exit code {proc.ExitCode} writing {path}: {SafeResult(stderr)}");
            Commit(tmp, path);
            committed = true;
        }
        finally
        {
            if (!committed)
            {
                try { if (!proc.HasExited) proc.Kill(entireProcessTree: true); proc.WaitForExit(); } catch { }
                try { File.Delete(tmp); } catch { }
            }
        }
    }

    private static string SafeResult(Task<string> t)
    {
        try { return t.Wait(2000) ? t.Result.Trim() : "(no output)"; } catch { return "(no output)"; }
    }

    private static MagickImage ToImage(VideoFrames video, int t) => RawRgb(video.Frame(t).ToArray(), video.Width, video.Height);

    /// <summary>An ImageMagick image of raw RGB bytes, under the process's ImageMagick limits (<see cref="ImageLimits.ApplyToImageMagick"/>).</summary>
    private static MagickImage RawRgb(byte[] rgb, int width, int height)
    {
        ImageLimits.ApplyToImageMagick();
        return new(rgb, new MagickReadSettings { Width = (uint)width, Height = (uint)height, Format = MagickFormat.Rgb, Depth = 8 });
    }

    private static void WriteAnimated(VideoFrames video, string path, int fps, MagickFormat format, CancellationToken cancel)
    {
        var tmp = TempPath(path);
        try
        {
            using var images = new MagickImageCollection();
            uint delay = (uint)Math.Max(1, (int)Math.Round(100.0 / fps)); // centiseconds
            for (int t = 0; t < video.Frames; t++)
            {
                cancel.ThrowIfCancellationRequested();
                var img = ToImage(video, t);
                img.AnimationDelay = delay;
                if (format == MagickFormat.WebP) img.Settings.SetDefine(MagickFormat.WebP, "lossless", true);
                images.Add(img);
            }
            images[0].AnimationIterations = 0;
            if (format == MagickFormat.Gif) images.Optimize();
            images.Write(tmp, format);
            Commit(tmp, path);
        }
        catch
        {
            try { File.Delete(tmp); } catch { }
            throw;
        }
    }

    /// <summary>Writes frame_0000.png … into <paramref name="folder"/> (created whole, then renamed into place).</summary>
    private static void WritePngFolder(VideoFrames video, string folder, CancellationToken cancel)
    {
        var full = Path.GetFullPath(folder);
        if (File.Exists(full)) throw new IOException($"{full} is a file; PNG output needs a folder path");
        var tmp = TempPath(full);
        Directory.CreateDirectory(tmp);
        try
        {
            for (int t = 0; t < video.Frames; t++)
            {
                cancel.ThrowIfCancellationRequested();
                using var img = ToImage(video, t);
                img.Write(Path.Combine(tmp, $"frame_{t:D4}.png"), MagickFormat.Png);
            }
            if (Directory.Exists(full)) Directory.Delete(full, recursive: true);
            Directory.Move(tmp, full);
        }
        catch
        {
            try { Directory.Delete(tmp, recursive: true); } catch { }
            throw;
        }
    }

    private static void WriteSafetensors(VideoFrames video, string path, Tensor? floatFrames, Tensor? latents)
    {
        var tensors = new Dictionary<string, Tensor>();
        Tensor? owned = null;
        try
        {
            if (floatFrames == null)
            {
                var f = new float[video.Rgb.Length];
                for (int i = 0; i < f.Length; i++) f[i] = video.Rgb[i] / 255f;
                owned = Tensor.FromHost<float>(f, video.Frames, video.Height, video.Width, 3);
                floatFrames = owned;
            }
            tensors["frames"] = floatFrames;
            if (latents != null) tensors["latents"] = latents;
            SafetensorsWriter.Save(path, tensors, new Dictionary<string, string> { ["format"] = "fastvideo-frames", ["layout"] = "frames [T,H,W,3] in [0,1]; latents [B,C,T,H,W]" });
        }
        finally
        {
            owned?.Dispose();
        }
    }

    /// <summary>A grid of up to <paramref name="maxFrames"/> evenly spaced frames as one PNG.</summary>
    public static string WriteContactSheet(VideoFrames video, string path, int maxFrames = 16, int columns = 4)
    {
        int n = Math.Min(maxFrames, video.Frames);
        columns = Math.Max(1, Math.Min(columns, n));
        int rows = (n + columns - 1) / columns;
        int w = video.Width, h = video.Height;
        var sheet = new byte[(long)rows * h * columns * w * 3];
        for (int i = 0; i < n; i++)
        {
            int t = n == 1 ? 0 : (int)Math.Round(i * (video.Frames - 1) / (double)(n - 1));
            var frame = video.Frame(t);
            int r0 = i / columns * h, c0 = i % columns * w;
            for (int y = 0; y < h; y++)
                frame.Slice(y * w * 3, w * 3).CopyTo(sheet.AsSpan(((r0 + y) * columns * w + c0) * 3, w * 3));
        }
        var tmp = TempPath(path);
        try
        {
            using var img = RawRgb(sheet, columns * w, rows * h);
            img.Write(tmp, MagickFormat.Png);
            Commit(tmp, path);
        }
        catch
        {
            try { File.Delete(tmp); } catch { }
            throw;
        }
        return Path.GetFullPath(path);
    }
}
