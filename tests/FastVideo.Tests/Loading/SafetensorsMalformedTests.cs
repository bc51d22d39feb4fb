using System.Buffers.Binary;
using System.Text;
using FastVideo.Loading;
using FastVideo.Tensors;
using NUnit.Framework;

namespace FastVideo.Tests.Loading;

/// <summary>
/// Malformed files: each must raise <see cref="SafetensorsException"/> naming the file (and the tensor where
/// one is at fault), quickly and without allocating what a corrupt length claims.
/// </summary>
public class SafetensorsMalformedTests
{
    private const string Ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    public sealed record Case(string Name, byte[] Bytes, string? Tensor, string Expect)
    {
        public override string ToString() => Name;
    }

    private static byte[] H(string header, int data) => SafetensorsBytes.Build(header, data);

    private static byte[] Valid()
    {
        using var dir = new TempDir();
        var path = dir.File("v.safetensors");
        using var a = Tensor.FromHost<float>(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        using var b = Tensor.FromHost<Half>(new Half[5], 5);
        SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b });
        return File.ReadAllBytes(path);
    }

    private static byte[] WithLength(ulong n)
    {
        var v = Valid();
        BinaryPrimitives.WriteUInt64LittleEndian(v, n);
        return v;
    }

    public static IEnumerable<Case> Cases()
    {
        var valid = Valid();
        yield return new("file shorter than 8 bytes", new byte[] { 1, 2, 3, 4, 5 }, null, "too short");
        yield return new("empty file", Array.Empty<byte>(), null, "too short");
        yield return new("truncated data", valid[..^3], "b", "truncated");
        yield return new("truncated mid-header", valid[..20], null, "runs past the end");
        yield return new("header length beyond the file", WithLength((ulong)valid.Length), null, "runs past the end");
        yield return new("absurd header length 2^62", WithLength(1UL << 62), null, "exceeds");
        yield return new("header length 2^64-1", WithLength(ulong.MaxValue), null, "exceeds");
        yield return new("header length 0", WithLength(0), null, "empty");
        yield return new("bad JSON", H("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]", 8), null, "not valid JSON");
        yield return new("trailing garbage after JSON", H(Ok + "xx", 8), null, "not valid JSON");
        yield return new("header not an object", H("[1, 2, 3]", 0), null, "start with '{'");
        yield return new("leading spaces before the object", H("  " + Ok, 8), null, "start with '{'");
        yield return new("non-UTF-8 header", SafetensorsBytes.Build(
            [.. Encoding.ASCII.GetBytes("{\"a"), 0xFF, .. Encoding.ASCII.GetBytes("\":{}}")], []), null, "not valid UTF-8");
        yield return new("entry not an object", H("{\"a\":[1,2]}", 0), "a", "not an object");
        yield return new("missing dtype", H("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "a", "dtype");
        yield return new("unknown dtype", H("{\"a\":{\"dtype\":\"F99\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "a", "unsupported dtype 'F99'");
        yield return new("unsupported dtype F64", H("{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8), "a", "unsupported dtype 'F64'");
        yield return new("negative shape", H("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8), "a", "shape entry 0");
        yield return new("non-integer shape", H("{\"a\":{\"dtype\":\"F32\",\"shape\":[2, 1.5],\"data_offsets\":[0,8]}}", 8), "a", "shape entry 1");
        yield return new("string shape", H("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8), "a", "shape entry 0");
        yield return new("shape not an array", H("{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8), "a", "shape");
        yield return new("shape above 2^31", H("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296],\"data_offsets\":[0,8]}}", 8), "a", "shape entry 0");
        yield return new("shape overflowing 2^63", H("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}}", 8), "a", "more than 2^63");
        yield return new("shape/size mismatch", H("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), "a", "needs 12 bytes but data_offsets span 8");
        yield return new("offsets out of range", H("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8), "a", "run past the data section");
        yield return new("offsets huge", H("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[9223372036854775000,9223372036854775008]}}", 8), "a", "run past the data section");
        yield return new("offsets reversed", H("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8), "a", "end before begin");
        yield return new("negative offset", H("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8), "a", "not a non-negative integer");
        yield return new("offsets not a pair", H("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8), "a", "data_offsets");
        yield return new("overlapping ranges", H("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "b", "overlaps tensor 'a'");
        yield return new("same range twice", H("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "b", "overlaps tensor 'a'");
        yield return new("hole between tensors", H("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12), "b", "hole");
        yield return new("unindexed trailing bytes", H(Ok, 12), null, "trailing bytes");
        yield return new("duplicate tensor names", H("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "a", "appears twice");
        yield return new("duplicate field in an entry", H("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "a", "'dtype' appears twice");
        yield return new("duplicate __metadata__", H("{\"__metadata__\":{},\"__metadata__\":{}}", 0), null, "__metadata__ appears twice");
        yield return new("non-string metadata value", H("{\"__metadata__\":{\"k\":1}}", 0), null, "not a string");
        yield return new("metadata not an object", H("{\"__metadata__\":[\"k\"]}", 0), null, "__metadata__ must be an object");
        yield return new("deeply nested JSON", H("{\"a\":" + new string('[', 100) + new string(']', 100) + "}", 0), null, "not valid JSON");
    }

    [TestCaseSource(nameof(Cases))]
    public void RaisesSafetensorsExceptionNamingFileAndTensor(Case c)
    {
        using var dir = new TempDir();
        var path = dir.File("bad.safetensors");
        File.WriteAllBytes(path, c.Bytes);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<SafetensorsException>(() => SafetensorsFile.Open(path).Dispose())!;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(ex.FilePath, Is.EqualTo(path));
        Assert.That(ex.Message, Does.StartWith(path), "message names the file");
        Assert.That(ex.Message, Does.Contain(c.Expect));
        Assert.That(ex.TensorName, Is.EqualTo(c.Tensor));
        if (c.Tensor != null) Assert.That(ex.Message, Does.Contain($"tensor '{c.Tensor}'"));
        Assert.That(allocated, Is.LessThan(16 << 20), "a malformed file must not make the reader allocate what it claims");
    }

    /// <summary>The file can be deleted after a failed open: no handle leaked.</summary>
    [Test]
    public void FailedOpenReleasesTheFile()
    {
        using var dir = new TempDir();
        var path = dir.File("bad.safetensors");
        File.WriteAllBytes(path, H(Ok, 12));
        Assert.Throws<SafetensorsException>(() => SafetensorsFile.Open(path));
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) { }
        File.Delete(path);
        Assert.That(File.Exists(path), Is.False);
    }

    [Test]
    public void TheValidBaseFileOpens()
    {
        // Guards the cases above: they fail for the reason named, not because the base file is already broken.
        using var dir = new TempDir();
        var path = dir.File("v.safetensors");
        File.WriteAllBytes(path, Valid());
        using var f = SafetensorsFile.Open(path);
        Assert.That(f.Names, Is.EquivalentTo(new[] { "a", "b" }));
        File.WriteAllBytes(path, H(Ok, 8));
        using var g = SafetensorsFile.Open(path);
        Assert.That(g.Entry("a").Shape, Is.EqualTo(new[] { 2 }));
    }
}
