using FastVideo.Loading;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Loading;

/// <summary>
/// Loads copy and convert in chunks (so tensors above 2 GiB load); small chunk sizes exercise the boundaries
/// here, and a host-backed allocator that claims to be a GPU exercises the staged (non-CPU) conversion path.
/// </summary>
public class SafetensorsChunkedLoadTests
{
    /// <summary>Host memory that reports a CUDA device, so loaders must go through CopyFromHost.</summary>
    private sealed class PretendDeviceAllocator : IAllocator
    {
        public int CopiesIn;
        public Device Device => Device.Cuda(0);
        public nint Allocate(long bytes, out long capacity) => CpuAllocator.Shared.Allocate(bytes, out capacity);
        public void Free(nint pointer, long capacity) => CpuAllocator.Shared.Free(pointer, capacity);
        public AllocatorStats Stats => default;
        public void ReleaseCache() { }
        public void ResetPeak() { }
        public void CopyToHost(nint source, Span<byte> destination) => CpuAllocator.Shared.CopyToHost(source, destination);
        public void CopyFromHost(ReadOnlySpan<byte> source, nint destination)
        {
            CopiesIn++;
            CpuAllocator.Shared.CopyFromHost(source, destination);
        }
    }

    [TestCase(1)]
    [TestCase(10)]
    [TestCase(12)]
    [TestCase(4096)]
    public void ChunkedLoadsEqualTheWholeTensor(int chunkBytes)
    {
        using var dir = new TempDir();
        var values = Numerics.RandomNormal(1001, 5);
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = Tensor.FromHost<float>(values, 7, 11, 13),
            ["f16"] = Tensor.FromHost<Half>(values.Select(v => (Half)v).ToArray(), 1001),
            ["bf16"] = Tensor.FromHost<BFloat16>(values.Select(v => (BFloat16)v).ToArray(), 1001),
            ["i64"] = Tensor.FromHost<long>(values.Select(v => (long)(v * 1e6)).ToArray(), 1001),
        };
        try
        {
            var path = dir.File("c.safetensors");
            SafetensorsWriter.Save(path, tensors);
            using var f = SafetensorsFile.Open(path);
            foreach (var (name, t) in tensors)
            {
                using var raw = f.Load(name, null, chunkBytes);
                Assert.That(raw.AsSpan<byte>().SequenceEqual(t.AsSpan<byte>()), $"{name} bytes, chunk {chunkBytes}");
                using var whole = f.LoadF32(name);
                using var chunked = f.LoadF32(name, null, chunkBytes);
                Assert.That(chunked.ToArray<float>(), Is.EqualTo(whole.ToArray<float>()), $"{name} as F32, chunk {chunkBytes}");
                Assert.That(whole.ToArray<float>(), Is.EqualTo(t.ToFloatArray()), $"{name} as F32");

                var dev = new PretendDeviceAllocator();
                using var staged = f.LoadF32(name, dev, chunkBytes);
                Assert.That(staged.Device, Is.EqualTo(Device.Cuda(0)));
                Assert.That(staged.ToArray<float>(), Is.EqualTo(whole.ToArray<float>()), $"{name} staged through CopyFromHost");
                // F32 is copied as raw bytes; other dtypes are converted chunkBytes/4 elements at a time.
                long steps = t.DType == DType.F32
                    ? (t.Bytes + chunkBytes - 1) / chunkBytes
                    : (t.Numel + Math.Max(1, chunkBytes / 4) - 1) / Math.Max(1, chunkBytes / 4);
                Assert.That(dev.CopiesIn, Is.EqualTo(steps), "one copy per chunk");
            }
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }
}
