using System.Globalization;
using System.Text;

namespace FastVideo.Models.Smoke;

/// <summary>A JSON object whose keys keep insertion order unless the writer sorts them.</summary>
internal sealed class PyDict : List<KeyValuePair<string, object?>>
{
    /// <summary>The keys are integers (Python sorts them numerically before writing them as strings).</summary>
    public bool IntKeys { get; init; }

    public void Add(string key, object? value) => Add(new KeyValuePair<string, object?>(key, value));
}

/// <summary>A literal written verbatim (e.g. a Python int too large for <see cref="long"/>).</summary>
internal sealed record PyRaw(string Text);

/// <summary>
/// Writes JSON byte-for-byte as Python's <c>json.dumps(obj, indent=2, sort_keys=…, ensure_ascii=…) + "\n"</c>,
/// which is how diffusers (<c>ConfigMixin.to_json_string</c>), transformers (<c>PretrainedConfig</c>) and
/// tokenizers (<c>save_pretrained</c>) write their files. Values: null, bool, int/long, double (Python float:
/// shortest round-trip repr, integral values keep ".0", exponents as <c>1e-06</c>), string, <see cref="PyRaw"/>,
/// <see cref="PyDict"/>, and any <see cref="System.Collections.IEnumerable"/> as a list.
/// </summary>
internal static class PyJson
{
    public static string Dumps(object? value, bool sortKeys = true, bool ensureAscii = true)
    {
        var sb = new StringBuilder();
        Write(sb, value, 0, sortKeys, ensureAscii);
        sb.Append('\n');
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object? value, int depth, bool sortKeys, bool ensureAscii)
    {
        switch (value)
        {
            case null: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case int i: sb.Append(i.ToString(CultureInfo.InvariantCulture)); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(FormatFloat(d)); break;
            case float f: throw new ArgumentException($"PyJson: write float {f} as double (Python floats are doubles; say which value is meant)");
            case string s: WriteString(sb, s, ensureAscii); break;
            case PyRaw r: sb.Append(r.Text); break;
            case PyDict dict: WriteDict(sb, dict, depth, sortKeys, ensureAscii); break;
            case System.Collections.IEnumerable list: WriteList(sb, list, depth, sortKeys, ensureAscii); break;
            default: throw new ArgumentException($"PyJson: cannot write a {value.GetType().Name}");
        }
    }

    private static void WriteDict(StringBuilder sb, PyDict dict, int depth, bool sortKeys, bool ensureAscii)
    {
        if (dict.Count == 0)
        {
            sb.Append("{}");
            return;
        }
        IEnumerable<KeyValuePair<string, object?>> items = !sortKeys ? dict
            : dict.IntKeys ? dict.OrderBy(p => long.Parse(p.Key, CultureInfo.InvariantCulture))
            : dict.OrderBy(p => p.Key, StringComparer.Ordinal);
        sb.Append('{');
        bool first = true;
        foreach (var (k, v) in items)
        {
            sb.Append(first ? "\n" : ",\n");
            first = false;
            sb.Append(' ', 2 * (depth + 1));
            WriteString(sb, k, ensureAscii);
            sb.Append(": ");
            Write(sb, v, depth + 1, sortKeys, ensureAscii);
        }
        sb.Append('\n').Append(' ', 2 * depth).Append('}');
    }

    private static void WriteList(StringBuilder sb, System.Collections.IEnumerable list, int depth, bool sortKeys, bool ensureAscii)
    {
        bool first = true;
        foreach (var v in list)
        {
            sb.Append(first ? "[\n" : ",\n");
            first = false;
            sb.Append(' ', 2 * (depth + 1));
            Write(sb, v, depth + 1, sortKeys, ensureAscii);
        }
        sb.Append(first ? "[]" : "\n" + new string(' ', 2 * depth) + "]");
    }

    /// <summary>Python's <c>float.__repr__</c>: shortest round-trip digits; integral values below 1e16 end in ".0";
    /// scientific notation (below 1e-4) as <c>1e-06</c>.</summary>
    internal static string FormatFloat(double d)
    {
        if (!double.IsFinite(d)) throw new ArgumentException($"PyJson: {d} is not valid JSON (Python would write NaN/Infinity)");
        if (d == Math.Floor(d) && Math.Abs(d) < 1e15)
            return (d == 0 && double.IsNegative(d) ? "-0" : ((long)d).ToString(CultureInfo.InvariantCulture)) + ".0";
        var r = d.ToString("R", CultureInfo.InvariantCulture);
        int e = r.IndexOf('E');
        if (e < 0) return r;
        // .NET: "1E-06" / "1.5E+20"; Python: "1e-06" / "1.5e+20".
        return r[..e] + "e" + r[(e + 1)..];
    }

    private static void WriteString(StringBuilder sb, string s, bool ensureAscii)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || (ensureAscii && c > 0x7E)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
