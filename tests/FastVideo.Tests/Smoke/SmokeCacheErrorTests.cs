using System.Diagnostics;
using FastVideo.Models.Smoke;
using FastVideo.Tests.Cli;
using NUnit.Framework;

namespace FastVideo.Tests.Smoke;

/// <summary>
/// An unusable cache folder fails at once, naming the folder and the variable it came from; only a build lock
/// actually held by another process is waited for.
/// </summary>
public class SmokeCacheErrorTests
{
    /// <summary>Generous against the 50 ms retry loop and a busy machine, far below any lock timeout used here.</summary>
    private static readonly TimeSpan Fast = TimeSpan.FromSeconds(5);

    /// <summary>Longer than <see cref="Fast"/>: a failure retried as "lock held" shows up as a slow one.</summary>
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);

    private static IOException FailsFast(Func<string> ensure)
    {
        var sw = Stopwatch.StartNew();
        var e = Assert.Throws<IOException>(() => ensure())!;
        sw.Stop();
        TestContext.Out.WriteLine($"{sw.ElapsedMilliseconds} ms: {e.Message}");
        Assert.That(sw.Elapsed, Is.LessThan(Fast), "an unusable cache must not be retried as a held lock");
        return e;
    }

    /// <summary>Runs <paramref name="body"/> with the cache variables set (null = unset), restoring them after.</summary>
    private static void WithCacheEnv(string? fastvideoCache, string? xdgCacheHome, Action body)
    {
        var saved = (Environment.GetEnvironmentVariable("FASTVIDEO_CACHE"), Environment.GetEnvironmentVariable("XDG_CACHE_HOME"));
        Environment.SetEnvironmentVariable("FASTVIDEO_CACHE", fastvideoCache);
        Environment.SetEnvironmentVariable("XDG_CACHE_HOME", xdgCacheHome);
        try
        {
            body();
        }
        finally
        {
            Environment.SetEnvironmentVariable("FASTVIDEO_CACHE", saved.Item1);
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", saved.Item2);
        }
    }

    [Test]
    public void CacheInAFolderWhereNoFileCanBeCreatedFailsAtOnce()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("uses /proc");
        // /proc exists, but creating the lock file there fails with ENOENT (a FileNotFoundException, an IOException).
        WithCacheEnv("/proc", null, () =>
        {
            var e = FailsFast(() => SmokeModel.EnsureCreated(lockTimeout: LockTimeout));
            Assert.That(e.Message, Does.Contain("/proc").And.Contain("(from FASTVIDEO_CACHE)"));
        });
    }

    [Test]
    public void XdgCacheThatCannotBeCreatedNamesXdgCacheHome()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("uses /sys");
        WithCacheEnv(null, "/sys", () =>
        {
            var e = FailsFast(() => SmokeModel.EnsureCreated(lockTimeout: LockTimeout));
            Assert.That(e.Message, Does.Contain("/sys/fastvideo").And.Contain("(from XDG_CACHE_HOME)"));
        });
        Assert.That(SmokeModel.ResolveCacheRoot(_ => null).Origin, Does.Contain("~/.cache/fastvideo"));
    }

    [Test]
    public void CacheOnAReadOnlyFileSystemFailsAtOnce()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("mounts a read-only tmpfs");
        var mountPoint = SmokeFolderFixture.NewRoot();
        if (Tool("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", mountPoint) != 0)
            Assert.Ignore("mounting a read-only tmpfs is not permitted here");
        try
        {
            // The root exists: opening the lock file fails with EROFS (an IOException with HResult 30).
            WithCacheEnv(mountPoint, null, () =>
            {
                var e = FailsFast(() => SmokeModel.EnsureCreated(lockTimeout: LockTimeout));
                Assert.That(e.Message, Does.Contain(mountPoint).And.Contain("(from FASTVIDEO_CACHE)").And.Contain("Read-only"));
            });
            // The root does not exist: creating it fails with EROFS.
            var below = Path.Combine(mountPoint, "cache");
            var e2 = FailsFast(() => SmokeModel.EnsureCreated(below, LockTimeout));
            Assert.That(e2.Message, Does.Contain(below));
        }
        finally
        {
            Tool("umount", mountPoint);
        }
    }

    [Test]
    public void CacheThatIsARegularFileIsAOneLineErrorNamingTheVariable()
    {
        var root = SmokeFolderFixture.NewRoot();
        var file = Path.Combine(root, "not-a-folder");
        File.WriteAllText(file, "x");
        WithCacheEnv(file, null, () =>
        {
            var run = CliTestSupport.Run("generate", "-p", "x", "--steps", "1", "--num-frames", "1", "-o", Path.Combine(root, "x.safetensors"));
            CliTestSupport.AssertError(run, 1, file, "(from FASTVIDEO_CACHE)", "set FASTVIDEO_CACHE to a writable folder");
            // Below a file (ENOTDIR): the same.
            var below = Path.Combine(file, "cache");
            var e = FailsFast(() => SmokeModel.EnsureCreated(below, LockTimeout));
            Assert.That(e.Message, Does.Contain(below));
        });
    }

    [Test]
    public void ALockHeldByAnotherHandleIsWaitedForThenTimesOut()
    {
        var root = SmokeFolderFixture.NewRoot();
        var lockPath = Path.Combine(root, $".{SmokeModel.FolderName}.lock");
        using (var held = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var probe = Assert.Throws<IOException>(() => new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None).Dispose())!;
            Assert.That(SmokeModel.IsHeldByAnother(probe), Is.True, $"HResult {probe.HResult}: {probe.Message}");
            var sw = Stopwatch.StartNew();
            var e = Assert.Catch<IOException>(() => SmokeModel.EnsureCreated(root, TimeSpan.FromMilliseconds(400)))!;
            Assert.That(sw.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(400)), "a held lock is waited for");
            Assert.That(e.Message, Does.Contain(lockPath).And.Contain("another process holds it"));
        }

        // Released while a builder waits: the builder goes on.
        var holder = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        var release = Task.Run(async () =>
        {
            await Task.Delay(300);
            holder.Dispose();
        });
        Assert.That(SmokeModel.EnsureCreated(root, TimeSpan.FromSeconds(30)), Is.EqualTo(Path.Combine(root, SmokeModel.FolderName)));
        release.Wait();
    }

    [Test]
    public void OnlyALockConflictCountsAsHeld()
    {
        Assert.That(SmokeModel.IsHeldByAnother(new FileNotFoundException("x")), Is.False);
        Assert.That(SmokeModel.IsHeldByAnother(new DirectoryNotFoundException("x")), Is.False);
        if (OperatingSystem.IsWindows()) return;
        Assert.That(SmokeModel.IsHeldByAnother(new IOException("Read-only file system", 30)), Is.False, "EROFS");
        Assert.That(SmokeModel.IsHeldByAnother(new IOException("exists", 17)), Is.False, "EEXIST");
    }

    private static int Tool(string name, params string[] args)
    {
        try
        {
            var psi = new ProcessStartInfo(name) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            p.WaitForExit();
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }
}
