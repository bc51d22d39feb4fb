using FastVideo.Loading;
using System.Text.Json;

namespace FastVideo.Models.Schedulers;

/// <summary>
/// A scheduler's configuration as read from a diffusers <c>scheduler_config.json</c>. <c>_class_name</c> picks
/// the type: <c>"UniPCMultistepScheduler"</c> → <see cref="UniPCMultistepConfig"/>,
/// <c>"FlowMatchEulerDiscreteScheduler"</c> → <see cref="FlowMatchEulerDiscreteConfig"/>. Every key the diffusers class
/// knows is read and type-checked; unknown keys are ignored, and keys listed in <c>_use_default_values</c> take the
/// default, as diffusers does; settings that diffusers rejects, that are not implemented here, or for which diffusers'
/// result is not finite are rejected with a <see cref="SchedulerConfigException"/> naming the key. Records, so
/// overrides are <c>config with { ... }</c>.
/// </summary>
public abstract record SchedulerConfig
{
    /// <summary>Training timesteps (σ = t / NumTrainTimesteps).</summary>
    public int NumTrainTimesteps { get; init; } = 1000;

    /// <summary>The diffusers class name this configuration belongs to.</summary>
    public abstract string ClassName { get; }

    /// <summary>The flow-matching shift (<c>shift</c> or <c>flow_shift</c>): σ' = s·σ / (1 + (s − 1)·σ).</summary>
    public abstract double FlowShift { get; }

    /// <summary>The same configuration with another flow shift (FastVideo's <c>--flow-shift</c> override).</summary>
    public abstract SchedulerConfig WithFlowShift(double shift);

    /// <summary>Checks every setting; throws <see cref="SchedulerConfigException"/> for unsupported ones.</summary>
    public abstract void Validate(string source = "scheduler config");

    /// <summary>A new scheduler for this configuration (validated first).</summary>
    public abstract IScheduler CreateScheduler();

    /// <summary>Reads and validates a <c>scheduler_config.json</c> file.</summary>
    public static SchedulerConfig Load(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"{full}: scheduler config not found", full);
        return Parse(InputFile.ReadAllText(full), full);
    }

    /// <summary>Parses and validates a scheduler config JSON object; <paramref name="source"/> names it in errors.</summary>
    public static SchedulerConfig Parse(string json, string source = "scheduler_config.json")
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new SchedulerConfigException(source, "(file)", $"not valid JSON ({e.Message})");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new SchedulerConfigException(source, "(file)", $"expected a JSON object, got {doc.RootElement.ValueKind}");
            var r = new ConfigReader(doc.RootElement, source);
            if (!r.Has("_class_name"))
                throw r.Error("_class_name", $"missing; expected \"{UniPCMultistepConfig.DiffusersClassName}\" or \"{FlowMatchEulerDiscreteConfig.DiffusersClassName}\"");
            string cls = r.String("_class_name", "");
            SchedulerConfig config = cls switch
            {
                UniPCMultistepConfig.DiffusersClassName => UniPCMultistepConfig.Read(r),
                FlowMatchEulerDiscreteConfig.DiffusersClassName => FlowMatchEulerDiscreteConfig.Read(r),
                _ => throw r.Error("_class_name",
                    $"scheduler \"{cls}\" is not supported; expected \"{UniPCMultistepConfig.DiffusersClassName}\" or \"{FlowMatchEulerDiscreteConfig.DiffusersClassName}\""),
            };
            config.Validate(source);
            return config;
        }
    }
}
