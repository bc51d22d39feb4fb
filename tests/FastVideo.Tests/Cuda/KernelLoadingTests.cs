using FastVideo.Cuda;
using FastVideo.Cuda.Kernels;
using FastVideo.Interop;
using NUnit.Framework;

namespace FastVideo.Tests.Cuda;

/// <summary>Where kernel code comes from and how NVRTC is driven (no GPU needed; NVRTC runs on the CPU).</summary>
public class KernelLoadingTests
{
    [Test]
    public void NvrtcTargetsTheExactArchitectureWhenItCan()
    {
        int[] archs = [50, 60, 70, 75, 80, 86, 87, 89, 90];
        Assert.That(KernelModules.ChooseTarget(90, 12, archs), Is.EqualTo(("sm_90a", true)), "Hopper gets its arch-specific target with NVRTC ≥ 12");
        Assert.That(KernelModules.ChooseTarget(90, 11, archs), Is.EqualTo(("sm_90", true)), "NVRTC 11 has no sm_90a");
        Assert.That(KernelModules.ChooseTarget(86, 12, archs), Is.EqualTo(("sm_86", true)));
        Assert.That(KernelModules.ChooseTarget(120, 12, archs), Is.EqualTo(("compute_90", false)), "unknown newer GPU: PTX the driver compiles");
        var e = Assert.Throws<InvalidOperationException>(() => KernelModules.ChooseTarget(75, 13, [80, 90, 100]))!;
        Assert.That(e.Message, Does.Contain("sm_75"));
    }

    [Test]
    public void DynamicSharedMemoryIsRaisedOnlyPastTheDefaultAndCheckedAgainstTheOptInLimit()
    {
        const int h100 = 232_448; // cudaDevAttrMaxSharedMemoryPerBlockOptin on an H100 (227 KiB)
        int hopperD128 = KernelCatalog.FlashAttentionHopperSharedBytes(128);
        Assert.That(KernelModules.DynamicSharedMemoryToRaise(hopperD128, 40, h100, "k", "H100"), Is.EqualTo(hopperD128));
        Assert.That(KernelModules.DynamicSharedMemoryToRaise(1000, 0, h100, "k", "H100"), Is.Null, "under 48 KiB: no attribute call");
        Assert.That(KernelModules.DynamicSharedMemoryToRaise(48 * 1024, 40, h100, "k", "H100"), Is.EqualTo(48 * 1024),
            "48 KiB dynamic plus static shared memory is past the default: the limit must be raised");
        Assert.That(KernelModules.DynamicSharedMemoryToRaise(48 * 1024, 0, h100, "k", "H100"), Is.Null);
        var e = Assert.Throws<InvalidOperationException>(() => KernelModules.DynamicSharedMemoryToRaise(h100, 16, h100, "fv_x", "H100"))!;
        Assert.That(e.Message, Does.Contain("fv_x").And.Contain("232448"));
        // A part with a 64 KiB opt-in maximum cannot run the D = 128 Hopper layout.
        Assert.That(() => KernelModules.DynamicSharedMemoryToRaise(hopperD128, 40, 65_536, "k", "small"), Throws.InvalidOperationException);
    }

    [Test]
    public void NvrtcOptionsMirrorTheCmakeBuild()
    {
        var o = KernelModules.NvrtcOptions("sm_90a", "attention");
        Assert.That(o, Is.EqualTo(new[] { "--gpu-architecture=sm_90a", "-std=c++17", "--device-as-default-execution-space", "--use_fast_math" }));
        Assert.That(KernelModules.NvrtcOptions("sm_80", "norm"), Does.Not.Contain("--use_fast_math"), "norms must match the CPU to 1e-5: IEEE math");
    }

    [Test]
    public void EveryCatalogModuleShipsItsSourceAndTheHeadersAreServedByName()
    {
        var lib = new KernelLibrary();
        var modules = KernelCatalog.All.Select(e => e.Module).Distinct()
            .Where(m => m != KernelCatalog.Modules.FlashAttentionHopper || File.Exists(RepoFile("kernels/attention/flash_attn_hopper.cu")));
        foreach (var m in modules)
        {
            Assert.That(lib.HasSource(m), $"module {m} has no embedded .cu");
            Assert.That(lib.TryGetSource(m, out var src, out var origin), Is.True);
            Assert.That(src, Does.Contain("extern \"C\""), origin);
        }
        Assert.That(lib.Family(KernelCatalog.Modules.FlashAttention), Is.EqualTo("attention"));
        Assert.That(lib.Headers.Select(h => h.Name), Does.Contain("fv_common.cuh"));
        Assert.That(lib.Modules, Is.Unique);
    }

    [Test]
    public void AFatbinInTheKernelDirectoryIsTriedFirst()
    {
        var dir = Directory.CreateTempSubdirectory("fv-kernels-").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "rmsnorm.fatbin"), [1, 2, 3]);
            File.WriteAllBytes(Path.Combine(dir, "only_here.fatbin"), [4]);
            var lib = new KernelLibrary(dir);
            var first = lib.Fatbins("rmsnorm").First();
            Assert.That(first.Origin, Is.EqualTo(Path.Combine(dir, "rmsnorm.fatbin")));
            Assert.That(first.Image, Is.EqualTo(new byte[] { 1, 2, 3 }));
            Assert.That(lib.Modules, Does.Contain("only_here"));
            Assert.That(new KernelLibrary().Fatbins("only_here"), Is.Empty);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static IEnumerable<string> SourceModules() =>
        new KernelLibrary().Modules.Where(m => new KernelLibrary().HasSource(m));

    /// <summary>
    /// The run-time fallback end to end minus the GPU: each embedded source compiles with NVRTC from memory (headers
    /// served by include name, the options the loader uses) to PTX for compute_80, the oldest architecture the
    /// kernels support. The Hopper-only module needs compute_90a and NVRTC ≥ 12.
    /// </summary>
    [TestCaseSource(nameof(SourceModules))]
    public void EmbeddedSourceCompilesWithNvrtc(string module)
    {
        if (!Nvrtc.TryGetVersion(out int major, out _, out var reason)) Assert.Ignore($"no NVRTC here: {reason}");
        var lib = new KernelLibrary();
        Assert.That(lib.TryGetSource(module, out var src, out _));
        string arch = module == KernelCatalog.Modules.FlashAttentionHopper ? "compute_90a" : "compute_80";
        if (arch == "compute_90a" && major < 12) Assert.Ignore($"{module} needs NVRTC ≥ 12 (sm_90a), this machine has {major}.x");
        var output = Nvrtc.Compile(src, module + ".cu", lib.Headers, KernelModules.NvrtcOptions(arch, lib.Family(module)), cubin: false);
        var ptx = System.Text.Encoding.ASCII.GetString(output.Image);
        foreach (var entry in KernelCatalog.All.Where(e => e.Module == module))
            Assert.That(ptx, Does.Contain($".entry {entry.Name}("), $"{entry} in the PTX");
    }

    private static string RepoFile(string rel)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "FastVideo.Native.sln"))) return Path.Combine(d.FullName, rel);
        return rel;
    }
}
