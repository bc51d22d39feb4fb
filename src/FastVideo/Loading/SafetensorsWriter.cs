using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using FastVideo.Tensors;

namespace FastVideo.Loading;

/// <summary>
/// Writes safetensors files: header entries sorted by name, tensors in that order, header padded with spaces
/// to a multiple of 8 bytes. The file is written under a temporary name and renamed, so a failure never
/// leaves a partial file at <c>path</c>.
/// </summary>
public static class SafetensorsWriter
{
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var kv in list)
            if (!names.Add(kv.Key)) throw new ArgumentException($"duplicate tensor name '{kv.Key}'", nameof(tensors));

        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var m in metadata) w.WriteString(m.Key, m.Value);
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
        var header = ms.ToArray();
        int pad = (8 - header.Length % 8) % 8;

        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Span<byte> len = stackalloc byte[8];
                BitConverter.TryWriteBytes(len, (ulong)(header.Length + pad));
                fs.Write(len);
                fs.Write(header);
                for (int i = 0; i < pad; i++) fs.WriteByte((byte)' ');
                var buffer = new byte[1 << 20];
                foreach (var (_, t) in list)
                {
                    long remaining = t.Bytes;
                    long pos = 0;
                    while (remaining > 0)
                    {
                        int n = (int)Math.Min(buffer.Length, remaining);
                        t.Storage.Allocator.CopyToHost(t.DataPointer + (nint)pos, buffer.AsSpan(0, n));
                        fs.Write(buffer, 0, n);
                        pos += n;
                        remaining -= n;
                    }
                }
                fs.Flush(true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch { }
            throw;
        }
    }

    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(path, (IEnumerable<KeyValuePair<string, Tensor>>)tensors, metadata);
}
