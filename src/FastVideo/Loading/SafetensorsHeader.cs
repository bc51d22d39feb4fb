using System.Text;
using System.Text.Json;
using FastVideo.Tensors;

namespace FastVideo.Loading;

/// <summary>
/// Parses and validates a safetensors JSON header with the same rules as the reference implementation
/// (huggingface/safetensors, <c>SafeTensors::read_metadata</c> + <c>Metadata::validate</c>):
/// <list type="bullet">
/// <item>UTF-8, first byte <c>{</c>, a JSON object; trailing spaces (the writer's padding to 8 bytes) are allowed.</item>
/// <item>optional <c>__metadata__</c>: an object of string values (or null).</item>
/// <item>every other key is a tensor <c>{"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}</c>
/// with offsets relative to the start of the data section.</item>
/// <item>no key twice (System.Text.Json's <c>EnumerateObject</c> yields duplicates, so they are checked here).</item>
/// <item>numel × element size = end − begin.</item>
/// <item>sorted by offsets, the ranges tile the data section exactly: each begins where the previous ended,
/// the first at 0, the last at the end of the file ("no holes", which rules out polyglot files).</item>
/// </list>
/// </summary>
internal static class SafetensorsHeader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static (Dictionary<string, SafetensorsEntry> Entries, Dictionary<string, string> Metadata) Parse(
        string path, byte[] header, long dataLength)
    {
        try
        {
            StrictUtf8.GetCharCount(header);
        }
        catch (DecoderFallbackException e)
        {
            throw new SafetensorsException(path, null, $"header is not valid UTF-8 (invalid byte at header offset {e.Index})", e);
        }
        if (header.Length == 0 || header[0] != (byte)'{')
            throw new SafetensorsException(path, null, header.Length == 0
                ? "header is empty (expected a JSON object)"
                : $"header must start with '{{' (a JSON object), found byte 0x{header[0]:X2}");

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 16 });
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
            bool sawMetadata = false;
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (sawMetadata) throw new SafetensorsException(path, null, "__metadata__ appears twice in the header");
                    sawMetadata = true;
                    ParseMetadata(path, prop.Value, metadata);
                    continue;
                }
                if (entries.ContainsKey(prop.Name))
                    throw new SafetensorsException(path, prop.Name, "appears twice in the header");
                entries[prop.Name] = ParseEntry(path, prop.Name, prop.Value, dataLength);
            }
            CheckLayout(path, entries.Values, dataLength);
            return (entries, metadata);
        }
    }

    private static void ParseMetadata(string path, JsonElement v, Dictionary<string, string> metadata)
    {
        if (v.ValueKind == JsonValueKind.Null) return;
        if (v.ValueKind != JsonValueKind.Object)
            throw new SafetensorsException(path, null, $"__metadata__ must be an object of strings, got {v.ValueKind}");
        foreach (var m in v.EnumerateObject())
        {
            if (m.Value.ValueKind != JsonValueKind.String)
                throw new SafetensorsException(path, null, $"__metadata__ value '{m.Name}' is {m.Value.ValueKind}, not a string");
            if (!metadata.TryAdd(m.Name, m.Value.GetString()!))
                throw new SafetensorsException(path, null, $"__metadata__ key '{m.Name}' appears twice");
        }
    }

    private static SafetensorsEntry ParseEntry(string path, string name, JsonElement v, long dataLength)
    {
        if (v.ValueKind != JsonValueKind.Object)
            throw new SafetensorsException(path, name, $"header entry is {v.ValueKind}, not an object");
        JsonElement? dt = null, sh = null, off = null;
        foreach (var p in v.EnumerateObject())
        {
            ref JsonElement? slot = ref dt;
            if (p.Name == "dtype") slot = ref dt;
            else if (p.Name == "shape") slot = ref sh;
            else if (p.Name == "data_offsets") slot = ref off;
            else continue; // unknown fields are ignored, as serde does by default
            if (slot.HasValue) throw new SafetensorsException(path, name, $"field '{p.Name}' appears twice");
            slot = p.Value;
        }

        if (dt is not { ValueKind: JsonValueKind.String } dtEl)
            throw new SafetensorsException(path, name, "missing or non-string 'dtype'");
        string dtypeName = dtEl.GetString()!;
        if (!DTypeExtensions.TryParseSafetensors(dtypeName, out var dtype))
            throw new SafetensorsException(path, name, $"unsupported dtype '{dtypeName}' (supported: F32, F16, BF16, I32, I64, U8, BOOL)");

        if (sh is not { ValueKind: JsonValueKind.Array } shEl)
            throw new SafetensorsException(path, name, "missing or non-array 'shape'");
        var shape = new int[shEl.GetArrayLength()];
        int i = 0;
        // numel saturates at long.MaxValue: a saturated count can never equal a byte range inside the file.
        long numel = 1;
        foreach (var d in shEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0 || dim > int.MaxValue)
                throw new SafetensorsException(path, name, $"shape entry {i} ({d.GetRawText()}) is not a non-negative integer below 2^31");
            shape[i++] = (int)dim;
            numel = dim == 0 || numel == 0 ? 0 : numel > long.MaxValue / dim ? long.MaxValue : numel * dim;
        }

        if (off is not { ValueKind: JsonValueKind.Array } offEl || offEl.GetArrayLength() != 2)
            throw new SafetensorsException(path, name, "missing 'data_offsets' [begin, end]");
        long begin = ReadOffset(path, name, offEl[0]), end = ReadOffset(path, name, offEl[1]);
        if (end < begin)
            throw new SafetensorsException(path, name, $"data_offsets [{begin}, {end}): end before begin");
        if (end > dataLength)
            throw new SafetensorsException(path, name, $"data_offsets [{begin:N0}, {end:N0}) run past the data section of {dataLength:N0} bytes (truncated file?)");
        long bytes = numel > long.MaxValue / dtype.Size() ? long.MaxValue : numel * dtype.Size();
        if (bytes != end - begin)
            throw new SafetensorsException(path, name, $"shape [{ShapeUtil.Format(shape)}] × {dtype} needs {(bytes == long.MaxValue ? "more than 2^63" : bytes.ToString("N0"))} bytes but data_offsets span {end - begin:N0}");
        return new SafetensorsEntry(name, dtype, shape, begin, end);
    }

    private static long ReadOffset(string path, string name, JsonElement o)
    {
        if (o.ValueKind != JsonValueKind.Number || !o.TryGetInt64(out long v) || v < 0)
            throw new SafetensorsException(path, name, $"data_offsets entry {o.GetRawText()} is not a non-negative integer");
        return v;
    }

    /// <summary>Sorted by (begin, end), each range must start where the previous ended; the last must end at the file end.</summary>
    private static void CheckLayout(string path, IEnumerable<SafetensorsEntry> entries, long dataLength)
    {
        long expected = 0;
        SafetensorsEntry? prev = null;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ThenBy(e => e.Name, StringComparer.Ordinal))
        {
            if (e.Begin < expected)
                throw new SafetensorsException(path, e.Name, $"byte range [{e.Begin:N0}, {e.End:N0}) overlaps tensor '{prev!.Name}' [{prev.Begin:N0}, {prev.End:N0})");
            if (e.Begin > expected)
                throw new SafetensorsException(path, e.Name, $"byte range [{e.Begin:N0}, {e.End:N0}) leaves a hole of {e.Begin - expected:N0} bytes after {(prev is null ? "the start of the data section" : $"tensor '{prev.Name}'")} (the format forbids unindexed bytes)");
            expected = e.End;
            prev = e;
        }
        if (expected != dataLength)
            throw new SafetensorsException(path, null, $"tensors cover {expected:N0} bytes of the {dataLength:N0}-byte data section; {dataLength - expected:N0} trailing bytes are not indexed (corrupt or not a safetensors file)");
    }
}
