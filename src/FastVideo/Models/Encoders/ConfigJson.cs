using FastVideo.Loading;
using System.Text.Json;

namespace FastVideo.Models.Encoders;

/// <summary>
/// Typed reads from a transformers <c>config.json</c>: a missing key takes the library's default (as
/// <c>PretrainedConfig</c> does); a key of the wrong JSON type is an <see cref="InvalidDataException"/> naming the file and key.
/// </summary>
internal sealed class ConfigJson
{
    private readonly JsonElement _root;

    public string Path { get; }

    private ConfigJson(string path, JsonElement root)
    {
        Path = path;
        _root = root;
    }

    public static ConfigJson Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"model config not found: {path}", path);
        try
        {
            using var doc = JsonDocument.Parse(InputFile.ReadAllBytes(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: config is not a JSON object");
            return new ConfigJson(path, doc.RootElement.Clone());
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: invalid JSON ({e.Message})", e);
        }
    }

    private JsonElement? Get(string key) =>
        _root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    /// <summary>The value of <paramref name="key"/> as stored, or null when it is missing or JSON null.</summary>
    public JsonElement? Raw(string key) => Get(key);

    public int Int(string key, int fallback)
    {
        if (Get(key) is not { } v) return fallback;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int i))
            throw new InvalidDataException($"{Path}: '{key}' must be an integer, got {v.GetRawText()}");
        return i;
    }

    public double Double(string key, double fallback)
    {
        if (Get(key) is not { } v) return fallback;
        if (v.ValueKind != JsonValueKind.Number)
            throw new InvalidDataException($"{Path}: '{key}' must be a number, got {v.GetRawText()}");
        return v.GetDouble();
    }

    public string String(string key, string fallback)
    {
        if (Get(key) is not { } v) return fallback;
        if (v.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"{Path}: '{key}' must be a string, got {v.GetRawText()}");
        return v.GetString()!;
    }

    public bool Bool(string key, bool fallback)
    {
        if (Get(key) is not { } v) return fallback;
        if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            throw new InvalidDataException($"{Path}: '{key}' must be true or false, got {v.GetRawText()}");
        return v.GetBoolean();
    }

    /// <summary><see cref="Int"/>, then throws unless the value is positive, naming the key.</summary>
    public int PositiveInt(string key, int fallback)
    {
        int value = Int(key, fallback);
        if (value <= 0) throw new InvalidDataException($"{Path}: '{key}' must be positive, got {value}");
        return value;
    }
}
