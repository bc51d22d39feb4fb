namespace FastVideo.Models.Smoke;

/// <summary>
/// The <c>tokenizer/</c> folder of the smoke model, as transformers' slow <c>T5Tokenizer.save_pretrained</c> writes
/// it (compare the golden pipeline's tokenizer folder): <c>spiece.model</c>, <c>tokenizer_config.json</c> (with
/// <c>added_tokens_decoder</c>), <c>special_tokens_map.json</c> and <c>added_tokens.json</c>. As in T5/UMT5,
/// <c>&lt;extra_id_i&gt;</c> sits at <c>pieces − 1 + extra_ids − i</c>, after the SentencePiece vocabulary.
/// </summary>
internal sealed class SmokeTokenizerFiles
{
    public const int ExtraIds = 100;

    public IReadOnlyList<SentencePiece> Pieces { get; }

    public SmokeTokenizerFiles(IReadOnlyList<SentencePiece> pieces) => Pieces = pieces;

    /// <summary>transformers' <c>len(tokenizer)</c>: pieces plus extra ids; the text encoder's vocab_size.</summary>
    public int Count => Pieces.Count + ExtraIds;

    public byte[] SentencePieceModel() => SentencePieceModelWriter.Serialize(new SentencePieceModelSpec { Pieces = Pieces });

    private int ExtraIdToId(int i) => Pieces.Count - 1 + ExtraIds - i;

    private static string[] ExtraIdNames() => Enumerable.Range(0, ExtraIds).Select(i => $"<extra_id_{i}>").ToArray();

    private static PyDict TokenEntry(string content, bool strip, bool? special)
    {
        var d = new PyDict
        {
            { "content", content },
            { "lstrip", strip },
            { "normalized", false },
            { "rstrip", strip },
            { "single_word", false },
        };
        if (special is bool s) d.Add("special", s);
        return d;
    }

    public string TokenizerConfig()
    {
        var decoder = new PyDict { IntKeys = true };
        foreach (var (id, piece) in new[] { (0, "<pad>"), (1, "</s>"), (2, "<unk>") })
        {
            if (Pieces[id].Piece != piece) throw new InvalidOperationException($"piece {id} is '{Pieces[id].Piece}', expected '{piece}'");
            decoder.Add(id.ToString(System.Globalization.CultureInfo.InvariantCulture), TokenEntry(piece, false, true));
        }
        for (int i = 0; i < ExtraIds; i++)
            decoder.Add(ExtraIdToId(i).ToString(System.Globalization.CultureInfo.InvariantCulture), TokenEntry($"<extra_id_{i}>", true, true));
        var config = new PyDict
        {
            { "add_prefix_space", true },
            { "added_tokens_decoder", decoder },
            { "additional_special_tokens", ExtraIdNames() },
            { "clean_up_tokenization_spaces", false },
            { "eos_token", "</s>" },
            { "extra_ids", ExtraIds },
            { "extra_special_tokens", new PyDict() },
            { "legacy", true },
            // int(1e30): transformers' VERY_LARGE_INTEGER, "no limit"
            { "model_max_length", new PyRaw("1000000000000000019884624838656") },
            { "pad_token", "<pad>" },
            { "sp_model_kwargs", new PyDict() },
            { "tokenizer_class", "T5Tokenizer" },
            { "unk_token", "<unk>" },
        };
        return PyJson.Dumps(config, sortKeys: true, ensureAscii: false);
    }

    public static string SpecialTokensMap() => PyJson.Dumps(new PyDict
    {
        { "additional_special_tokens", ExtraIdNames() },
        { "eos_token", TokenEntry("</s>", false, null) },
        { "pad_token", TokenEntry("<pad>", false, null) },
        { "unk_token", TokenEntry("<unk>", false, null) },
    }, sortKeys: true, ensureAscii: false);

    /// <summary>Tokens beyond the SentencePiece vocabulary (the extra ids), keys sorted as strings.</summary>
    public string AddedTokens()
    {
        var d = new PyDict();
        for (int i = 0; i < ExtraIds; i++) d.Add($"<extra_id_{i}>", ExtraIdToId(i));
        return PyJson.Dumps(d, sortKeys: true, ensureAscii: false);
    }
}
