namespace FastVideo.Media;

/// <summary>An output path that must not be written: names the path, what is there and the rule.</summary>
public sealed class OutputPathException(string path, string reason) : IOException($"{path}: {reason}")
{
    /// <summary>The path as the caller gave it.</summary>
    public string OutputPath { get; } = path;
    /// <summary>Why it was refused.</summary>
    public string Reason { get; } = reason;
}

/// <summary>
/// What FastVideo may do to an output path (docs/RELIABILITY.md). We never delete or replace anything we did not
/// create: a missing file or folder is created (through a temporary name and one rename); an existing regular file
/// is replaced only with <c>overwrite</c> (and then only by a rename, so the old file stays whole until the new one
/// is complete); an existing empty folder takes PNG frames; a non-empty folder takes them only with
/// <c>overwrite</c>, and then only <c>frame_NNNN.png</c> files are replaced or removed. Symbolic links, device
/// nodes, FIFOs and sockets are never written through or replaced. Missing parent folders are created, and removed
/// again if nothing was written.
/// </summary>
public static class OutputRules
{
    /// <summary>Checks <paramref name="path"/> for <paramref name="format"/> and throws <see cref="OutputPathException"/>
    /// naming the path when it must not be written. Reads nothing but metadata; creates nothing.</summary>
    public static void Check(string path, OutputFormat format, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0 || string.IsNullOrWhiteSpace(path)) throw new OutputPathException("''", "the output path is empty");
        if (path.Contains('\0')) throw new OutputPathException(path, "the output path contains a NUL character");
        bool folder = format == OutputFormat.Png;
        if (!folder && Path.EndsInDirectorySeparator(path))
            throw new OutputPathException(path, "ends with a path separator, which names a folder; give a file name (only png output is a folder)");
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new OutputPathException(path, $"not a valid path ({e.Message})");
        }
        full = Path.TrimEndingDirectorySeparator(full);
        if (Path.GetDirectoryName(full) is null) throw new OutputPathException(path, "is the root folder; give a file or folder name under it");
        CheckParents(path, full);
        var kind = FileNode.Kind(full, followLinks: false);
        switch (kind)
        {
            case FileNodeKind.Missing:
                return;
            case FileNodeKind.Regular when !folder:
                if (!overwrite) throw new OutputPathException(path, "already exists; pass --overwrite to replace it, or choose another output");
                return;
            case FileNodeKind.Directory when folder:
                if (!overwrite && Directory.EnumerateFileSystemEntries(full).Any())
                    throw new OutputPathException(path, "is a folder that is not empty; pass --overwrite to write the frames into it (only frame_NNNN.png files are replaced), or choose another output");
                return;
            case FileNodeKind.Directory:
                throw new OutputPathException(path, "is a folder; give a file name (only png output is a folder)");
            case FileNodeKind.Regular:
                throw new OutputPathException(path, "is a file; png output needs a folder path");
            case FileNodeKind.Symlink:
                throw new OutputPathException(path, "is a symbolic link; refusing to write through or replace it (give the real path)");
            default:
                throw new OutputPathException(path, $"is {FileNode.Describe(kind)}, not a regular file; refusing to write to or replace it");
        }
    }

    /// <summary>The nearest existing ancestor of the target must be a folder (we create the missing ones below it).</summary>
    private static void CheckParents(string path, string full)
    {
        for (var dir = Path.GetDirectoryName(full); dir != null; dir = Path.GetDirectoryName(dir))
        {
            var kind = FileNode.Kind(dir);
            if (kind == FileNodeKind.Missing) continue;
            if (kind != FileNodeKind.Directory)
                throw new OutputPathException(path, $"its parent {dir} is {FileNode.Describe(kind)}, not a folder");
            if (FileNode.WhyNotWritable(dir) is { } why)
                throw new OutputPathException(path, $"the folder {dir} {why}");
            return;
        }
    }

    /// <summary>Whether a file name is one of ours in a PNG frame folder (<c>frame_</c> + digits + <c>.png</c>).</summary>
    public static bool IsFrameFile(string name) =>
        name.StartsWith("frame_", StringComparison.Ordinal) && name.EndsWith(".png", StringComparison.Ordinal)
        && name.Length > 10 && name.AsSpan(6, name.Length - 10).ContainsAnyExceptInRange('0', '9') is false;
}
