using System.Text.Json;

namespace FastVideo.Loading;

/// <summary>What a component is, which decides its config file: models <c>config.json</c>, schedulers
/// <c>scheduler_config.json</c>, tokenizers <c>tokenizer_config.json</c> (optional), image processors
/// <c>preprocessor_config.json</c>.</summary>
public enum ComponentKind
{
    Model,
    Scheduler,
    Tokenizer,
    Processor,
}

/// <summary>
/// One component folder: a model (<c>config.json</c> + safetensors weights), a scheduler, a tokenizer or an
/// image processor. Either a component of a <see cref="DiffusersFolder"/> (library and class come from
/// <c>model_index.json</c>) or a lone folder opened with <see cref="Open"/> (class from the config's
/// <c>_class_name</c> for diffusers or <c>architectures[0]</c> for transformers).
/// </summary>
public sealed class ComponentFolder
{
    private ConfigFile? _config;

    /// <summary>The component name in <c>model_index.json</c> (e.g. "transformer"), or the folder name for a lone folder.</summary>
    public string Name { get; }
    /// <summary>"diffusers", "transformers", or another module name given by <c>model_index.json</c>; null when unknown.</summary>
    public string? Library { get; }
    public string ClassName { get; }
    public string FolderPath { get; }
    public ComponentKind Kind { get; }

    internal ComponentFolder(string name, string? library, string className, string folderPath, ComponentKind kind, ConfigFile? config = null)
    {
        Name = name;
        Library = library;
        ClassName = className;
        FolderPath = folderPath;
        Kind = kind;
        _config = config;
    }

    /// <summary>The config file name this kind of component uses (null: tokenizers need none).</summary>
    public string ConfigFileName => ConfigFileNameFor(Kind);

    /// <summary>Full path of the config file, whether it exists or not.</summary>
    public string ConfigPath => Path.Combine(FolderPath, ConfigFileName);

    public bool HasConfig => _config != null || File.Exists(ConfigPath);

    /// <summary>The parsed config (read once). Throws <see cref="ModelFolderException"/> naming the component when the file is absent.</summary>
    public ConfigFile Config
    {
        get
        {
            if (_config != null) return _config;
            if (!File.Exists(ConfigPath))
                throw new ModelFolderException(FolderPath, $"component '{Name}' ({ClassName}) has no {ConfigFileName}; the folder contains: {FolderListing.Describe(FolderPath)}");
            return _config = ConfigFile.Load(ConfigPath);
        }
    }

    /// <summary>True when a weights file <see cref="OpenWeights"/> would open exists.</summary>
    public bool HasWeights => TensorSources.FindWeights(FolderPath) != null;

    /// <summary>The component's weights (<see cref="TensorSources.OpenFolder"/>); the caller disposes the source.</summary>
    public ITensorSource OpenWeights() => TensorSources.OpenFolder(FolderPath);

    public override string ToString() => $"{Name}: {Library ?? "?"}.{ClassName} ({Kind}) at {FolderPath}";

    /// <summary>The kind implied by a class name: "*Scheduler*" → scheduler, "*Tokenizer[Fast]" → tokenizer,
    /// "*ImageProcessor"/"*FeatureExtractor"/"*Processor" → processor, anything else → model.</summary>
    public static ComponentKind KindOf(string className) =>
        className.Contains("Scheduler", StringComparison.Ordinal) ? ComponentKind.Scheduler
        : className.EndsWith("Tokenizer", StringComparison.Ordinal) || className.EndsWith("TokenizerFast", StringComparison.Ordinal) ? ComponentKind.Tokenizer
        : className.EndsWith("Processor", StringComparison.Ordinal) || className.EndsWith("FeatureExtractor", StringComparison.Ordinal) ? ComponentKind.Processor
        : ComponentKind.Model;

    public static string ConfigFileNameFor(ComponentKind kind) => kind switch
    {
        ComponentKind.Scheduler => "scheduler_config.json",
        ComponentKind.Tokenizer => "tokenizer_config.json",
        ComponentKind.Processor => "preprocessor_config.json",
        _ => "config.json",
    };

    /// <summary>
    /// Opens a lone component folder, as <c>fastvideo run-module</c> does. Looked for in order:
    /// <c>config.json</c> (a model: class from <c>_class_name</c>, library "diffusers"; or from
    /// <c>architectures[0]</c>, library "transformers"), <c>scheduler_config.json</c>,
    /// <c>tokenizer_config.json</c> (class from <c>tokenizer_class</c>).
    /// </summary>
    /// <exception cref="ModelFolderException">the folder is missing, is a whole pipeline, or has none of those files.</exception>
    /// <exception cref="ConfigException">the config names no class.</exception>
    public static ComponentFolder Open(string dir)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir));
        if (!Directory.Exists(full))
            throw new ModelFolderException(full, File.Exists(full) ? "is a file; a component folder (config.json + weights) was expected" : "component folder not found");
        var name = Path.GetFileName(full);
        if (File.Exists(Path.Combine(full, DiffusersFolder.IndexFileName)))
        {
            var components = Directory.EnumerateDirectories(full).Select(Path.GetFileName).Order(StringComparer.Ordinal);
            throw new ModelFolderException(full, $"is a whole diffusers pipeline ({DiffusersFolder.IndexFileName}), not one component; open it with DiffusersFolder.Open or pass one of its component folders: {string.Join(", ", components)}");
        }

        var configPath = Path.Combine(full, "config.json");
        if (File.Exists(configPath))
        {
            var cfg = ConfigFile.Load(configPath);
            if (cfg.TryGetString("_class_name", out var cls))
                return new ComponentFolder(name, "diffusers", cls, full, ComponentKind.Model, cfg);
            if (cfg.TryGet("architectures", out var arch))
            {
                if (arch.ValueKind != JsonValueKind.Array || arch.GetArrayLength() == 0 || arch[0].ValueKind != JsonValueKind.String)
                    throw new ConfigException(configPath, "architectures", $"expected a non-empty array of class names, got {arch.GetRawText()}");
                return new ComponentFolder(name, "transformers", arch[0].GetString()!, full, ComponentKind.Model, cfg);
            }
            throw new ConfigException(configPath, null, "names no model class: expected '_class_name' (diffusers) or 'architectures' (transformers)");
        }
        var schedPath = Path.Combine(full, "scheduler_config.json");
        if (File.Exists(schedPath))
        {
            var cfg = ConfigFile.Load(schedPath);
            return new ComponentFolder(name, "diffusers", cfg.GetString("_class_name"), full, ComponentKind.Scheduler, cfg);
        }
        var tokPath = Path.Combine(full, "tokenizer_config.json");
        if (File.Exists(tokPath))
        {
            var cfg = ConfigFile.Load(tokPath);
            return new ComponentFolder(name, "transformers", cfg.GetString("tokenizer_class", "Tokenizer"), full, ComponentKind.Tokenizer, cfg);
        }
        throw new ModelFolderException(full, $"not a component folder: looked for config.json, scheduler_config.json, tokenizer_config.json; the folder contains: {FolderListing.Describe(full)}");
    }
}
