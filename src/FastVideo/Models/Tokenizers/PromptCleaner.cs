using System.Text;
using System.Text.RegularExpressions;

namespace FastVideo.Models.Tokenizers;

/// <summary>
/// WanPipeline's <c>prompt_clean</c>: <c>whitespace_clean(basic_clean(text))</c> with
/// <c>basic_clean = strip(html.unescape(html.unescape(ftfy.fix_text(text))))</c> and
/// <c>whitespace_clean = strip(re.sub(r"\s+", " ", text))</c>.
/// <para>
/// ftfy is not available in .NET; <see cref="FixText"/> implements the ftfy fixes that change ordinary prompts,
/// in ftfy's order and repeated until nothing changes: HTML entities with semicolon (only when the text has no
/// '&lt;'), C1 controls read as Windows-1252, Latin ligatures, full-width ASCII and U+3000 to normal width, curly
/// quotes to straight ones, line breaks to '\n', ANSI terminal escapes and stray control characters removed.
/// Not implemented (documented gap): ftfy's mojibake repair (<c>fix_encoding</c>: re-decoding text that was
/// decoded with the wrong codec), and its final NFC normalisation plus the halfwidth-katakana/hangul width fixes
/// (.NET in invariant-globalization mode cannot normalise; the T5 SentencePiece model applies NFKC to its input
/// anyway, which subsumes both for tokenization).
/// </para>
/// </summary>
public static partial class PromptCleaner
{
    /// <summary>The cleaned prompt, as WanPipeline feeds it to the tokenizer.</summary>
    public static string Clean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var basic = PythonText.Strip(HtmlEntities.Unescape(HtmlEntities.Unescape(FixText(text))));
        return PythonText.Strip(PythonText.CollapseWhitespace(basic));
    }

    /// <summary>The implemented subset of <c>ftfy.fix_text</c> (see the class remarks), segment by segment per line.</summary>
    public static string FixText(string text)
    {
        var sb = new StringBuilder(text.Length);
        bool unescapeHtml = true;
        int pos = 0;
        while (pos < text.Length)
        {
            int nl = text.IndexOf('\n', pos);
            int end = nl < 0 ? text.Length : nl + 1;
            var segment = text[pos..end];
            // ftfy's unescape_html="auto": once a segment contains '<' (looks like HTML), stop unescaping.
            if (segment.Contains('<')) unescapeHtml = false;
            sb.Append(FixSegment(segment, unescapeHtml));
            pos = end;
        }
        return sb.ToString();
    }

    private static string FixSegment(string text, bool unescapeHtml)
    {
        while (true)
        {
            var orig = text;
            if (unescapeHtml) text = FtfyUnescapeHtml(text);
            text = FixC1Controls(text);
            text = FixLatinLigatures(text);
            text = FixCharacterWidth(text);
            text = UncurlQuotes(text);
            text = FixLineBreaks(text);
            text = FixSurrogates(text);
            text = AnsiEscape().Replace(text, "");
            text = RemoveControlChars(text);
            if (text == orig) return text;
        }
    }

    /// <summary>ftfy.fixes.unescape_html: <c>&amp;#?[0-9A-Za-z]{1,24};</c> via the HTML5 table (plus upper-case
    /// variants of lower-case names, e.g. <c>&amp;EACUTE;</c> → É); numeric references only if fully consumed.</summary>
    private static string FtfyUnescapeHtml(string text) => FtfyEntity().Replace(text, m =>
    {
        var name = m.Value[1..];
        var table = HtmlEntities.Named;
        if (table.TryGetValue(name, out var v)) return v;
        if (name[0] != '#')
        {
            var lower = name.ToLowerInvariant();
            // ftfy adds "&NAME;" → upper-cased character for lower-case names whose upper-case form is not itself an entity.
            if (name == name.ToUpperInvariant() && lower.EndsWith(';') && table.TryGetValue(lower, out var lv)
                && HtmlEntities.Unescape(m.Value) == m.Value)
                return lv.ToUpperInvariant();
            return m.Value;
        }
        var un = HtmlEntities.Unescape(m.Value);
        return un.Contains(';') ? m.Value : un;
    });

    private static string FixC1Controls(string text)
    {
        if (!text.Any(c => c is >= '\u0080' and <= '\u009F')) return text;
        var sb = new StringBuilder(text.Length);
        foreach (char c in text) sb.Append(c is >= '\u0080' and <= '\u009F' ? HtmlEntities.Windows1252(c) : c);
        return sb.ToString();
    }

    private static readonly Dictionary<char, string> s_ligatures = new()
    {
        ['Ĳ'] = "IJ", ['ĳ'] = "ij", ['ŉ'] = "ʼn", ['Ǳ'] = "DZ", ['ǲ'] = "Dz", ['ǳ'] = "dz", ['Ǆ'] = "DŽ", ['ǅ'] = "Dž",
        ['ǆ'] = "dž", ['Ǉ'] = "LJ", ['ǈ'] = "Lj", ['ǉ'] = "lj", ['Ǌ'] = "NJ", ['ǋ'] = "Nj", ['ǌ'] = "nj",
        ['ﬀ'] = "ff", ['ﬁ'] = "fi", ['ﬂ'] = "fl", ['ﬃ'] = "ffi", ['ﬄ'] = "ffl", ['ﬅ'] = "ſt", ['ﬆ'] = "st",
    };

    private static string FixLatinLigatures(string text) => Translate(text, c => s_ligatures.GetValueOrDefault(c));

    /// <summary>Full-width ASCII U+FF01–U+FF5E → U+0021–U+007E, ideographic space → space (ftfy's WIDTH_MAP, ASCII part),
    /// plus the full-width signs ¢ £ ¬ ¦ ¥ ₩.</summary>
    private static string FixCharacterWidth(string text) => Translate(text, c => c switch
    {
        '\u3000' => " ",
        >= '\uFF01' and <= '\uFF5E' => ((char)(c - 0xFEE0)).ToString(),
        '\uFFE0' => "\u00A2",
        '\uFFE1' => "\u00A3",
        '\uFFE2' => "\u00AC",
        '\uFFE4' => "\u00A6",
        '\uFFE5' => "\u00A5",
        '\uFFE6' => "\u20A9",
        _ => null,
    });

    private static string UncurlQuotes(string text) => Translate(text, c => c switch
    {
        '\u02BC' or (>= '\u2018' and <= '\u201B') => "'",
        >= '\u201C' and <= '\u201F' => "\"",
        _ => null,
    });

    private static string FixLineBreaks(string text) => text
        .Replace("\r\n", "\n").Replace('\r', '\n').Replace('\u2028', '\n').Replace('\u2029', '\n').Replace('\u0085', '\n');

    /// <summary>Lone UTF-16 surrogates → U+FFFD (paired ones are already one character in .NET).</summary>
    private static string FixSurrogates(string text)
    {
        if (!text.Any(char.IsSurrogate)) return text;
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { sb.Append(c).Append(text[++i]); }
            else sb.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
        }
        return sb.ToString();
    }

    /// <summary>Removes U+0000–0008, 000B, 000E–001F, 007F, 206A–206F, FEFF, FFF9–FFFC (ftfy's CONTROL_CHARS).</summary>
    private static string RemoveControlChars(string text) => Translate(text, c => c switch
    {
        (>= '\u0000' and <= '\u0008') or '\u000B' or (>= '\u000E' and <= '\u001F') or '\u007F'
            or (>= '\u206A' and <= '\u206F') or '\uFEFF' or (>= '\uFFF9' and <= '\uFFFC') => "",
        _ => null,
    });

    private static string Translate(string text, Func<char, string?> map)
    {
        StringBuilder? sb = null;
        for (int i = 0; i < text.Length; i++)
        {
            var r = map(text[i]);
            if (r is null) { sb?.Append(text[i]); continue; }
            sb ??= new StringBuilder(text.Length).Append(text, 0, i);
            sb.Append(r);
        }
        return sb?.ToString() ?? text;
    }

    [GeneratedRegex("&#?[0-9A-Za-z]{1,24};")]
    private static partial Regex FtfyEntity();

    [GeneratedRegex("\u001b\\[((?:\\d|;)*)([a-zA-Z])")]
    private static partial Regex AnsiEscape();
}
