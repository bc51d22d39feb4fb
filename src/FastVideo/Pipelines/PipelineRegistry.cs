using System.Reflection;
using FastVideo.Loading;
using FastVideo.Pipelines.Wan;

namespace FastVideo.Pipelines;

/// <summary>A pipeline as the registry knows it: the model_index class name it serves and how to build it.</summary>
public sealed record PipelineRegistration(
    string ClassName, Type PipelineType, IReadOnlyList<RequiredComponent> Components, Func<PipelineLoadContext, IVideoPipeline> Create);

/// <summary>A module a pipeline needs: its <c>model_index.json</c> name and the .NET type its loader must produce.</summary>
public sealed record RequiredComponent(string Name, Type Produces);

/// <summary>
/// Implemented by pipeline classes so that the registry can build them without reflection on constructors
/// (trimming-safe): the static members are called through the generic constraint.
/// </summary>
public interface IPipelineFactory<TSelf> where TSelf : IVideoPipeline
{
    /// <summary>The components the pipeline loads, in loading order.</summary>
    static abstract IReadOnlyList<RequiredComponent> RequiredComponents { get; }

    /// <summary>Loads every component of <paramref name="context"/>'s folder and builds the pipeline.</summary>
    static abstract TSelf Create(PipelineLoadContext context);
}

/// <summary>
/// Pipelines by <c>model_index.json</c> <c>_class_name</c>. The class names come from each pipeline's
/// <see cref="PipelineEntryAttribute"/>; the list of pipeline types below is the source of truth (a static list
/// rather than an assembly scan, so trimming and AOT keep every pipeline), and a test checks that every
/// class carrying the attribute is in it.
/// </summary>
public static class PipelineRegistry
{
    private static readonly PipelineRegistration[] s_entries =
    [
        .. Register<WanPipeline>(),
        .. Register<WanImageToVideoPipeline>(),
    ];

    private static IEnumerable<PipelineRegistration> Register<T>() where T : IVideoPipeline, IPipelineFactory<T>
    {
        var names = typeof(T).GetCustomAttributes<PipelineEntryAttribute>(inherit: false).Select(a => a.ClassName).ToList();
        if (names.Count == 0)
            throw new InvalidOperationException($"{typeof(T).FullName} is registered as a pipeline but has no [PipelineEntry] attribute");
        return names.Select(n => new PipelineRegistration(n, typeof(T), T.RequiredComponents, ctx => T.Create(ctx)));
    }

    public static IReadOnlyList<PipelineRegistration> Entries => s_entries;

    /// <summary>Every supported <c>_class_name</c>, in registration order.</summary>
    public static IReadOnlyList<string> SupportedClassNames { get; } = s_entries.Select(e => e.ClassName).ToArray();

    public static bool TryFind(string className, out PipelineRegistration registration)
    {
        registration = s_entries.FirstOrDefault(e => e.ClassName == className)!;
        return registration is not null;
    }

    /// <summary>The registration for <paramref name="className"/>; <paramref name="source"/> names where it came from in the error.</summary>
    /// <exception cref="UnsupportedClassException">no pipeline serves that class; the message lists those that do.</exception>
    public static PipelineRegistration Find(string className, string source)
    {
        ArgumentNullException.ThrowIfNull(className);
        return TryFind(className, out var r) ? r : throw new UnsupportedClassException("pipeline", className, source, SupportedClassNames);
    }

    /// <summary>
    /// Builds the pipeline <paramref name="context"/>'s folder names: looks it up by <c>_class_name</c>, checks that
    /// every required component is declared (naming the first missing one), then lets the pipeline load them.
    /// </summary>
    public static IVideoPipeline Load(PipelineLoadContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var folder = context.Folder;
        var registration = Find(folder.ClassName, Path.Combine(folder.FolderPath, DiffusersFolder.IndexFileName));
        foreach (var c in registration.Components)
            ComponentRegistry.Component(folder, c, registration.ClassName); // throws naming a missing or unsupported component
        return registration.Create(context);
    }
}
