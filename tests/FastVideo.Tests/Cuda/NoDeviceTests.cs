using FastVideo.Cli;
using FastVideo.Cuda;
using FastVideo.Diagnostics;
using FastVideo.Interop;
using NUnit.Framework;

namespace FastVideo.Tests.Cuda;

/// <summary>Without a GPU (or a driver), "no CUDA device" is a state that is reported, never a crash.</summary>
public class NoDeviceTests
{
    [Test]
    public void TryInitializeNeverThrowsAndGivesAReasonWhenItFails()
    {
        bool ok = false;
        string reason = "";
        Assert.DoesNotThrow(() => ok = CudaDriver.TryInitialize(out reason));
        if (ok) Assert.That(reason, Is.Empty);
        else Assert.That(reason, Is.Not.Empty.And.Not.Contain("Exception:"), "a one-line reason, not a stack");
        Assert.That(CudaDriver.TryInitialize(out var again), Is.EqualTo(ok), "the outcome is cached");
        Assert.That(again, Is.EqualTo(reason));
    }

    [Test]
    public void WithoutADeviceEveryEntryPointReportsTheSameReason()
    {
        if (CudaDriver.TryInitialize(out var reason)) Assert.Ignore("a CUDA device is present");
        Assert.That(CudaBackend.TryCreate(null, out var backend, out var why), Is.False);
        Assert.That(backend, Is.Null);
        Assert.That(why, Is.EqualTo(reason));
        Assert.That(CudaDevice.TryOpen(0, out _, out why), Is.False);
        Assert.That(why, Is.EqualTo(reason));
        var e = Assert.Throws<InvalidOperationException>(() => new CudaBackend())!;
        Assert.That(e.Message, Does.Contain(reason));
        var status = SystemInfo.ProbeCuda();
        Assert.That(status.Available, Is.False);
        Assert.That(status.Detail, Is.EqualTo(reason));
    }

    [Test]
    public void SelftestAndBenchExitWith3AndPrintTheReason()
    {
        if (CudaDriver.TryInitialize(out var reason)) Assert.Ignore("a CUDA device is present");
        foreach (var args in new[] { new[] { "selftest", "--device", "cuda" }, ["bench", "kernels"] })
        {
            var o = new StringWriter();
            int rc = CliApp.Run(args, o, o);
            Assert.That(rc, Is.EqualTo(3), string.Join(" ", args));
            Assert.That(o.ToString(), Does.Contain("no CUDA device").And.Contain(reason));
        }
    }

    [Test]
    public void WithoutADeviceTheReasonGoesToStderrAndStdoutHasNoError()
    {
        if (CudaDriver.TryInitialize(out var reason)) Assert.Ignore("a CUDA device is present");
        foreach (var args in new[] { new[] { "selftest", "--device", "cuda" }, ["bench", "kernels"] })
        {
            var run = FastVideo.Tests.Cli.CliTestSupport.Run(args);
            FastVideo.Tests.Cli.CliTestSupport.AssertError(run, CudaCliOptions.ExitNoDevice, "no CUDA device", CliApp.OneLine(reason));
            Assert.That(run.Stdout, Is.Empty, string.Join(" ", args));
        }
    }

    [TestCase("selftest --device cpu", "--device must be cuda or cuda:N")]
    [TestCase("bench kernels --device cuda:-1", "got 'cuda:-1'")]
    [TestCase("bench kernels --runs 0", "--runs must be ≥ 1")]
    public void UsageErrorsOfTheCudaCommandsAreOneLineOnStderr(string commandLine, string fragment)
    {
        var run = FastVideo.Tests.Cli.CliTestSupport.Run(commandLine.Split(' '));
        FastVideo.Tests.Cli.CliTestSupport.AssertUsageError(run, fragment);
        Assert.That(run.Stdout, Is.Empty);
    }

    [Test]
    public void SelftestRejectsANonCudaDevice()
    {
        var o = new StringWriter();
        Assert.That(CliApp.Run(["selftest", "--device", "cpu"], o, o), Is.EqualTo(CliApp.ExitUsage));
        Assert.That(o.ToString(), Does.Contain("--device must be cuda or cuda:N"));
        o = new StringWriter();
        Assert.That(CliApp.Run(["bench", "kernels", "--device", "cuda:-1"], o, o), Is.EqualTo(CliApp.ExitUsage));
        Assert.That(o.ToString(), Does.Contain("got 'cuda:-1'"));
    }

    [Test]
    public void InfoShowsTheCudaLine()
    {
        var o = new StringWriter();
        Assert.That(CliApp.Run(["info"], o, o), Is.EqualTo(CliApp.ExitOk));
        var line = o.ToString().Split('\n').Single(l => l.TrimStart().StartsWith("cuda", StringComparison.Ordinal));
        if (CudaDriver.TryInitialize(out var reason)) Assert.That(line, Does.Contain("available").And.Contain("driver CUDA"));
        else Assert.That(line, Does.Contain("unavailable").And.Contain(reason));
    }
}
