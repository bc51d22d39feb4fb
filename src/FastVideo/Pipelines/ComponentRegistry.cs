using FastVideo.Loading;
using FastVideo.Models.Dits.Wan;
using FastVideo.Models.Encoders.ClipVision;
using FastVideo.Models.Encoders.Umt5;
using FastVideo.Models.Schedulers;
using FastVideo.Models.Tokenizers;
using FastVideo.Models.Vaes.Wan;

namespace FastVideo.Pipelines;

/// <summary>How one component class (the second element of a <c>model_index.json</c> entry) is loaded.</summary>
/// <param name="ClassName">The class name as diffusers/transformers write it.</param>
/// <param name="Produces">What <paramref name="Load"/> returns (what a pipeline asks for).</param>
/// <param name="Load">Reads the component folder; the result is owned by the caller (disposable models are disposed by the pipeline).</param>
public sealed record ComponentLoader(string ClassName, Type Produces, Func<ComponentFolder, PipelineLoadContext, object> Load);

/// <summary>
/// Component class names mapped to loaders. Several names may produce the same type (both tokenizer classes
/// read the same SentencePiece folder; both scheduler classes give a <see cref="SchedulerConfig"/>, the
/// pipeline builds the scheduler per request). An unknown name is an error that lists every supported one.
/// </summary>
public static class ComponentRegistry
{
    private static readonly ComponentLoader[] s_loaders =
    [
        new("WanTransformer3DModel", typeof(WanTransformer3DModel),
            (c, x) => WanTransformer3DModel.FromComponent(x.Backend, c, x.Attention)),
        new("AutoencoderKLWan", typeof(AutoencoderKLWan), (c, x) =>
        {
            var config = WanVaeConfig.FromFile(c.ConfigPath);
            using var weights = c.OpenWeights();
            return AutoencoderKLWan.Load(config, weights, x.Backend);
        }),
        new("UMT5EncoderModel", typeof(Umt5EncoderModel), (c, x) =>
        {
            var config = Umt5Config.FromFile(c.ConfigPath);
            using var weights = c.OpenWeights();
            return Umt5EncoderModel.Load(x.Backend, config, weights);
        }),
        new("CLIPVisionModelWithProjection", typeof(ClipVisionModelWithProjection), (c, x) =>
        {
            var config = ClipVisionConfig.FromFile(c.ConfigPath);
            using var weights = c.OpenWeights();
            return ClipVisionModelWithProjection.Load(x.Backend, config, weights);
        }),
        new("CLIPImageProcessor", typeof(ClipImageProcessor), (c, _) => ClipImageProcessor.FromFile(c.ConfigPath)),
        new(UniPCMultistepConfig.DiffusersClassName, typeof(SchedulerConfig), (c, _) => LoadScheduler(c)),
        new(FlowMatchEulerDiscreteConfig.DiffusersClassName, typeof(SchedulerConfig), (c, _) => LoadScheduler(c)),
        new("T5TokenizerFast", typeof(T5Tokenizer), (c, _) => T5Tokenizer.FromFolder(c.FolderPath)),
        new("T5Tokenizer", typeof(T5Tokenizer), (c, _) => T5Tokenizer.FromFolder(c.FolderPath)),
    ];

    public static IReadOnlyList<ComponentLoader> Loaders => s_loaders;

    /// <summary>Every supported component class name.</summary>
    public static IReadOnlyList<string> SupportedClassNames { get; } = s_loaders.Select(l => l.ClassName).ToArray();

    /// <summary>The loader for <paramref name="className"/>; <paramref name="source"/> names where it came from in the error.</summary>
    /// <exception cref="UnsupportedClassException">no loader for that class; the message lists the supported ones.</exception>
    public static ComponentLoader Find(string className, string source)
    {
        ArgumentNullException.ThrowIfNull(className);
        return s_loaders.FirstOrDefault(l => l.ClassName == className)
            ?? throw new UnsupportedClassException("component", className, source, SupportedClassNames);
    }

    /// <summary>
    /// The folder and loader of <paramref name="required"/> in <paramref name="folder"/>, checked: the component is
    /// declared and present, its class is supported, and its loader produces what the pipeline needs.
    /// </summary>
    /// <exception cref="ModelFolderException">the component is missing (named, with what the pipeline needs).</exception>
    /// <exception cref="UnsupportedClassException">its class is unknown, or it is the wrong kind of module.</exception>
    public static (ComponentFolder Folder, ComponentLoader Loader) Component(DiffusersFolder folder, RequiredComponent required, string pipelineClass)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(required);
        var accepted = string.Join(" or ", s_loaders.Where(l => required.Produces.IsAssignableFrom(l.Produces)).Select(l => l.ClassName));
        if (!folder.TryGetComponent(required.Name, out var component))
        {
            var why = folder.AbsentComponents.Contains(required.Name)
                ? $"declares component '{required.Name}' absent ([null, null])"
                : $"has no component '{required.Name}'";
            throw new ModelFolderException(folder.FolderPath,
                $"{DiffusersFolder.IndexFileName} {why}; {pipelineClass} needs it ({accepted}). Components present: {string.Join(", ", folder.Components.Select(c => c.Name))}");
        }
        var source = $"{Path.Combine(folder.FolderPath, DiffusersFolder.IndexFileName)} component '{required.Name}'";
        var loader = Find(component.ClassName, source);
        if (!required.Produces.IsAssignableFrom(loader.Produces))
            throw new UnsupportedClassException("component", component.ClassName,
                $"{source} ({pipelineClass} needs {accepted} there)", SupportedClassNames);
        return (component, loader);
    }

    /// <summary>Loads component <paramref name="name"/> of the context's folder as <typeparamref name="T"/> (checked as <see cref="Component"/>).</summary>
    public static T Load<T>(PipelineLoadContext context, string name, string pipelineClass) where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        var (component, loader) = Component(context.Folder, new RequiredComponent(name, typeof(T)), pipelineClass);
        context.Log?.Invoke($"loading {name} ({component.ClassName}) from {component.FolderPath}");
        return (T)loader.Load(component, context);
    }

    private static SchedulerConfig LoadScheduler(ComponentFolder c)
    {
        var config = SchedulerConfig.Load(c.ConfigPath);
        if (config.ClassName != c.ClassName)
            throw new ConfigException(c.ConfigPath, "_class_name",
                $"is {config.ClassName}, but {DiffusersFolder.IndexFileName} declares '{c.Name}' as {c.ClassName}");
        return config;
    }
}
