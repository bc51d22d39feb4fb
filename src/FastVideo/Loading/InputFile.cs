using FastVideo.Media;

namespace FastVideo.Loading;

/// <summary>
/// Reading files that a user or a model folder names. Opening a FIFO blocks until a writer comes, and a device such as
/// <c>/dev/zero</c> never ends: every input is checked to be a regular file (after following links) before it is
/// opened, and whole-file reads are bounded.
/// </summary>
public static class InputFile
{
    /// <summary>The most a JSON config, tokenizer or similar small file may hold.</summary>
    public const long SmallFileLimit = 256L << 20;

    /// <summary>Throws naming <paramref name="path"/> unless it is a regular file (a missing file: <see cref="FileNotFoundException"/>).</summary>
    /// <param name="path">The file.</param>
    /// <param name="what">What the file should be, for the message ("a regular file", "an image file", …).</param>
    public static void RequireRegular(string path, string what = "a regular file")
    {
        ArgumentNullException.ThrowIfNull(path);
        var kind = FileNode.Kind(path);
        if (kind == FileNodeKind.Regular) return;
        if (kind == FileNodeKind.Missing) throw new FileNotFoundException($"{path}: file not found", path);
        throw new InvalidDataException($"{path}: is {FileNode.Describe(kind)}, not {what}");
    }

    /// <summary>The whole file, at most <paramref name="limit"/> bytes (reading stops there even if the file grows).</summary>
    /// <param name="path">The file.</param>
    /// <param name="limit">The most bytes it may hold.</param>
    /// <param name="what">What the file should be, for the messages (see <see cref="RequireRegular"/>).</param>
    public static byte[] ReadAllBytes(string path, long limit = SmallFileLimit, string what = "a regular file")
    {
        RequireRegular(path, what);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        if (fs.Length > limit) throw TooLarge(path, limit);
        using var ms = new MemoryStream((int)Math.Min(fs.Length, limit));
        var buffer = new byte[1 << 16];
        int n;
        while ((n = fs.Read(buffer)) > 0)
        {
            if (ms.Length + n > limit) throw TooLarge(path, limit);
            ms.Write(buffer, 0, n);
        }
        return ms.ToArray();
    }

    /// <summary>The whole file as UTF-8 text (a BOM is skipped), bounded as <see cref="ReadAllBytes"/>.</summary>
    public static string ReadAllText(string path, long limit = SmallFileLimit)
    {
        using var reader = new StreamReader(new MemoryStream(ReadAllBytes(path, limit)), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    private static InvalidDataException TooLarge(string path, long limit) =>
        new($"{path}: larger than {limit >> 20} MiB, the limit for this kind of file");
}
