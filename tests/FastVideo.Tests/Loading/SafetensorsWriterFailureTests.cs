using FastVideo.Loading;
using FastVideo.Tensors;
using NUnit.Framework;

namespace FastVideo.Tests.Loading;

/// <summary>The writer never leaves a partial file behind and never damages an existing one.</summary>
public class SafetensorsWriterFailureTests
{
    /// <summary>Host memory through the shared CPU allocator, with a hook that runs before each copy out.</summary>
    private sealed class HookedAllocator(Action<int> beforeCopyToHost) : IAllocator
    {
        private int _copies;
        public Device Device => Device.Cpu;
        public nint Allocate(long bytes, out long capacity) => CpuAllocator.Shared.Allocate(bytes, out capacity);
        public void Free(nint pointer, long capacity) => CpuAllocator.Shared.Free(pointer, capacity);
        public AllocatorStats Stats => default;
        public void ReleaseCache() { }
        public void ResetPeak() { }
        public void CopyToHost(nint source, Span<byte> destination)
        {
            beforeCopyToHost(_copies++);
            CpuAllocator.Shared.CopyToHost(source, destination);
        }
        public void CopyFromHost(ReadOnlySpan<byte> source, nint destination) => CpuAllocator.Shared.CopyFromHost(source, destination);
    }

    private static void AssertOnlyFiles(TempDir dir, params string[] names) =>
        Assert.That(Directory.GetFiles(dir.Path).Select(Path.GetFileName), Is.EquivalentTo(names), "no temporary or partial file left");

    [Test]
    public void TensorDisposedMidWayLeavesNoPartialFile()
    {
        using var dir = new TempDir();
        var path = dir.File("out.safetensors");
        // "b" is written after "a" (same dtype, name order); copying "a" disposes "b", as another thread might.
        Tensor? b = null;
        var alloc = new HookedAllocator(_ => b!.Dispose());
        using var a = Tensor.FromHost<float>(alloc, new float[] { 1, 2, 3 }, [3]);
        b = Tensor.FromHost<float>(new float[] { 4, 5 }, 2);
        Assert.Throws<ObjectDisposedException>(() => SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b }));
        AssertOnlyFiles(dir);
    }

    [Test]
    public void FailureDuringCopyKeepsTheExistingFileIntact()
    {
        using var dir = new TempDir();
        var path = dir.File("out.safetensors");
        using (var old = Tensor.FromHost<float>(new float[] { 42 }, 1))
            SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { ["old"] = old });
        var before = File.ReadAllBytes(path);

        var alloc = new HookedAllocator(_ => throw new IOException("device lost"));
        using var t = Tensor.FromHost<float>(alloc, new float[] { 1, 2 }, [2]);
        var ex = Assert.Throws<IOException>(() => SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { ["t"] = t }))!;
        Assert.That(ex.Message, Is.EqualTo("device lost"));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before), "old file untouched");
        AssertOnlyFiles(dir, "out.safetensors");
    }

    [Test]
    public void InvalidInputsAreRejectedBeforeAnyFileIsCreated()
    {
        using var dir = new TempDir();
        var path = dir.File("out.safetensors");
        using var ok = Tensor.FromHost<float>(new float[] { 1 }, 1);
        var disposed = Tensor.FromHost<float>(new float[] { 1 }, 1);
        disposed.Dispose();

        var e1 = Assert.Throws<ArgumentException>(() => SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { ["ok"] = ok, ["gone"] = disposed }))!;
        Assert.That(e1.Message, Does.Contain("'gone'").And.Contain("disposed"));
        var e2 = Assert.Throws<ArgumentException>(() => SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { ["__metadata__"] = ok }))!;
        Assert.That(e2.Message, Does.Contain("reserved"));
        var e3 = Assert.Throws<ArgumentException>(() => SafetensorsWriter.Save(path, new[] { KeyValuePair.Create("x", ok), KeyValuePair.Create("x", ok) }))!;
        Assert.That(e3.Message, Does.Contain("duplicate tensor name 'x'"));
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { [""] = ok }));
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { ["ok"] = ok }, new Dictionary<string, string> { ["k"] = null! }));
        AssertOnlyFiles(dir);
    }

    [Test]
    public void OverwritesAnExistingFileAtomically()
    {
        using var dir = new TempDir();
        var path = dir.File("out.safetensors");
        using var a = Tensor.FromHost<float>(new float[] { 1 }, 1);
        using var b = Tensor.FromHost<int>(new[] { 7, 8 }, 2);
        SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { ["a"] = a });
        // A reader holding the old file keeps seeing the old contents: the new file is a different inode.
        using var oldReader = SafetensorsFile.Open(path);
        SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { ["b"] = b });
        using var f = SafetensorsFile.Open(path);
        Assert.That(f.Read<int>("b"), Is.EqualTo(new[] { 7, 8 }));
        Assert.That(oldReader.Read<float>("a"), Is.EqualTo(new float[] { 1 }));
        AssertOnlyFiles(dir, "out.safetensors");
    }
}
