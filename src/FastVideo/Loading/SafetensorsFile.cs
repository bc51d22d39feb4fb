using System.Buffers;
using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using FastVideo.Tensors;

namespace FastVideo.Loading;

/// <summary>One tensor's header entry. <see cref="Begin"/>/<see cref="End"/> are byte offsets inside the data section.</summary>
public sealed record SafetensorsEntry(string Name, DType DType, int[] Shape, long Begin, long End)
{
    public long Numel => ShapeUtil.Numel(Shape);
    public long Length => End - Begin;
}

/// <summary>
/// A memory-mapped, validated safetensors file. Layout: an 8-byte little-endian header length N, N bytes of
/// UTF-8 JSON header (possibly padded with trailing spaces), then the data section. The header is checked
/// completely on open (see <see cref="SafetensorsHeader"/>): N within the file and at most
/// <see cref="MaxHeaderBytes"/> (checked before anything is allocated), JSON object, known dtypes,
/// non-negative integer shapes, numel × element size = byte range, ranges tiling the data section with no
/// overlap and no hole, no duplicate names. Tensor bytes are copied out of the mapping on demand, so opening
/// a 30 GB checkpoint costs only its header. Every error is a <see cref="SafetensorsException"/> naming the
/// file and, where one is involved, the tensor.
/// </summary>
public sealed unsafe class SafetensorsFile : ITensorSource
{
    /// <summary>Upper bound on the JSON header (the reference implementation uses 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Bytes copied or converted per step, so that tensors above 2 GiB (span limit) load too.</summary>
    internal const int DefaultChunkBytes = 1 << 26;

    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _base;
    private int _disposed;
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
        Entries = entries.Values.OrderBy(e => e.Begin).ThenBy(e => e.End).ThenBy(e => e.Name, StringComparer.Ordinal).ToArray();
        if (view != null)
        {
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _base = p + view.PointerOffset;
        }
    }

    /// <summary>Opens and validates <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">no such file.</exception>
    /// <exception cref="SafetensorsException">the file is not a valid safetensors file.</exception>
    public static SafetensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new FileNotFoundException(Directory.Exists(full) ? $"{full}: is a folder, not a safetensors file" : $"{full}: safetensors file not found", full);
        InputFile.RequireRegular(full);  // a FIFO would block the open, a device never ends

        // One handle for the header read and the mapping, so both see the same file (and its length).
        var fs = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 1);
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            long length = fs.Length;
            if (length < 8)
                throw new SafetensorsException(full, null, $"file is {length} bytes, too short for the 8-byte header length (truncated?)");
            Span<byte> lenBytes = stackalloc byte[8];
            fs.ReadExactly(lenBytes);
            ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
            // Both limits are checked before allocating: a corrupt length (e.g. 2^62) must not become a huge array.
            if (headerLen > MaxHeaderBytes)
                throw new SafetensorsException(full, null, $"header length {headerLen:N0} exceeds the {MaxHeaderBytes:N0}-byte limit (corrupt file, or not a safetensors file)");
            if ((long)headerLen > length - 8)
                throw new SafetensorsException(full, null, $"header length {headerLen:N0} runs past the end of the {length:N0}-byte file (truncated?)");
            var header = new byte[headerLen];
            fs.ReadExactly(header);

            long dataOffset = 8 + header.Length;
            long dataLength = length - dataOffset;
            var (entries, metadata) = SafetensorsHeader.Parse(full, header, dataLength);

            if (dataLength > 0)
            {
                map = MemoryMappedFile.CreateFromFile(fs, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
                view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            }
            else
            {
                fs.Dispose();
            }
            return new SafetensorsFile(full, length, map, view, dataOffset, entries, metadata);
        }
        catch (EndOfStreamException e)
        {
            view?.Dispose();
            map?.Dispose();
            fs.Dispose();
            throw new SafetensorsException(full, null, "file ended while reading the header (truncated or changed while opening)", e);
        }
        catch
        {
            view?.Dispose();
            map?.Dispose();
            fs.Dispose();
            throw;
        }
    }

    public string Description => FilePath;

    public SafetensorsEntry Entry(string name) => this[name];

    public bool Contains(string name) => _entries.ContainsKey(name);

    public bool TryGetEntry(string name, out SafetensorsEntry entry) => _entries.TryGetValue(name, out entry!);

    public SafetensorsEntry this[string name] =>
        _entries.TryGetValue(name, out var e) ? e : throw new SafetensorsException(FilePath, name, $"not in this file ({_entries.Count} tensors)");

    public IEnumerable<string> Names => Entries.Select(e => e.Name);

    /// <summary>
    /// The raw little-endian bytes of a tensor, straight from the mapping (valid until Dispose). Limited to
    /// tensors below 2 GiB (a span's limit); <see cref="Load(string, IAllocator?)"/> has no such limit.
    /// </summary>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        var e = this[name];
        byte* p = DataPointer(e);
        if (e.Length > int.MaxValue)
            throw new SafetensorsException(FilePath, name, $"is {e.Length:N0} bytes, too large for one span; use Load");
        return new ReadOnlySpan<byte>(p, (int)e.Length);
    }

    /// <summary>Copies a tensor into a new tensor with its stored dtype.</summary>
    public Tensor Load(string name, IAllocator? allocator = null) => Load(name, allocator, DefaultChunkBytes);

    /// <summary><see cref="Load(string, IAllocator?)"/> in steps of <paramref name="chunkBytes"/> (tests use small steps to cover the chunking).</summary>
    internal Tensor Load(string name, IAllocator? allocator, int chunkBytes)
    {
        var e = this[name];
        byte* src = DataPointer(e);
        var t = Tensor.Empty(allocator ?? CpuAllocator.Shared, e.Shape, e.DType);
        try
        {
            t.Name = name;
            var alloc = t.Storage.Allocator;
            nint dst = t.DataPointer;
            for (long pos = 0; pos < e.Length; pos += chunkBytes)
            {
                int n = (int)Math.Min(chunkBytes, e.Length - pos);
                alloc.CopyFromHost(new ReadOnlySpan<byte>(src + pos, n), dst + (nint)pos);
            }
            return t;
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }

    /// <summary>Loads a floating or integer tensor converted to F32 (converted chunk by chunk, no full-size temporary).</summary>
    public Tensor LoadF32(string name, IAllocator? allocator = null) => LoadF32(name, allocator, DefaultChunkBytes);

    /// <summary><see cref="LoadF32(string, IAllocator?)"/> converting <paramref name="chunkBytes"/>/4 elements per step.</summary>
    internal Tensor LoadF32(string name, IAllocator? allocator, int chunkBytes)
    {
        var e = this[name];
        if (e.DType == DType.F32) return Load(name, allocator, chunkBytes);
        byte* src = DataPointer(e);
        var t = Tensor.Empty(allocator ?? CpuAllocator.Shared, e.Shape, DType.F32);
        float[]? staging = null;
        try
        {
            t.Name = name;
            var alloc = t.Storage.Allocator;
            bool direct = alloc.Device.Type == DeviceType.Cpu;
            int chunk = Math.Max(1, chunkBytes / sizeof(float));
            if (!direct) staging = ArrayPool<float>.Shared.Rent((int)Math.Min(chunk, Math.Max(e.Numel, 1)));
            int es = e.DType.Size();
            for (long pos = 0; pos < e.Numel; pos += chunk)
            {
                int n = (int)Math.Min(chunk, e.Numel - pos);
                var from = new ReadOnlySpan<byte>(src + pos * es, n * es);
                nint dst = t.DataPointer + (nint)(pos * sizeof(float));
                if (direct)
                {
                    DTypeConvert.ToFloat(from, e.DType, new Span<float>((void*)dst, n));
                }
                else
                {
                    DTypeConvert.ToFloat(from, e.DType, staging.AsSpan(0, n));
                    alloc.CopyFromHost(MemoryMarshal.AsBytes(staging.AsSpan(0, n)), dst);
                }
            }
            return t;
        }
        catch
        {
            t.Dispose();
            throw;
        }
        finally
        {
            if (staging != null) ArrayPool<float>.Shared.Return(staging);
        }
    }

    /// <summary>Reads a tensor into a new host array of <typeparamref name="T"/>, which must match the stored dtype.</summary>
    public T[] Read<T>(string name) where T : unmanaged
    {
        var e = this[name];
        var want = DTypeExtensions.Of<T>();
        if (want != e.DType) throw new SafetensorsException(FilePath, name, $"stored as {e.DType}, read as {want}");
        return MemoryMarshal.Cast<byte, T>(GetBytes(name)).ToArray();
    }

    /// <summary>Start of a tensor's bytes in the mapping; throws once the file is disposed (also for empty tensors).</summary>
    private byte* DataPointer(SafetensorsEntry e)
    {
        if (Volatile.Read(ref _disposed) != 0)
            throw new ObjectDisposedException(FilePath, $"{FilePath}: the file was disposed; tensor '{e.Name}' can no longer be read");
        // A file whose data section is empty has no mapping; every tensor in it is empty.
        return _base == null ? null : _base + DataOffset + e.Begin;
    }

    public override string ToString() => $"{FilePath} ({_entries.Count} tensors)";

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_view != null && _base != null)
        {
            _base = null;
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
        _view?.Dispose();
        _map?.Dispose();
    }
}
