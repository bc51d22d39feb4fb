using FastVideo.Interop;
using NUnit.Framework;

namespace FastVideo.Tests.Cuda;

/// <summary>Soname resolution across CUDA 11, 12 and 13 (no GPU needed).</summary>
public class CudaLibrariesTests
{
    [Test]
    public void NewestSonameComesFirst()
    {
        Assert.That(CudaLibraries.Candidates(CudaLibrary.Nvrtc, windows: false),
            Is.EqualTo(new[] { "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so.11.1", "libnvrtc.so.11.0", "libnvrtc.so" }));
        Assert.That(CudaLibraries.Candidates(CudaLibrary.CublasLt, windows: false),
            Is.EqualTo(new[] { "libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so.11", "libcublasLt.so" }));
        Assert.That(CudaLibraries.Candidates(CudaLibrary.Driver, windows: false), Is.EqualTo(new[] { "libcuda.so.1", "libcuda.so" }));
        Assert.That(CudaLibraries.Candidates(CudaLibrary.Nvrtc, windows: true)[0], Is.EqualTo("nvrtc64_130_0.dll"));
        Assert.That(CudaLibraries.Candidates(CudaLibrary.CublasLt, windows: true)[0], Is.EqualTo("cublasLt64_13.dll"));
    }

    [Test]
    public void EachSonameIsTriedOnTheLoaderPathThenInTheToolkitFoldersBeforeTheNextOlderOne()
    {
        var order = CudaLibraries.ProbeOrder(CudaLibrary.CublasLt, ["libcublasLt.so.13", "libcublasLt.so.12"], ["/opt/a", "/opt/b"]);
        Assert.That(order, Is.EqualTo(new[]
        {
            "libcublasLt.so.13", "/opt/a/libcublasLt.so.13", "/opt/b/libcublasLt.so.13",
            "libcublasLt.so.12", "/opt/a/libcublasLt.so.12", "/opt/b/libcublasLt.so.12",
        }));
    }

    [Test]
    public void TheDriverIsOnlyTakenFromTheLoaderPath()
    {
        var order = CudaLibraries.ProbeOrder(CudaLibrary.Driver, ["libcuda.so.1"], ["/usr/local/cuda/lib64"]);
        Assert.That(order, Is.EqualTo(new[] { "libcuda.so.1" }));
    }

    [Test]
    public void ResolveTakesTheFirstCandidateThatLoads()
    {
        var tried = new List<string>();
        var order = CudaLibraries.ProbeOrder(CudaLibrary.Nvrtc, CudaLibraries.Candidates(CudaLibrary.Nvrtc, false), ["/cuda/lib64"]);
        // A machine with only CUDA 12 in a toolkit folder outside the loader path, and CUDA 11.2 on it.
        string? got = CudaLibraries.Resolve(order, p =>
        {
            tried.Add(p);
            return p is "/cuda/lib64/libnvrtc.so.12" or "libnvrtc.so.11.2";
        });
        Assert.That(got, Is.EqualTo("/cuda/lib64/libnvrtc.so.12"));
        Assert.That(tried, Is.EqualTo(new[] { "libnvrtc.so.13", "/cuda/lib64/libnvrtc.so.13", "libnvrtc.so.12", "/cuda/lib64/libnvrtc.so.12" }));
        Assert.That(CudaLibraries.Resolve(order, _ => false), Is.Null);
    }

    [Test]
    public void SearchDirectoriesHonourTheOverrideAndTheToolkitVariablesInOrder()
    {
        var env = new Dictionary<string, string?> { ["FASTVIDEO_CUDA_LIB_DIR"] = "/x/lib", ["CUDA_HOME"] = "/opt/cuda-13.0", ["CUDA_PATH"] = null };
        var dirs = CudaLibraries.SearchDirectories(k => env.GetValueOrDefault(k)).ToList();
        Assert.That(dirs[0], Is.EqualTo("/x/lib"));
        Assert.That(dirs.IndexOf("/opt/cuda-13.0/lib64"), Is.LessThan(dirs.IndexOf("/usr/local/cuda/lib64")));
        Assert.That(dirs.Distinct().Count(), Is.EqualTo(dirs.Count), "no folder twice");
    }

    [Test]
    public void NvrtcLoadsUnderTheNewestSonameThisMachineHas()
    {
        if (!Nvrtc.TryGetVersion(out int major, out _, out var reason)) Assert.Ignore($"no NVRTC here: {reason}");
        string? from = CudaLibraries.LoadedFrom(CudaLibrary.Nvrtc);
        Assert.That(from, Is.Not.Null);
        string expected = major >= 13 ? "libnvrtc.so.13" : major == 12 ? "libnvrtc.so.12" : "libnvrtc.so.11";
        Assert.That(Path.GetFileName(from!), Does.StartWith(expected));
    }
}
