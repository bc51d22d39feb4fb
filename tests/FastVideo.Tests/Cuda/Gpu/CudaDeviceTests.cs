using FastVideo.Backends;
using FastVideo.Cuda;
using FastVideo.Cuda.Kernels;
using FastVideo.Interop;
using FastVideo.Tensors;
using NUnit.Framework;

namespace FastVideo.Tests.Cuda.Gpu;

/// <summary>The device layer (a GPU, or the CPU emulator): allocator, copies, events, errors, module loading, GEMM plans.</summary>
[Category("Gpu")]
[NonParallelizable]
public class CudaDeviceTests
{
    [Test]
    public void DeviceInfoIsPlausible()
    {
        var d = GpuTestSupport.RequireDevice();
        Assert.That(d.Info.Name, Is.Not.Empty);
        Assert.That(d.Info.Major, Is.GreaterThanOrEqualTo(5));
        Assert.That(d.Info.TotalMemoryBytes, Is.GreaterThan(1L << 30));
        var (free, total) = d.MemoryInfo();
        Assert.That(free, Is.GreaterThan(0).And.LessThanOrEqualTo(total));
        Assert.That(CudaDriver.DriverVersion, Is.GreaterThanOrEqualTo(11000));
    }

    [Test]
    public void HostDeviceRoundTripsAreExactForEveryDtype()
    {
        using var b = GpuTestSupport.Backend();
        var rng = new Random(3);
        var f = Enumerable.Range(0, 1001).Select(_ => (float)rng.NextDouble() * 10 - 5).ToArray();
        using var h = Tensor.FromHost<float>(f, 7, 11, 13);
        using var d = b.Copy(h);
        Assert.That(d.Device, Is.EqualTo(Device.Cuda(0)));
        Assert.That(d.ToArray<float>(), Is.EqualTo(f));
        var l = Enumerable.Range(0, 37).Select(i => (long)i * 1_000_000_007L).ToArray();
        using var hl = Tensor.FromHost<long>(l, 37);
        using var dl = b.Copy(hl);
        using var dl2 = b.Copy(dl);
        Assert.That(dl2.ToArray<long>(), Is.EqualTo(l));
    }

    [Test]
    public void CachedBuffersAreReusedAndStatsAddUp()
    {
        using var b = GpuTestSupport.Backend();
        var a = b.CudaAllocator;
        var before = a.Stats;
        var t = b.Empty([1000, 1000]);
        long cls = CudaCachingAllocator.SizeClass(4_000_000);
        Assert.That(a.Stats.CurrentBytes - before.CurrentBytes, Is.EqualTo(cls));
        t.Dispose();
        Assert.That(a.Stats.CachedBytes, Is.GreaterThanOrEqualTo(cls));
        using var t2 = b.Empty([999, 1001]); // same size class
        Assert.That(a.Stats.CacheHits, Is.GreaterThan(before.CacheHits));
        Assert.That(a.Stats.PeakBytes, Is.GreaterThanOrEqualTo(a.Stats.CurrentBytes));
        a.ReleaseCache();
        Assert.That(a.Stats.CachedBytes, Is.Zero);
    }

    [Test]
    public void OutOfMemoryNamesTheRequestTheFreeMemoryAndThePeak()
    {
        using var b = GpuTestSupport.Backend();
        long huge = 1L << 50; // 1 PiB
        var e = Assert.Throws<OutOfDeviceMemoryException>(() => b.CudaAllocator.Allocate(huge, out _))!;
        Assert.That(e.Message, Does.Contain(huge.ToString("N0")).And.Contain("free").And.Contain("peak"));
    }

    [Test]
    public void PoisonedBuffersReadAsNaN()
    {
        using var b = GpuTestSupport.Backend();
        b.CudaAllocator.PoisonAllocations = true;
        using var t = b.Empty([5, 7]);
        Assert.That(t.ToArray<float>().All(float.IsNaN));
        using var h = b.Empty([3], DType.BF16);
        Assert.That(h.ToFloatArray().All(float.IsNaN));
    }

    [Test]
    public void EventsTimeQueuedWork()
    {
        using var b = GpuTestSupport.Backend();
        using var start = b.CudaDevice.CreateEvent();
        using var end = b.CudaDevice.CreateEvent();
        using var x = b.Full([1 << 22], 1f); // 16 MiB: microseconds on a GPU, and small enough for the emulator
        start.Record(b.CudaDevice.Stream);
        using var y = b.Copy(x);
        end.Record(b.CudaDevice.Stream);
        float ms = CudaEvent.ElapsedMilliseconds(start, end);
        Assert.That(ms, Is.GreaterThan(0).And.LessThan(1000));
    }

    [Test]
    public void AFaultingCallNamesTheCallAndTheError()
    {
        var d = GpuTestSupport.RequireDevice();
        d.MakeCurrent();
        var e = Assert.Throws<CudaException>(() => CudaDriver.CopyDeviceToDevice(1, 1, 16, d.Stream))!;
        Assert.That(e.Call, Is.EqualTo("cuMemcpyDtoDAsync"));
        Assert.That(e.ErrorName, Does.StartWith("CUDA_ERROR_"));
    }

    [Test]
    public void EveryCatalogModuleLoadsAndReportsWhereItCameFrom()
    {
        using var b = GpuTestSupport.Backend();
        foreach (var m in KernelCatalog.All.Select(e => e.Module).Distinct().Where(b.HasModule))
        {
            var o = b.Modules.Load(m);
            TestContext.Out.WriteLine($"{m}: {o.Origin}{(o.Skipped.Count > 0 ? $" (skipped {string.Join("; ", o.Skipped)})" : "")}");
            Assert.That(o.Origin, Is.Not.Empty);
        }
        foreach (var e in KernelCatalog.All.Where(e => b.HasModule(e.Module)))
            Assert.DoesNotThrow(() => b.Modules.Function(e.Module, e.Name), e.ToString());
    }

    [Test]
    public void GemmPlansAreCachedPerShape()
    {
        using var b = GpuTestSupport.Backend();
        using var x = b.Full([3, 5], 1f);
        using var w = b.Full([5, 7], 2f);
        using (var y = b.MatMul(x, w)) Assert.That(y.ToArray<float>(), Is.All.EqualTo(10f));
        int plans = b.Gemm.PlanCount;
        using (var y = b.MatMul(x, w)) { }
        Assert.That(b.Gemm.PlanCount, Is.EqualTo(plans), "same shape: no new heuristic query");
        using var x2 = b.Full([4, 5], 1f);
        using (var y = b.MatMul(x2, w)) { }
        Assert.That(b.Gemm.PlanCount, Is.EqualTo(plans + 1));
    }

    [Test]
    public void EveryOpIsSupportedForF32WhenAllModulesArePresent()
    {
        using var b = GpuTestSupport.Backend();
        foreach (var op in Enum.GetValues<Op>())
            if (CudaBackend.RequiredModules(op, DType.F32).All(b.HasModule))
                Assert.That(b.Supports(op, DType.F32), $"{op}");
        Assert.That(b.Supports(Op.Cast, DType.I64), Is.EqualTo(b.HasModule(KernelCatalog.Modules.Convert)), "integer casts run fv_cast_any");
    }

    [Test]
    public void MixedPrecisionAttentionTakesTheFlashKernel()
    {
        using var exact = GpuTestSupport.Backend();
        using var mixed = GpuTestSupport.Backend(mixed: true);
        Assert.That(exact.UseFlash(null, 128, 128, 1, 12, 0.088f), Is.False);
        if (!mixed.HasModule(KernelCatalog.Modules.FlashAttention)) Assert.Ignore("no flash attention module");
        Assert.That(mixed.UseFlash(null, 128, 128, 1, 12, 0.088f));
        Assert.That(mixed.UseFlash(null, 80, 80, 1, 12, 0.088f), Is.False, "head dim without a kernel instance");
        Assert.That(mixed.UseFlash(null, 128, 128, 1, 12, -0.088f), Is.False, "negative scale: the kernel's max of raw scores would be wrong");
        Assert.That(mixed.UseFlash(null, 128, 128, 1, 12, 0f), Is.False, "zero scale: −inf·0 would be NaN in the kernel");
    }

    [Test]
    public void InputsMustBeOnTheDevice()
    {
        using var b = GpuTestSupport.Backend();
        using var h = Tensor.FromHost<float>(new float[6], 2, 3);
        var e = Assert.Throws<ArgumentException>(() => b.Add(h, h))!;
        Assert.That(e.Message, Does.Contain("Add: a [2, 3] is on cpu"));
    }

    [Test]
    public void TheEmulatorIsLoadedOnlyFromItsFolderAndNamedAsSuch()
    {
        var d = GpuTestSupport.RequireDevice();
        if (CudaLibraries.EmulatorFolder is not { } folder)
        {
            Assert.That(d.IsEmulated, Is.EqualTo(CudaDeviceInfo.NameSaysEmulator(d.Info.Name)));
            Assert.Ignore("FASTVIDEO_CUDA_EMULATOR is not set: the system's driver");
            return;
        }
        Assert.That(d.IsEmulated);
        Assert.That(CudaLibraries.LoadedFrom(CudaLibrary.Driver), Does.StartWith(folder + Path.DirectorySeparatorChar));
        using (var b = GpuTestSupport.Backend())
        using (var x = b.Full([3, 5], 1f))
        using (var w = b.Full([5, 7], 2f))
        using (var y = b.MatMul(x, w))
            Assert.That(y.ToArray<float>(), Is.All.EqualTo(10f));
        Assert.That(CudaLibraries.LoadedFrom(CudaLibrary.CublasLt), Does.StartWith(folder + Path.DirectorySeparatorChar), "cuBLASLt from the folder too");
        Assert.That(d.ToString(), Does.EndWith("emulated device, not a GPU"));
        Assert.That(FastVideo.Diagnostics.SystemInfo.ProbeCuda().Detail, Does.Contain("emulated device, not a GPU").And.Contain($"FASTVIDEO_CUDA_EMULATOR={folder}"));
    }

    [Test]
    public void OnTheEmulatorBenchRefusesAndSelftestSaysWhatItRunsOn()
    {
        var d = GpuTestSupport.RequireDevice();
        if (!d.IsEmulated) Assert.Ignore("a real GPU: bench prints its figures");
        var bench = FastVideo.Tests.Cli.CliTestSupport.Run("bench", "kernels", "--filter", "rmsnorm");
        FastVideo.Tests.Cli.CliTestSupport.AssertError(bench, FastVideo.Cli.CudaCliOptions.ExitNoDevice, "bench: the CUDA device is the CPU emulator; timings would mean nothing");
        Assert.That(bench.Stdout, Is.Empty, "no figures");
        var selftest = FastVideo.Tests.Cli.CliTestSupport.Run("selftest", "--quick", "--filter", "RmsNorm[5x33 f32]", "--seed", "7");
        Assert.That(selftest.ExitCode, Is.Zero, selftest.ToString());
        Assert.That(selftest.Stdout, Does.StartWith($"selftest: cuda:0 {d.Info.Name}").And.Contain("emulated device, not a GPU").And.Contain("quick"));
        Assert.That(selftest.Stdout, Does.Contain("1 passed, 0 failed"));
    }
}
