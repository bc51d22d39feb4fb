using System.Reflection;

namespace FastVideo.Cuda;

/// <summary>
/// Where kernel code comes from, by module name (the .cu file's stem, e.g. <c>rmsnorm</c>): a fatbin in an
/// optional directory on disk (kernels built on the target machine, e.g. by scripts/gpu-check.sh), a fatbin
/// embedded in this assembly (<c>kernels/&lt;name&gt;.fatbin</c>, built by CMake before the managed build), and the
/// embedded CUDA source (<c>kernels/src/&lt;family&gt;/&lt;name&gt;.cu</c>) with its headers for NVRTC.
/// </summary>
public sealed class KernelLibrary
{
    private const string FatbinPrefix = "kernels/";
    private const string SourcePrefix = "kernels/src/";

    private readonly Assembly _assembly;
    private readonly Dictionary<string, string> _fatbinResources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _sourceResources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _families = new(StringComparer.Ordinal);
    private readonly List<(string Name, string Source)> _headers = new();

    /// <summary>A directory searched first for <c>&lt;name&gt;.fatbin</c> (null: embedded kernels only).</summary>
    public string? Directory { get; }

    /// <summary>The library embedded in FastVideo.Cuda, plus fatbins from <paramref name="directory"/> if given.</summary>
    public KernelLibrary(string? directory = null) : this(typeof(KernelLibrary).Assembly, directory) { }

    public KernelLibrary(Assembly assembly, string? directory)
    {
        _assembly = assembly;
        Directory = directory;
        foreach (var raw in assembly.GetManifestResourceNames())
        {
            var name = raw.Replace('\\', '/');
            if (name.StartsWith(SourcePrefix, StringComparison.Ordinal))
            {
                var rel = name[SourcePrefix.Length..];
                if (rel.EndsWith(".cu", StringComparison.Ordinal))
                {
                    var module = Path.GetFileNameWithoutExtension(rel);
                    _sourceResources[module] = raw;
                    int slash = rel.LastIndexOf('/');
                    _families[module] = slash < 0 ? "" : rel[..slash];
                }
                else if (rel.EndsWith(".cuh", StringComparison.Ordinal))
                {
                    var text = ReadText(raw);
                    // Served under its bare file name (what the sources include) and its path below kernels/.
                    _headers.Add((Path.GetFileName(rel), text));
                    if (rel.Contains('/')) _headers.Add((rel, text));
                }
            }
            else if (name.StartsWith(FatbinPrefix, StringComparison.Ordinal) && name.EndsWith(".fatbin", StringComparison.Ordinal))
                _fatbinResources[Path.GetFileNameWithoutExtension(name)] = raw;
        }
    }

    /// <summary>Every module with a source, an embedded fatbin or a fatbin in <see cref="Directory"/>.</summary>
    public IReadOnlyList<string> Modules
    {
        get
        {
            var set = new SortedSet<string>(_sourceResources.Keys, StringComparer.Ordinal);
            set.UnionWith(_fatbinResources.Keys);
            if (Directory != null && System.IO.Directory.Exists(Directory))
                foreach (var f in System.IO.Directory.EnumerateFiles(Directory, "*.fatbin")) set.Add(Path.GetFileNameWithoutExtension(f));
            return set.ToList();
        }
    }

    /// <summary>The headers NVRTC is given (name as included, contents).</summary>
    public IReadOnlyList<(string Name, string Source)> Headers => _headers;

    /// <summary>The folder below kernels/ that holds the module's source (its family, e.g. <c>attention</c>), or "".</summary>
    public string Family(string module) => _families.TryGetValue(module, out var f) ? f : "";

    public bool HasEmbeddedFatbin(string module) => _fatbinResources.ContainsKey(module);

    public bool HasSource(string module) => _sourceResources.ContainsKey(module);

    /// <summary>The fatbins to try for <paramref name="module"/>, in order: the directory's, then the embedded one.</summary>
    public IEnumerable<(byte[] Image, string Origin)> Fatbins(string module)
    {
        if (Directory != null)
        {
            var path = Path.Combine(Directory, module + ".fatbin");
            if (File.Exists(path)) yield return (File.ReadAllBytes(path), path);
        }
        if (_fatbinResources.TryGetValue(module, out var res)) yield return (ReadBytes(res), $"embedded {res}");
    }

    /// <summary>The CUDA source of <paramref name="module"/> and its resource name, or false when it has none.</summary>
    public bool TryGetSource(string module, out string source, out string origin)
    {
        if (_sourceResources.TryGetValue(module, out var res))
        {
            source = ReadText(res);
            origin = res;
            return true;
        }
        source = origin = "";
        return false;
    }

    private byte[] ReadBytes(string resource)
    {
        using var s = _assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded resource {resource} vanished");
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    private string ReadText(string resource) => System.Text.Encoding.UTF8.GetString(ReadBytes(resource));
}
