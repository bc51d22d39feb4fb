using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FastVideo.Loading;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Loading;

public class SafetensorsRoundTripTests
{
    /// <summary>
    /// Every dtype, odd sizes, a 0-d scalar, zero-size tensors and metadata written by the writer come back
    /// bit-identical, with the right dtype/shape, and with each tensor aligned to its element size.
    /// </summary>
    [Test]
    public void EveryDTypeRoundTripsBitExactly()
    {
        using var dir = new TempDir();
        var rng = new Random(1234);
        var f32 = Numerics.RandomNormal(3 * 5 * 7, 1);
        f32[0] = float.NaN; f32[1] = float.NegativeInfinity; f32[2] = -0f; f32[3] = float.Epsilon;
        var f16 = f32.Select(v => (Half)v).ToArray();
        var bf16 = f32.Select(v => (BFloat16)v).ToArray();
        var i32 = Enumerable.Range(0, 11).Select(_ => rng.Next(int.MinValue, int.MaxValue)).ToArray();
        var i64 = new[] { long.MinValue, -1L, 0L, 1L << 40, long.MaxValue };
        var u8 = Enumerable.Range(0, 13).Select(i => (byte)(i * 19)).ToArray();
        var b = new[] { true, false, false, true, true, false, true };

        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = Tensor.FromHost<float>(f32, 3, 5, 7),
            ["f16"] = Tensor.FromHost<Half>(f16, 7, 15),
            ["bf16"] = Tensor.FromHost<BFloat16>(bf16, 105),
            ["i32"] = Tensor.FromHost<int>(i32, 11, 1),
            ["i64"] = Tensor.FromHost<long>(i64, 5),
            ["u8"] = Tensor.FromHost<byte>(u8, 13),
            ["bool"] = Tensor.FromHost<bool>(b, 7),
            ["scalar"] = Tensor.FromHost<float>(new[] { 2.5f }, Array.Empty<int>()),
            ["empty_f32"] = Tensor.FromHost<float>(Array.Empty<float>(), 0, 4),
            ["empty_f16"] = Tensor.FromHost<Half>(Array.Empty<Half>(), 3, 0),
            ["odd.name/with spaces+ü"] = Tensor.FromHost<Half>(new[] { (Half)1.5f }, 1),
        };
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode \"quoted\"" };
        try
        {
            var path = dir.File("all.safetensors");
            SafetensorsWriter.Save(path, tensors, meta);

            using var f = SafetensorsFile.Open(path);
            Assert.That(f.Names, Is.EquivalentTo(tensors.Keys));
            Assert.That(f.Metadata, Is.EquivalentTo(meta));
            Assert.That(f.DataOffset % 8, Is.Zero, "header padded to a multiple of 8");
            foreach (var (name, t) in tensors)
            {
                var e = f.Entry(name);
                Assert.That(e.DType, Is.EqualTo(t.DType), name);
                Assert.That(e.Shape, Is.EqualTo(t.Shape), name);
                Assert.That((f.DataOffset + e.Begin) % t.DType.Size(), Is.Zero, $"{name} aligned to its element size");
                using var loaded = f.Load(name);
                Assert.That(loaded.DType, Is.EqualTo(t.DType));
                Assert.That(loaded.Shape, Is.EqualTo(t.Shape));
                Assert.That(loaded.Name, Is.EqualTo(name));
                Assert.That(loaded.AsSpan<byte>().ToArray(), Is.EqualTo(t.AsSpan<byte>().ToArray()), $"{name} bytes");
            }
            Assert.That(f.Read<long>("i64"), Is.EqualTo(i64));
            Assert.That(f.Read<bool>("bool"), Is.EqualTo(b));
            Assert.That(f.Read<float>("scalar"), Is.EqualTo(new[] { 2.5f }));
            Assert.That(f.Entry("scalar").Shape, Is.Empty);
            Assert.That(f.Entry("empty_f32").Length, Is.Zero);
            Assert.That(f.GetBytes("empty_f16").Length, Is.Zero);
            Assert.Throws<SafetensorsException>(() => f.Read<int>("f32"));

            // LoadF32 converts each dtype exactly as a double-checked host conversion does.
            AssertF32("f16", f16.Select(h => (float)h));
            AssertF32("bf16", bf16.Select(v => v.ToSingle()));
            AssertF32("i32", i32.Select(v => (float)v));
            AssertF32("i64", i64.Select(v => (float)v));
            AssertF32("u8", u8.Select(v => (float)v));
            AssertF32("bool", b.Select(v => v ? 1f : 0f));
            AssertF32("f32", f32);

            void AssertF32(string name, IEnumerable<float> expected)
            {
                using var t = f.LoadF32(name);
                Assert.That(t.DType, Is.EqualTo(DType.F32));
                Assert.That(t.Shape, Is.EqualTo(tensors[name].Shape));
                var want = expected.ToArray();
                var got = t.ToArray<float>();
                for (int i = 0; i < want.Length; i++)
                    Assert.That(BitConverter.SingleToInt32Bits(got[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(want[i])), $"{name}[{i}]");
            }
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>The writer's layout follows the format: LE length, JSON, offsets tiling the data section in order.</summary>
    [Test]
    public void WriterLayoutIsTheReferenceLayout()
    {
        using var dir = new TempDir();
        using var a = Tensor.FromHost<Half>(new Half[3], 3);
        using var c = Tensor.FromHost<float>(new float[2], 2);
        using var d = Tensor.FromHost<long>(new long[1], 1);
        var path = dir.File("layout.safetensors");
        SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { ["a"] = a, ["c"] = c, ["d"] = d });

        var bytes = File.ReadAllBytes(path);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.That(n % 8, Is.Zero);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.That(header, Does.StartWith("{"));
        Assert.That(header.TrimEnd(' '), Does.EndWith("}"), "padding is trailing spaces");
        using var doc = JsonDocument.Parse(header);
        // Largest element size first (alignment), then by name: d (I64) at 0, c (F32) at 8, a (F16) at 16.
        Assert.That(doc.RootElement.GetProperty("d").GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()), Is.EqualTo(new[] { 0L, 8L }));
        Assert.That(doc.RootElement.GetProperty("c").GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()), Is.EqualTo(new[] { 8L, 16L }));
        Assert.That(doc.RootElement.GetProperty("a").GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()), Is.EqualTo(new[] { 16L, 22L }));
        Assert.That(doc.RootElement.GetProperty("a").GetProperty("dtype").GetString(), Is.EqualTo("F16"));
        Assert.That(bytes.Length, Is.EqualTo(8 + (int)n + 22), "no bytes after the last tensor");
    }

    [Test]
    public void EmptyFileWithOnlyMetadataRoundTrips()
    {
        using var dir = new TempDir();
        var path = dir.File("empty.safetensors");
        SafetensorsWriter.Save(path, new Dictionary<string, Tensor>(), new Dictionary<string, string> { ["k"] = "v" });
        using var f = SafetensorsFile.Open(path);
        Assert.That(f.Names, Is.Empty);
        Assert.That(f.Metadata["k"], Is.EqualTo("v"));
        Assert.That(f.FileLength, Is.EqualTo(f.DataOffset));
    }

    /// <summary>A header padded with spaces by another writer, and a header with no padding at all, both read.</summary>
    [TestCase("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}")]
    [TestCase("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}          ")]
    [TestCase("{\"__metadata__\":null,\"x\":{\"shape\":[2],\"data_offsets\":[0,8],\"dtype\":\"F32\",\"extra\":1}}")]
    public void HandWrittenHeadersRead(string header)
    {
        using var dir = new TempDir();
        var path = dir.File("h.safetensors");
        var data = new byte[8];
        BinaryPrimitives.WriteSingleLittleEndian(data, 1.25f);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4), -3f);
        File.WriteAllBytes(path, SafetensorsBytes.Build(Encoding.UTF8.GetBytes(header), data));
        using var f = SafetensorsFile.Open(path);
        Assert.That(f.Read<float>("x"), Is.EqualTo(new[] { 1.25f, -3f }));
    }

    [Test]
    public void ReadingAfterDisposeThrowsObjectDisposed()
    {
        using var dir = new TempDir();
        var path = dir.File("d.safetensors");
        using (var t = Tensor.FromHost<float>(new float[] { 1, 2, 3 }, 3))
        using (var z = Tensor.FromHost<float>(Array.Empty<float>(), 0))
            SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { ["t"] = t, ["z"] = z });
        var f = SafetensorsFile.Open(path);
        f.Dispose();
        f.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => f.Load("t"));
        Assert.Throws<ObjectDisposedException>(() => f.LoadF32("t"));
        Assert.Throws<ObjectDisposedException>(() => f.Read<float>("t"));
        Assert.Throws<ObjectDisposedException>(() => f.GetBytes("t"));
        Assert.Throws<ObjectDisposedException>(() => f.Load("z"), "empty tensors too");
        // Header information stays available: it was parsed on open.
        Assert.That(f.Entry("t").Shape, Is.EqualTo(new[] { 3 }));
    }

    [Test]
    public void MissingTensorNamesFileAndTensor()
    {
        using var dir = new TempDir();
        var path = dir.File("m.safetensors");
        using (var t = Tensor.FromHost<float>(new float[] { 1 }, 1))
            SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { ["t"] = t });
        using var f = SafetensorsFile.Open(path);
        var ex = Assert.Throws<SafetensorsException>(() => f.Load("nope"))!;
        Assert.That(ex.Message, Does.Contain(path).And.Contain("'nope'"));
        Assert.That(ex.TensorName, Is.EqualTo("nope"));
        Assert.Throws<FileNotFoundException>(() => SafetensorsFile.Open(dir.File("absent.safetensors")));
        Assert.Throws<FileNotFoundException>(() => SafetensorsFile.Open(dir.Path));
    }

    /// <summary>A real file written by diffusers' save_pretrained: known shapes, count, and the exact bytes (sha256 from the manifest).</summary>
    [Test]
    public void ReadsGoldenDiffusersFile()
    {
        using var f = SafetensorsFile.Open(Golden.Path_("wan_transformer_t2v", "model", "diffusion_pytorch_model.safetensors"));
        Assert.That(f.Entry("patch_embedding.weight").Shape, Is.EqualTo(new[] { 64, 16, 1, 2, 2 }));
        Assert.That(f.Entry("scale_shift_table").Shape, Is.EqualTo(new[] { 1, 2, 64 }));
        Assert.That(f.Entry("blocks.1.ffn.net.0.proj.weight").Shape, Is.EqualTo(new[] { 128, 64 }));
        Assert.That(f.Entries.All(e => e.DType == DType.F32));
        Assert.That(f.Entries.Sum(e => e.Numel), Is.EqualTo(161_536), "parameter count from the golden README");
        Assert.That(f.Metadata["format"], Is.EqualTo("pt"));
        using var w = f.Load("patch_embedding.weight");
        Assert.That(w.ToArray<float>().All(float.IsFinite));

        using var c = SafetensorsFile.Open(Golden.Path_("wan_transformer_t2v", "case_a.safetensors"));
        using var manifest = JsonDocument.Parse(File.ReadAllText(Golden.Path_("wan_transformer_t2v", "manifest.json")));
        var want = manifest.RootElement.GetProperty("files").GetProperty("case_a.safetensors").GetProperty("tensors").GetProperty("output");
        Assert.That(c.Entry("output").Shape, Is.EqualTo(want.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32())));
        Assert.That(Convert.ToHexStringLower(SHA256.HashData(c.GetBytes("output"))), Is.EqualTo(want.GetProperty("sha256").GetString()));
    }

    /// <summary>A symlinked file (how the Hugging Face cache stores snapshots) opens and reads the target.</summary>
    [Test]
    public void OpensThroughSymlink()
    {
        using var dir = new TempDir();
        var target = dir.File("blob");
        using (var t = Tensor.FromHost<float>(new float[] { 4, 5 }, 2))
            SafetensorsWriter.Save(target, new Dictionary<string, Tensor> { ["t"] = t });
        var link = dir.File("model.safetensors");
        File.CreateSymbolicLink(link, target);
        using var f = SafetensorsFile.Open(link);
        Assert.That(f.Read<float>("t"), Is.EqualTo(new float[] { 4, 5 }));
    }
}
