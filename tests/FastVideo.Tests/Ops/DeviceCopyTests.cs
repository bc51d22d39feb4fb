using System.Runtime.InteropServices;
using FastVideo.Tensors;
using NUnit.Framework;
using static FastVideo.Tests.Ops.OpTestUtil;

namespace FastVideo.Tests.Ops;

/// <summary>Copy from another device goes through the source allocator's CopyToHost; CPU-only ops refuse device tensors.</summary>
public unsafe class DeviceCopyTests
{
    /// <summary>Host memory that claims to be cuda:7, counting read-backs.</summary>
    private sealed class FakeDeviceAllocator : IAllocator
    {
        public int CopiesToHost;
        public Device Device => Device.Cuda(7);
        public nint Allocate(long bytes, out long capacity)
        {
            capacity = bytes;
            return (nint)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), 64);
        }
        public void Free(nint pointer, long capacity) => NativeMemory.AlignedFree((void*)pointer);
        public AllocatorStats Stats => default;
        public void ReleaseCache() { }
        public void ResetPeak() { }
        public void CopyToHost(nint source, Span<byte> destination)
        {
            CopiesToHost++;
            new ReadOnlySpan<byte>((void*)source, destination.Length).CopyTo(destination);
        }
        public void CopyFromHost(ReadOnlySpan<byte> source, nint destination) => source.CopyTo(new Span<byte>((void*)destination, source.Length));
    }

    [Test]
    public void CopyReadsBackThroughTheSourceAllocator()
    {
        var dev = new FakeDeviceAllocator();
        var v = Enumerable.Range(0, 3 * 7).Select(i => (float)i - 5.5f).ToArray();
        using var x = Tensor.FromHost<float>(dev, v, [3, 1, 7]);
        using var y = Cpu.Copy(x);
        Assert.That(y.Device, Is.EqualTo(Device.Cpu));
        Assert.That(y.ShapeSpan.ToArray(), Is.EqualTo(new[] { 3, 1, 7 }));
        Assert.That(y.ToArray<float>(), Is.EqualTo(v));
        Assert.That(dev.CopiesToHost, Is.EqualTo(1));
    }

    [Test]
    public void CpuOpsRefuseDeviceTensorsNamingTheDevice()
    {
        var dev = new FakeDeviceAllocator();
        using var x = Tensor.FromHost<float>(dev, new float[4], [4]);
        using var h = Cpu.Zeros([4]);
        var e = Assert.Throws<ArgumentException>(() => Cpu.Add(h, x).Dispose())!;
        Assert.That(e.Message, Does.Contain("Add").And.Contain("cuda:7"));
        Assert.That(Assert.Throws<ArgumentException>(() => Cpu.Permute(x, [0]).Dispose())!.Message, Does.Contain("Permute").And.Contain("cuda:7"));
        Assert.That(Assert.Throws<ArgumentException>(() => Cpu.Cast(x, DType.BF16).Dispose())!.Message, Does.Contain("Cast"));
    }
}
