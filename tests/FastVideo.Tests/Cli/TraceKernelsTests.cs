using FastVideo.Cli;
using FastVideo.Tests.Cuda.Gpu;
using FastVideo.Tests.Loading;
using NUnit.Framework;

namespace FastVideo.Tests.Cli;

/// <summary>
/// <c>fastvideo generate --trace-kernels</c>: after the run, each CUDA kernel launched with its count and the cuBLASLt
/// matmul calls as one line (counted in the backend's managed launch path, so on any device, the emulator included).
/// </summary>
public class TraceKernelsTests
{
    private static string[] SmokeCall(string output, params string[] extra) =>
        ["generate", "--prompt", "a fox", "--height", "16", "--width", "16", "--num-frames", "1", "--steps", "1", "--output", output, .. extra];

    [Test]
    public void OnTheCpuDeviceItSaysNoCudaKernelWasLaunched()
    {
        using var dir = new TempDir();
        var run = CliTestSupport.Run(SmokeCall(dir.File("fox.safetensors"), "--trace-kernels"));
        Assert.That(run.ExitCode, Is.EqualTo(CliApp.ExitOk), run.ToString());
        Assert.That(run.Stdout, Does.Contain("kernels   none: no CUDA kernels were launched (device cpu runs the cpu backend)"));
        Assert.That(run.Stdout, Does.Not.Contain("cublasLt"));
        Assert.That(run.Stdout, Does.Not.Contain("device    "), "no device line for the CPU: the output is as before");
    }

    [Test]
    public void WithoutTheOptionNothingIsTraced()
    {
        using var dir = new TempDir();
        var run = CliTestSupport.Run(SmokeCall(dir.File("fox.safetensors")));
        Assert.That(run.ExitCode, Is.EqualTo(CliApp.ExitOk), run.ToString());
        Assert.That(run.Stdout, Does.Not.Contain("kernels "));
    }

    [Test, Category("Gpu")]
    public void OnCudaEveryLaunchedKernelIsCountedAndTheMatmulCallsToo()
    {
        var device = GpuTestSupport.RequireDevice();
        using var dir = new TempDir();
        var run = CliTestSupport.Run(SmokeCall(dir.File("fox.safetensors"), "--device", "cuda", "--trace-kernels"));
        Assert.That(run.ExitCode, Is.EqualTo(CliApp.ExitOk), run.ToString());
        TestContext.Out.WriteLine(run.Stdout);
        var lines = run.Stdout.Split('\n');
        Assert.That(lines, Has.Some.StartsWith("device    cuda:0 "));
        if (device.IsEmulated) Assert.That(run.Stdout, Does.Contain("emulated device, not a GPU"));
        var header = lines.Single(l => l.StartsWith("kernels   ", StringComparison.Ordinal));
        Assert.That(header, Does.Match(@"^kernels   [1-9]\d* launches of [1-9]\d* kernels? on cuda:0 "));
        var rows = lines.SkipWhile(l => l != header).Skip(1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).ToList();
        Assert.That(rows, Is.Not.Empty);
        Assert.That(rows, Has.All.Match(@"^\s+[1-9]\d*  fv_\w+$"), "a count, then the kernel's name");
        Assert.That(lines, Has.Some.Match(@"^cublasLt  [1-9]\d* matmul calls"), "the transformer's linear layers go through cuBLASLt");
    }
}
