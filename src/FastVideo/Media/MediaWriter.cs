using System.Diagnostics;
using FastVideo.Loading;
using FastVideo.Pipelines;
using FastVideo.Tensors;
using ImageMagick;

namespace FastVideo.Media;

/// <summary>An encoder named by the environment (FASTVIDEO_FFMPEG) that cannot be run.</summary>
public sealed class EncoderNotFoundException(string message) : IOException(message);

/// <summary>Where a save will go once the encoder is known: the MP4 fallback changes the path and format.</summary>
/// <param name="Path">The file (or PNG folder) that will be written.</param>
/// <param name="Format">What will be written there.</param>
/// <param name="ContactSheetPath">The contact sheet beside it, when asked for.</param>
/// <param name="Encoder">ffmpeg's path for MP4; null otherwise.</param>
/// <param name="Note">Anything the user should know (e.g. the WebP fallback).</param>
public sealed record OutputPlan(string Path, OutputFormat Format, string? ContactSheetPath, string? Encoder, string? Note);

/// <summary>
/// Writes generated video. Every output is staged under a temporary name and renamed into place when complete
/// (<see cref="OutputTransaction"/>), so a failure, a cancellation or a signal never leaves a partial file, and
/// nothing is replaced that <see cref="OutputRules"/> does not allow.
/// </summary>
public static class MediaWriter
{
    /// <summary>The environment variable naming the ffmpeg executable (<c>none</c>: never use ffmpeg).</summary>
    public const string FfmpegVariable = "FASTVIDEO_FFMPEG";

    /// <summary>The environment variable with the encoder stall timeout in seconds (default <see cref="DefaultEncoderTimeout"/>).</summary>
    public const string EncoderTimeoutVariable = "FASTVIDEO_ENCODER_TIMEOUT";

    /// <summary>How long the encoder may go without taking input (or, after the last frame, without exiting).</summary>
    public static readonly TimeSpan DefaultEncoderTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// ffmpeg's path: FASTVIDEO_FFMPEG when set (an error when it does not name an executable file; <c>none</c>
    /// turns ffmpeg off), else the first <c>ffmpeg</c> on PATH, else null.
    /// </summary>
    /// <exception cref="EncoderNotFoundException">FASTVIDEO_FFMPEG names something that cannot be run.</exception>
    public static string? FindFfmpeg()
    {
        var env = Environment.GetEnvironmentVariable(FfmpegVariable);
        if (env is { Length: > 0 })
        {
            if (env.Equals("none", StringComparison.OrdinalIgnoreCase)) return null;
            var kind = FileNode.Kind(env);
            if (kind != FileNodeKind.Regular)
                throw new EncoderNotFoundException($"{FfmpegVariable}={env}: {(kind == FileNodeKind.Missing ? "no such file" : $"is {FileNode.Describe(kind)}")}; point it at an ffmpeg executable, or unset it to search PATH ('none' writes WebP instead of MP4)");
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(env) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
                throw new EncoderNotFoundException($"{FfmpegVariable}={env}: is not executable");
            return env;
        }
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, OperatingSystem.IsWindows() ? "ffmpeg.exe" : "ffmpeg");
            if (FileNode.Kind(candidate) == FileNodeKind.Regular) return candidate;
        }
        return null;
    }

    /// <summary>The encoder stall timeout from FASTVIDEO_ENCODER_TIMEOUT (seconds, &gt; 0), else the default.</summary>
    /// <exception cref="EncoderNotFoundException">the variable is not a positive number.</exception>
    public static TimeSpan EncoderTimeout()
    {
        var env = Environment.GetEnvironmentVariable(EncoderTimeoutVariable);
        if (string.IsNullOrEmpty(env)) return DefaultEncoderTimeout;
        if (double.TryParse(env, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0 && s <= 86400)
            return TimeSpan.FromSeconds(s);
        throw new EncoderNotFoundException($"{EncoderTimeoutVariable}={env}: must be a number of seconds between 0 and 86400");
    }

    /// <summary>
    /// Resolves where <paramref name="path"/> in <paramref name="format"/> will be written (MP4 without ffmpeg becomes
    /// an animated WebP beside it) and checks every path against <see cref="OutputRules"/>. Creates nothing.
    /// </summary>
    /// <exception cref="OutputPathException">a path must not be written.</exception>
    /// <exception cref="EncoderNotFoundException">FASTVIDEO_FFMPEG or FASTVIDEO_ENCODER_TIMEOUT is unusable.</exception>
    public static OutputPlan Plan(string path, OutputFormat format, bool contactSheet = false, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        OutputRules.Check(path, format, overwrite);
        string? encoder = null, note = null;
        if (format == OutputFormat.Mp4)
        {
            encoder = FindFfmpeg();
            EncoderTimeout();
            if (encoder == null)
            {
                path = Path.ChangeExtension(path, ".webp");
                format = OutputFormat.WebP;
                note = Environment.GetEnvironmentVariable(FfmpegVariable) is { Length: > 0 }
                    ? $"ffmpeg turned off ({FfmpegVariable}=none): wrote an animated WebP instead of MP4"
                    : "ffmpeg not found on PATH: wrote an animated WebP instead; install ffmpeg (e.g. 'apt-get install ffmpeg') for MP4";
                OutputRules.Check(path, format, overwrite);
            }
        }
        string? sheet = null;
        if (contactSheet)
        {
            var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
            sheet = Path.Combine(Path.GetDirectoryName(full)!, Path.GetFileNameWithoutExtension(full) + "_contact.png");
            OutputRules.Check(sheet, OutputFormat.Gif /* any single-file format */, overwrite);
        }
        return new OutputPlan(path, format, sheet, encoder, note);
    }

    /// <summary>Writes <paramref name="video"/> to a fresh path (an existing file or non-empty folder is refused).</summary>
    public static SavedOutput Save(VideoFrames video, string path, OutputFormat format, int fps,
        Tensor? floatFrames = null, Tensor? latents = null, CancellationToken cancel = default) =>
        Save(video, Plan(path, format), fps, floatFrames, latents, overwrite: false, cancel);

    /// <summary>
    /// Writes the video (and its contact sheet) as <paramref name="plan"/> says, all or nothing: on failure or
    /// cancellation nothing is left at the paths and any file that would have been replaced is intact.
    /// </summary>
    public static SavedOutput Save(VideoFrames video, OutputPlan plan, int fps, Tensor? floatFrames, Tensor? latents,
        bool overwrite, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(video);
        ArgumentNullException.ThrowIfNull(plan);
        if (fps <= 0) throw new ArgumentOutOfRangeException(nameof(fps), fps, "frames per second must be positive");
        cancel.ThrowIfCancellationRequested();
        try
        {
            return SaveStaged(video, plan, fps, floatFrames, latents, overwrite, cancel);
        }
        catch (IOException e) when (e is not (OutputPathException or EncoderNotFoundException) && !e.Message.Contains(plan.Path, StringComparison.Ordinal))
        {
            // A disk error on a temporary name: say which output it was for (nothing was left behind).
            throw new IOException($"writing {plan.Path} failed: {e.Message}", e);
        }
    }

    private static SavedOutput SaveStaged(VideoFrames video, OutputPlan plan, int fps, Tensor? floatFrames, Tensor? latents,
        bool overwrite, CancellationToken cancel)
    {
        using var tx = new OutputTransaction(overwrite);
        var tmp = tx.Stage(plan.Path, plan.Format);
        switch (plan.Format)
        {
            case OutputFormat.Mp4:
                WriteMp4(plan.Encoder ?? throw new ArgumentException("an MP4 plan needs an encoder", nameof(plan)), video, tmp, plan.Path, fps, cancel);
                break;
            case OutputFormat.Gif:
                WriteAnimated(video, tmp, fps, MagickFormat.Gif, cancel);
                break;
            case OutputFormat.WebP:
                WriteAnimated(video, tmp, fps, MagickFormat.WebP, cancel);
                break;
            case OutputFormat.Png:
                WritePngFrames(video, tmp, cancel);
                break;
            case OutputFormat.Safetensors:
                WriteSafetensors(video, tmp, floatFrames, latents);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(plan), plan.Format, "unknown output format");
        }
        if (plan.ContactSheetPath is { } sheet)
        {
            cancel.ThrowIfCancellationRequested();
            WriteContactSheetTo(video, tx.Stage(sheet, OutputFormat.Gif), 16, 4);
        }
        tx.Commit(cancel);
        return new SavedOutput(Path.GetFullPath(plan.Path), plan.Format, plan.Note) { ContactSheetPath = plan.ContactSheetPath is { } c ? Path.GetFullPath(c) : null };
    }

    private static void WriteMp4(string ffmpeg, VideoFrames video, string tmp, string path, int fps, CancellationToken cancel)
    {
        var timeout = EncoderTimeout();
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

        Process proc;
        try
        {
            proc = Process.Start(psi) ?? throw new IOException($"could not start the encoder {ffmpeg}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new IOException($"could not start the encoder {ffmpeg}: {e.Message}", e);
        }
        using var _proc = proc;
        // The encoder is ours: whatever happens (an exception, a second Ctrl+C, SIGTERM) it is killed and reaped.
        using var reap = ProcessCleanup.Register(() => KillAndReap(proc));
        var stderr = new BoundedText(proc.StandardError, 4096);
        _ = proc.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        using var stall = new CancellationTokenSource();
        using var both = CancellationTokenSource.CreateLinkedTokenSource(cancel, stall.Token);
        // Cancellation or a stall kills the encoder, which unblocks a write stuck on a full pipe.
        using var onCancel = both.Token.Register(() => KillAndReap(proc, wait: false));
        Exception? failure = null;
        try
        {
            using var stdin = proc.StandardInput.BaseStream;
            const int chunk = 1 << 20;
            for (int t = 0; t < video.Frames; t++)
            {
                var frame = video.Frame(t);
                for (int at = 0; at < frame.Length; at += chunk)
                {
                    both.Token.ThrowIfCancellationRequested();
                    stall.CancelAfter(timeout);
                    stdin.Write(frame.Slice(at, Math.Min(chunk, frame.Length - at)));
                }
            }
            stall.CancelAfter(timeout);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            failure = e;
        }
        // Wait for the encoder to finish (cancellable; the stall timer still runs).
        while (!proc.WaitForExit(50))
        {
            if (both.IsCancellationRequested) KillAndReap(proc);
        }
        proc.WaitForExit();
        if (cancel.IsCancellationRequested) throw new OperationCanceledException(cancel);
        if (stall.IsCancellationRequested)
            throw new IOException($"the encoder {ffmpeg} took no input for {timeout.TotalSeconds:0.#} s (stalled) while writing {path}; it was stopped ({EncoderTimeoutVariable} sets the limit)", failure);
        if (failure != null || proc.ExitCode != 0)
        {
            // A Ctrl+C sent to the whole process group reaches the encoder too, and it may exit before our own
            // handler has run: give the cancellation a moment to arrive before calling it an encoder failure.
            if (cancel.WaitHandle.WaitOne(300)) throw new OperationCanceledException(cancel);
            var why = stderr.Text(2000);
            var exit = DescribeExit(proc.ExitCode);
            if (failure is IOException && proc.ExitCode == 0) exit = "exited early (it stopped reading frames)";
            throw new IOException($"the encoder {ffmpeg} {exit} while writing {path}: {(why.Length > 0 ? why : "it printed no reason")}", failure);
        }
        if (FileNode.Kind(tmp, followLinks: false) != FileNodeKind.Regular || new FileInfo(tmp).Length == 0)
            throw new IOException($"the encoder {ffmpeg} exited successfully but wrote no video for {path}");
    }

    private static string DescribeExit(int code) => code switch
    {
        > 128 and < 160 => $"was killed by signal {code - 128} (exit code {code})",
        _ => $"failed with exit code {code}",
    };

    private static void KillAndReap(Process proc, bool wait = true)
    {
        try
        {
            // Serialised: a second signal's cleanup must not see the encoder itself dead and exit while the first
            // call is still killing its children (Kill stops the root, lists the children, kills the root, then them).
            lock (proc)
            {
                if (!proc.HasExited) proc.Kill(entireProcessTree: true);
            }
            if (wait) proc.WaitForExit(5000);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
        }
    }

    /// <summary>Reads a child's text stream to its end in the background, keeping only the last bytes.</summary>
    private sealed class BoundedText
    {
        private readonly System.Text.StringBuilder _text = new();
        private readonly Task _reader;

        public BoundedText(StreamReader reader, int keep)
        {
            _reader = Task.Run(async () =>
            {
                var buf = new char[1024];
                int n;
                while ((n = await reader.ReadAsync(buf).ConfigureAwait(false)) > 0)
                {
                    lock (_text)
                    {
                        _text.Append(buf, 0, n);
                        if (_text.Length > keep) _text.Remove(0, _text.Length - keep);
                    }
                }
            });
        }

        public string Text(int waitMs)
        {
            try { _reader.Wait(waitMs); } catch (AggregateException) { }
            lock (_text) return CliText(_text.ToString());
        }

        private static string CliText(string s) =>
            string.Join(" | ", s.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static MagickImage ToImage(VideoFrames video, int t) => RawRgb(video.Frame(t).ToArray(), video.Width, video.Height);

    /// <summary>An ImageMagick image of raw RGB bytes, under the process's ImageMagick limits (<see cref="ImageLimits.ApplyToImageMagick"/>).</summary>
    private static MagickImage RawRgb(byte[] rgb, int width, int height)
    {
        ImageLimits.ApplyToImageMagick();
        return new(rgb, new MagickReadSettings { Width = (uint)width, Height = (uint)height, Format = MagickFormat.Rgb, Depth = 8 });
    }

    private static void WriteAnimated(VideoFrames video, string tmp, int fps, MagickFormat format, CancellationToken cancel)
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
        cancel.ThrowIfCancellationRequested();
        images.Write(tmp, format);
    }

    /// <summary>Writes frame_0000.png … into the staging folder <paramref name="folder"/>.</summary>
    private static void WritePngFrames(VideoFrames video, string folder, CancellationToken cancel)
    {
        for (int t = 0; t < video.Frames; t++)
        {
            cancel.ThrowIfCancellationRequested();
            using var img = ToImage(video, t);
            img.Write(Path.Combine(folder, $"frame_{t:D4}.png"), MagickFormat.Png);
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
            SafetensorsWriter.WriteNew(path, tensors, new Dictionary<string, string> { ["format"] = "fastvideo-frames", ["layout"] = "frames [T,H,W,3] in [0,1]; latents [B,C,T,H,W]" });
        }
        finally
        {
            owned?.Dispose();
        }
    }

    /// <summary>A grid of up to <paramref name="maxFrames"/> evenly spaced frames as one PNG at a fresh path.</summary>
    public static string WriteContactSheet(VideoFrames video, string path, int maxFrames = 16, int columns = 4)
    {
        using var tx = new OutputTransaction(overwrite: false);
        WriteContactSheetTo(video, tx.Stage(path, OutputFormat.Gif), maxFrames, columns);
        tx.Commit();
        return Path.GetFullPath(path);
    }

    private static void WriteContactSheetTo(VideoFrames video, string tmp, int maxFrames, int columns)
    {
        int w = video.Width, h = video.Height;
        // The sheet stays within the image limits the writers run under: fewer columns/frames for large frames.
        int maxColumns = Math.Max(1, ImageLimits.MaxSide / w), maxRows = Math.Max(1, ImageLimits.MaxSide / h);
        maxRows = (int)Math.Max(1, Math.Min(maxRows, ImageLimits.MaxPixels / ((long)w * h * Math.Min(columns, maxColumns))));
        columns = Math.Max(1, Math.Min(columns, maxColumns));
        int n = Math.Min(Math.Min(maxFrames, video.Frames), columns * maxRows);
        columns = Math.Max(1, Math.Min(columns, n));
        int rows = (n + columns - 1) / columns;
        var sheet = new byte[(long)rows * h * columns * w * 3];
        for (int i = 0; i < n; i++)
        {
            int t = n == 1 ? 0 : (int)Math.Round(i * (video.Frames - 1) / (double)(n - 1));
            var frame = video.Frame(t);
            int r0 = i / columns * h, c0 = i % columns * w;
            for (int y = 0; y < h; y++)
                frame.Slice(y * w * 3, w * 3).CopyTo(sheet.AsSpan(((r0 + y) * columns * w + c0) * 3, w * 3));
        }
        using var img = RawRgb(sheet, columns * w, rows * h);
        img.Write(tmp, MagickFormat.Png);
    }
}
