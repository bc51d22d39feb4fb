using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using FastVideo.Tensors;

namespace FastVideo.Loading;

/// <summary>One tensor's header entry. <see cref="Begin"/>/<see cref="End"/> are byte offsets inside the data section.</summary>
public sealed record SafetensorsEntry(string Name, DType DType, int[] Shape, long Begin, long End)
{
    public long Numel => ShapeUtil.Numel(Shape);
    public long Length => End - Begin;
}

/// <summary>
/// A memory-mapped, validated safetensors file. The header is checked completely on open: 8-byte length
/// within the file and below <see cref="MaxHeaderBytes"/>, UTF-8 JSON object, known dtypes, non-negative
/// shapes, numel × element size = byte range, ranges inside the data section and not overlapping, no
/// duplicate names. Tensor bytes are read from the mapping on demand.
/// </summary>
public sealed unsafe class SafetensorsFile : ITensorSource
{
    /// <summary>Upper bound on the JSON header (the reference implementation uses 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _base;
    private readonly Dictionary<string, SafetensorsEntry> _entries;

    public string FilePath { get; }
    public long FileLength { get; }
    /// <summary>Byte offset of the data section (8 + header length).</summary>
    public long DataOffset { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    /// <summary>Entries in file order (by data offset).</summary>
    public IReadOnlyList<SafetensorsEntry> Entries { get; }

    private SafetensorsFile(string path, long length, MemoryMappedFile? map, MemoryMappedViewAccessor? view,
        long dataOffset, Dictionary<string, SafetensorsEntry> entries, Dictionary<string, string> metadata)
    {
        FilePath = path;
        FileLength = length;
        _map = map;
        _view = view;
        DataOffset = dataOffset;
        _entries = entries;
        Metadata = metadata;
        Entries = entries.Values.OrderBy(e => e.Begin).ThenBy(e => e.Name, StringComparer.Ordinal).ToArray();
        if (view != null)
        {
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _base = p + view.PointerOffset;
        }
    }

    public static SafetensorsFile Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"{full}: safetensors file not found", full);
        long length = new FileInfo(full).Length;
        if (length < 8) throw new SafetensorsException(full, null, $"file is {length} bytes, too short for the 8-byte header length (truncated?)");

        Span<byte> lenBytes = stackalloc byte[8];
        byte[] header;
        using (var fs = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            fs.ReadExactly(lenBytes);
            ulong headerLen = BitConverter.ToUInt64(lenBytes);
            if (headerLen > MaxHeaderBytes)
                throw new SafetensorsException(full, null, $"header length {headerLen:N0} exceeds the {MaxHeaderBytes:N0}-byte limit (corrupt file?)");
            if ((long)headerLen > length - 8)
                throw new SafetensorsException(full, null, $"header length {headerLen:N0} runs past the end of the {length:N0}-byte file (truncated?)");
            header = new byte[headerLen];
            fs.ReadExactly(header);
        }
        long dataOffset = 8 + header.Length;
        long dataLength = length - dataOffset;
        var (entries, metadata) = ParseHeader(full, header, dataLength);

        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        if (length > 0 && dataLength > 0)
        {
            map = MemoryMappedFile.CreateFromFile(full, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        }
        return new SafetensorsFile(full, length, map, view, dataOffset, entries, metadata);
    }

    private static (Dictionary<string, SafetensorsEntry>, Dictionary<string, string>) ParseHeader(string path, byte[] header, long dataLength)
    {
        string json;
        try
        {
            json = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(header);
        }
        catch (DecoderFallbackException e)
        {
            throw new SafetensorsException(path, null, "header is not valid UTF-8", e);
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.TrimEnd(' '), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new SafetensorsException(path, null, $"header is not valid JSON ({e.Message})", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new SafetensorsException(path, null, $"header must be a JSON object, got {doc.RootElement.ValueKind}");
            var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object)
                        throw new SafetensorsException(path, null, "__metadata__ must be an object of strings");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String)
                            throw new SafetensorsException(path, null, $"__metadata__ value '{m.Name}' is not a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                if (entries.ContainsKey(prop.Name))
                    throw new SafetensorsException(path, prop.Name, "appears twice in the header");
                entries[prop.Name] = ParseEntry(path, prop.Name, prop.Value, dataLength);
            }
            // Ranges must not overlap.
            SafetensorsEntry? prev = null;
            foreach (var e in entries.Values.Where(e => e.Length > 0).OrderBy(e => e.Begin))
            {
                if (prev != null && e.Begin < prev.End)
                    throw new SafetensorsException(path, e.Name, $"byte range [{e.Begin}, {e.End}) overlaps tensor '{prev.Name}' [{prev.Begin}, {prev.End})");
                prev = e;
            }
            return (entries, metadata);
        }
    }

    private static SafetensorsEntry ParseEntry(string path, string name, JsonElement v, long dataLength)
    {
        if (v.ValueKind != JsonValueKind.Object) throw new SafetensorsException(path, name, "header entry is not an object");
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw new SafetensorsException(path, name, "missing or non-string 'dtype'");
        string dtypeName = dt.GetString()!;
        if (!DTypeExtensions.TryParseSafetensors(dtypeName, out var dtype))
            throw new SafetensorsException(path, name, $"unsupported dtype '{dtypeName}' (supported: F32, F16, BF16, I32, I64, U8, BOOL)");
        if (!v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw new SafetensorsException(path, name, "missing or non-array 'shape'");
        var shape = new int[sh.GetArrayLength()];
        int i = 0;
        long numel = 1;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0 || dim > int.MaxValue)
                throw new SafetensorsException(path, name, $"shape entry {i} is not a non-negative integer below 2^31");
            shape[i++] = (int)dim;
            numel = numel == 0 ? 0 : (dim == 0 ? 0 : (numel > long.MaxValue / dim ? -1 : numel * dim));
            if (numel < 0) throw new SafetensorsException(path, name, "shape overflows");
        }
        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw new SafetensorsException(path, name, "missing 'data_offsets' [begin, end]");
        var offs = new long[2];
        int j = 0;
        foreach (var o in off.EnumerateArray())
        {
            if (o.ValueKind != JsonValueKind.Number || !o.TryGetInt64(out offs[j]) || offs[j] < 0)
                throw new SafetensorsException(path, name, "data_offsets must be non-negative integers");
            j++;
        }
        long begin = offs[0], end = offs[1];
        if (end < begin) throw new SafetensorsException(path, name, $"data_offsets [{begin}, {end}) end before begin");
        if (end > dataLength)
            throw new SafetensorsException(path, name, $"data_offsets [{begin}, {end}) run past the data section of {dataLength:N0} bytes (truncated file?)");
        if (numel > long.MaxValue / dtype.Size() || numel * dtype.Size() != end - begin)
            throw new SafetensorsException(path, name, $"shape [{ShapeUtil.Format(shape)}] × {dtype} needs {numel * dtype.Size():N0} bytes but data_offsets span {end - begin:N0}");
        return new SafetensorsEntry(name, dtype, shape, begin, end);
    }

    public string Description => FilePath;

    public SafetensorsEntry Entry(string name) => this[name];

    public bool Contains(string name) => _entries.ContainsKey(name);

    public bool TryGetEntry(string name, out SafetensorsEntry entry) => _entries.TryGetValue(name, out entry!);

    public SafetensorsEntry this[string name] =>
        _entries.TryGetValue(name, out var e) ? e : throw new SafetensorsException(FilePath, name, $"not in this file ({_entries.Count} tensors)");

    public IEnumerable<string> Names => Entries.Select(e => e.Name);

    /// <summary>The raw little-endian bytes of a tensor, straight from the mapping (valid until Dispose).</summary>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        var e = this[name];
        if (e.Length == 0) return ReadOnlySpan<byte>.Empty;
        if (_base == null) throw new ObjectDisposedException(FilePath);
        return new ReadOnlySpan<byte>(_base + DataOffset + e.Begin, checked((int)e.Length));
    }

    /// <summary>Copies a tensor into a new tensor with its stored dtype.</summary>
    public Tensor Load(string name, IAllocator? allocator = null)
    {
        var e = this[name];
        var t = Tensor.Empty(allocator ?? CpuAllocator.Shared, e.Shape, e.DType);
        t.Name = name;
        if (e.Length > 0) t.Storage.Allocator.CopyFromHost(GetBytes(name), t.DataPointer);
        return t;
    }

    /// <summary>Loads a floating or integer tensor converted to F32.</summary>
    public Tensor LoadF32(string name, IAllocator? allocator = null)
    {
        var e = this[name];
        if (e.DType == DType.F32) return Load(name, allocator);
        var values = new float[e.Numel];
        DTypeConvert.ToFloat(GetBytes(name), e.DType, values);
        var t = Tensor.FromHost<float>(allocator ?? CpuAllocator.Shared, values, e.Shape);
        t.Name = name;
        return t;
    }

    /// <summary>Reads a tensor into a new host array of <typeparamref name="T"/>, which must match the stored dtype.</summary>
    public T[] Read<T>(string name) where T : unmanaged
    {
        var e = this[name];
        var want = DTypeExtensions.Of<T>();
        if (want != e.DType) throw new SafetensorsException(FilePath, name, $"stored as {e.DType}, read as {want}");
        return MemoryMarshal.Cast<byte, T>(GetBytes(name)).ToArray();
    }

    public void Dispose()
    {
        if (_view != null && _base != null)
        {
            _base = null;
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
        _view?.Dispose();
        _map?.Dispose();
    }
}
