using FastVideo.Cli;
using FastVideo.Cuda;
using FastVideo.Interop;
using FastVideo.Loading;
using FastVideo.Models.Dits.Wan;
using FastVideo.Tensors;
using NUnit.Framework;

namespace FastVideo.Tests.Cli;

/// <summary><c>fastvideo bench dit</c> at tiny sizes on the CPU, its usage errors, and exit 3 without a CUDA device.</summary>
public class BenchDitTests
{
    private static readonly string[] Tiny = ["bench", "dit", "--device", "cpu", "--precision", "fp32", "--layers", "1", "--height", "32", "--width", "32", "--num-frames", "5"];

    [Test]
    public void TinyCpuRunPrintsMsPerStepAndTokens()
    {
        var tsv = Path.Combine(Path.GetTempPath(), $"bench-dit-{Guid.NewGuid():N}.tsv");
        try
        {
            var run = CliTestSupport.Run([.. Tiny, "--steps", "2", "--tsv", tsv]);
            Assert.That(run.ExitCode, Is.EqualTo(CliApp.ExitOk), run.ToString());
            Assert.That(run.Stderr, Is.Empty);
            // latent [1, 16, 2, 4, 4], patch 1×2×2 → 2·2·2 = 8 tokens
            Assert.That(run.Stdout, Does.Contain("latent [1, 16, 2, 4, 4]").And.Contain("8 tokens"));
            Assert.That(run.Stdout, Does.Contain("step 1").And.Contain("step 2"));
            Assert.That(run.Stdout, Does.Match(@"bench dit: [0-9.]+ ms per step"));
            Assert.That(run.Stdout, Does.Contain("peak device memory").And.Contain("not a GPU timing"));
            var rows = File.ReadAllLines(tsv);
            Assert.That(rows, Has.Length.EqualTo(5)); // header, warm-up, 2 steps, mean
            Assert.That(rows[^1], Does.StartWith("mean\t"));
        }
        finally
        {
            File.Delete(tsv);
        }
    }

    [TestCase("--layers 0", "--layers")]
    [TestCase("--steps 0", "--steps")]
    [TestCase("--height 30", "--height")]
    [TestCase("--width 0", "--width")]
    [TestCase("--num-frames 4", "--num-frames")]
    [TestCase("--precision fp16", "--precision")]
    [TestCase("--precision bf16", "bf16")]
    [TestCase("--device tpu", "--device")]
    public void BadOptionsAreUsageErrors(string extra, string fragment)
    {
        // cpu by default here so that a valid option never reaches a device
        var args = new List<string> { "bench", "dit" };
        if (!extra.StartsWith("--device", StringComparison.Ordinal)) args.AddRange(["--device", "cpu"]);
        args.AddRange(extra.Split(' '));
        CliTestSupport.AssertUsageError(CliTestSupport.Run([.. args]), fragment);
    }

    [Test]
    public void CudaWithoutADeviceExits3()
    {
        if (CudaDriver.TryInitialize(out var reason)) Assert.Ignore("a CUDA device is present");
        var run = CliTestSupport.Run("bench", "dit", "--device", "cuda", "--layers", "1", "--height", "32", "--width", "32", "--num-frames", "5");
        CliTestSupport.AssertError(run, CliApp.ExitNoDevice, "no CUDA device", reason);
        Assert.That(run.Stdout, Is.Empty);
    }

    [Test]
    public void RandomCheckpointLoadsAsTheModelAndIsDeterministic()
    {
        var config = BenchCommand.Wan13BConfig(1) with { NumAttentionHeads = 2, AttentionHeadDim = 16, FfnDim = 64, TextDim = 32 };
        using var a = new WanRandomCheckpoint(config);
        using var b = new WanRandomCheckpoint(config);
        Assert.That(a.Entry("blocks.0.attn1.to_q.weight").DType, Is.EqualTo(DType.BF16));
        var x = a.LoadF32("blocks.0.ffn.net.0.proj.weight").ToArray<float>();
        Assert.That(b.LoadF32("blocks.0.ffn.net.0.proj.weight").ToArray<float>(), Is.EqualTo(x));
        double mean = x.Average(), std = Math.Sqrt(x.Select(v => (v - mean) * (v - mean)).Average());
        Assert.That(std, Is.EqualTo(0.02).Within(0.004));
        Assert.That(a.LoadF32("blocks.0.norm2.weight").ToArray<float>().Average(), Is.EqualTo(1.0).Within(0.01));
        using var model = WanTransformer3DModel.Load(FastVideo.Backends.Cpu.CpuBackend.Default, config, a);
        Assert.That(model.Blocks, Has.Count.EqualTo(1));
    }
}
