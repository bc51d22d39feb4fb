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
/// <para>
/// With <c>$FASTVIDEO_CUDA_EMULATOR</c> set to a folder (<see cref="EmulatorVariable"/>), the driver and cuBLASLt come
/// from that folder and nowhere else: the CPU stand-ins built by <c>scripts/build-cuda-emulator.sh</c>. A folder
/// without them is an error naming the variable and the folder, never a silent fall-back to the system's libraries;
/// NVRTC stays the system's. Without the variable the emulator is never loaded.
/// </para>
/// </summary>
public static class CudaLibraries
{
    public const string DriverImport = "fastvideo_cuda_driver";
    public const string NvrtcImport = "fastvideo_cuda_nvrtc";
    public const string CublasLtImport = "fastvideo_cuda_cublaslt";

    /// <summary>The variable naming the folder of the emulated device's libcuda.so.1 and libcublasLt.so.</summary>
    public const string EmulatorVariable = "FASTVIDEO_CUDA_EMULATOR";

    private static readonly object s_gate = new();
    private static bool s_registered;
    private static readonly Dictionary<CudaLibrary, (nint Handle, string? Name, string? Error)> s_loaded = new();
    private static readonly Lazy<string?> s_emulatorFolder = new(() => EmulatorFolderFrom(Environment.GetEnvironmentVariable));

    /// <summary>
    /// The emulator folder from <c>$FASTVIDEO_CUDA_EMULATOR</c> (read once per process), or null when it is not set:
    /// then the driver and cuBLASLt are the system's.
    /// </summary>
    public static string? EmulatorFolder => s_emulatorFolder.Value;

    /// <summary>The emulator folder as <paramref name="environment"/> gives it (full path), or null when unset or blank.</summary>
    public static string? EmulatorFolderFrom(Func<string, string?> environment)
    {
        var v = environment(EmulatorVariable);
        return string.IsNullOrWhiteSpace(v) ? null : Path.GetFullPath(v.Trim());
    }

    /// <summary>Whether <paramref name="library"/> is taken from the emulator folder when one is set (the driver and cuBLASLt; not NVRTC).</summary>
    public static bool IsEmulated(CudaLibrary library) => library is CudaLibrary.Driver or CudaLibrary.CublasLt;

    /// <summary>True when the driver in use was loaded from <see cref="EmulatorFolder"/>.</summary>
    public static bool DriverIsEmulated => EmulatorFolder != null && LoadedFrom(CudaLibrary.Driver) != null;

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
    public static IReadOnlyList<string> ProbeOrder(CudaLibrary library, IReadOnlyList<string> candidates, IReadOnlyList<string> directories) =>
        ProbeOrder(library, candidates, directories, emulatorFolder: null);

    /// <summary>
    /// As <see cref="ProbeOrder(CudaLibrary, IReadOnlyList{string}, IReadOnlyList{string})"/>; with an
    /// <paramref name="emulatorFolder"/>, the driver and cuBLASLt are tried only as files in that folder (no loader
    /// path, no toolkit folder), while NVRTC keeps its usual order.
    /// </summary>
    public static IReadOnlyList<string> ProbeOrder(CudaLibrary library, IReadOnlyList<string> candidates, IReadOnlyList<string> directories, string? emulatorFolder)
    {
        var order = new List<string>();
        if (emulatorFolder != null && IsEmulated(library))
        {
            foreach (var name in candidates) order.Add(Path.Combine(emulatorFolder, name));
            return order;
        }
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
            var emulator = EmulatorFolder;
            // The emulated cuBLASLt links against libcuda.so.1: loading the emulated driver first makes the
            // dynamic linker bind that dependency to it (same soname, already loaded) rather than search for one.
            if (emulator != null && library == CudaLibrary.CublasLt && !s_loaded.ContainsKey(CudaLibrary.Driver))
                s_loaded[CudaLibrary.Driver] = LoadFromEmulator(CudaLibrary.Driver, emulator);
            var loaded = emulator != null && IsEmulated(library) ? LoadFromEmulator(library, emulator) : LoadFromSystem(library);
            s_loaded[library] = loaded;
            loadedFrom = loaded.Name;
            return loaded.Handle;
        }
    }

    private static (nint Handle, string? Name, string? Error) LoadFromSystem(CudaLibrary library)
    {
        nint handle = 0;
        var dirs = SearchDirectories().Where(Directory.Exists).ToList();
        string? name = Resolve(ProbeOrder(library, Candidates(library), dirs),
            p => (p.Contains('/') || p.Contains('\\')) ? File.Exists(p) && NativeLibrary.TryLoad(p, out handle) : NativeLibrary.TryLoad(p, out handle));
        return name == null ? (0, null, null) : (handle, name, null);
    }

    /// <summary>The first candidate file in the emulator folder; a file that exists but fails to load is an error, not a reason to go on.</summary>
    private static (nint Handle, string? Name, string? Error) LoadFromEmulator(CudaLibrary library, string folder)
    {
        foreach (var path in ProbeOrder(library, Candidates(library), [], folder))
        {
            if (!File.Exists(path)) continue;
            try
            {
                return (NativeLibrary.Load(path), path, null);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                return (0, null, $"{EmulatorVariable}={folder}: {Path.GetFileName(path)} is there but does not load: {e.Message.ReplaceLineEndings(" ")}");
            }
        }
        return (0, null, null);
    }

    /// <summary>
    /// Why <paramref name="library"/> did not load, in one line: with the emulator configured, which file is missing
    /// from (or failed to load in) the emulator folder, naming the variable; otherwise the sonames that were tried.
    /// </summary>
    public static string NotFoundReason(CudaLibrary library) => NotFoundReason(library, EmulatorFolder, LoadError(library));

    /// <summary>The reason for a given emulator folder (null: none) and load error (null: the files were absent).</summary>
    public static string NotFoundReason(CudaLibrary library, string? emulatorFolder, string? loadError)
    {
        if (loadError != null) return loadError;
        string what = library switch
        {
            CudaLibrary.Driver => "CUDA driver library",
            CudaLibrary.Nvrtc => "NVRTC",
            _ => "cuBLASLt",
        };
        if (emulatorFolder != null && IsEmulated(library))
        {
            string names = library == CudaLibrary.Driver ? "libcuda.so.1" : "libcublasLt.so*";
            string problem = Directory.Exists(emulatorFolder) ? $"no {names} in that folder" : "that folder does not exist";
            return $"{EmulatorVariable}={emulatorFolder}: {problem} (the emulated device's {what}; build it with scripts/build-cuda-emulator.sh, or unset {EmulatorVariable})";
        }
        return library == CudaLibrary.Driver
            ? $"no {what} ({string.Join(", ", Candidates(library))} not found)"
            : $"{what} not found ({string.Join(", ", Candidates(library))})";
    }

    private static string? LoadError(CudaLibrary library)
    {
        lock (s_gate) return s_loaded.TryGetValue(library, out var got) ? got.Error : null;
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
