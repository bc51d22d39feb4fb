using System.Text.Json;

namespace FastVideo.Models.Schedulers;

/// <summary>
/// Typed reads of a diffusers config object: a missing key or JSON null gives the default, a value of the
/// wrong kind throws <see cref="SchedulerConfigException"/> naming the key. Unknown keys are simply never read.
/// </summary>
internal readonly struct ConfigReader(JsonElement root, string source)
{
    public string Source => source;

    private bool TryGet(string key, out JsonElement value)
    {
        if (root.TryGetProperty(key, out value) && value.ValueKind != JsonValueKind.Null) return true;
        value = default;
        return false;
    }

    /// <summary>Whether the key is present with a non-null value.</summary>
    public bool Has(string key) => TryGet(key, out _);

    public int Int(string key, int fallback)
    {
        if (!TryGet(key, out var v)) return fallback;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i)) return i;
        // diffusers accepts integral floats such as 1000.0
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && d == Math.Floor(d) && Math.Abs(d) <= int.MaxValue) return (int)d;
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

    public SchedulerConfigException Error(string key, string message) => new(source, key, message);

    private SchedulerConfigException Wrong(string key, string expected, JsonElement got) =>
        new(source, key, $"expected {expected}, got {got.ValueKind} {Truncate(got.GetRawText())}");

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
