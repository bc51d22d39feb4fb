namespace FastVideo.Pipelines;

/// <summary>
/// Marks a pipeline class as the implementation of a diffusers pipeline, keyed by the <c>_class_name</c> of
/// <c>model_index.json</c> (FastVideo's <c>EntryClass</c>). A class may serve several names. The class must also
/// be listed in <see cref="PipelineRegistry"/> (a test checks that every marked class is).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class PipelineEntryAttribute(string className) : Attribute
{
    /// <summary>The <c>model_index.json</c> <c>_class_name</c> this pipeline runs (e.g. "WanPipeline").</summary>
    public string ClassName { get; } = className;
}
