using System.Text.Json;

namespace FastVideo.Models.Schedulers;

/// <summary>
/// Typed reads of a diffusers config object: a missing key, JSON null, or a key listed in
/// <c>_use_default_values</c> gives the default (diffusers' <c>extract_init_dict</c> drops those keys, so the
/// constructor default of the running version applies); a value of the wrong kind throws
/// <see cref="SchedulerConfigException"/> naming the key. Unknown keys are simply never read, as diffusers ignores
/// them (with a warning).
/// </summary>
internal readonly struct ConfigReader
{
    private readonly JsonElement _root;
    private readonly HashSet<string> _useDefaults;

    public ConfigReader(JsonElement root, string source)
    {
        _root = root;
        Source = source;
        _useDefaults = new HashSet<string>(StringComparer.Ordinal);
        if (root.TryGetProperty("_use_default_values", out var list) && list.ValueKind != JsonValueKind.Null)
        {
            if (list.ValueKind != JsonValueKind.Array) throw Wrong("_use_default_values", "a list of key names", list);
            foreach (var e in list.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.String) throw Wrong("_use_default_values", "a list of key names", e);
                _useDefaults.Add(e.GetString()!);
            }
        }
    }

    public string Source { get; }

    private bool TryGet(string key, out JsonElement value)
    {
        if (!_useDefaults.Contains(key) && _root.TryGetProperty(key, out value) && value.ValueKind != JsonValueKind.Null) return true;
        value = default;
        return false;
    }

    /// <summary>Whether the key is present with a non-null value (and not listed in <c>_use_default_values</c>).</summary>
    public bool Has(string key) => TryGet(key, out _);

    /// <summary>A JSON integer (diffusers passes it to range/linspace/list repetition, which reject floats such as 1000.0).</summary>
    public int Int(string key, int fallback)
    {
        if (!TryGet(key, out var v)) return fallback;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i)) return i;
        throw Wrong(key, "an integer", v);
    }

    public double Double(string key, double fallback)
    {
        if (!TryGet(key, out var v)) return fallback;
        if (v.ValueKind == JsonValueKind.Number) return v.GetDouble();
        throw Wrong(key, "a number", v);
    }

    public double? NullableDouble(string key)
    {
        if (!TryGet(key, out var v)) return null;
        if (v.ValueKind == JsonValueKind.Number) return v.GetDouble();
        throw Wrong(key, "a number or null", v);
    }

    public bool Bool(string key, bool fallback)
    {
        if (!TryGet(key, out var v)) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Wrong(key, "true or false", v),
        };
    }

    public string String(string key, string fallback)
    {
        if (!TryGet(key, out var v)) return fallback;
        if (v.ValueKind == JsonValueKind.String) return v.GetString()!;
        throw Wrong(key, "a string", v);
    }

    public int[] IntList(string key)
    {
        if (!TryGet(key, out var v)) return [];
        if (v.ValueKind != JsonValueKind.Array) throw Wrong(key, "a list of integers", v);
        var list = new List<int>();
        foreach (var e in v.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int i)) throw Wrong(key, "a list of integers", e);
            list.Add(i);
        }
        return list.ToArray();
    }

    /// <summary>A list of numbers, or null when absent.</summary>
    public double[]? DoubleList(string key)
    {
        if (!TryGet(key, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Array) throw Wrong(key, "a list of numbers or null", v);
        var list = new List<double>();
        foreach (var e in v.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number) throw Wrong(key, "a list of numbers or null", e);
            list.Add(e.GetDouble());
        }
        return list.ToArray();
    }

    public SchedulerConfigException Error(string key, string message) => new(Source, key, message);

    private SchedulerConfigException Wrong(string key, string expected, JsonElement got) =>
        new(Source, key, $"expected {expected}, got {got.ValueKind} {Truncate(got.GetRawText())}");

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
