using System.Globalization;
using System.Text;

namespace FastVideo.Models.Tokenizers;

/// <summary>
/// HTML character references decoded as Python's <c>html.unescape</c> does (the function WanPipeline's prompt
/// cleaning calls twice), over the WHATWG named-reference table (embedded resource, taken from CPython's
/// <c>html.entities.html5</c>):
/// <list type="bullet">
/// <item><c>&amp;#N;</c>/<c>&amp;#xN;</c> (semicolon optional): Windows-1252 replacements for 0x80–0x9F, 0 and
/// surrogates/out of range → U+FFFD, 0x0D → CR, other invalid code points (C0/C1 controls, non-characters) → removed;</item>
/// <item><c>&amp;name;</c> and the legacy names without semicolon; an unknown name decodes its longest known prefix
/// (at least 2 characters), e.g. <c>&amp;ampx</c> → <c>&amp;x</c>; otherwise the text stays.</item>
/// </list>
/// </summary>
public static class HtmlEntities
{
    private static readonly Lazy<Dictionary<string, string>> s_table = new(LoadTable);

    /// <summary>The named references, keys without the leading '&amp;' (with ';' where the standard has it).</summary>
    public static IReadOnlyDictionary<string, string> Named => s_table.Value;

    private static Dictionary<string, string> LoadTable()
    {
        const string name = "FastVideo.Tokenizers.html5_entities.tsv";
        using var stream = typeof(HtmlEntities).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing from the FastVideo assembly");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var table = new Dictionary<string, string>(2300, StringComparer.Ordinal);
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            if (line.Length == 0 || line[0] == '#') continue;
            int tab = line.IndexOf('\t');
            var sb = new StringBuilder();
            foreach (var hex in line[(tab + 1)..].Split(' '))
                sb.Append(char.ConvertFromUtf32(int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
            table[line[..tab]] = sb.ToString();
        }
        return table;
    }

    private static readonly string[] s_cp1252 =
    [
        "\u20ac", "\u0081", "\u201a", "\u0192", "\u201e", "\u2026", "\u2020", "\u2021", "\u02c6", "\u2030", "\u0160", "\u2039", "\u0152", "\u008d", "\u017d", "\u008f",
        "\u0090", "\u2018", "\u2019", "\u201c", "\u201d", "\u2022", "\u2013", "\u2014", "\u02dc", "\u2122", "\u0161", "\u203a", "\u0153", "\u009d", "\u017e", "\u0178",
    ];

    /// <summary>Character of a C1 control byte 0x80–0x9F read as Windows-1252 (undefined bytes map to themselves).</summary>
    internal static string Windows1252(int c) => s_cp1252[c - 0x80];

    /// <summary>Python's <c>html.unescape</c>.</summary>
    public static string Unescape(string s)
    {
        if (!s.Contains('&')) return s;
        var sb = new StringBuilder(s.Length);
        int i = 0;
        while (i < s.Length)
        {
            if (s[i] != '&') { sb.Append(s[i++]); continue; }
            int consumed = TryReference(s, i + 1, sb);
            if (consumed == 0) sb.Append('&');
            i += 1 + consumed;
        }
        return sb.ToString();
    }

    /// <summary>Decodes the reference after '&amp;' at <paramref name="start"/>; returns the characters consumed (0: none).</summary>
    private static int TryReference(string s, int start, StringBuilder sb)
    {
        if (start >= s.Length) return 0;
        if (s[start] == '#')
        {
            bool hex = start + 1 < s.Length && (s[start + 1] == 'x' || s[start + 1] == 'X');
            int d = start + (hex ? 2 : 1), e = d;
            while (e < s.Length && (hex ? char.IsAsciiHexDigit(s[e]) : char.IsAsciiDigit(s[e]))) e++;
            if (e == d) return 0;
            int end = e < s.Length && s[e] == ';' ? e + 1 : e;
            sb.Append(NumericReference(s.AsSpan(d, e - d), hex));
            return end - start;
        }
        // [^\t\n\f <&#;]{1,32};?
        int n = 0;
        while (n < 32 && start + n < s.Length && s[start + n] is not ('\t' or '\n' or '\f' or ' ' or '<' or '&' or '#' or ';')) n++;
        if (n == 0) return 0;
        bool semi = start + n < s.Length && s[start + n] == ';';
        var name = s.Substring(start, n + (semi ? 1 : 0));
        var table = s_table.Value;
        if (table.TryGetValue(name, out var value)) { sb.Append(value); return name.Length; }
        for (int x = name.Length - 1; x > 1; x--)
        {
            if (table.TryGetValue(name[..x], out value))
            {
                sb.Append(value).Append(name, x, name.Length - x);
                return name.Length;
            }
        }
        sb.Append('&').Append(name);
        return name.Length;
    }

    private static string NumericReference(ReadOnlySpan<char> digits, bool hex)
    {
        digits = digits.TrimStart('0');
        // More than 7 hex / 8 decimal digits is certainly beyond U+10FFFF.
        if (digits.Length > (hex ? 7 : 8)) return "\uFFFD";
        long num = digits.Length == 0 ? 0 : long.Parse(digits, hex ? NumberStyles.HexNumber : NumberStyles.None, CultureInfo.InvariantCulture);
        if (num == 0) return "\uFFFD";
        if (num == 0x0D) return "\r";
        if (num is >= 0x80 and <= 0x9F) return Windows1252((int)num);
        if (num is >= 0xD800 and <= 0xDFFF || num > 0x10FFFF) return "\uFFFD";
        if (num is (>= 0x1 and <= 0x8) or 0xB or (>= 0xE and <= 0x1F) or 0x7F or (>= 0xFDD0 and <= 0xFDEF) || (num & 0xFFFE) == 0xFFFE)
            return "";
        return char.ConvertFromUtf32((int)num);
    }
}
