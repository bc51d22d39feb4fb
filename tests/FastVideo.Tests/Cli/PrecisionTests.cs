using FastVideo.Backends;
using FastVideo.Cli;
using FastVideo.Entrypoints;
using FastVideo.Loading;
using FastVideo.Tests.Loading;
using NUnit.Framework;

namespace FastVideo.Tests.Cli;

/// <summary>
/// The precision policy: <c>generate --precision fp32|bf16</c> (checked before any weight is read),
/// <see cref="GeneratorOptions.Precision"/> resolved once at load (auto: bf16 on CUDA, fp32 on the CPU; bf16 on the
/// CPU an error, never downgraded), its reaching <c>CudaBackendOptions.MixedPrecision</c>, and the paths taken
/// reported in <see cref="GenerationResult.ComputePaths"/> and the CLI summary.
/// </summary>
public class PrecisionTests
{
    private static string[] SmokeCall(string output, params string[] extra) =>
        ["generate", "--prompt", "a fox", "--height", "16", "--width", "16", "--num-frames", "1", "--steps", "1", "--output", output, .. extra];

    [TestCase("fp16")]
    [TestCase("auto")]
    [TestCase("float32")]
    public void AnUnknownPrecisionIsAUsageErrorNamingTheOption(string value) =>
        CliTestSupport.AssertUsageError(CliTestSupport.Run("generate", "--prompt", "a fox", "--precision", value),
            $"--precision {value}", "fp32 or bf16");

    [Test]
    public void Bf16OnTheCpuIsAUsageErrorNamingWhatIsNotSupported() =>
        CliTestSupport.AssertUsageError(CliTestSupport.Run("generate", "--prompt", "a fox", "--device", "cpu", "--precision", "bf16"),
            "--precision bf16", "--device cpu", "no bf16 compute path");

    [Test]
    public void Bf16OnTheCpuFailsInTheLibraryBeforeAnythingIsLoaded()
    {
        var e = Assert.Throws<NotSupportedException>(() =>
            VideoGenerator.FromPretrained("/no/such/model/folder", new GeneratorOptions { Device = "cpu", Precision = Precision.Bf16 }));
        Assert.That(e!.Message, Does.Contain("bf16").And.Contain("CPU backend").And.Contain("no bf16 compute path"));
    }

    [Test]
    public void PrecisionResolvesPerDevice()
    {
        Assert.That(VideoGenerator.ResolvePrecision(Precision.Auto, FastVideo.Tensors.DeviceType.Cpu), Is.EqualTo(Precision.Fp32));
        Assert.That(VideoGenerator.ResolvePrecision(Precision.Fp32, FastVideo.Tensors.DeviceType.Cpu), Is.EqualTo(Precision.Fp32));
        Assert.That(VideoGenerator.ResolvePrecision(Precision.Auto, FastVideo.Tensors.DeviceType.Cuda), Is.EqualTo(Precision.Bf16));
        Assert.That(VideoGenerator.ResolvePrecision(Precision.Fp32, FastVideo.Tensors.DeviceType.Cuda), Is.EqualTo(Precision.Fp32));
        Assert.That(VideoGenerator.ResolvePrecision(Precision.Bf16, FastVideo.Tensors.DeviceType.Cuda), Is.EqualTo(Precision.Bf16));
        Assert.Throws<NotSupportedException>(() => VideoGenerator.ResolvePrecision(Precision.Bf16, FastVideo.Tensors.DeviceType.Cpu));
    }

    [Test]
    public void ThePrecisionReachesTheCudaBackendOptions()
    {
        Assert.That(CliDevices.CudaOptions(0, Precision.Bf16).MixedPrecision, Is.True);
        Assert.That(CliDevices.CudaOptions(0, Precision.Fp32).MixedPrecision, Is.False);
        Assert.That(CliDevices.CudaOptions(1).MixedPrecision, Is.False, "run-module keeps the FP32 contract");
        Assert.Throws<ArgumentException>(() => CliDevices.CudaOptions(0, Precision.Auto));
    }

    [Test]
    public void Fp32OnTheCpuIsBitIdenticalToTheDefaultAndTheSummaryNamesThePaths()
    {
        using var dir = new TempDir();
        var auto = CliTestSupport.Run(SmokeCall(dir.File("auto.safetensors")));
        Assert.That(auto.ExitCode, Is.EqualTo(CliApp.ExitOk), auto.ToString());
        var fp32 = CliTestSupport.Run(SmokeCall(dir.File("fp32.safetensors"), "--precision", "fp32"));
        Assert.That(fp32.ExitCode, Is.EqualTo(CliApp.ExitOk), fp32.ToString());
        using (var a = SafetensorsFile.Open(dir.File("auto.safetensors")))
        using (var b = SafetensorsFile.Open(dir.File("fp32.safetensors")))
        {
            foreach (var name in new[] { "frames", "latents" })
                Assert.That(b.Read<float>(name), Is.EqualTo(a.Read<float>(name)), $"{name}: fp32 is the default on the CPU, bit for bit");
        }
        Assert.That(auto.Stdout, Does.Contain("\nprecision fp32 (auto)\n"));
        Assert.That(fp32.Stdout, Does.Contain("\nprecision fp32\n"));
        Assert.That(fp32.Stdout, Does.Contain("\nattention cpu tiled online-softmax f32\n"));
        Assert.That(fp32.Stdout, Does.Contain("\nlinear    cpu packed GEMM f32 (16-bit weights widened)\n"));
    }

    [Test]
    public void TheResultDescribesTheCpuPaths()
    {
        using var gen = VideoGenerator.FromPretrained(null, new GeneratorOptions { Precision = Precision.Fp32 });
        Assert.That(gen.Precision, Is.EqualTo(Precision.Fp32));
        using var result = gen.Generate(new GenerationRequest { Prompt = "a fox", Height = 16, Width = 16, NumFrames = 1, Steps = 1 });
        var paths = result.ComputePaths;
        Assert.That(paths.Requested, Is.EqualTo(Precision.Fp32));
        Assert.That(paths.Precision, Is.EqualTo(Precision.Fp32));
        Assert.That(paths.For("attention").Select(p => p.Path), Is.EqualTo(new[] { "cpu tiled online-softmax f32" }));
        Assert.That(paths.Paths.Select(p => p.Op), Is.EqualTo(new[] { "attention", "linear", "conv", "matmul" }));
        Assert.That(paths.Describe()[0], Is.EqualTo("precision fp32"));
    }

    [Test]
    public void PathCountsAreTheDifferenceOverTheRun()
    {
        ComputePathCount[] before = [new("attention", "a", 3), new("linear", "l", 5)];
        ComputePathCount[] after = [new("attention", "a", 3), new("linear", "l", 9), new("attention", "b", 2)];
        var diff = ComputePathReport.Difference(before, after);
        Assert.That(diff, Is.EqualTo(new[] { new ComputePathCount("attention", "b", 2), new ComputePathCount("linear", "l", 4) }));
        var report = new ComputePathReport { Requested = Precision.Auto, Precision = Precision.Bf16, Paths = diff };
        Assert.That(report.Describe(), Is.EqualTo(new[] { "precision bf16 (auto)", "attention b ×2", "linear    l ×4" }));
    }
}
