using FastVideo.Interop;

namespace FastVideo.Cuda;

/// <summary>How one module was obtained, for <c>fastvideo selftest</c> and diagnostics.</summary>
/// <param name="Module">The module name (its .cu file stem).</param>
/// <param name="Origin">The fatbin path or resource, or "NVRTC &lt;version&gt; &lt;arch&gt;".</param>
/// <param name="Skipped">Sources tried before it that had no code for this device, with the reason.</param>
public sealed record ModuleOrigin(string Module, string Origin, IReadOnlyList<string> Skipped);

/// <summary>
/// Loads kernel modules into one device's context on first use and keeps them. For each module: the fatbins of
/// <see cref="KernelLibrary"/> in order (a fatbin without code for this GPU is skipped), then NVRTC on the
/// embedded source for the device's exact architecture (a CUBIN; PTX for the newest architecture NVRTC knows
/// when it does not know the device's). Functions are looked up once and cached.
/// </summary>
public sealed class KernelModules : IDisposable
{
    private readonly CudaDevice _device;
    private readonly KernelLibrary _library;
    private readonly Dictionary<string, CudaModule> _modules = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ModuleOrigin> _origins = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), CudaFunction> _functions = new();
    private readonly Dictionary<nint, int> _sharedRaised = new(); // function → dynamic shared bytes it may launch with
    private readonly object _gate = new();

    // NVRTC output per (module, architecture, NVRTC version): compiled once per process however many backends
    // (devices, or exact and mixed backends on one device) load the module.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string, string), byte[]> s_compiled = new();

    public KernelModules(CudaDevice device, KernelLibrary library)
    {
        _device = device;
        _library = library;
    }

    public KernelLibrary Library => _library;

    /// <summary>How each loaded module was obtained.</summary>
    public IReadOnlyList<ModuleOrigin> Origins
    {
        get { lock (_gate) return _origins.Values.OrderBy(o => o.Module, StringComparer.Ordinal).ToList(); }
    }

    /// <summary>Whether <paramref name="module"/> has any code (source or fatbin) this library could load.</summary>
    public bool Has(string module) => _library.HasSource(module) || _library.HasEmbeddedFatbin(module) ||
        (_library.Directory != null && File.Exists(Path.Combine(_library.Directory, module + ".fatbin")));

    /// <summary>Kernel <paramref name="entry"/> of <paramref name="module"/>, loading the module on first use.</summary>
    public CudaFunction Function(string module, string entry)
    {
        lock (_gate)
        {
            if (_functions.TryGetValue((module, entry), out var f)) return f;
            _device.MakeCurrent();
            f = LoadLocked(module).GetFunction(entry);
            _functions[(module, entry)] = f;
            return f;
        }
    }

    /// <summary>
    /// Makes <paramref name="function"/> launchable with <paramref name="bytes"/> of dynamic shared memory: raises
    /// its limit (CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES) when static + dynamic exceed the default 48 KiB
    /// and it has not been raised that far yet; throws when even the device's opt-in maximum is too small.
    /// </summary>
    public void EnsureDynamicSharedMemory(CudaFunction function, int bytes)
    {
        if (bytes <= 0) return;
        lock (_gate)
        {
            _sharedRaised.TryGetValue(function.Handle, out int raised);
            if (raised >= bytes) return;
            int staticBytes = function.GetAttribute(CudaFunction.AttrSharedSizeBytes);
            int? raise = DynamicSharedMemoryToRaise(bytes, staticBytes, _device.Info.SharedMemoryPerBlockOptin, function.Name, _device.Info.Name);
            if (raise is int value) function.SetMaxDynamicSharedMemory(value);
            _sharedRaised[function.Handle] = bytes;
        }
    }

    /// <summary>Shared memory a block may use without opting in (static + dynamic).</summary>
    public const int DefaultSharedMemoryPerBlock = 48 * 1024;

    /// <summary>
    /// The pure rule of <see cref="EnsureDynamicSharedMemory"/>: null when static + dynamic fit the default 48 KiB,
    /// else the dynamic size to raise the limit to; throws <see cref="InvalidOperationException"/> when static +
    /// dynamic exceed the device's opt-in maximum per block (the launch would fail with an unhelpful error).
    /// </summary>
    public static int? DynamicSharedMemoryToRaise(int dynamicBytes, int staticBytes, int optinPerBlock, string kernel, string device)
    {
        long total = (long)dynamicBytes + staticBytes;
        if (total <= DefaultSharedMemoryPerBlock) return null;
        if (total > optinPerBlock)
            throw new InvalidOperationException(
                $"kernel {kernel} needs {dynamicBytes} bytes of dynamic + {staticBytes} of static shared memory; {device} allows {optinPerBlock} per block");
        return dynamicBytes;
    }

    /// <summary>Loads <paramref name="module"/> now (a warm-up, or to report where it came from).</summary>
    public ModuleOrigin Load(string module)
    {
        lock (_gate)
        {
            _device.MakeCurrent();
            LoadLocked(module);
            return _origins[module];
        }
    }

    private CudaModule LoadLocked(string module)
    {
        if (_modules.TryGetValue(module, out var m)) return m;
        var skipped = new List<string>();
        foreach (var (image, origin) in _library.Fatbins(module))
        {
            try
            {
                m = CudaModule.Load(_device.Context, image, $"{module} ({origin})");
                Remember(module, m, origin, skipped);
                return m;
            }
            catch (CudaException e) when (e.Code is CudaErrors.NoBinaryForGpu or CudaErrors.InvalidImage or CudaErrors.InvalidPtx
                                              or CudaErrors.UnsupportedPtxVersion)
            {
                skipped.Add($"{origin}: {e.ErrorName}");
            }
        }
        if (!_library.TryGetSource(module, out var source, out var resource))
            throw new InvalidOperationException(
                $"kernel module {module}: no fatbin with code for {_device.Info.Architecture} and no source to compile" +
                (skipped.Count > 0 ? $" (tried {string.Join("; ", skipped)})" : ""));
        var (arch, cubin, version) = NvrtcTarget(_device.Info);
        var options = NvrtcOptions(arch, _library.Family(module));
        var compiled = s_compiled.GetOrAdd((module, arch, version), _ => Nvrtc.Compile(source, module + ".cu", _library.Headers, options, cubin).Image);
        string o = $"NVRTC {version} {arch} from {resource}";
        m = CudaModule.Load(_device.Context, compiled, $"{module} ({o})");
        Remember(module, m, o, skipped);
        return m;
    }

    private void Remember(string module, CudaModule m, string origin, List<string> skipped)
    {
        _modules[module] = m;
        _origins[module] = new ModuleOrigin(module, origin, skipped);
    }

    /// <summary>
    /// The NVRTC target for <paramref name="device"/>: its exact architecture as a CUBIN when NVRTC supports it
    /// (<c>sm_90a</c> on compute capability 9.0 with NVRTC ≥ 12, so Hopper-only instructions are allowed),
    /// otherwise PTX for the newest architecture NVRTC supports below it, which the driver compiles at load.
    /// </summary>
    public static (string Arch, bool Cubin, string NvrtcVersion) NvrtcTarget(CudaDeviceInfo device)
    {
        if (!Nvrtc.TryGetVersion(out int major, out int minor, out var reason))
            throw new InvalidOperationException($"cannot compile kernels for {device.Architecture}: {reason}");
        var (arch, cubin) = ChooseTarget(device.ComputeCapability, major, Nvrtc.SupportedArchitectures());
        return (arch, cubin, $"{major}.{minor}");
    }

    /// <summary>The pure part of <see cref="NvrtcTarget"/>: (architecture option value, whether it yields a CUBIN).</summary>
    public static (string Arch, bool Cubin) ChooseTarget(int computeCapability, int nvrtcMajor, IReadOnlyCollection<int> supported)
    {
        if (supported.Contains(computeCapability))
            return (computeCapability == 90 && nvrtcMajor >= 12 ? "sm_90a" : $"sm_{computeCapability}", true);
        var below = supported.Where(a => a <= computeCapability).DefaultIfEmpty(-1).Max();
        if (below < 0)
            throw new InvalidOperationException(
                $"NVRTC {nvrtcMajor}.x supports none of the architectures up to sm_{computeCapability} (it knows {string.Join(", ", supported.Select(a => "sm_" + a))})");
        return ($"compute_{below}", false);
    }

    /// <summary>
    /// The options NVRTC gets, mirroring kernels/CMakeLists.txt: C++17, device code by default, and
    /// <c>--use_fast_math</c> for the attention family only (the others must match the CPU reference in f32).
    /// </summary>
    public static IReadOnlyList<string> NvrtcOptions(string arch, string family)
    {
        var o = new List<string> { $"--gpu-architecture={arch}", "-std=c++17", "--device-as-default-execution-space" };
        if (family == "attention") o.Add("--use_fast_math");
        return o;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var m in _modules.Values) m.Dispose();
            _modules.Clear();
            _functions.Clear();
        }
    }
}
