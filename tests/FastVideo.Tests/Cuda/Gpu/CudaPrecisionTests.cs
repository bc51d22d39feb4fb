using FastVideo.Backends;
using FastVideo.Cli;
using FastVideo.Cuda;
using FastVideo.Entrypoints;
using NUnit.Framework;

namespace FastVideo.Tests.Cuda.Gpu;

/// <summary>
/// On the CUDA backend (the emulated device where there is no GPU): the generator's precision reaches
/// <see cref="CudaBackendOptions.MixedPrecision"/>, and the attention path actually taken is counted (flash in bf16
/// for an eligible head dim, the F32 path with a mask or in fp32).
/// </summary>
[Category("Gpu")]
[NonParallelizable]
public class CudaPrecisionTests
{
    [TestCase(Precision.Auto, true, Precision.Bf16)]
    [TestCase(Precision.Bf16, true, Precision.Bf16)]
    [TestCase(Precision.Fp32, false, Precision.Fp32)]
    public void TheGeneratorsPrecisionReachesTheBackend(Precision requested, bool mixed, Precision resolved)
    {
        GpuTestSupport.RequireDevice();
        CliDevices.RegisterWithGenerator();
        using var gen = VideoGenerator.FromPretrained(null, new GeneratorOptions { Device = "cuda", Precision = requested });
        var cuda = (CudaBackend)gen.Backend;
        Assert.That(cuda.Options.MixedPrecision, Is.EqualTo(mixed));
        Assert.That(gen.Precision, Is.EqualTo(resolved));
        Assert.That(cuda.ComputePrecision, Is.EqualTo(resolved));
    }

    [Test]
    public void TheAttentionPathTakenIsCounted()
    {
        using var b = GpuTestSupport.Backend(mixed: true);
        using var q = b.Full([1, 2, 16, 64], 0.1f);
        using var m = b.Zeros([1, 1, 16, 16]);
        b.Attention(q, q, q, null, 0.125f).Dispose();
        b.Attention(q, q, q, null, 0.125f).Dispose();
        b.Attention(q, q, q, m, 0.125f).Dispose();
        using var q32 = b.Full([1, 2, 16, 32], 0.1f);
        b.Attention(q32, q32, q32, null, 0.125f).Dispose();
        b.Synchronize();
        Assert.That(b.ComputePathCounts.Where(p => p.Op == "attention"), Is.EqualTo(new[]
        {
            new ComputePathCount("attention", "flash mma.sync bf16 d64", 2),
            new ComputePathCount("attention", "cuBLASLt f32 + mask + softmax f32", 1),
            new ComputePathCount("attention", "cuBLASLt f32 + softmax f32", 1),
        }));

        using var f = GpuTestSupport.Backend(mixed: false);
        using var qf = f.Full([1, 2, 16, 64], 0.1f);
        f.Attention(qf, qf, qf, null, 0.125f).Dispose();
        Assert.That(f.ComputePrecision, Is.EqualTo(Precision.Fp32));
        Assert.That(f.ComputePathCounts, Is.EqualTo(new[] { new ComputePathCount("attention", "cuBLASLt f32 + softmax f32", 1) }));
    }
}
