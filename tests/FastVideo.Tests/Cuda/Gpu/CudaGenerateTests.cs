using FastVideo.Loading;
using FastVideo.Models.Smoke;
using FastVideo.Tests.Cli;
using NUnit.Framework;

namespace FastVideo.Tests.Cuda.Gpu;

/// <summary>
/// The whole pipeline on the CUDA backend: <c>fastvideo generate --device cuda</c> with the smoke model against the
/// same run on the CPU backend (fp32): with <c>--precision fp32</c> decoded frames within 1e-4, with
/// <c>--precision bf16</c> (GEMM inputs bf16, flash attention) within a bf16 tolerance; the kernels it launched and
/// the paths taken are listed. On the emulated device this executes every host path of a real generation (loading,
/// copies, kernels, cuBLASLt, the allocator).
/// </summary>
[Category("Gpu")]
[NonParallelizable]
public class CudaGenerateTests
{
    [Test]
    public void GenerateOnCudaMatchesTheCpuRun()
    {
        var (frames, _, cuda) = CompareWithCpu("fp32");
        Assert.That(cuda, Does.Contain("fv_rmsnorm_f32").And.Contain("matmul calls"), "the launched kernels are listed");
        Assert.That(cuda, Does.Contain("\nprecision fp32\n").And.Contain("cuBLASLt f32 + softmax f32 ×"));
        Assert.That(cuda, Does.Contain("\nlinear    ").And.Not.Contain("bf16 in"), "fp32: 16-bit weights are widened");
        Assert.That(cuda, Does.Not.Contain("flash"));
        Assert.That(frames, Is.LessThanOrEqualTo(1e-4), "decoded frames, fp32");
    }

    /// <summary>
    /// bf16 on the device against the CPU's fp32: GEMM inputs rounded to bf16 (FP32 accumulation) and the flash
    /// attention kernel (the smoke model's heads are 64 wide), so agreement is to bf16 accuracy. Measured on the emulated device (3 steps, 5 frames,
    /// 48×32, smoke-wan-v2): frames max |Δ| 3.9e-3, latents relative L2 4.1e-3 (max |Δ| 2.3e-2).
    /// </summary>
    [Test]
    public void GenerateOnCudaInBf16MatchesTheCpuFp32RunToBf16Accuracy()
    {
        var (frames, latentsRelL2, cuda) = CompareWithCpu("bf16");
        Assert.That(cuda, Does.Contain("\nprecision bf16\n"));
        Assert.That(cuda, Does.Match(@"\nlinear    .*cuBLASLt bf16 in, f32 accumulate ×\d+"), "the transformer's bf16 weights take the tensor-core path");
        // The smoke model's heads are 64 wide (smoke-wan-v2), so self- and cross-attention take the flash kernel:
        // 2 blocks × (self + cross) × 3 steps × 2 (classifier-free guidance) launches.
        Assert.That(cuda, Does.Match(@"\n\s+24\s+fv_flash_attn_fwd_bf16_d64\n"), "flash attention for self- and cross-attention");
        Assert.That(cuda, Does.Contain("fv_layernorm_f32").And.Contain("fv_residual_gate_f32"), "the fused adaLN and gated residual");
        Assert.That(latentsRelL2, Is.GreaterThan(0), "bf16 is not the fp32 path");
        Assert.That(latentsRelL2, Is.LessThanOrEqualTo(2e-2), "latents, relative L2, bf16");
        Assert.That(frames, Is.LessThanOrEqualTo(5e-2), "decoded frames, max abs, bf16");
    }

    /// <summary>Runs the CPU (fp32) and the device at <paramref name="precision"/>; max |Δ| of the frames, relative L2 of the latents, the device run's stdout.</summary>
    private static (double Frames, double LatentsRelL2, string Stdout) CompareWithCpu(string precision)
    {
        GpuTestSupport.RequireDevice();
        var root = Directory.CreateTempSubdirectory("fv-cuda-generate-").FullName;
        try
        {
            var model = SmokeModel.EnsureCreated(Path.Combine(root, "cache"));
            string[] Args(string device, string output) =>
            [
                "generate", "--model", model, "-p", "a red fox running through snow", "--device", device, "--steps", "3",
                "--num-frames", "5", "--height", "32", "--width", "48", "--format", "safetensors", "-o", output, "--trace-kernels",
                "--precision", device == "cpu" ? "fp32" : precision,
            ];
            var cpu = CliTestSupport.Run(Args("cpu", Path.Combine(root, "cpu.safetensors")));
            Assert.That(cpu.ExitCode, Is.EqualTo(0), cpu.ToString());
            var cuda = CliTestSupport.Run(Args("cuda", Path.Combine(root, "cuda.safetensors")));
            Assert.That(cuda.ExitCode, Is.EqualTo(0), cuda.ToString());
            TestContext.Out.WriteLine(cuda.Stdout);

            double frames = 0, rel = 0;
            foreach (var name in new[] { "frames", "latents" })
            {
                using var a = SafetensorsFile.Open(Path.Combine(root, "cpu.safetensors"));
                using var b = SafetensorsFile.Open(Path.Combine(root, "cuda.safetensors"));
                using var ta = a.Load(name);
                using var tb = b.Load(name);
                Assert.That(tb.Shape, Is.EqualTo(ta.Shape), name);
                var x = ta.ToArray<float>();
                var y = tb.ToArray<float>();
                double diff = 0, num = 0, den = 0;
                for (int i = 0; i < x.Length; i++)
                {
                    double d = (double)x[i] - y[i];
                    diff = Math.Max(diff, Math.Abs(d));
                    num += d * d;
                    den += (double)x[i] * x[i];
                }
                double relL2 = Math.Sqrt(num / Math.Max(den, double.Epsilon));
                TestContext.Out.WriteLine($"{precision} {name} {string.Join('x', ta.Shape)}: max |cuda − cpu| = {diff:E2}, relative L2 = {relL2:E2}");
                if (name == "frames") frames = diff;
                else rel = relL2;
            }
            return (frames, rel, cuda.Stdout);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
