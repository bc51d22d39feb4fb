using System.Runtime.InteropServices;

namespace FastVideo.Tensors;

/// <summary>
/// Transparent huge pages for large host buffers (Linux). With the kernel's usual THP mode <c>madvise</c>,
/// anonymous memory is backed by 4 KiB pages unless the range is advised <c>MADV_HUGEPAGE</c>, and the
/// first touch of every 4 KiB page is a page fault. Large, short-lived activations (the VAE decoder's
/// full-resolution tensors: ~1 GB each) then spend more time faulting than computing: measured on the
/// development VM, allocating and touching 920 MB took 3.2 s with 4 KiB pages and 0.27 s advised.
/// Advice is best effort: on other systems, or where the call fails, nothing changes.
/// </summary>
internal static partial class HugePages
{
    /// <summary>The x86-64/arm64 Linux huge page size the advice works in.</summary>
    public const long PageBytes = 2L << 20;

    private const int MadvHugePage = 14;
    private static int s_unavailable;   // 1 once libc or madvise turned out missing: stop trying

    /// <summary>Whether the platform can take the advice at all.</summary>
    public static bool Supported => OperatingSystem.IsLinux() && Volatile.Read(ref s_unavailable) == 0;

    /// <summary>
    /// Advises the whole 2 MiB-aligned interior of [<paramref name="pointer"/>, +<paramref name="bytes"/>) to be
    /// backed by huge pages. Returns whether the kernel accepted it (false, never an exception, otherwise).
    /// </summary>
    public static bool Advise(nint pointer, long bytes)
    {
        if (!Supported) return false;
        long start = (pointer + PageBytes - 1) & ~(PageBytes - 1);
        long end = (pointer + bytes) & ~(PageBytes - 1);
        if (end <= start) return false;
        try
        {
            return madvise((nint)start, (nuint)(end - start), MadvHugePage) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            Volatile.Write(ref s_unavailable, 1);
            return false;
        }
    }

    [LibraryImport("libc", SetLastError = false)]
    private static partial int madvise(nint addr, nuint length, int advice);
}
