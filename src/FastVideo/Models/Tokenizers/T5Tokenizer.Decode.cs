using System.Text;

namespace FastVideo.Models.Tokenizers;

public sealed partial class T5Tokenizer
{
    /// <summary>
    /// Text of token ids (transformers' <c>decode</c>): special ids dropped when <paramref name="skipSpecialTokens"/>;
    /// non-special added tokens and extra ids are separate sub-texts joined by a space; the rest goes through
    /// <c>convert_tokens_to_string</c> (special tokens kept literally, pieces decoded by SentencePiece's rules,
    /// leading <c>▁</c> of the first token dropped, result stripped).
    /// </summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var tokens = new List<string>();
        foreach (int id in ids)
        {
            if (skipSpecialTokens && _specialIds.Contains(id)) continue;
            tokens.Add(IdToToken(id));
        }
        var subTexts = new List<string>();
        var current = new List<string>();
        foreach (var token in tokens)
        {
            if (_legacyAddedTokens.Contains(token))
            {
                if (current.Count > 0)
                {
                    var s = TokensToString(current);
                    if (s.Length > 0) subTexts.Add(s);
                    current.Clear();
                }
                subTexts.Add(token);
            }
            else
            {
                current.Add(token);
            }
        }
        if (current.Count > 0) subTexts.Add(TokensToString(current));
        var text = string.Join(" ", subTexts);
        return Options.CleanUpTokenizationSpaces ? CleanUpTokenization(text) : text;
    }

    /// <summary>transformers' <c>T5Tokenizer.convert_tokens_to_string</c>.</summary>
    private string TokensToString(List<string> tokens)
    {
        if (tokens.Count > 0 && Options.AddPrefixSpace && tokens[0].Length > 0 && tokens[0][0] == SpieceUnderline)
            tokens[0] = tokens[0][1..];
        var sb = new StringBuilder();
        var pieces = new List<string>();
        bool prevIsSpecial = false;
        foreach (var token in tokens)
        {
            if (_specialTokens.Contains(token))
            {
                if (!prevIsSpecial) sb.Append(' ');
                sb.Append(DecodePieces(pieces)).Append(token);
                prevIsSpecial = true;
                pieces.Clear();
            }
            else
            {
                pieces.Add(token);
                prevIsSpecial = false;
            }
        }
        sb.Append(DecodePieces(pieces));
        return PythonText.Strip(sb.ToString());
    }

    /// <summary>
    /// SentencePiece's <c>Decode(pieces)</c>: control pieces vanish, the literal unknown piece becomes the unknown
    /// surface, <c>▁</c> becomes a space, and while nothing has been produced yet a leading <c>▁</c> is dropped
    /// (all of them when the model removes extra whitespace). Byte pieces <c>&lt;0xNN&gt;</c> are joined as UTF-8.
    /// </summary>
    private string DecodePieces(List<string> pieces)
    {
        var sb = new StringBuilder();
        var bytes = new List<byte>();
        bool isBosWs = true, bosWsSeen = false;
        void FlushBytes()
        {
            if (bytes.Count == 0) return;
            sb.Append(Encoding.UTF8.GetString(bytes.ToArray()));
            bytes.Clear();
        }
        foreach (var piece in pieces)
        {
            int id = _model.PieceToId(piece);
            var type = _model.Types[id];
            if (type == SentencePieceType.Byte && piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal))
            {
                bytes.Add(Convert.ToByte(piece.Substring(3, 2), 16));
                continue;
            }
            FlushBytes();
            if (bosWsSeen || sb.Length > 0) isBosWs = false;
            bosWsSeen = false;
            string decoded;
            if (type == SentencePieceType.Control) decoded = "";
            else if (type == SentencePieceType.Unknown) decoded = piece == _model.Pieces[id] ? _model.UnknownSurface : piece;
            else
            {
                var p = piece;
                if (isBosWs && (_model.AddDummyPrefix || _model.RemoveExtraWhitespaces) && p.Length > 0 && p[0] == SpieceUnderline)
                {
                    p = p[1..];
                    bosWsSeen = !_model.RemoveExtraWhitespaces;
                }
                decoded = p.Replace(SpieceUnderline, ' ');
            }
            sb.Append(decoded);
        }
        FlushBytes();
        return sb.ToString();
    }

    /// <summary>transformers' <c>clean_up_tokenization</c>: removes the space before punctuation and English contractions.</summary>
    private static string CleanUpTokenization(string s) => s
        .Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",")
        .Replace(" ' ", "'").Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s")
        .Replace(" 've", "'ve").Replace(" 're", "'re");
}
