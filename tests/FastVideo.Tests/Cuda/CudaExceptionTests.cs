using FastVideo.Interop;
using NUnit.Framework;

namespace FastVideo.Tests.Cuda;

/// <summary>Every failed CUDA call names the call and the library's error name (no GPU needed).</summary>
public class CudaExceptionTests
{
    [Test]
    public void DriverErrorsCarryTheCallTheNameAndTheDescription()
    {
        var e = CudaException.Driver("cuMemAlloc", 2, "1,073,741,824 bytes on cuda:0");
        Assert.That(e.Message, Is.EqualTo("cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory): 1,073,741,824 bytes on cuda:0"));
        Assert.That(e.Call, Is.EqualTo("cuMemAlloc"));
        Assert.That(e.ErrorName, Is.EqualTo("CUDA_ERROR_OUT_OF_MEMORY"));
        Assert.That(e.Code, Is.EqualTo(2));
        Assert.That(e.Library, Is.EqualTo(CudaLibrary.Driver));
    }

    [Test]
    public void WellKnownDriverCodesAreNamedEvenWithoutTheDriver()
    {
        Assert.That(CudaErrors.KnownDriverName(100), Is.EqualTo("CUDA_ERROR_NO_DEVICE"));
        Assert.That(CudaErrors.KnownDriverName(209), Is.EqualTo("CUDA_ERROR_NO_BINARY_FOR_GPU"));
        Assert.That(CudaErrors.KnownDriverName(700), Is.EqualTo("CUDA_ERROR_ILLEGAL_ADDRESS"));
        Assert.That(CudaErrors.KnownDriverName(12345), Is.EqualTo("CUDA_ERROR_12345"));
        // With or without the driver the name is the CUresult's symbol.
        Assert.That(CudaErrors.DriverName(719), Is.EqualTo("CUDA_ERROR_LAUNCH_FAILED"));
        Assert.That(CudaException.Driver("cuLaunchKernel", 12345).Message, Does.StartWith("cuLaunchKernel failed: CUDA_ERROR_12345"));
    }

    [Test]
    public void NvrtcAndCublasErrorsAreNamed()
    {
        var n = CudaException.Nvrtc("nvrtcCompileProgram", 6, "rmsnorm.cu\nerror: identifier \"x\" is undefined");
        Assert.That(n.Message, Does.StartWith("nvrtcCompileProgram failed: NVRTC_ERROR_COMPILATION: rmsnorm.cu"));
        Assert.That(n.Library, Is.EqualTo(CudaLibrary.Nvrtc));
        var c = CudaException.Cublas("cublasLtMatmul", 15, "row-major 3×5 · 5×7");
        Assert.That(c.Message, Is.EqualTo("cublasLtMatmul failed: CUBLAS_STATUS_NOT_SUPPORTED (the requested functionality is not supported): row-major 3×5 · 5×7"));
        Assert.That(CudaErrors.NvrtcName(99), Is.EqualTo("NVRTC_ERROR_99"));
        Assert.That(CudaErrors.CublasName(99), Is.EqualTo("CUBLAS_STATUS_99"));
    }

    [Test]
    public void NvrtcCompileErrorsEndWithTheCompilerLog()
    {
        if (!Nvrtc.TryGetVersion(out _, out _, out var reason)) Assert.Ignore($"no NVRTC here: {reason}");
        var e = Assert.Throws<CudaException>(() =>
            Nvrtc.Compile("extern \"C\" __global__ void k(float* p) { p[0] = undefined_name; }", "broken.cu", [], ["--gpu-architecture=compute_80"], cubin: false))!;
        Assert.That(e.ErrorName, Is.EqualTo("NVRTC_ERROR_COMPILATION"));
        Assert.That(e.Message, Does.Contain("broken.cu").And.Contain("undefined_name"));
    }
}
