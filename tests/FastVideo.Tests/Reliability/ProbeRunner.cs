using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using NUnit.Framework;

namespace FastVideo.Tests.Reliability;

/// <summary>Where one probe case runs: its own working (= output) folder and TMPDIR, and the shared model folders.</summary>
public sealed class ProbeContext
{
    public required string Dir { get; init; }
    public required string Tmp { get; init; }
    public required string Cache { get; init; }
    public required string Smoke { get; init; }
    public string? I2V { get; init; }
    public string P(string name) => Path.Combine(Dir, name);
}

/// <summary>When and how a signal is sent to the CLI during a case.</summary>
/// <param name="Signal">The signal number (2 SIGINT, 15 SIGTERM, 1 SIGHUP).</param>
/// <param name="After">Sent once stdout has printed a line containing this (null: right after start).</param>
/// <param name="ToGroup">To the whole process group (as a terminal's Ctrl+C) instead of our process alone.</param>
/// <param name="WaitForChild">Wait until a child process (the encoder) exists before signalling.</param>
/// <param name="DelayMs">Extra wait before signalling.</param>
/// <param name="Repeat">Send it a second time this many ms later (null: once).</param>
public sealed record ProbeSignal(int Signal, string? After, bool ToGroup = false, bool WaitForChild = false, int DelayMs = 0, int? Repeat = null);

/// <summary>One bad input and what must happen.</summary>
public sealed record ProbeCase(string Name, int Exit)
{
    public required Func<ProbeContext, string[]> Args { get; init; }
    public Action<ProbeContext>? Setup { get; init; }
    public Func<ProbeContext, Dictionary<string, string>>? Env { get; init; }
    /// <summary>Fragments the one-line error must contain (the input at fault); computed per context.</summary>
    public Func<ProbeContext, string[]>? Names { get; init; }
    public ProbeSignal? Signal { get; init; }
    /// <summary>Entries (relative to the case folder) that a successful run creates.</summary>
    public string[] Creates { get; init; } = [];
    /// <summary>Pre-existing entries the run may replace (with --overwrite).</summary>
    public string[] Replaces { get; init; } = [];
    public Action<ProbeContext>? Verify { get; init; }
    public int TimeLimitSeconds { get; init; } = 90;
    public long RssLimitBytes { get; init; } = 1L << 30;
    public bool NeedsRoot { get; init; }
    public bool NeedsFfmpeg { get; init; }
    public bool NeedsI2V { get; init; }
    public bool NeedsMount { get; init; }
    public override string ToString() => Name;
}

/// <summary>
/// Runs the built CLI (<c>dotnet FastVideo.Cli.dll</c>) as a child in its own session and process group, with its own
/// TMPDIR, sends the case's signals, and checks every guarantee of docs/RELIABILITY.md: the exit code, a one-line
/// message on stderr naming the input, nothing created, changed or deleted in the case folder except the expected
/// outputs, nothing left in TMPDIR, no process of its session left running, peak RSS and wall time within limits.
/// </summary>
public static partial class ProbeRunner
{
    private static string Cli => Path.Combine(AppContext.BaseDirectory, "FastVideo.Cli.dll");

    public static void Run(ProbeCase c, ProbeContext ctx)
    {
        c.Setup?.Invoke(ctx);
        var before = Snapshot(ctx.Dir);
        var psi = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = ctx.Dir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // setsid execs without forking (the child of Process.Start is not a group leader): the pid is the CLI's,
        // and it leads a new session and process group, so a group signal reaches it and every child it starts.
        psi.ArgumentList.Add("dotnet");
        psi.ArgumentList.Add(Cli);
        foreach (var a in c.Args(ctx)) psi.ArgumentList.Add(a);
        foreach (var v in new[] { "FASTVIDEO_FFMPEG", "FASTVIDEO_ENCODER_TIMEOUT", "FASTVIDEO_ATTENTION_BACKEND", "XDG_CACHE_HOME" }) psi.Environment.Remove(v);
        psi.Environment["FASTVIDEO_CACHE"] = ctx.Cache;
        psi.Environment["TMPDIR"] = ctx.Tmp;
        psi.Environment["DOTNET_EnableDiagnostics"] = "0";  // no diagnostics IPC socket in TMPDIR
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        if (c.Env?.Invoke(ctx) is { } env)
            foreach (var (k, v) in env) psi.Environment[k] = v;

        var sw = Stopwatch.StartNew();
        using var proc = Process.Start(psi)!;
        int pid = proc.Id;
        proc.StandardInput.Close();
        var stdout = new List<string>();
        var stdoutSeen = new ManualResetEventSlim();
        var err = proc.StandardError.ReadToEndAsync();
        var outTask = Task.Run(() =>
        {
            string? line;
            while ((line = proc.StandardOutput.ReadLine()) != null)
            {
                lock (stdout) stdout.Add(line);
                stdoutSeen.Set();
            }
        });
        var signaller = c.Signal is { } sig ? Task.Run(() => Signal(pid, sig, stdout, stdoutSeen, proc)) : Task.CompletedTask;
        long peak = 0;
        bool hung = false;
        while (!proc.WaitForExit(20))
        {
            peak = Math.Max(peak, PeakRss(pid));
            if (sw.Elapsed.TotalSeconds > c.TimeLimitSeconds)
            {
                hung = true;
                _ = kill(-pid, 9);
                proc.WaitForExit();
                break;
            }
        }
        proc.WaitForExit();
        outTask.Wait(10_000);
        signaller.Wait(10_000);
        var stderr = err.Result;
        var orphans = KillSession(pid);
        string all;
        lock (stdout) all = $"exit {proc.ExitCode} after {sw.Elapsed.TotalSeconds:F1} s, peak RSS {peak >> 20} MiB\n--- stdout\n{string.Join('\n', stdout)}\n--- stderr\n{stderr}";
        TestContext.Out.WriteLine(all);

        Assert.That(hung, Is.False, $"hung: still running after {c.TimeLimitSeconds} s\n{all}");
        Assert.That(orphans, Is.Empty, $"processes left running in its session: {string.Join(", ", orphans)}\n{all}");
        Assert.That(proc.ExitCode, Is.EqualTo(c.Exit), all);
        var errLines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.That(stderr, Does.Not.Contain("Unhandled exception").And.Not.Contain("   at "), "a crash or a stack trace\n" + all);
        if (c.Exit == 0)
        {
            Assert.That(errLines, Is.Empty, "a successful run prints no error\n" + all);
        }
        else
        {
            Assert.That(errLines, Is.Not.Empty, all);
            var last = errLines[^1];
            Assert.That(last, Does.StartWith("fastvideo: "), all);
            if (c.Signal == null)
                Assert.That(errLines, Has.Length.EqualTo(1), "one line on stderr\n" + all);
            foreach (var name in c.Names?.Invoke(ctx) ?? [])
                Assert.That(last, Does.Contain(name), $"the message names '{name}'\n{all}");
        }
        Assert.That(peak, Is.LessThanOrEqualTo(c.RssLimitBytes), $"peak RSS {peak >> 20} MiB over {c.RssLimitBytes >> 20} MiB\n{all}");

        var after = Snapshot(ctx.Dir);
        foreach (var (path, state) in before)
        {
            if (c.Replaces.Any(r => path == r || path.StartsWith(r + "/", StringComparison.Ordinal))) continue;
            Assert.That(after.TryGetValue(path, out var now), Is.True, $"{path} was deleted\n{all}");
            Assert.That(now, Is.EqualTo(state), $"{path} was changed\n{all}");
        }
        var created = after.Keys.Where(p => !before.ContainsKey(p)).ToList();
        foreach (var p in created)
            Assert.That(c.Creates.Any(e => p == e || p.StartsWith(e + "/", StringComparison.Ordinal)), Is.True,
                $"{p} was left in the output folder\n{all}");
        if (c.Exit == 0)
            foreach (var e in c.Creates) Assert.That(after.ContainsKey(e), Is.True, $"{e} was not written\n{all}");
        var tmpLeft = Directory.EnumerateFileSystemEntries(ctx.Tmp, "*", SearchOption.AllDirectories).ToList();
        Assert.That(tmpLeft, Is.Empty, $"left in TMPDIR\n{all}");
        c.Verify?.Invoke(ctx);
    }

    private static void Signal(int pid, ProbeSignal s, List<string> stdout, ManualResetEventSlim seen, Process proc)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (s.After != null && DateTime.UtcNow < deadline && !proc.HasExited)
        {
            lock (stdout)
                if (stdout.Any(l => l.Contains(s.After, StringComparison.Ordinal))) break;
            seen.Wait(20);
            seen.Reset();
        }
        while (s.WaitForChild && DateTime.UtcNow < deadline && !proc.HasExited && SessionMembers(pid).All(p => p == pid)) Thread.Sleep(10);
        if (s.DelayMs > 0) Thread.Sleep(s.DelayMs);
        if (proc.HasExited) return;
        _ = kill(s.ToGroup ? -pid : pid, s.Signal);
        if (s.Repeat is int again)
        {
            Thread.Sleep(again);
            if (!proc.HasExited) _ = kill(s.ToGroup ? -pid : pid, s.Signal);
        }
    }

    /// <summary>Processes whose session id is <paramref name="sid"/> (from /proc/N/stat, field 6).</summary>
    private static List<int> SessionMembers(int sid)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int p)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                // fields[0] = state (field 3), so session (field 6) is fields[3]
                if (fields[0] != "Z" && int.Parse(fields[3]) == sid) found.Add(p);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
            }
        }
        return found;
    }

    /// <summary>Kills whatever is left of the session and says what it was.</summary>
    private static List<string> KillSession(int sid)
    {
        var left = new List<string>();
        foreach (var p in SessionMembers(sid))
        {
            string cmd;
            try { cmd = File.ReadAllText($"/proc/{p}/cmdline").Replace('\0', ' ').Trim(); } catch (IOException) { cmd = "?"; }
            left.Add($"{p} {cmd}");
            _ = kill(p, 9);
        }
        return left;
    }

    private static long PeakRss(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return 0;
    }

    /// <summary>Every entry under <paramref name="root"/> (not following links): kind, size and content hash.</summary>
    private static Dictionary<string, string> Snapshot(string root)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        void Walk(string dir)
        {
            foreach (var e in Directory.EnumerateFileSystemEntries(dir))
            {
                var rel = Path.GetRelativePath(root, e);
                var kind = Media.FileNode.Kind(e, followLinks: false);
                string state = kind switch
                {
                    Media.FileNodeKind.Regular => "file " + Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(e))),
                    Media.FileNodeKind.Symlink => "link " + new FileInfo(e).LinkTarget,
                    _ => kind.ToString(),
                };
                map[rel] = state;
                if (kind == Media.FileNodeKind.Directory) Walk(e);
            }
        }
        Walk(root);
        return map;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial uint geteuid();
}
