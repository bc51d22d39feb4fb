using System.Buffers.Binary;
using System.Text;

namespace FastVideo.Tests.Loading;

/// <summary>A fresh temporary folder, deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fv-loading-" + Guid.NewGuid().ToString("N"));

    public TempDir() => Directory.CreateDirectory(Path);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Builds safetensors bytes by hand (header text + data), so tests can write files no writer would.</summary>
public static class SafetensorsBytes
{
    /// <summary>8-byte little-endian length of <paramref name="header"/>, the header bytes, then <paramref name="data"/>.</summary>
    public static byte[] Build(byte[] header, ReadOnlySpan<byte> data, ulong? declaredLength = null)
    {
        var r = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(r, declaredLength ?? (ulong)header.Length);
        header.CopyTo(r, 8);
        data.CopyTo(r.AsSpan(8 + header.Length));
        return r;
    }

    public static byte[] Build(string header, int dataBytes) => Build(Encoding.UTF8.GetBytes(header), new byte[dataBytes]);
}
