using System.Buffers.Binary;
using System.IO.Compression;

namespace FastVideo.Pipelines;

/// <summary>
/// Decodes a non-interlaced 16-bit PNG the way Pillow 9.4 turns it into RGB: ImageMagick's Q8 build has already rounded
/// the samples (v + 128) / 257, losing what Pillow uses. Pillow keeps the HIGH byte (v >> 8) of RGB/RGBA/LA samples
/// (raw modes <c>RGB;16B</c>, <c>RGBA;16B</c>, <c>LA;16B</c>), but opens 16-bit grayscale as mode <c>I</c>, whose
/// <c>convert("RGB")</c> CLAMPS: min(v, 255) on each channel. Alpha is dropped as in <c>convert("RGB")</c>.
/// </summary>
internal static class Png16
{
    private static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Width and height from the IHDR of a PNG (unsigned 31-bit, as the format allows), or null when <paramref name="file"/> is no PNG.</summary>
    public static (long Width, long Height)? HeaderSize(ReadOnlySpan<byte> file) =>
        file.Length >= 24 && file[..8].SequenceEqual(Signature) && file.Slice(12, 4).SequenceEqual("IHDR"u8)
            ? (BinaryPrimitives.ReadUInt32BigEndian(file[16..]), BinaryPrimitives.ReadUInt32BigEndian(file[20..]))
            : null;

    /// <summary>The RGB image, or null when <paramref name="file"/> is not a 16-bit PNG (left to ImageMagick).</summary>
    /// <exception cref="NotSupportedException">an interlaced (Adam7) 16-bit PNG: not decoded here, and ImageMagick's
    /// rounded samples would differ from Pillow's (for grayscale, entirely).</exception>
    public static RgbImage? TryDecode(byte[] file, string path)
    {
        if (file.Length < 33 || !file.AsSpan(0, 8).SequenceEqual(Signature) || file.AsSpan(12, 4).SequenceEqual("IHDR"u8) is false) return null;
        int width = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(16)), height = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(20));
        byte depth = file[24], colorType = file[25], interlace = file[28];
        int channels = colorType switch { 0 => 1, 4 => 2, 2 => 3, 6 => 4, _ => 0 };
        if (depth != 16 || channels == 0 || width < 1 || height < 1) return null;
        ImageLimits.Check(path, width, height);  // before the pixel buffers below are allocated
        if (interlace != 0)
            throw new NotSupportedException($"{path}: interlaced 16-bit PNG is not supported; save it non-interlaced (or as 8-bit)");

        using var idat = new MemoryStream();
        for (int at = 8; at + 12 <= file.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(at));
            if (length < 0 || at + 12L + length > file.Length) throw new InvalidDataException($"{path}: truncated PNG chunk at byte {at}");
            var kind = file.AsSpan(at + 4, 4);
            if (kind.SequenceEqual("IDAT"u8)) idat.Write(file, at + 8, length);
            if (kind.SequenceEqual("IEND"u8)) break;
            at += 12 + length;
        }
        if ((long)height * (width * channels * 2 + 1) > Array.MaxLength || (long)width * height * 3 > Array.MaxLength)
            throw new InvalidDataException($"{path}: 16-bit PNG of {width}×{height} is too large to decode");
        int bpp = channels * 2, stride = width * bpp;
        var raw = new byte[(long)height * (stride + 1)];
        idat.Position = 0;
        using (var z = new ZLibStream(idat, CompressionMode.Decompress))
        {
            try { z.ReadExactly(raw); }
            catch (Exception e) when (e is EndOfStreamException or InvalidDataException)
            {
                throw new InvalidDataException($"{path}: truncated or corrupt 16-bit PNG image data", e);
            }
        }
        var rgb = new byte[(long)height * width * 3];
        var prior = new byte[stride];
        var row = new byte[stride];
        for (int y = 0; y < height; y++)
        {
            Unfilter(raw[y * (stride + 1)], raw.AsSpan(y * (stride + 1) + 1, stride), prior, row, bpp, path);
            for (int x = 0; x < width; x++)
                for (int c = 0; c < 3; c++)
                {
                    int s = x * bpp + (channels < 3 ? 0 : c * 2);  // gray (and gray+alpha) repeat the one sample
                    int v = channels == 1 ? Math.Min((int)BinaryPrimitives.ReadUInt16BigEndian(row.AsSpan(s)), 255) : row[s];
                    rgb[((long)y * width + x) * 3 + c] = (byte)v;
                }
            (prior, row) = (row, prior);
        }
        return new RgbImage(rgb, height, width);
    }

    /// <summary>PNG filter types 0–4 (None, Sub, Up, Average, Paeth) on one scanline, bytewise per the PNG spec.</summary>
    private static void Unfilter(byte type, ReadOnlySpan<byte> src, ReadOnlySpan<byte> prior, Span<byte> dst, int bpp, string path)
    {
        for (int i = 0; i < src.Length; i++)
        {
            int a = i >= bpp ? dst[i - bpp] : 0, b = prior[i], c = i >= bpp ? prior[i - bpp] : 0;
            int predictor = type switch
            {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) >> 1,
                4 => Paeth(a, b, c),
                _ => throw new InvalidDataException($"{path}: PNG filter type {type} is not 0–4"),
            };
            dst[i] = (byte)(src[i] + predictor);
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
