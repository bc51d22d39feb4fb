using System.Text.Json;

namespace FastVideo.Loading;

/// <summary>
/// A diffusers pipeline folder as written by <c>DiffusionPipeline.save_pretrained</c> (or a Hugging Face
/// snapshot of one): <c>model_index.json</c> plus one sub-folder per component. In <c>model_index.json</c>:
/// <list type="bullet">
/// <item><c>"name": ["library", "ClassName"]</c> is a component in folder <c>name/</c>;</item>
/// <item><c>"name": [null, null]</c> (e.g. Wan2.1's <c>transformer_2</c>) is a component the pipeline accepts
/// but this checkpoint does not have (diffusers skips entries whose library is null): listed in
/// <see cref="AbsentComponents"/>;</item>
/// <item>anything else (<c>_class_name</c>, <c>_diffusers_version</c>, <c>boundary_ratio</c>,
/// <c>expand_timesteps</c>, ...) is a pipeline attribute: <see cref="Attributes"/>, typed access through
/// <see cref="Index"/>.</item>
/// </list>
/// </summary>
public sealed class DiffusersFolder
{
    public const string IndexFileName = "model_index.json";

    private readonly Dictionary<string, ComponentFolder> _byName;

    public string FolderPath { get; }
    /// <summary>model_index.json itself, with typed getters (e.g. <c>Index.GetFloatOrNull("boundary_ratio")</c>).</summary>
    public ConfigFile Index { get; }
    /// <summary>The pipeline class (<c>_class_name</c>, e.g. "WanPipeline").</summary>
    public string ClassName { get; }
    public string? DiffusersVersion { get; }
    /// <summary>Present components in <c>model_index.json</c> order.</summary>
    public IReadOnlyList<ComponentFolder> Components { get; }
    /// <summary>Components declared as <c>[null, null]</c>.</summary>
    public IReadOnlyList<string> AbsentComponents { get; }
    /// <summary>Non-component entries of model_index.json, including <c>_class_name</c> and <c>_diffusers_version</c>.</summary>
    public IReadOnlyDictionary<string, JsonElement> Attributes { get; }

    private DiffusersFolder(string folder, ConfigFile index, string className, List<ComponentFolder> components,
        List<string> absent, Dictionary<string, JsonElement> attributes)
    {
        FolderPath = folder;
        Index = index;
        ClassName = className;
        DiffusersVersion = index.GetStringOrNull("_diffusers_version");
        Components = components;
        AbsentComponents = absent;
        Attributes = attributes;
        _byName = components.ToDictionary(c => c.Name, StringComparer.Ordinal);
    }

    /// <summary>
    /// Reads <c>model_index.json</c> in <paramref name="path"/> (a folder, or the model_index.json file itself).
    /// With <paramref name="validate"/> (the default) every present component must have its folder, its config
    /// file (models, schedulers, processors) and, for models, a safetensors weights file; otherwise those
    /// problems surface when the component is used (useful to inspect a partial download).
    /// </summary>
    /// <exception cref="ModelFolderException">not a diffusers pipeline folder, or a component is missing on disk.</exception>
    /// <exception cref="ConfigException">model_index.json is malformed.</exception>
    public static DiffusersFolder Open(string path, bool validate = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (File.Exists(full) && Path.GetFileName(full) == IndexFileName) full = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(full))
            throw new ModelFolderException(full, File.Exists(full) ? "is a file, not a diffusers pipeline folder" : "pipeline folder not found");
        var indexPath = Path.Combine(full, IndexFileName);
        if (!File.Exists(indexPath))
        {
            var hint = File.Exists(Path.Combine(full, "config.json")) || File.Exists(Path.Combine(full, "scheduler_config.json"))
                ? " It looks like a single component folder: open it with ComponentFolder.Open (fastvideo run-module)."
                : "";
            throw new ModelFolderException(full, $"not a diffusers pipeline folder: no {IndexFileName}.{hint} The folder contains: {FolderListing.Describe(full)}");
        }

        var index = ConfigFile.Load(indexPath);
        var className = index.TryGetString("_class_name", out var cn) ? cn
            : throw new ConfigException(indexPath, "_class_name", "is missing: every model_index.json names its pipeline class");
        var components = new List<ComponentFolder>();
        var absent = new List<string>();
        var attributes = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var p in index.Root.EnumerateObject())
        {
            if (components.Any(c => c.Name == p.Name) || absent.Contains(p.Name) || attributes.ContainsKey(p.Name))
                throw new ConfigException(indexPath, p.Name, "appears twice");
            if (!IsComponentEntry(p.Value))
            {
                attributes[p.Name] = p.Value;
                continue;
            }
            var library = p.Value[0].ValueKind == JsonValueKind.String ? p.Value[0].GetString() : null;
            var cls = p.Value[1].ValueKind == JsonValueKind.String ? p.Value[1].GetString() : null;
            if (library is null)
            {
                absent.Add(p.Name);
                continue;
            }
            if (string.IsNullOrEmpty(cls))
                throw new ConfigException(indexPath, p.Name, $"names library '{library}' but no class: expected [\"library\", \"ClassName\"], got {p.Value.GetRawText()}");
            if (p.Name.IndexOfAny(['/', '\\']) >= 0 || p.Name is "." or "..")
                throw new ConfigException(indexPath, p.Name, "is not a valid component folder name");
            components.Add(new ComponentFolder(p.Name, library, cls, Path.Combine(full, p.Name), ComponentFolder.KindOf(cls)));
        }
        var folder = new DiffusersFolder(full, index, className, components, absent, attributes);
        if (validate) folder.Validate();
        return folder;
    }

    /// <summary>diffusers treats a two-element list/tuple of (library, class) as a component; the elements are strings or null.</summary>
    private static bool IsComponentEntry(JsonElement v) =>
        v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 2
        && v.EnumerateArray().All(x => x.ValueKind is JsonValueKind.String or JsonValueKind.Null);

    /// <summary>Throws naming every present component whose folder, config or weights are missing on disk.</summary>
    public void Validate()
    {
        var problems = new List<string>();
        foreach (var c in Components)
        {
            if (!Directory.Exists(c.FolderPath))
            {
                problems.Add($"component '{c.Name}' ({c.Library}.{c.ClassName}) has no folder {c.Name}/");
                continue;
            }
            if (c.Kind != ComponentKind.Tokenizer && !File.Exists(c.ConfigPath))
                problems.Add($"component '{c.Name}' ({c.ClassName}) has no {c.ConfigFileName} (its folder contains: {FolderListing.Describe(c.FolderPath)})");
            else if (c.Kind == ComponentKind.Model && !c.HasWeights)
                problems.Add($"component '{c.Name}' ({c.ClassName}) has no safetensors weights (looked for {string.Join(", ", TensorSources.WeightFileNames)}; its folder contains: {FolderListing.Describe(c.FolderPath)})");
        }
        if (problems.Count > 0)
            throw new ModelFolderException(FolderPath, $"{ClassName} folder is incomplete: {string.Join("; ", problems)}. The folder contains: {FolderListing.Describe(FolderPath)}");
    }

    public bool HasComponent(string name) => _byName.ContainsKey(name);

    public bool TryGetComponent(string name, out ComponentFolder component) => _byName.TryGetValue(name, out component!);

    /// <summary>A present component; throws naming what the pipeline has when it is absent or unknown.</summary>
    public ComponentFolder Component(string name)
    {
        if (_byName.TryGetValue(name, out var c)) return c;
        var why = AbsentComponents.Contains(name)
            ? $"component '{name}' is declared absent ([null, null]) in {IndexFileName}"
            : $"{IndexFileName} has no component '{name}'";
        throw new ModelFolderException(FolderPath, $"{why}; {ClassName} components: {string.Join(", ", Components.Select(x => x.Name))}");
    }

    public ComponentFolder this[string name] => Component(name);

    public override string ToString() => $"{ClassName} at {FolderPath} ({string.Join(", ", Components.Select(c => c.Name))})";
}
