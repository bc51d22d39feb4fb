namespace FastVideo.Models.Tokenizers;

/// <summary>
/// A token matched literally in the input before SentencePiece runs (transformers' <c>AddedToken</c>):
/// special tokens (<c>&lt;/s&gt;</c>, <c>&lt;pad&gt;</c>, <c>&lt;extra_id_N&gt;</c>) and user-added ones.
/// <see cref="LStrip"/>/<see cref="RStrip"/>: the token swallows the whitespace on its left/right;
/// <see cref="SingleWord"/>: it only matches as a whole word.
/// </summary>
public sealed record AddedToken(int Id, string Content, bool Special = true, bool LStrip = false, bool RStrip = false, bool SingleWord = false);

/// <summary>
/// Splits text on added tokens as transformers' slow tokenizers do (<c>PreTrainedTokenizer.tokenize</c>):
/// leftmost, longest match first; then lstrip/rstrip remove Python whitespace from the neighbouring pieces.
/// </summary>
internal sealed class AddedTokenSplitter
{
    private readonly Dictionary<string, AddedToken> _byContent;
    private readonly Dictionary<char, int> _maxLengthByFirstChar = new();

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        _byContent = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        foreach (var t in tokens)
        {
            if (t.Content.Length == 0) continue;
            _byContent[t.Content] = t;
            char c = t.Content[0];
            _maxLengthByFirstChar[c] = Math.Max(_maxLengthByFirstChar.GetValueOrDefault(c), t.Content.Length);
        }
    }

    public bool TryGet(string content, out AddedToken token) => _byContent.TryGetValue(content, out token!);

    /// <summary>Pieces of <paramref name="text"/> in order; each is either plain text (Token null) or one added token.</summary>
    public List<(string Text, AddedToken? Token)> Split(string text)
    {
        var parts = new List<(string Text, AddedToken? Token)>();
        int plainStart = 0, i = 0;
        while (i < text.Length)
        {
            var match = LongestAt(text, i);
            if (match is null) { i++; continue; }
            if (i > plainStart) parts.Add((text[plainStart..i], null));
            parts.Add((match.Content, match));
            i += match.Content.Length;
            plainStart = i;
        }
        if (plainStart < text.Length) parts.Add((text[plainStart..], null));

        // Whitespace stripping around tokens, then single_word handling, as in transformers.
        for (int k = 0; k < parts.Count; k++)
        {
            var tok = parts[k].Token;
            if (tok is null) continue;
            if (tok.RStrip && k + 1 < parts.Count && parts[k + 1].Token is null)
                parts[k + 1] = (PythonText.LStrip(parts[k + 1].Text), null);
            if (tok.LStrip && k > 0 && parts[k - 1].Token is null)
                parts[k - 1] = (PythonText.RStrip(parts[k - 1].Text), null);
            if (tok.SingleWord && k > 0 && parts[k - 1].Token is null && parts[k - 1].Text.Length > 0 && parts[k - 1].Text[^1] != ' ')
            {
                parts[k - 1] = (parts[k - 1].Text + tok.Content, null);
                parts[k] = ("", null);
            }
            else if (tok.SingleWord && k + 1 < parts.Count && parts[k + 1].Token is null && parts[k + 1].Text.Length > 0 && parts[k + 1].Text[0] != ' ')
            {
                parts[k] = (tok.Content + parts[k + 1].Text, null);
                parts[k + 1] = ("", null);
            }
        }
        parts.RemoveAll(p => p.Text.Length == 0);
        return parts;
    }

    private AddedToken? LongestAt(string text, int i)
    {
        if (!_maxLengthByFirstChar.TryGetValue(text[i], out int maxLen)) return null;
        for (int len = Math.Min(maxLen, text.Length - i); len > 0; len--)
            if (_byContent.TryGetValue(text.Substring(i, len), out var t)) return t;
        return null;
    }
}
