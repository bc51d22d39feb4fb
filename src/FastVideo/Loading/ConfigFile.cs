using System.Globalization;
using System.Text.Json;

namespace FastVideo.Loading;

/// <summary>
/// A parsed JSON config (<c>config.json</c>, <c>scheduler_config.json</c>, <c>model_index.json</c>, ...) with
/// typed getters. Every error is a <see cref="ConfigException"/> naming the file and the key.
/// <list type="bullet">
/// <item><c>GetX(key)</c>: the key is required; missing or null is an error.</item>
/// <item><c>GetX(key, default)</c>: missing or null gives the default (as a Python config class's default
/// argument does); a present value of the wrong type is still an error, never silently replaced.</item>
/// <item><c>TryGetX(key, out v)</c>: false when missing or null; wrong type is an error.</item>
/// </list>
/// Integers must be written as JSON integers (<c>2</c>, not <c>2.0</c>, which Python would also treat as a
/// float); floats accept any JSON number. When a key appears twice the last one counts, as in Python's json.
/// The root is a detached copy, so a ConfigFile needs no disposal.
/// </summary>
public sealed class ConfigFile
{
    public string FilePath { get; }
    public JsonElement Root { get; }

    private ConfigFile(string path, JsonElement root)
    {
        FilePath = path;
        Root = root;
    }

    /// <summary>Reads and parses <paramref name="path"/>; the root must be a JSON object.</summary>
    public static ConfigFile Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"{full}: config file not found", full);
        return Parse(InputFile.ReadAllBytes(full), full);
    }

    /// <summary>Parses JSON text; <paramref name="path"/> is what errors name.</summary>
    public static ConfigFile Parse(ReadOnlyMemory<byte> utf8Json, string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(utf8Json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 64 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ConfigException(path, null, $"must be a JSON object, got {doc.RootElement.ValueKind}");
            return new ConfigFile(path, doc.RootElement.Clone());
        }
        catch (JsonException e)
        {
            throw new ConfigException(path, null, $"not valid JSON ({e.Message})", e);
        }
    }

    public static ConfigFile Parse(string json, string path) => Parse(System.Text.Encoding.UTF8.GetBytes(json), path);

    /// <summary>Top-level keys in file order (a repeated key is listed once).</summary>
    public IEnumerable<string> Keys => Root.EnumerateObject().Select(p => p.Name).Distinct(StringComparer.Ordinal);

    /// <summary>True when the key is present, even with a null value.</summary>
    public bool Has(string key) => Root.TryGetProperty(key, out _);

    /// <summary>True when the key is missing or null.</summary>
    public bool IsNullOrMissing(string key) => !Root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null;

    /// <summary>The value; false when the key is missing or null.</summary>
    public bool TryGet(string key, out JsonElement value)
    {
        if (Root.TryGetProperty(key, out value) && value.ValueKind != JsonValueKind.Null) return true;
        value = default;
        return false;
    }

    /// <summary>The raw value of a required key.</summary>
    public JsonElement Get(string key) => TryGet(key, out var v) ? v : throw Missing(key);

    /// <summary>The class the library instantiates: <c>_class_name</c> (diffusers) or <c>architectures[0]</c> (transformers); null if neither.</summary>
    public string? ClassName =>
        TryGetString("_class_name", out var c) ? c
        : TryGet("architectures", out var a) && a.ValueKind == JsonValueKind.Array && a.GetArrayLength() > 0 && a[0].ValueKind == JsonValueKind.String ? a[0].GetString()
        : null;

    // ---- int ----
    public bool TryGetInt(string key, out int value)
    {
        value = 0;
        if (!TryGet(key, out var v)) return false;
        value = ToInt(key, v, null);
        return true;
    }
    public int GetInt(string key) => TryGetInt(key, out var v) ? v : throw Missing(key);
    public int GetInt(string key, int defaultValue) => TryGetInt(key, out var v) ? v : defaultValue;
    public int? GetIntOrNull(string key) => TryGetInt(key, out var v) ? v : null;

    // ---- long ----
    public bool TryGetLong(string key, out long value)
    {
        value = 0;
        if (!TryGet(key, out var v)) return false;
        value = ToLong(key, v, null);
        return true;
    }
    public long GetLong(string key) => TryGetLong(key, out var v) ? v : throw Missing(key);
    public long GetLong(string key, long defaultValue) => TryGetLong(key, out var v) ? v : defaultValue;

    // ---- double / float ----
    public bool TryGetDouble(string key, out double value)
    {
        value = 0;
        if (!TryGet(key, out var v)) return false;
        value = ToDouble(key, v, null);
        return true;
    }
    public double GetDouble(string key) => TryGetDouble(key, out var v) ? v : throw Missing(key);
    public double GetDouble(string key, double defaultValue) => TryGetDouble(key, out var v) ? v : defaultValue;

    public bool TryGetFloat(string key, out float value)
    {
        bool ok = TryGetDouble(key, out var d);
        value = (float)d;
        return ok;
    }
    public float GetFloat(string key) => (float)GetDouble(key);
    public float GetFloat(string key, float defaultValue) => TryGetFloat(key, out var v) ? v : defaultValue;
    public float? GetFloatOrNull(string key) => TryGetFloat(key, out var v) ? v : null;

    // ---- bool ----
    public bool TryGetBool(string key, out bool value)
    {
        value = false;
        if (!TryGet(key, out var v)) return false;
        value = v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw WrongType(key, null, "a boolean (true/false)", v),
        };
        return true;
    }
    public bool GetBool(string key) => TryGetBool(key, out var v) ? v : throw Missing(key);
    public bool GetBool(string key, bool defaultValue) => TryGetBool(key, out var v) ? v : defaultValue;

    // ---- string ----
    public bool TryGetString(string key, out string value)
    {
        value = "";
        if (!TryGet(key, out var v)) return false;
        value = v.ValueKind == JsonValueKind.String ? v.GetString()! : throw WrongType(key, null, "a string", v);
        return true;
    }
    public string GetString(string key) => TryGetString(key, out var v) ? v : throw Missing(key);
    public string GetString(string key, string defaultValue) => TryGetString(key, out var v) ? v : defaultValue;
    public string? GetStringOrNull(string key) => TryGetString(key, out var v) ? v : null;

    // ---- arrays ----
    public bool TryGetIntArray(string key, out int[] value) => TryGetArray(key, out value, (v, i) => ToInt(key, v, i));
    public int[] GetIntArray(string key) => TryGetIntArray(key, out var v) ? v : throw Missing(key);
    public int[] GetIntArray(string key, int[] defaultValue) => TryGetIntArray(key, out var v) ? v : defaultValue;

    public bool TryGetFloatArray(string key, out float[] value) => TryGetArray(key, out value, (v, i) => (float)ToDouble(key, v, i));
    public float[] GetFloatArray(string key) => TryGetFloatArray(key, out var v) ? v : throw Missing(key);
    public float[] GetFloatArray(string key, float[] defaultValue) => TryGetFloatArray(key, out var v) ? v : defaultValue;

    public bool TryGetStringArray(string key, out string[] value) =>
        TryGetArray(key, out value, (v, i) => v.ValueKind == JsonValueKind.String ? v.GetString()! : throw WrongType(key, i, "a string", v));
    public string[] GetStringArray(string key) => TryGetStringArray(key, out var v) ? v : throw Missing(key);

    public bool TryGetBoolArray(string key, out bool[] value) =>
        TryGetArray(key, out value, (v, i) => v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw WrongType(key, i, "a boolean (true/false)", v),
        });
    public bool[] GetBoolArray(string key) => TryGetBoolArray(key, out var v) ? v : throw Missing(key);
    public bool[] GetBoolArray(string key, bool[] defaultValue) => TryGetBoolArray(key, out var v) ? v : defaultValue;

    private bool TryGetArray<T>(string key, out T[] value, Func<JsonElement, int, T> convert)
    {
        value = [];
        if (!TryGet(key, out var v)) return false;
        if (v.ValueKind != JsonValueKind.Array) throw WrongType(key, null, "an array", v);
        var r = new T[v.GetArrayLength()];
        int i = 0;
        foreach (var x in v.EnumerateArray()) { r[i] = convert(x, i); i++; }
        value = r;
        return true;
    }

    private int ToInt(string key, JsonElement v, int? index)
    {
        long l = ToLong(key, v, index);
        if (l < int.MinValue || l > int.MaxValue) throw WrongType(key, index, "an integer in the 32-bit range", v);
        return (int)l;
    }

    private long ToLong(string key, JsonElement v, int? index) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long l) ? l : throw WrongType(key, index, "an integer", v);

    private double ToDouble(string key, JsonElement v, int? index) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && double.IsFinite(d) ? d : throw WrongType(key, index, "a number", v);

    private ConfigException Missing(string key) =>
        Root.TryGetProperty(key, out _)
            ? new ConfigException(FilePath, key, "is null, but a value is required")
            : new ConfigException(FilePath, key, "is missing");

    private ConfigException WrongType(string key, int? index, string expected, JsonElement v)
    {
        var raw = v.GetRawText();
        if (raw.Length > 60) raw = raw[..57] + "...";
        var where = index is null ? "" : string.Create(CultureInfo.InvariantCulture, $"element {index}: ");
        return new ConfigException(FilePath, key, $"{where}expected {expected}, got {raw} ({v.ValueKind})");
    }

    public override string ToString() => FilePath;
}
