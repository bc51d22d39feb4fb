using System.Text.Encodings.Web;
using System.Text.Json;
using FastVideo.Tensors;

namespace FastVideo.Loading;

/// <summary>
/// Writes safetensors files the way the reference implementation lays them out: tensors ordered by element
/// size (largest first) then by name, so that with the header padded with spaces to a multiple of 8 bytes
/// every tensor starts at an offset aligned to its element size; ranges tile the data section with no holes;
/// <c>__metadata__</c> (if any) first in the header. The file is written under a temporary name in the same
/// folder, flushed to disk and renamed, so a failure (a tensor disposed mid-way, a full disk) never leaves a
/// partial file at <c>path</c> and never damages a file already there.
/// </summary>
public static class SafetensorsWriter
{
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes <paramref name="tensors"/> (and <paramref name="metadata"/>) to <paramref name="path"/>.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="tensors">Named tensors, on any device.</param>
    /// <param name="metadata">String metadata (<c>__metadata__</c>), or null.</param>
    /// <param name="overwrite">Whether an existing regular file at <paramref name="path"/> may be replaced (true by
    /// default for API callers; the CLI passes its --overwrite). Folders, links, devices, FIFOs are never replaced.</param>
    /// <exception cref="ArgumentException">a name is empty, reserved (<c>__metadata__</c>) or repeated, or a tensor is null or disposed.</exception>
    /// <exception cref="Media.OutputPathException">the path must not be written (see <see cref="Media.OutputRules"/>).</exception>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null, bool overwrite = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var list = Validated(tensors, metadata);
        var header = BuildHeader(list, metadata);
        int pad = (8 - header.Length % 8) % 8;
        // Staged under a temporary name and renamed into place: a failure never leaves a partial file, a regular
        // file already there is replaced only by the rename, and anything else there (a folder, a device, a FIFO,
        // a symbolic link) is refused (OutputRules).
        using var tx = new Media.OutputTransaction(overwrite);
        WriteNew(tx.Stage(path, Media.OutputFormat.Safetensors), list, header, pad);
        tx.Commit();
    }

    /// <summary>Writes a new file at <paramref name="path"/> (which must not exist), flushed to disk.</summary>
    internal static void WriteNew(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = Validated(tensors, metadata);
        var header = BuildHeader(list, metadata);
        WriteNew(path, list, header, (8 - header.Length % 8) % 8);
    }

    private static void WriteNew(string path, List<KeyValuePair<string, Tensor>> list, byte[] header, int pad)
    {
        using var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        Span<byte> len = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)(header.Length + pad));
        fs.Write(len);
        fs.Write(header);
        for (int i = 0; i < pad; i++) fs.WriteByte((byte)' ');
        var buffer = new byte[1 << 20];
        foreach (var (_, t) in list)
        {
            long total = t.Bytes;
            for (long pos = 0; pos < total; pos += buffer.Length)
            {
                int n = (int)Math.Min(buffer.Length, total - pos);
                // Storage throws ObjectDisposedException if the tensor was disposed since validation.
                t.Storage.Allocator.CopyToHost(t.DataPointer + (nint)pos, buffer.AsSpan(0, n));
                fs.Write(buffer, 0, n);
            }
        }
        fs.Flush(flushToDisk: true);
    }

    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(path, (IEnumerable<KeyValuePair<string, Tensor>>)tensors, metadata);

    /// <summary>The tensors checked (names unique and legal, none disposed) and sorted into file order.</summary>
    private static List<KeyValuePair<string, Tensor>> Validated(IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, t) in list)
        {
            if (string.IsNullOrEmpty(name)) throw new ArgumentException("a tensor name is null or empty", nameof(tensors));
            if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved for the metadata map and cannot name a tensor", nameof(tensors));
            if (!names.Add(name)) throw new ArgumentException($"duplicate tensor name '{name}'", nameof(tensors));
            if (t is null) throw new ArgumentException($"tensor '{name}' is null", nameof(tensors));
            if (t.IsDisposed) throw new ArgumentException($"tensor '{name}' [{ShapeUtil.Format(t.ShapeSpan)}] was disposed", nameof(tensors));
        }
        if (metadata != null)
            foreach (var m in metadata)
                if (m.Value is null) throw new ArgumentException($"metadata value '{m.Key}' is null (safetensors metadata values are strings)", nameof(metadata));
        list.Sort((a, b) =>
        {
            int c = b.Value.DType.Size().CompareTo(a.Value.DType.Size());
            return c != 0 ? c : string.CompareOrdinal(a.Key, b.Key);
        });

        return list;
    }

    private static byte[] BuildHeader(List<KeyValuePair<string, Tensor>> list, IReadOnlyDictionary<string, string>? metadata)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, JsonOptions))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var m in metadata.OrderBy(m => m.Key, StringComparer.Ordinal)) w.WriteString(m.Key, m.Value);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t) in list)
            {
                w.WriteStartObject(name);
                w.WriteString("dtype", t.DType.SafetensorsName());
                w.WriteStartArray("shape");
                foreach (int d in t.ShapeSpan) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + t.Bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += t.Bytes;
            }
            w.WriteEndObject();
        }
        return ms.ToArray();
    }
}
