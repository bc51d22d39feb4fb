using System.Text;
using System.Text.Json;
using FastVideo.Loading;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Loading;

public class ShardedSafetensorsTests
{
    /// <summary>Writes an index.json by hand from (tensor, shard) pairs, so tests can repeat keys.</summary>
    internal static void WriteIndex(string path, IEnumerable<(string Tensor, string Shard)> map, long totalSize = 0)
    {
        var sb = new StringBuilder();
        sb.Append("{\n  \"metadata\": {\"total_size\": ").Append(totalSize).Append("},\n  \"weight_map\": {\n");
        sb.Append(string.Join(",\n", map.Select(m => $"    {JsonSerializer.Serialize(m.Tensor)}: {JsonSerializer.Serialize(m.Shard)}")));
        sb.Append("\n  }\n}\n");
        File.WriteAllText(path, sb.ToString());
    }

    /// <summary>
    /// Splits a safetensors file into <paramref name="shards"/> files named like save_pretrained's
    /// (<c>{stem}-00001-of-00003.safetensors</c>) plus <c>{stem}.safetensors.index.json</c>; returns the index path.
    /// </summary>
    internal static string Split(string source, string dir, string stem, int shards)
    {
        using var src = SafetensorsFile.Open(source);
        var names = src.Names.Order(StringComparer.Ordinal).ToArray();
        var map = new List<(string, string)>();
        long total = 0;
        for (int s = 0; s < shards; s++)
        {
            var shardName = $"{stem}-{s + 1:D5}-of-{shards:D5}.safetensors";
            var mine = names.Where((_, i) => i * shards / names.Length == s).ToArray();
            var tensors = mine.ToDictionary(n => n, n => src.Load(n));
            try
            {
                SafetensorsWriter.Save(Path.Combine(dir, shardName), tensors);
            }
            finally
            {
                foreach (var t in tensors.Values) t.Dispose();
            }
            foreach (var n in mine) { map.Add((n, shardName)); total += src.Entry(n).Length; }
        }
        var index = Path.Combine(dir, $"{stem}.safetensors.index.json");
        WriteIndex(index, map, total);
        return index;
    }

    private static string GoldenTransformer => Golden.Path_("wan_transformer_t2v", "model", "diffusion_pytorch_model.safetensors");

    [Test]
    public void ThreeShardsOfAGoldenModelReadLikeTheSingleFile()
    {
        using var dir = new TempDir();
        var index = Split(GoldenTransformer, dir.Path, "diffusion_pytorch_model", 3);
        using var single = SafetensorsFile.Open(GoldenTransformer);
        using var sharded = ShardedSafetensors.Open(index);

        Assert.That(sharded.Shards, Has.Count.EqualTo(3));
        Assert.That(sharded.Names, Is.EquivalentTo(single.Names));
        Assert.That(sharded.TotalSize, Is.EqualTo(single.Entries.Sum(e => e.Length)));
        Assert.That(sharded.Description, Is.EqualTo(index));
        foreach (var name in single.Names)
        {
            Assert.That(sharded.Contains(name));
            Assert.That(sharded.Entry(name).Shape, Is.EqualTo(single.Entry(name).Shape), name);
            using var a = sharded.Load(name);
            using var b = single.Load(name);
            Assert.That(a.AsSpan<byte>().SequenceEqual(b.AsSpan<byte>()), name);
        }
        // Every shard holds part of the model; together they hold each tensor exactly once.
        Assert.That(sharded.Shards.Sum(s => s.Entries.Count), Is.EqualTo(single.Entries.Count));
        Assert.That(sharded.Shards.All(s => s.Entries.Count > 0));
        Assert.That(sharded.ShardOf("patch_embedding.weight").Contains("patch_embedding.weight"));
        using var f32 = sharded.LoadF32("scale_shift_table");
        Assert.That(f32.Shape, Is.EqualTo(new[] { 1, 2, 64 }));

        var missing = Assert.Throws<SafetensorsException>(() => sharded.Entry("nope"))!;
        Assert.That(missing.Message, Does.Contain(index).And.Contain("'nope'"));
    }

    [Test]
    public void ParameterReaderWorksOverShards()
    {
        using var dir = new TempDir();
        var index = Split(GoldenTransformer, dir.Path, "diffusion_pytorch_model", 2);
        using var sharded = ShardedSafetensors.Open(index);
        var reader = new ParameterReader(sharded, model: "wan");
        foreach (var n in sharded.Names.ToArray()) reader.Skip(n);
        reader.EnsureAllConsumed();
        using var w = reader.Take("patch_embedding.weight", 64, 16, 1, 2, 2);
        Assert.That(w.DType, Is.EqualTo(DType.F32));
    }

    [Test]
    public void DisposeClosesEveryShard()
    {
        using var dir = new TempDir();
        var index = Split(GoldenTransformer, dir.Path, "m", 2);
        var sharded = ShardedSafetensors.Open(index);
        sharded.Dispose();
        Assert.Throws<ObjectDisposedException>(() => sharded.Load("patch_embedding.weight"));
        Assert.Throws<ObjectDisposedException>(() => sharded.Load("blocks.0.attn1.norm_k.weight"));
    }

    /// <summary>Two tiny shards {a, b} and {c}; each case breaks index or shards in one way.</summary>
    public sealed record Case(string Name, Action<string> Break, string? Tensor, string Expect)
    {
        public override string ToString() => Name;
    }

    private const string S1 = "m-00001-of-00002.safetensors", S2 = "m-00002-of-00002.safetensors";

    private static void Shard(string dir, string file, params string[] names)
    {
        var ts = names.ToDictionary(n => n, n => Tensor.FromHost<float>(new float[] { n[0] }, 1));
        try { SafetensorsWriter.Save(Path.Combine(dir, file), ts); }
        finally { foreach (var t in ts.Values) t.Dispose(); }
    }

    private static string Idx(string dir) => Path.Combine(dir, "m.safetensors.index.json");

    public static IEnumerable<Case> Cases()
    {
        yield return new("name missing from its shard", d => WriteIndex(Idx(d), [("a", S1), ("b", S1), ("c", S2), ("d", S2)]), "d", $"mapped to shard '{S2}', which does not contain it");
        yield return new("name in two shards", d => { Shard(d, S2, "c", "a"); }, "a", "stored in two shards");
        yield return new("shard tensor not in the map", d => WriteIndex(Idx(d), [("a", S1), ("c", S2)]), "b", "not listed in weight_map");
        yield return new("map sends a name to the wrong shard", d => WriteIndex(Idx(d), [("a", S2), ("b", S1), ("c", S2)]), "a", "does not contain it");
        yield return new("duplicate key in weight_map", d => WriteIndex(Idx(d), [("a", S1), ("b", S1), ("c", S2), ("a", S2)]), "a", "appears twice in weight_map");
        yield return new("missing shard file", d => File.Delete(Path.Combine(d, S2)), null, $"shard '{S2}' (1 tensor(s), e.g. 'c') not found");
        yield return new("malformed shard", d => File.WriteAllBytes(Path.Combine(d, S2), SafetensorsBytes.Build("{\"c\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4)), "c", $"shard '{S2}' is invalid");
        yield return new("shard outside the folder", d => WriteIndex(Idx(d), [("a", "../" + S1), ("b", S1), ("c", S2)]), "a", "points outside");
        yield return new("absolute shard path", d => WriteIndex(Idx(d), [("a", Path.Combine(d, S1)), ("b", S1), ("c", S2)]), "a", "points outside");
        yield return new("pickle shard", d => WriteIndex(Idx(d), [("a", "pytorch_model-00001-of-00002.bin")]), "a", ".bin shards are not supported");
        yield return new("bad JSON", d => File.WriteAllText(Idx(d), "{\"weight_map\": {"), null, "not valid JSON");
        yield return new("no weight_map", d => File.WriteAllText(Idx(d), "{\"metadata\": {}}"), null, "no 'weight_map'");
        yield return new("empty weight_map", d => File.WriteAllText(Idx(d), "{\"weight_map\": {}}"), null, "weight_map is empty");
        yield return new("index not an object", d => File.WriteAllText(Idx(d), "[]"), null, "must be a JSON object");
        yield return new("non-string shard", d => File.WriteAllText(Idx(d), "{\"weight_map\": {\"a\": 3}}"), "a", "not a shard file name");
    }

    [Test]
    public void OneShardSpelledTwoWaysIsOpenedOnce()
    {
        using var dir = new TempDir();
        Shard(dir.Path, S1, "a", "b");
        WriteIndex(Idx(dir.Path), [("a", S1), ("b", "./" + S1)]);
        using var s = ShardedSafetensors.Open(Idx(dir.Path));
        Assert.That(s.Shards, Has.Count.EqualTo(1));
        Assert.That(s.Names, Is.EqualTo(new[] { "a", "b" }));
    }

    [TestCaseSource(nameof(Cases))]
    public void InconsistentCheckpointsRaiseNamingIndexShardAndTensor(Case c)
    {
        using var dir = new TempDir();
        Shard(dir.Path, S1, "a", "b");
        Shard(dir.Path, S2, "c");
        WriteIndex(Idx(dir.Path), [("a", S1), ("b", S1), ("c", S2)]);
        using (ShardedSafetensors.Open(Idx(dir.Path))) { } // the unbroken checkpoint opens

        c.Break(dir.Path);
        var ex = Assert.Throws<SafetensorsException>(() => ShardedSafetensors.Open(Idx(dir.Path)).Dispose())!;
        Assert.That(ex.FilePath, Is.EqualTo(Idx(dir.Path)));
        Assert.That(ex.Message, Does.StartWith(Idx(dir.Path)));
        Assert.That(ex.Message, Does.Contain(c.Expect));
        Assert.That(ex.TensorName, Is.EqualTo(c.Tensor));
        // Shards opened before the failure were closed: every file can be replaced.
        foreach (var f in Directory.GetFiles(dir.Path)) File.Delete(f);
    }
}
