using System.Runtime.InteropServices;
using FastVideo.Backends;
using FastVideo.Backends.Cpu;
using FastVideo.Loading;
using FastVideo.Models.Dits.Wan;
using FastVideo.Tensors;
using FastVideo.Tests.Support;

namespace FastVideo.Tests.Models;

/// <summary>Golden file access and a mutable in-memory checkpoint for the Wan transformer tests.</summary>
internal static class WanGolden
{
    public const double Atol = 1e-4, Rtol = 1e-4;

    public static IBackend Backend => CpuBackend.Default;

    public static string ModelDir(string component) => Golden.Path_(component, "model");

    public static WanTransformer3DModel LoadModel(string component) => WanTransformer3DModel.FromFolder(Backend, ModelDir(component));

    public static SafetensorsFile Case(string component, string name) => SafetensorsFile.Open(Golden.Path_(component, name + ".safetensors"));

    public static float[] Floats(SafetensorsFile f, string name) => f.Read<float>(name);

    /// <summary>A golden F32 tensor as a new tensor on the test backend.</summary>
    public static Tensor Load(SafetensorsFile f, string name) => f.LoadF32(name, Backend.Allocator);
}

/// <summary>
/// An ITensorSource over host arrays, to build checkpoints with a parameter missing, renamed, misshapen or
/// stored in another dtype from a golden checkpoint.
/// </summary>
internal sealed class MemoryTensorSource : ITensorSource
{
    private readonly Dictionary<string, (DType DType, int[] Shape, byte[] Bytes)> _tensors = new(StringComparer.Ordinal);

    public string Description => "memory checkpoint";

    public static MemoryTensorSource CopyOf(SafetensorsFile file)
    {
        var m = new MemoryTensorSource();
        foreach (var e in file.Entries) m._tensors[e.Name] = (e.DType, e.Shape, file.GetBytes(e.Name).ToArray());
        return m;
    }

    public IEnumerable<string> Names => _tensors.Keys;

    public bool Contains(string name) => _tensors.ContainsKey(name);

    public void Remove(string name)
    {
        if (!_tensors.Remove(name)) throw new KeyNotFoundException(name);
    }

    public void Rename(string from, string to)
    {
        var t = _tensors[from];
        _tensors.Remove(from);
        _tensors[to] = t;
    }

    public void Put(string name, DType dtype, int[] shape, byte[] bytes) => _tensors[name] = (dtype, shape, bytes);

    /// <summary>Re-stores every floating tensor whose name matches as BF16 (round to nearest even).</summary>
    public void ConvertToBf16(Func<string, bool> which)
    {
        foreach (var name in _tensors.Keys.ToList())
        {
            var (dtype, shape, bytes) = _tensors[name];
            if (dtype != DType.F32 || !which(name)) continue;
            var f = MemoryMarshal.Cast<byte, float>(bytes);
            var h = new BFloat16[f.Length];
            for (int i = 0; i < f.Length; i++) h[i] = (BFloat16)f[i];
            _tensors[name] = (DType.BF16, shape, MemoryMarshal.AsBytes(h.AsSpan()).ToArray());
        }
    }

    public SafetensorsEntry Entry(string name)
    {
        if (!_tensors.TryGetValue(name, out var t)) throw new SafetensorsException(Description, name, "not in this checkpoint");
        return new SafetensorsEntry(name, t.DType, t.Shape, 0, t.Bytes.Length);
    }

    public Tensor Load(string name, IAllocator? allocator = null)
    {
        var e = Entry(name);
        var t = Tensor.Empty(allocator ?? CpuAllocator.Shared, e.Shape, e.DType);
        t.Name = name;
        t.Storage.Allocator.CopyFromHost(_tensors[name].Bytes, t.DataPointer);
        return t;
    }

    public Tensor LoadF32(string name, IAllocator? allocator = null)
    {
        var e = Entry(name);
        var values = new float[e.Numel];
        DTypeConvert.ToFloat(_tensors[name].Bytes, e.DType, values);
        var t = Tensor.FromHost<float>(allocator ?? CpuAllocator.Shared, values, e.Shape);
        t.Name = name;
        return t;
    }

    public void Dispose() { }
}
