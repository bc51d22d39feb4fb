using FastVideo.Loading;
using FastVideo.Models.Smoke;
using FastVideo.Tests.Cli;
using NUnit.Framework;

namespace FastVideo.Tests.Cuda.Gpu;

/// <summary>
/// The whole pipeline on the CUDA backend: <c>fastvideo generate --device cuda</c> with the smoke model (fp32) against
/// the same run on the CPU backend, decoded frames within 1e-4, and the kernels it launched listed. On the emulated
/// device this executes every host path of a real generation (loading, copies, kernels, cuBLASLt, the allocator).
/// </summary>
[Category("Gpu")]
[NonParallelizable]
public class CudaGenerateTests
{
    [Test]
    public void GenerateOnCudaMatchesTheCpuRun()
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
            ];
            var cpu = CliTestSupport.Run(Args("cpu", Path.Combine(root, "cpu.safetensors")));
            Assert.That(cpu.ExitCode, Is.EqualTo(0), cpu.ToString());
            var cuda = CliTestSupport.Run(Args("cuda", Path.Combine(root, "cuda.safetensors")));
            Assert.That(cuda.ExitCode, Is.EqualTo(0), cuda.ToString());
            Assert.That(cuda.Stdout, Does.Contain("fv_rmsnorm_f32").And.Contain("matmul calls"), "the launched kernels are listed");

            double worst = 0;
            foreach (var name in new[] { "frames", "latents" })
            {
                using var a = SafetensorsFile.Open(Path.Combine(root, "cpu.safetensors"));
                using var b = SafetensorsFile.Open(Path.Combine(root, "cuda.safetensors"));
                using var ta = a.Load(name);
                using var tb = b.Load(name);
                Assert.That(tb.Shape, Is.EqualTo(ta.Shape), name);
                var x = ta.ToArray<float>();
                var y = tb.ToArray<float>();
                double diff = 0;
                for (int i = 0; i < x.Length; i++) diff = Math.Max(diff, Math.Abs((double)x[i] - y[i]));
                TestContext.Out.WriteLine($"{name} {string.Join('x', ta.Shape)}: max |cuda − cpu| = {diff:E2}");
                if (name == "frames") worst = diff;
            }
            Assert.That(worst, Is.LessThanOrEqualTo(1e-4), "decoded frames, fp32");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
