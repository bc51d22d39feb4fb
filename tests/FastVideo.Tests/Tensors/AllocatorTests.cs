using FastVideo.Tensors;
using NUnit.Framework;

namespace FastVideo.Tests.Tensors;

public class AllocatorTests
{
    [Test]
    public unsafe void BuffersAre64ByteAligned()
    {
        var a = new CpuAllocator();
        foreach (long n in new long[] { 1, 3, 63, 64, 65, 1000, 4097, 1 << 20 })
        {
            nint p = a.Allocate(n, out long cap);
            Assert.That((long)p % 64, Is.EqualTo(0L), $"size {n}");
            Assert.That(cap, Is.GreaterThanOrEqualTo(n));
            new Span<byte>((void*)p, (int)n).Fill(0xAB); // the whole request is writable
            a.Free(p, cap);
        }
        a.ReleaseCache();
    }

    [Test]
    public unsafe void LargeBlocksAreAdvisedHugePagesOnLinux()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("transparent huge pages are a Linux feature");
        const string thp = "/sys/kernel/mm/transparent_hugepage/enabled";
        if (!File.Exists(thp) || File.ReadAllText(thp).Contains("[never]"))
            Assert.Ignore($"transparent huge pages are off on this machine ({thp})");
        var a = new CpuAllocator();
        nint p = a.Allocate(9L << 20, out long cap);
        try
        {
            Assert.That((long)p % (2L << 20), Is.EqualTo(0L), "a block above the threshold starts on a 2 MiB boundary");
            new Span<byte>((void*)p, (int)cap).Fill(1);
            // The kernel lists each mapping with its flags; "hg" is MADV_HUGEPAGE (proc(5), VmFlags).
            var flags = MappingFlags(p);
            Assert.That(flags, Is.Not.Null, "the block's mapping is not in /proc/self/smaps");
            Assert.That(flags!.Split(' '), Does.Contain("hg"), $"VmFlags of the block's mapping: {flags}");
        }
        finally
        {
            a.Free(p, cap);
            a.ReleaseCache();
        }

        // Below the threshold, or with the threshold switched off: ordinary 64-byte-aligned blocks, not advised.
        var plain = new CpuAllocator { HugePageThreshold = long.MaxValue };
        nint q = plain.Allocate(9L << 20, out long qcap);
        new Span<byte>((void*)q, (int)qcap).Fill(1);
        Assert.That((long)q % 64, Is.EqualTo(0L));
        plain.Free(q, qcap);
        plain.ReleaseCache();
    }

    private static string? MappingFlags(nint address)
    {
        ulong at = (ulong)address;
        bool inside = false;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-');
            if (dash > 0 && dash < 17 && line.Length > dash + 1 && Uri.IsHexDigit(line[0]) && line.IndexOf(' ') > dash)
            {
                ulong lo = Convert.ToUInt64(line[..dash], 16), hi = Convert.ToUInt64(line[(dash + 1)..line.IndexOf(' ')], 16);
                inside = lo <= at && at < hi;
            }
            else if (inside && line.StartsWith("VmFlags:", StringComparison.Ordinal))
            {
                return line["VmFlags:".Length..].Trim();
            }
        }
        return null;
    }

    [Test]
    public void SizeClassesWasteAtMostAQuarter()
    {
        for (long n = 257; n < 10_000_000; n = n * 3 / 2 + 7)
        {
            long c = CpuAllocator.SizeClass(n);
            Assert.That(c, Is.GreaterThanOrEqualTo(n));
            Assert.That((double)c / n, Is.LessThanOrEqualTo(1.25 + 1e-9), $"size {n} -> class {c}");
        }
    }

    [Test]
    public void StatsTrackCurrentPeakAndCached()
    {
        var a = new CpuAllocator();
        var t1 = Tensor.Empty(a, [1000], DType.F32);
        var t2 = Tensor.Empty(a, [3000], DType.F32);
        long both = a.Stats.CurrentBytes;
        Assert.That(both, Is.GreaterThanOrEqualTo(16000));
        t2.Dispose();
        var s = a.Stats;
        Assert.That(s.CurrentBytes, Is.LessThan(both));
        Assert.That(s.PeakBytes, Is.EqualTo(both));
        Assert.That(s.CachedBytes, Is.GreaterThanOrEqualTo(12000));
        // Same size class comes back from the cache.
        var t3 = Tensor.Empty(a, [3000], DType.F32);
        Assert.That(a.Stats.CacheHits, Is.EqualTo(1));
        t1.Dispose();
        t3.Dispose();
        Assert.That(a.Stats.CurrentBytes, Is.EqualTo(0));
        a.ReleaseCache();
        Assert.That(a.Stats.CachedBytes, Is.EqualTo(0));
        a.ResetPeak();
        Assert.That(a.Stats.PeakBytes, Is.EqualTo(0));
    }

    [Test]
    public void AbsurdRequestRaisesOutOfMemoryWithSizes()
    {
        var a = new CpuAllocator();
        var e = Assert.Throws<OutOfDeviceMemoryException>(() => a.Allocate(1L << 60, out _))!;
        Assert.That(e.Message, Does.Contain("cannot allocate"));
        Assert.That(a.Stats.CurrentBytes, Is.EqualTo(0));
    }

    [Test]
    public void ScopeDisposesIntermediatesButKeepsTheResult()
    {
        var a = new CpuAllocator();
        Tensor kept;
        using (var scope = TensorScope.Begin())
        {
            var x = Tensor.Empty(a, [10], DType.F32);
            var y = Tensor.Empty(a, [20], DType.F32);
            kept = scope.Keep(Tensor.Empty(a, [30], DType.F32));
            Assert.That(scope.Count, Is.EqualTo(2));
            _ = x; _ = y;
        }
        Assert.That(kept.IsDisposed, Is.False);
        Assert.That(a.Stats.CurrentBytes, Is.EqualTo(CpuAllocator.SizeClass(120)));
        kept.Dispose();
        Assert.That(a.Stats.CurrentBytes, Is.EqualTo(0));
    }

    [Test]
    public void NestedScopesMoveKeptTensorsOutward()
    {
        var a = new CpuAllocator();
        using (var outer = TensorScope.Begin())
        {
            using (var inner = TensorScope.Begin())
            {
                inner.Keep(Tensor.Empty(a, [5], DType.F32));
            }
            Assert.That(outer.Count, Is.EqualTo(1));
            Assert.That(a.Stats.CurrentBytes, Is.GreaterThan(0));
        }
        Assert.That(a.Stats.CurrentBytes, Is.EqualTo(0));
    }

    [Test]
    public void LeakedStorageIsReportedAndFreedByTheFinalizer()
    {
        var a = new CpuAllocator();
        long before = Storage.LeakCount;
        Leak(a);
        for (int i = 0; i < 10 && Storage.LeakCount == before; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.That(Storage.LeakCount, Is.GreaterThan(before));
        Assert.That(a.Stats.CurrentBytes, Is.EqualTo(0));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void Leak(CpuAllocator a) => _ = Tensor.Empty(a, [100], DType.F32);
}
