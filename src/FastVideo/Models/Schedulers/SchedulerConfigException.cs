namespace FastVideo.Models.Schedulers;

/// <summary>
/// A scheduler configuration is malformed or asks for something this engine does not implement.
/// <see cref="Key"/> names the offending config key (as spelled in scheduler_config.json).
/// </summary>
public sealed class SchedulerConfigException(string source, string key, string message)
    : Exception($"{source}: '{key}': {message}")
{
    /// <summary>Where the configuration came from (a file path or a description).</summary>
    public string ConfigSource { get; } = source;

    /// <summary>The config key at fault.</summary>
    public string Key { get; } = key;
}
