using Microsoft.ML.Tokenizers;

namespace FastVideo.Models.Tokenizers;

/// <summary>
/// transformers' slow <c>T5Tokenizer</c> (the tokenizer of T5/UMT5 and so of Wan's text encoder) on top of
/// Microsoft.ML.Tokenizers' <see cref="SentencePieceTokenizer"/> (Viterbi unigram + the model's normalizer).
/// What is added here, as transformers/SentencePiece do it:
/// <list type="bullet">
/// <item>added tokens (<c>&lt;/s&gt;</c>, <c>&lt;pad&gt;</c>, <c>&lt;extra_id_N&gt;</c>, …) are matched literally in the text
/// before SentencePiece runs, with their lstrip/rstrip rules;</item>
/// <item>runs of unknown pieces are merged into one <c>&lt;unk&gt;</c> (SentencePiece's <c>PopulateSentencePieceText</c>;
/// Microsoft.ML.Tokenizers emits one unknown per character);</item>
/// <item><c>legacy=False</c>: a <c>▁</c> is prepended once, the model runs without dummy prefix, and a chunk starting
/// with a space is encoded as <c>unk_token + chunk</c> with the unk pieces dropped, so the space survives;</item>
/// <item><c>&lt;/s&gt;</c> is appended unless the ids already end with it; truncation keeps room for it; padding is right-sided.</item>
/// </list>
/// </summary>
public sealed partial class T5Tokenizer
{
    private const char SpieceUnderline = '\u2581';

    private readonly SentencePieceModelProto _model;
    private readonly SentencePieceTokenizer _sp;
    private readonly SentencePieceTokenizer _spNoDummy;
    private readonly AddedTokenSplitter _splitter;
    private readonly Dictionary<int, AddedToken> _addedById;
    private readonly HashSet<string> _specialTokens;
    private readonly HashSet<int> _specialIds;
    private readonly HashSet<string> _legacyAddedTokens;
    private readonly int _unkTokenLength;

    public T5TokenizerOptions Options { get; }
    public bool Legacy => Options.Legacy;
    /// <summary>Pieces in the SentencePiece model (transformers' <c>vocab_size</c>).</summary>
    public int VocabSize => _model.Count;
    /// <summary>Highest id + 1 (transformers' <c>len(tokenizer)</c>).</summary>
    public int Count { get; }
    public int EosId { get; }
    public int UnkId { get; }
    public int PadId { get; }
    public IReadOnlyCollection<AddedToken> AddedTokens => _addedById.Values;

    /// <summary>Loads <c>spiece.model</c> and the JSON configs of a tokenizer folder (diffusers' <c>tokenizer/</c>).</summary>
    public static T5Tokenizer FromFolder(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"tokenizer folder not found: {folder}");
        var spiece = Path.Combine(folder, "spiece.model");
        if (!File.Exists(spiece))
            throw new FileNotFoundException($"{folder}: no spiece.model (a T5 tokenizer folder needs the SentencePiece model)", spiece);
        return new T5Tokenizer(SentencePieceModelProto.Load(spiece), T5TokenizerOptions.FromFolder(folder));
    }

    /// <summary>A tokenizer over a SentencePiece model file with explicit options (defaults: legacy, 100 extra ids).</summary>
    public static T5Tokenizer FromModelFile(string spiecePath, T5TokenizerOptions? options = null) =>
        new(SentencePieceModelProto.Load(spiecePath), options ?? new T5TokenizerOptions { Source = spiecePath });

    public T5Tokenizer(SentencePieceModelProto model, T5TokenizerOptions options)
    {
        _model = model;
        Options = options;
        if (model.ModelType != 1)
            throw new NotSupportedException($"{options.Source}: SentencePiece model type {model.ModelType} is not unigram (1); T5 tokenizers are unigram");
        _sp = CreateSentencePiece(model, addDummyPrefix: true, options.Source);
        _spNoDummy = CreateSentencePiece(model, addDummyPrefix: false, options.Source);

        _addedById = BuildAddedTokens(model, options);
        _splitter = new AddedTokenSplitter(_addedById.Values);
        Count = Math.Max(model.Count, _addedById.Count == 0 ? 0 : _addedById.Keys.Max() + 1);

        EosId = TokenToId(options.EosToken);
        UnkId = TokenToId(options.UnkToken);
        PadId = TokenToId(options.PadToken);
        var additional = AdditionalSpecialTokens(options);
        _specialTokens = new HashSet<string>(StringComparer.Ordinal) { options.EosToken, options.UnkToken, options.PadToken };
        _specialTokens.UnionWith(additional);
        _specialIds = _specialTokens.Select(TokenToId).ToHashSet();
        // transformers' _decode: added tokens that are not special, plus additional special tokens beyond the
        // SentencePiece vocabulary, are decoded as separate sub-texts.
        _legacyAddedTokens = _addedById.Values.Select(t => t.Content).Where(c => !_specialTokens.Contains(c)).ToHashSet(StringComparer.Ordinal);
        _legacyAddedTokens.UnionWith(additional.Where(t => TokenToId(t) >= VocabSize));
        _unkTokenLength = SpEncode(_spNoDummy, options.UnkToken).Count;
    }

    /// <summary>Microsoft.ML.Tokenizers' unigram encoder over <paramref name="model"/> (see <see cref="SentencePieceModelProto.ForMicrosoftMl"/>).</summary>
    private static SentencePieceTokenizer CreateSentencePiece(SentencePieceModelProto model, bool addDummyPrefix, string source)
    {
        using var s = new MemoryStream(model.ForMicrosoftMl(addDummyPrefix), writable: false);
        try
        {
            return SentencePieceTokenizer.Create(s, addBeginningOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException)
        {
            throw new InvalidDataException($"{source}: Microsoft.ML.Tokenizers cannot load the SentencePiece model ({e.GetType().Name}: {e.Message})", e);
        }
    }

    private static IEnumerable<string> ExtraIdNames(int n) => Enumerable.Range(0, Math.Max(0, n)).Select(i => $"<extra_id_{i}>");

    private static List<string> ExtraTokens(IEnumerable<string> tokens) =>
        tokens.Where(t => t.Contains("<extra_id_", StringComparison.Ordinal)).ToList();

    /// <summary>
    /// transformers' T5Tokenizer.__init__: additional_special_tokens as given, with the extra_ids names appended when it
    /// names none; extra_ids &gt; 0 must then match the number it names.
    /// </summary>
    private static List<string> AdditionalSpecialTokens(T5TokenizerOptions o)
    {
        if (o.AdditionalSpecialTokens is null) return ExtraIdNames(o.ExtraIds).ToList();
        var list = o.AdditionalSpecialTokens.ToList();
        int named = ExtraTokens(list).Count;
        if (named == 0) list.AddRange(ExtraIdNames(o.ExtraIds));
        else if (o.ExtraIds > 0 && o.ExtraIds != named)
            throw new InvalidDataException($"{o.Source}: extra_ids = {o.ExtraIds} but additional_special_tokens names {named} <extra_id_N> tokens; transformers requires them to match");
        return list;
    }

    /// <summary>
    /// Added tokens by id, as transformers builds <c>_added_tokens_decoder</c>: the i-th extra token sits at
    /// <c>len(sp_model) − 1 + extra_ids − i</c> (i over the extra tokens of additional_special_tokens); entries of
    /// <see cref="T5TokenizerOptions.AddedTokens"/> (added_tokens_decoder) then replace or extend those; special tokens
    /// still unknown get their SentencePiece id if the model has the piece, else the next free id.
    /// </summary>
    private static Dictionary<int, AddedToken> BuildAddedTokens(SentencePieceModelProto model, T5TokenizerOptions o)
    {
        var byId = new Dictionary<int, AddedToken>();
        var additional = AdditionalSpecialTokens(o);
        int extraCount = ExtraTokens(additional).Count;
        for (int i = 0; i < extraCount; i++)
        {
            int id = model.Count - 1 + o.ExtraIds - i;
            if (id >= 0) byId[id] = new AddedToken(id, $"<extra_id_{i}>", true, LStrip: true, RStrip: true);
        }
        foreach (var t in o.AddedTokens ?? []) byId[t.Id] = t;
        // PreTrainedTokenizer._add_tokens for the special tokens: the piece's id if SentencePiece has it, else len(vocab).
        var contents = byId.Values.Select(t => t.Content).ToHashSet(StringComparer.Ordinal);
        var specials = new List<string> { o.EosToken, o.UnkToken, o.PadToken };
        specials.AddRange(additional);
        foreach (var s in specials)
        {
            if (contents.Contains(s)) continue;
            int id = model.TryGetId(s, out int spId) ? spId : Math.Max(model.Count + o.ExtraIds, byId.Count == 0 ? 0 : byId.Keys.Max() + 1);
            byId[id] = new AddedToken(id, s, Special: true);
            contents.Add(s);
        }
        return byId;
    }

    /// <summary>Id of a token string: added tokens first, then the SentencePiece piece (unknown → unk id).</summary>
    public int TokenToId(string token)
    {
        if (_splitter.TryGet(token, out var t)) return t.Id;
        return _model.PieceToId(token);
    }

    /// <summary>Token string of an id (transformers' <c>convert_ids_to_tokens</c>).</summary>
    public string IdToToken(int id)
    {
        if (_addedById.TryGetValue(id, out var t)) return t.Content;
        if ((uint)id < (uint)_model.Count) return _model.Pieces[id];
        throw new ArgumentOutOfRangeException(nameof(id), $"token id {id} is outside the vocabulary (0..{Count - 1})");
    }

    public bool IsSpecialId(int id) => _specialIds.Contains(id);

    /// <summary>Token ids of <paramref name="text"/> without <c>&lt;/s&gt;</c> (transformers' <c>tokenize</c> + <c>convert_tokens_to_ids</c>).</summary>
    public List<int> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (Legacy || text.Length == 0) return SplitAndEncode(text);
        text = text.Replace(SpieceUnderline, ' ');
        if (Options.AddPrefixSpace) text = SpieceUnderline + text;
        var fromAdded = new List<bool>();
        var ids = SplitAndEncode(text, fromAdded);
        // A lone "▁" before a special token is dropped. The check is on token strings in transformers: an unknown
        // piece has its surface as token, so only an added special token counts here, not an <unk> id from SentencePiece.
        if (ids.Count > 1 && _model.TryGetId("\u2581", out int underline) && ids[0] == underline && !fromAdded[0]
            && fromAdded[1] && _specialIds.Contains(ids[1]))
            ids.RemoveAt(0);
        return ids;
    }

    /// <summary>Ids of one text; with <paramref name="addSpecialTokens"/>, <c>&lt;/s&gt;</c> is appended unless already last.</summary>
    public int[] Encode(string text, bool addSpecialTokens = true)
    {
        var ids = Tokenize(text);
        if (addSpecialTokens) AddEos(ids);
        return ids.ToArray();
    }

    /// <summary>
    /// The WanPipeline call: <c>tokenizer(texts, padding="max_length", max_length, truncation=True,
    /// add_special_tokens=True)</c>. Truncation keeps the first <c>maxLength − 1</c> tokens and then appends
    /// <c>&lt;/s&gt;</c>; rows are right-padded with the pad id, mask 0.
    /// </summary>
    public TokenizedBatch EncodeBatch(IReadOnlyList<string> texts, int maxLength, bool truncation = true, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0) throw new ArgumentException("texts is empty", nameof(texts));
        if (maxLength < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "maxLength must be at least 1");
        var ids = new long[texts.Count * maxLength];
        var mask = new long[ids.Length];
        int numSpecial = addSpecialTokens ? 1 : 0;
        for (int b = 0; b < texts.Count; b++)
        {
            var row = Tokenize(texts[b] ?? throw new ArgumentNullException(nameof(texts), $"texts[{b}] is null"));
            if (row.Count + numSpecial > maxLength)
            {
                if (!truncation)
                    throw new ArgumentException($"texts[{b}] has {row.Count + numSpecial} tokens, more than maxLength {maxLength}, and truncation is off", nameof(texts));
                row.RemoveRange(maxLength - numSpecial, row.Count + numSpecial - maxLength);
            }
            if (addSpecialTokens) AddEos(row);
            for (int i = 0; i < maxLength; i++)
            {
                ids[b * maxLength + i] = i < row.Count ? row[i] : PadId;
                mask[b * maxLength + i] = i < row.Count ? 1 : 0;
            }
        }
        return new TokenizedBatch(ids, mask, texts.Count, maxLength);
    }

    private void AddEos(List<int> ids)
    {
        if (ids.Count == 0 || ids[^1] != EosId) ids.Add(EosId);
    }

    /// <summary>Ids of text split on added tokens; <paramref name="fromAdded"/> (if given) receives, per id, whether it is an added token.</summary>
    private List<int> SplitAndEncode(string text, List<bool>? fromAdded = null)
    {
        var result = new List<int>();
        foreach (var (part, token) in _splitter.Split(text))
        {
            if (token != null)
            {
                result.Add(token.Id);
                fromAdded?.Add(true);
            }
            else
            {
                var ids = EncodeChunk(part);
                result.AddRange(ids);
                fromAdded?.AddRange(Enumerable.Repeat(false, ids.Count));
            }
        }
        return result;
    }

    /// <summary>transformers' <c>T5Tokenizer._tokenize</c> for text between added tokens.</summary>
    private List<int> EncodeChunk(string chunk)
    {
        if (Legacy) return SpEncode(_sp, chunk);
        if (!(chunk[0] == SpieceUnderline || chunk[0] == ' ')) return SpEncode(_spNoDummy, chunk);
        // SentencePiece without dummy prefix strips a leading space; "<unk>" in front protects it, and its
        // pieces are dropped again.
        var ids = SpEncode(_spNoDummy, Options.UnkToken + chunk);
        return ids.Count >= _unkTokenLength ? ids.GetRange(_unkTokenLength, ids.Count - _unkTokenLength) : ids;
    }

    /// <summary>Plain SentencePiece encoding of <paramref name="text"/> (no added tokens, no legacy handling), as <c>sp_model.encode</c>.</summary>
    internal List<int> SentencePieceIds(string text) => SpEncode(_sp, text);

    /// <summary>SentencePiece ids of plain text, with runs of unknown pieces merged into one (SentencePiece does this).</summary>
    private List<int> SpEncode(SentencePieceTokenizer sp, string text)
    {
        var raw = sp.EncodeToIds(text, false, false, considerPreTokenization: true, considerNormalization: true);
        var ids = new List<int>(raw.Count);
        int unk = _model.UnknownId;
        foreach (int id in raw)
            if (!(id == unk && ids.Count > 0 && ids[^1] == unk)) ids.Add(id);
        return ids;
    }
}
