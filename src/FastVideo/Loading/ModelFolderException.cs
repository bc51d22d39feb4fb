namespace FastVideo.Loading;

/// <summary>
/// A model folder (a diffusers pipeline, one component, or a weights folder) lacks what is needed or is laid
/// out in a way this engine does not read. The message names the folder, what was looked for and what is there.
/// </summary>
public sealed class ModelFolderException(string folderPath, string message, Exception? inner = null)
    : IOException($"{folderPath}: {message}", inner)
{
    public string FolderPath { get; } = folderPath;
}

/// <summary>A JSON config file (config.json, scheduler_config.json, model_index.json) is malformed or a value has the wrong type.</summary>
public sealed class ConfigException(string filePath, string? key, string message, Exception? inner = null)
    : IOException($"{filePath}{(key is null ? "" : $": key '{key}'")}: {message}", inner)
{
    public string FilePath { get; } = filePath;
    public string? Key { get; } = key;
}

/// <summary>Short, sorted descriptions of a folder's contents for error messages ("a/, b.json, ... (+3 more)").</summary>
internal static class FolderListing
{
    public static string Describe(string dir, int max = 24)
    {
        if (!Directory.Exists(dir)) return "(the folder does not exist)";
        var items = Directory.EnumerateFileSystemEntries(dir)
            .Select(p => Path.GetFileName(p) + (Directory.Exists(p) ? "/" : ""))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (items.Count == 0) return "(the folder is empty)";
        var shown = string.Join(", ", items.Take(max));
        return items.Count > max ? $"{shown}, ... (+{items.Count - max} more)" : shown;
    }
}
