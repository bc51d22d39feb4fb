using System.Text;

namespace FastVideo.Models.Tokenizers;

/// <summary>
/// Python's notion of whitespace (<c>str.isspace</c>, <c>str.strip()</c>, <c>re</c>'s <c>\s</c> on str), which
/// tokenizers and prompt cleaning inherit. It differs from .NET's <see cref="char.IsWhiteSpace(char)"/> by also
/// counting U+001C..U+001F (file/group/record/unit separators) as whitespace.
/// </summary>
public static class PythonText
{
    /// <summary>Characters with Unicode bidi class WS, B or S, or category Zs (CPython's definition).</summary>
    public static bool IsSpace(char c) => c switch
    {
        >= '\t' and <= '\r' => true,
        >= '\u001C' and <= ' ' => true,
        '\u0085' or '\u00A0' or '\u1680' => true,
        >= '\u2000' and <= '\u200A' => true,
        '\u2028' or '\u2029' or '\u202F' or '\u205F' or '\u3000' => true,
        _ => false,
    };

    public static string Strip(string s) => LStrip(RStrip(s));

    public static string LStrip(string s)
    {
        int i = 0;
        while (i < s.Length && IsSpace(s[i])) i++;
        return i == 0 ? s : s[i..];
    }

    public static string RStrip(string s)
    {
        int n = s.Length;
        while (n > 0 && IsSpace(s[n - 1])) n--;
        return n == s.Length ? s : s[..n];
    }

    /// <summary><c>re.sub(r"\s+", " ", s)</c>.</summary>
    public static string CollapseWhitespace(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool inSpace = false;
        foreach (char c in s)
        {
            if (IsSpace(c))
            {
                if (!inSpace) sb.Append(' ');
                inSpace = true;
            }
            else
            {
                sb.Append(c);
                inSpace = false;
            }
        }
        return sb.ToString();
    }
}
