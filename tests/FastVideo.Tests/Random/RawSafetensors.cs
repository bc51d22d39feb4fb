using System.Runtime.InteropServices;
using System.Text.Json;

namespace FastVideo.Tests.Rng;

/// <summary>
/// A minimal safetensors reader for the RNG goldens, which hold F64 tensors (the fsum checks) that the
/// engine's <see cref="FastVideo.Loading.SafetensorsFile"/> rightly refuses (DType has no F64). Returns the raw
/// little-endian values of one tensor; no validation beyond what the tests need.
/// </summary>
internal sealed class RawSafetensors
{
    private readonly byte[] _bytes;
    private readonly long _dataOffset;
    private readonly Dictionary<string, (string DType, long Begin, long End)> _entries = new(StringComparer.Ordinal);

    public RawSafetensors(string path)
    {
        _bytes = File.ReadAllBytes(path);
        long headerLen = BitConverter.ToInt64(_bytes, 0);
        _dataOffset = 8 + headerLen;
        using var doc = JsonDocument.Parse(_bytes.AsMemory(8, (int)headerLen));
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            var offsets = p.Value.GetProperty("data_offsets");
            _entries[p.Name] = (p.Value.GetProperty("dtype").GetString()!, offsets[0].GetInt64(), offsets[1].GetInt64());
        }
    }

    public T[] Read<T>(string name, string dtype) where T : unmanaged
    {
        if (!_entries.TryGetValue(name, out var e)) throw new KeyNotFoundException($"no tensor '{name}' in the golden file");
        if (e.DType != dtype) throw new InvalidDataException($"tensor '{name}' is {e.DType}, expected {dtype}");
        var span = _bytes.AsSpan((int)(_dataOffset + e.Begin), (int)(e.End - e.Begin));
        return MemoryMarshal.Cast<byte, T>(span).ToArray();
    }

    public float[] F32(string name) => Read<float>(name, "F32");
    public long[] I64(string name) => Read<long>(name, "I64");
    public double[] F64(string name) => Read<double>(name, "F64");
}
