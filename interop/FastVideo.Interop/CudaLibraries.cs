using System.Reflection;
using System.Runtime.InteropServices;

namespace FastVideo.Interop;

/// <summary>The three native CUDA libraries this engine binds.</summary>
public enum CudaLibrary
{
    /// <summary>The driver API (libcuda.so.1), installed with the GPU driver.</summary>
    Driver,
    /// <summary>The run-time compiler (libnvrtc.so.N), part of the CUDA toolkit.</summary>
    Nvrtc,
    /// <summary>The lightweight BLAS (libcublasLt.so.N), part of the CUDA toolkit.</summary>
    CublasLt,
}

/// <summary>
/// Finds the CUDA libraries across toolkit generations. The bindings import logical names
/// (<see cref="DriverImport"/>, <see cref="NvrtcImport"/>, <see cref="CublasLtImport"/>); a
/// <see cref="NativeLibrary.SetDllImportResolver"/> hook maps each to the newest soname that loads:
/// libnvrtc.so.13, .12, .11.2, ...; libcublasLt.so.13, .12, .11. For each soname the loader's own search
/// path comes first, then the toolkit folders (<c>$FASTVIDEO_CUDA_LIB_DIR</c>, <c>$CUDA_HOME/lib64</c>,
/// <c>$CUDA_PATH/lib64</c>, <c>/usr/local/cuda/lib64</c>), so a newer toolkit outside the loader path still
/// wins over an older one on it. The driver comes only from the loader path: it must match the kernel module.
/// </summary>
public static class CudaLibraries
{
    public const string DriverImport = "fastvideo_cuda_driver";
    public const string NvrtcImport = "fastvideo_cuda_nvrtc";
    public const string CublasLtImport = "fastvideo_cuda_cublaslt";

    private static readonly object s_gate = new();
    private static bool s_registered;
    private static readonly Dictionary<CudaLibrary, (nint Handle, string? Name)> s_loaded = new();

    /// <summary>Sonames to try, newest first, for the current operating system.</summary>
    public static IReadOnlyList<string> Candidates(CudaLibrary library) => Candidates(library, OperatingSystem.IsWindows());

    /// <summary>Sonames to try, newest first (Windows DLL names when <paramref name="windows"/>).</summary>
    public static IReadOnlyList<string> Candidates(CudaLibrary library, bool windows) => (library, windows) switch
    {
        (CudaLibrary.Driver, false) => ["libcuda.so.1", "libcuda.so"],
        (CudaLibrary.Nvrtc, false) =>
            ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so.11.1", "libnvrtc.so.11.0", "libnvrtc.so"],
        (CudaLibrary.CublasLt, false) => ["libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so.11", "libcublasLt.so"],
        (CudaLibrary.Driver, true) => ["nvcuda.dll"],
        (CudaLibrary.Nvrtc, true) => ["nvrtc64_130_0.dll", "nvrtc64_120_0.dll", "nvrtc64_112_0.dll", "nvrtc64_111_0.dll"],
        (CudaLibrary.CublasLt, true) => ["cublasLt64_13.dll", "cublasLt64_12.dll", "cublasLt64_11.dll"],
        _ => throw new ArgumentOutOfRangeException(nameof(library), library, "unknown CUDA library"),
    };

    /// <summary>
    /// Toolkit folders searched after the loader path (toolkit libraries only), in order; folders that do not
    /// exist are skipped. <paramref name="environment"/> reads a variable (defaults to the process environment).
    /// </summary>
    public static IReadOnlyList<string> SearchDirectories(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var dirs = new List<string>();
        void Add(string? dir)
        {
            if (!string.IsNullOrWhiteSpace(dir) && !dirs.Contains(dir)) dirs.Add(dir);
        }
        Add(environment("FASTVIDEO_CUDA_LIB_DIR"));
        foreach (var root in new[] { environment("CUDA_HOME"), environment("CUDA_PATH"), "/usr/local/cuda" })
        {
            if (string.IsNullOrWhiteSpace(root)) continue;
            Add(Path.Combine(root, OperatingSystem.IsWindows() ? "bin" : "lib64"));
            if (!OperatingSystem.IsWindows()) Add(Path.Combine(root, "targets", "x86_64-linux", "lib"));
        }
        return dirs;
    }

    /// <summary>
    /// The ordered load attempts for <paramref name="library"/>: each soname on the loader path, then in each
    /// search directory, before the next (older) soname.
    /// </summary>
    public static IReadOnlyList<string> ProbeOrder(CudaLibrary library, IReadOnlyList<string> candidates, IReadOnlyList<string> directories)
    {
        var order = new List<string>();
        foreach (var name in candidates)
        {
            order.Add(name);
            if (library == CudaLibrary.Driver) continue;
            foreach (var dir in directories) order.Add(Path.Combine(dir, name));
        }
        return order;
    }

    /// <summary>The first entry of <paramref name="probeOrder"/> that <paramref name="tryLoad"/> accepts, or null.</summary>
    public static string? Resolve(IReadOnlyList<string> probeOrder, Func<string, bool> tryLoad)
    {
        foreach (var p in probeOrder)
            if (tryLoad(p)) return p;
        return null;
    }

    /// <summary>Loads <paramref name="library"/> once (later calls return the cached outcome).</summary>
    /// <returns>The handle, or 0 when no candidate loads; <paramref name="loadedFrom"/> names the soname or path used.</returns>
    public static nint Load(CudaLibrary library, out string? loadedFrom)
    {
        lock (s_gate)
        {
            if (s_loaded.TryGetValue(library, out var got))
            {
                loadedFrom = got.Name;
                return got.Handle;
            }
            nint handle = 0;
            var dirs = SearchDirectories().Where(Directory.Exists).ToList();
            string? name = Resolve(ProbeOrder(library, Candidates(library), dirs),
                p => (p.Contains('/') || p.Contains('\\')) ? File.Exists(p) && NativeLibrary.TryLoad(p, out handle) : NativeLibrary.TryLoad(p, out handle));
            if (name == null) handle = 0;
            s_loaded[library] = (handle, name);
            loadedFrom = name;
            return handle;
        }
    }

    /// <summary>The soname or path <paramref name="library"/> was loaded from, or null if it was not (or not yet) loaded.</summary>
    public static string? LoadedFrom(CudaLibrary library)
    {
        lock (s_gate) return s_loaded.TryGetValue(library, out var got) ? got.Name : null;
    }

    /// <summary>Installs the import resolver for this assembly (idempotent; the bindings call it before first use).</summary>
    public static void EnsureRegistered()
    {
        if (Volatile.Read(ref s_registered)) return;
        lock (s_gate)
        {
            if (s_registered) return;
            NativeLibrary.SetDllImportResolver(typeof(CudaLibraries).Assembly, ResolveImport);
            Volatile.Write(ref s_registered, true);
        }
    }

    private static nint ResolveImport(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        CudaLibrary? lib = libraryName switch
        {
            DriverImport => CudaLibrary.Driver,
            NvrtcImport => CudaLibrary.Nvrtc,
            CublasLtImport => CudaLibrary.CublasLt,
            _ => null,
        };
        // Zero lets the runtime fall back to its default probing, which then fails with DllNotFoundException
        // naming the logical library: the callers catch that and report "unavailable".
        return lib is { } l ? Load(l, out _) : 0;
    }
}
