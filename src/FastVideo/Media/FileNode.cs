using System.Runtime.InteropServices;

namespace FastVideo.Media;

/// <summary>What a path names on disk, as <c>stat(2)</c>/<c>lstat(2)</c> report it.</summary>
public enum FileNodeKind
{
    /// <summary>Nothing there (or a dangling symlink when links are followed).</summary>
    Missing,
    Regular,
    Directory,
    /// <summary>Only reported by <see cref="FileNode.Kind"/> with <c>followLinks: false</c>.</summary>
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
    /// <summary>Exists but could not be classified (e.g. no permission to stat it).</summary>
    Other,
}

/// <summary>
/// The type of a file-system node. .NET's <see cref="File.Exists(string)"/> is true for device nodes, FIFOs and
/// sockets, and opening a FIFO blocks; code that reads user input or replaces an output must know what it is
/// touching first. On Unix this is <c>stat</c>/<c>lstat</c> from libc; elsewhere files and folders only.
/// </summary>
public static partial class FileNode
{
    private const uint S_IFMT = 0xF000, S_IFSOCK = 0xC000, S_IFLNK = 0xA000, S_IFREG = 0x8000, S_IFBLK = 0x6000,
        S_IFDIR = 0x4000, S_IFCHR = 0x2000, S_IFIFO = 0x1000;

    /// <summary>The kind of node at <paramref name="path"/>; <paramref name="followLinks"/> false looks at a symlink itself.</summary>
    public static FileNodeKind Kind(string path, bool followLinks = true)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0) return FileNodeKind.Missing;
        if (OperatingSystem.IsLinux() && Volatile.Read(ref s_unavailable) == 0)
        {
            var (found, mode, denied) = Mode(path, followLinks);
            if (found)
            {
                return (mode & S_IFMT) switch
                {
                    S_IFREG => FileNodeKind.Regular,
                    S_IFDIR => FileNodeKind.Directory,
                    S_IFLNK => FileNodeKind.Symlink,
                    S_IFCHR => FileNodeKind.CharDevice,
                    S_IFBLK => FileNodeKind.BlockDevice,
                    S_IFIFO => FileNodeKind.Fifo,
                    S_IFSOCK => FileNodeKind.Socket,
                    _ => FileNodeKind.Other,
                };
            }
            if (Volatile.Read(ref s_unavailable) == 0) return denied ? FileNodeKind.Other : FileNodeKind.Missing;
        }
        if (!followLinks && new FileInfo(path) is { Exists: true, LinkTarget: not null }) return FileNodeKind.Symlink;
        if (Directory.Exists(path)) return FileNodeKind.Directory;
        return File.Exists(path) ? FileNodeKind.Regular : FileNodeKind.Missing;
    }

    /// <summary>"a character device", "a FIFO", …: for messages.</summary>
    public static string Describe(FileNodeKind kind) => kind switch
    {
        FileNodeKind.Missing => "missing",
        FileNodeKind.Regular => "a regular file",
        FileNodeKind.Directory => "a folder",
        FileNodeKind.Symlink => "a symbolic link",
        FileNodeKind.CharDevice => "a character device",
        FileNodeKind.BlockDevice => "a block device",
        FileNodeKind.Fifo => "a FIFO (named pipe)",
        FileNodeKind.Socket => "a socket",
        _ => "not a regular file",
    };

    private static int s_unavailable;   // 1 once libc's stat turned out missing (or the architecture unknown)

    /// <summary>(whether stat succeeded, st_mode, whether it failed with EACCES).</summary>
    private static unsafe (bool Found, uint Mode, bool Denied) Mode(string path, bool followLinks)
    {
        // struct stat is 144 bytes on x86-64 and 128 on arm64 glibc; st_mode sits at 24 and 16 respectively.
        int modeOffset = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,
            Architecture.Arm64 => 16,
            _ => -1,
        };
        if (modeOffset < 0)
        {
            Volatile.Write(ref s_unavailable, 1);
            return default;
        }
        byte* buf = stackalloc byte[256];
        int rc;
        try
        {
            rc = followLinks ? stat(path, buf) : lstat(path, buf);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            Volatile.Write(ref s_unavailable, 1);
            return default;
        }
        if (rc != 0) return (false, 0, Marshal.GetLastPInvokeError() == 13); // EACCES
        return (true, *(uint*)(buf + modeOffset), false);
    }

    /// <summary>
    /// Whether this process may create entries in the folder <paramref name="dir"/> (<c>access(W_OK | X_OK)</c>, which
    /// also reports a read-only file system to root). Null when it may; otherwise why not. Elsewhere than Linux: null.
    /// </summary>
    public static string? WhyNotWritable(string dir)
    {
        ArgumentNullException.ThrowIfNull(dir);
        if (!OperatingSystem.IsLinux() || Volatile.Read(ref s_unavailable) != 0) return null;
        try
        {
            if (access(dir, 2 | 1) == 0) return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        return Marshal.GetLastPInvokeError() switch
        {
            30 => "is on a read-only file system",
            13 or 1 => "is not writable (permission denied)",
            var errno => $"is not writable (errno {errno})",
        };
    }

    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int access(string path, int mode);

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int stat(string path, byte* buf);

    [LibraryImport("libc", EntryPoint = "lstat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int lstat(string path, byte* buf);
}
