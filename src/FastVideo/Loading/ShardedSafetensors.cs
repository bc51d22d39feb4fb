using System.Text.Json;
using FastVideo.Tensors;

namespace FastVideo.Loading;

/// <summary>
/// A checkpoint split into several safetensors files, described by a <c>*.safetensors.index.json</c>
/// (<c>{"metadata": {"total_size": N}, "weight_map": {"tensor name": "shard file name", ...}}</c>, as written by
/// diffusers' and transformers' <c>save_pretrained</c>). Each shard is opened (memory-mapped) once. On open
/// the index is checked against the shards: every mapped name exists in its shard, no name is in two shards,
/// and every tensor in a shard is listed in the map (an unlisted one means index and shards disagree, e.g. a
/// shard from another save). Shard names must stay inside the index's folder. Errors are
/// <see cref="SafetensorsException"/>s naming the index file and, where involved, the shard and the tensor.
/// </summary>
public sealed class ShardedSafetensors : ITensorSource
{
    private readonly Dictionary<string, SafetensorsFile> _byName;
    private readonly SafetensorsFile[] _shards;
    private readonly string[] _names;

    public string IndexPath { get; }
    /// <summary>The shards, in the order they are first named by the index.</summary>
    public IReadOnlyList<SafetensorsFile> Shards => _shards;
    /// <summary><c>metadata.total_size</c> from the index if present (bytes of all tensors, as the saving library counted them).</summary>
    public long? TotalSize { get; }

    private ShardedSafetensors(string indexPath, Dictionary<string, SafetensorsFile> byName, SafetensorsFile[] shards, long? totalSize)
    {
        IndexPath = indexPath;
        _byName = byName;
        _shards = shards;
        _names = byName.Keys.Order(StringComparer.Ordinal).ToArray();
        TotalSize = totalSize;
    }

    /// <summary>Opens <paramref name="indexPath"/> and all the shards it names.</summary>
    /// <exception cref="FileNotFoundException">the index file does not exist.</exception>
    /// <exception cref="SafetensorsException">the index is malformed, a shard is missing or malformed, or index and shards disagree.</exception>
    public static ShardedSafetensors Open(string indexPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(indexPath);
        var full = Path.GetFullPath(indexPath);
        if (!File.Exists(full)) throw new FileNotFoundException($"{full}: safetensors index file not found", full);
        var (weightMap, totalSize) = ReadIndex(full);
        var dir = Path.GetDirectoryName(full)!;

        var opened = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        var order = new List<SafetensorsFile>();
        try
        {
            foreach (var (name, shard) in weightMap)
            {
                if (opened.ContainsKey(shard)) continue;
                if (!shard.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                    throw new SafetensorsException(full, name, $"shard '{shard}' is not a .safetensors file (PyTorch pickle .bin shards are not supported)");
                var shardPath = ShardPath(full, dir, name, shard);
                // The same file spelled two ways ("a.safetensors", "./a.safetensors") is one shard, opened once.
                if (order.FirstOrDefault(o => o.FilePath == shardPath) is { } same)
                {
                    opened[shard] = same;
                    continue;
                }
                if (!File.Exists(shardPath))
                {
                    int users = weightMap.Count(kv => kv.Value == shard);
                    throw new SafetensorsException(full, null, $"shard '{shard}' ({users} tensor(s), e.g. '{name}') not found at {shardPath}");
                }
                SafetensorsFile f;
                try
                {
                    f = SafetensorsFile.Open(shardPath);
                }
                catch (SafetensorsException e)
                {
                    throw new SafetensorsException(full, e.TensorName, $"shard '{shard}' is invalid: {e.Message}", e);
                }
                opened[shard] = f;
                order.Add(f);
            }

            var byName = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach (var (name, shard) in weightMap)
            {
                var f = opened[shard];
                if (!f.Contains(name))
                    throw new SafetensorsException(full, name, $"is mapped to shard '{shard}', which does not contain it ({f.Entries.Count} tensors in {f.FilePath})");
                byName[name] = f;
            }
            // Every tensor of every shard must be the one the map names: catches a tensor stored in two shards
            // and shards that hold tensors the index does not know.
            var seenIn = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach (var f in order)
                foreach (var e in f.Entries)
                {
                    if (seenIn.TryGetValue(e.Name, out var first))
                        throw new SafetensorsException(full, e.Name, $"is stored in two shards, '{Path.GetFileName(first.FilePath)}' and '{Path.GetFileName(f.FilePath)}'");
                    seenIn[e.Name] = f;
                    if (!byName.ContainsKey(e.Name))
                        throw new SafetensorsException(full, e.Name, $"is in shard '{Path.GetFileName(f.FilePath)}' but not listed in weight_map (index and shards disagree)");
                }
            return new ShardedSafetensors(full, byName, order.ToArray(), totalSize);
        }
        catch
        {
            foreach (var f in order) f.Dispose();
            throw;
        }
    }

    private static (List<KeyValuePair<string, string>> WeightMap, long? TotalSize) ReadIndex(string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(InputFile.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new SafetensorsException(path, null, $"index is not valid JSON ({e.Message})", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new SafetensorsException(path, null, $"index must be a JSON object, got {root.ValueKind}");
            long? totalSize = null;
            if (root.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object
                && meta.TryGetProperty("total_size", out var ts) && ts.ValueKind == JsonValueKind.Number)
            {
                // Informational only (libraries differ in how they count shared storage), so never an error.
                if (ts.TryGetInt64(out long t) && t >= 0) totalSize = t;
                else if (ts.TryGetDouble(out double d) && d >= 0 && d < long.MaxValue) totalSize = (long)d;
            }
            if (!root.TryGetProperty("weight_map", out var wm) || wm.ValueKind != JsonValueKind.Object)
                throw new SafetensorsException(path, null, "index has no 'weight_map' object (tensor name → shard file)");
            var map = new List<KeyValuePair<string, string>>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in wm.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(p.Value.GetString()))
                    throw new SafetensorsException(path, p.Name, $"weight_map value {p.Value.GetRawText()} is not a shard file name");
                if (!seen.Add(p.Name))
                    throw new SafetensorsException(path, p.Name, "appears twice in weight_map");
                map.Add(KeyValuePair.Create(p.Name, p.Value.GetString()!));
            }
            if (map.Count == 0) throw new SafetensorsException(path, null, "weight_map is empty");
            return (map, totalSize);
        }
    }

    /// <summary>The shard's full path; names that are absolute or climb out of the index's folder are refused.</summary>
    private static string ShardPath(string indexPath, string dir, string tensor, string shard)
    {
        var p = Path.GetFullPath(Path.Combine(dir, shard));
        var root = Path.EndsInDirectorySeparator(dir) ? dir : dir + Path.DirectorySeparatorChar;
        if (Path.IsPathRooted(shard) || !p.StartsWith(root, StringComparison.Ordinal))
            throw new SafetensorsException(indexPath, tensor, $"shard name '{shard}' points outside the index's folder {dir}");
        return p;
    }

    public string Description => IndexPath;

    public IEnumerable<string> Names => _names;

    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The shard holding <paramref name="name"/>.</summary>
    public SafetensorsFile ShardOf(string name) =>
        _byName.TryGetValue(name, out var f) ? f : throw new SafetensorsException(IndexPath, name, $"not in this checkpoint ({_byName.Count} tensors in {_shards.Length} shards)");

    public SafetensorsEntry Entry(string name) => ShardOf(name)[name];

    public Tensor Load(string name, IAllocator? allocator = null) => ShardOf(name).Load(name, allocator);

    public Tensor LoadF32(string name, IAllocator? allocator = null) => ShardOf(name).LoadF32(name, allocator);

    public override string ToString() => $"{IndexPath} ({_byName.Count} tensors in {_shards.Length} shards)";

    public void Dispose()
    {
        foreach (var f in _shards) f.Dispose();
    }
}
