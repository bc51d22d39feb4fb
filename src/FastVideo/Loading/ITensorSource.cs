using FastVideo.Tensors;

namespace FastVideo.Loading;

/// <summary>A set of named tensors on disk: one safetensors file, or the shards of a checkpoint.</summary>
public interface ITensorSource : IDisposable
{
    /// <summary>A description for error messages (a file path or a folder).</summary>
    string Description { get; }
    IEnumerable<string> Names { get; }
    bool Contains(string name);
    /// <summary>Header information (dtype, shape); throws <see cref="SafetensorsException"/> naming the tensor when absent.</summary>
    SafetensorsEntry Entry(string name);
    /// <summary>A new tensor in the stored dtype.</summary>
    Tensor Load(string name, IAllocator? allocator = null);
    /// <summary>A new tensor converted to F32.</summary>
    Tensor LoadF32(string name, IAllocator? allocator = null);
}

/// <summary>A checkpoint lacks a parameter, has one the model does not know, or one of the wrong shape.</summary>
public sealed class CheckpointException(string message) : Exception(message);

/// <summary>
/// Hands a model its parameters by checkpoint name, checking shapes, and remembers which names were taken
/// so that <see cref="EnsureAllConsumed"/> can report parameters the model does not know.
/// </summary>
public sealed class ParameterReader
{
    private readonly ITensorSource _source;
    private readonly HashSet<string> _taken = new(StringComparer.Ordinal);
    private readonly IAllocator? _allocator;

    public ParameterReader(ITensorSource source, IAllocator? allocator = null, string model = "model")
    {
        _source = source;
        _allocator = allocator;
        Model = model;
    }

    public string Model { get; }
    public ITensorSource Source => _source;

    public bool Has(string name) => _source.Contains(name);

    /// <summary>The parameter in its stored dtype; <paramref name="shape"/> (if given) must match exactly.</summary>
    public Tensor Take(string name, params int[]? shape) => TakeCore(name, shape, f32: false);

    /// <summary>The parameter converted to F32.</summary>
    public Tensor TakeF32(string name, params int[]? shape) => TakeCore(name, shape, f32: true);

    /// <summary>Marks a parameter as known without loading it (e.g. a tied duplicate).</summary>
    public void Skip(string name)
    {
        if (_source.Contains(name)) _taken.Add(name);
    }

    private Tensor TakeCore(string name, int[]? shape, bool f32)
    {
        if (!_source.Contains(name))
            throw new CheckpointException($"{Model}: parameter '{name}' is missing from {_source.Description}");
        var e = _source.Entry(name);
        if (shape is { Length: > 0 } && !e.Shape.AsSpan().SequenceEqual(shape))
            throw new CheckpointException($"{Model}: parameter '{name}' in {_source.Description} has shape [{ShapeUtil.Format(e.Shape)}], the config implies [{ShapeUtil.Format(shape)}]");
        if (!e.DType.IsFloat())
            throw new CheckpointException($"{Model}: parameter '{name}' in {_source.Description} is {e.DType}, expected a floating dtype");
        _taken.Add(name);
        return f32 ? _source.LoadF32(name, _allocator) : _source.Load(name, _allocator);
    }

    /// <summary>Throws naming every parameter in the checkpoint that was never taken or skipped.</summary>
    public void EnsureAllConsumed()
    {
        var unexpected = _source.Names.Where(n => !_taken.Contains(n)).OrderBy(n => n, StringComparer.Ordinal).ToList();
        if (unexpected.Count > 0)
            throw new CheckpointException($"{Model}: {unexpected.Count} unexpected parameter(s) in {_source.Description}: {string.Join(", ", unexpected.Take(10))}{(unexpected.Count > 10 ? ", ..." : "")}");
    }
}
