namespace FastVideo.Pipelines;

/// <summary>
/// A <c>model_index.json</c> names a pipeline or component class this engine does not implement. The message
/// names the class, where it was found and every class that is supported.
/// </summary>
public sealed class UnsupportedClassException(string kind, string className, string source, IReadOnlyList<string> supported)
    : NotSupportedException($"{source}: {kind} class '{className}' is not supported; supported {kind} classes: {string.Join(", ", supported)}")
{
    /// <summary>"pipeline" or "component".</summary>
    public string Kind { get; } = kind;
    public string ClassName { get; } = className;
    public IReadOnlyList<string> Supported { get; } = supported;
}
