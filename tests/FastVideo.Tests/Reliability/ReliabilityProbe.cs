using FastVideo.Media;
using FastVideo.Models.Smoke;
using FastVideo.Tests.Pipelines;
using NUnit.Framework;

namespace FastVideo.Tests.Reliability;

/// <summary>
/// The reliability probe (issue 9, docs/RELIABILITY.md): the built CLI run out of process on every case of
/// <see cref="ProbeCases"/>, each checked by <see cref="ProbeRunner"/>. <c>.ci/run</c> prints its count.
/// </summary>
[TestFixture, Category("Reliability"), NonParallelizable]
public class ReliabilityProbe
{
    private static string s_root = "";
    private static string s_cache = "";
    private static string s_smoke = "";
    private static PipelineFolder? s_i2v;
    private static string? s_i2vProblem;
    private static bool s_canMount;
    private static bool s_isRoot;

    [OneTimeSetUp]
    public void BuildModels()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("the probe drives the CLI with POSIX signals, sessions and /proc (Linux)");
        s_root = Directory.CreateTempSubdirectory("fv-probe-").FullName;
        s_cache = Path.Combine(s_root, "cache");
        s_smoke = SmokeModel.EnsureCreated(s_cache);
        try
        {
            s_i2v = PipelineFolder.TinyI2V();
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("CI") != "true")
        {
            s_i2vProblem = e.Message;
        }
        s_isRoot = ProbeRunner.geteuid() == 0;
        var probe = Path.Combine(s_root, "mount-check");
        Directory.CreateDirectory(probe);
        try
        {
            ProbeCases.Sh($"mount -t tmpfs -o size=16k tmpfs '{probe}' && umount '{probe}'");
            s_canMount = true;
        }
        catch (InvalidOperationException)
        {
            s_canMount = false;
        }
    }

    [OneTimeTearDown]
    public void Cleanup()
    {
        if (s_root.Length == 0) return;
        foreach (var line in File.ReadAllLines("/proc/mounts"))
        {
            var mountPoint = line.Split(' ')[1];
            if (mountPoint.StartsWith(s_root, StringComparison.Ordinal))
                try { ProbeCases.Sh($"umount -l '{mountPoint}'"); } catch (InvalidOperationException) { }
        }
        s_i2v?.Dispose();
        lock (ProbeCases.Sockets)
        {
            foreach (var s in ProbeCases.Sockets) s.Dispose();
            ProbeCases.Sockets.Clear();
        }
        try { Directory.Delete(s_root, recursive: true); } catch (IOException) { }
    }

    public static IEnumerable<TestCaseData> Cases() =>
        ProbeCases.All().Select(c => new TestCaseData(c).SetName($"Probe({c.Name})"));

    [TestCaseSource(nameof(Cases))]
    public void Probe(ProbeCase c)
    {
        if (c.NeedsRoot && !s_isRoot) Assert.Ignore("needs root (mknod)");
        if (c.NeedsMount && !s_canMount) Assert.Ignore("needs permission to mount a tmpfs (root in a namespace that allows it)");
        if (c.NeedsI2V && s_i2v == null) Assert.Ignore($"the tiny I2V checkpoint needs the goldens: {s_i2vProblem}");
        if (c.NeedsFfmpeg && MediaWriter.FindFfmpeg() == null)
        {
            if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail("ffmpeg must be installed on CI (.ci/deps)");
            Assert.Ignore("ffmpeg not on PATH");
        }
        var dir = Path.Combine(s_root, "cases", c.Name);
        var tmp = Path.Combine(s_root, "tmp", c.Name);
        Directory.CreateDirectory(dir);
        Directory.CreateDirectory(tmp);
        ProbeRunner.Run(c, new ProbeContext { Dir = dir, Tmp = tmp, Cache = s_cache, Smoke = s_smoke, I2V = s_i2v?.Path });
    }

    [Test]
    public void HasAtLeastEightyCases() => Assert.That(ProbeCases.All().Count(), Is.GreaterThanOrEqualTo(80));

    [Test]
    public void DocsListEveryCaseWithItsExitCode()
    {
        var doc = File.ReadAllText(Path.Combine(Support.Golden.RepoRoot, "docs", "RELIABILITY.md"));
        var names = ProbeCases.All().Select(c => c.Name).ToList();
        Assert.That(names, Is.Unique);
        foreach (var c in ProbeCases.All())
            Assert.That(doc, Does.Match($@"\| `{System.Text.RegularExpressions.Regex.Escape(c.Name)}` \|[^\n]*\| {c.Exit} \|"), $"docs/RELIABILITY.md lists {c.Name} with exit {c.Exit}");
    }
}
