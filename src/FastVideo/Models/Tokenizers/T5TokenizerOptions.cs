using FastVideo.Loading;
using System.Text.Json;

namespace FastVideo.Models.Tokenizers;

/// <summary>
/// Construction options of <see cref="T5Tokenizer"/>, mirroring transformers' <c>T5Tokenizer.__init__</c> and the
/// keys of <c>tokenizer_config.json</c>. <see cref="AddedTokens"/>, when given (from <c>added_tokens_decoder</c> or
/// <c>added_tokens.json</c>), fixes the ids of added tokens; otherwise they are derived as transformers does:
/// <c>&lt;extra_id_i&gt;</c> → <c>pieces − 1 + ExtraIds − i</c>, and special tokens missing from the SentencePiece
/// vocabulary get the next free id.
/// </summary>
public sealed record T5TokenizerOptions
{
    /// <summary>transformers' <c>legacy</c> flag (None means True there). False: text after a special token gets no
    /// dummy-prefix space and a leading space survives (the "<c>&lt;unk&gt;</c> prefix" trick).</summary>
    public bool Legacy { get; init; } = true;
    public int ExtraIds { get; init; } = 100;
    public bool AddPrefixSpace { get; init; } = true;
    public string EosToken { get; init; } = "</s>";
    public string UnkToken { get; init; } = "<unk>";
    public string PadToken { get; init; } = "<pad>";
    /// <summary>Null: the <c>&lt;extra_id_N&gt;</c> names.</summary>
    public IReadOnlyList<string>? AdditionalSpecialTokens { get; init; }
    public IReadOnlyList<AddedToken>? AddedTokens { get; init; }
    public bool CleanUpTokenizationSpaces { get; init; }
    /// <summary>Where these options came from, for error messages.</summary>
    public string Source { get; init; } = "defaults";

    /// <summary>
    /// Reads <c>tokenizer_config.json</c>, then <c>special_tokens_map.json</c> (fills what the config lacks), then
    /// <c>added_tokens.json</c> (only when the config has no <c>added_tokens_decoder</c>), all optional.
    /// </summary>
    public static T5TokenizerOptions FromFolder(string folder)
    {
        var o = new T5TokenizerOptions { Source = folder };
        var configPath = Path.Combine(folder, "tokenizer_config.json");
        var mapPath = Path.Combine(folder, "special_tokens_map.json");
        var addedPath = Path.Combine(folder, "added_tokens.json");
        JsonElement? config = ReadJson(configPath);
        JsonElement? map = ReadJson(mapPath);

        string? Str(string key) => TokenString(config, key, configPath) ?? TokenString(map, key, mapPath);
        o = o with
        {
            EosToken = Str("eos_token") ?? o.EosToken,
            UnkToken = Str("unk_token") ?? o.UnkToken,
            PadToken = Str("pad_token") ?? o.PadToken,
        };
        if (config is { } c)
        {
            if (c.TryGetProperty("legacy", out var legacy))
                o = o with { Legacy = legacy.ValueKind != JsonValueKind.False };
            if (c.TryGetProperty("extra_ids", out var extra) && extra.ValueKind == JsonValueKind.Number)
                o = o with { ExtraIds = extra.GetInt32() };
            if (c.TryGetProperty("add_prefix_space", out var aps) && aps.ValueKind is JsonValueKind.True or JsonValueKind.False)
                o = o with { AddPrefixSpace = aps.GetBoolean() };
            if (c.TryGetProperty("clean_up_tokenization_spaces", out var cu) && cu.ValueKind is JsonValueKind.True or JsonValueKind.False)
                o = o with { CleanUpTokenizationSpaces = cu.GetBoolean() };
            if (c.TryGetProperty("added_tokens_decoder", out var dec) && dec.ValueKind == JsonValueKind.Object)
                o = o with { AddedTokens = ReadAddedTokensDecoder(dec, configPath) };
        }
        var additional = TokenList(config, "additional_special_tokens", configPath) ?? TokenList(map, "additional_special_tokens", mapPath);
        if (additional != null) o = o with { AdditionalSpecialTokens = additional };

        if (o.AddedTokens is null && File.Exists(addedPath) && ReadJson(addedPath) is { ValueKind: JsonValueKind.Object } added)
        {
            var list = new List<AddedToken>();
            foreach (var p in added.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.Number)
                    throw new InvalidDataException($"{addedPath}: id of '{p.Name}' is not a number");
                bool extraId = p.Name.StartsWith("<extra_id_", StringComparison.Ordinal);
                list.Add(new AddedToken(p.Value.GetInt32(), p.Name, Special: true, LStrip: extraId, RStrip: extraId));
            }
            o = o with { AddedTokens = list };
        }
        return o;
    }

    private static JsonElement? ReadJson(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(InputFile.ReadAllBytes(path));
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: invalid JSON ({e.Message})", e);
        }
    }

    /// <summary>A special token given either as a string or as an AddedToken dict (<c>{"content": ...}</c>).</summary>
    private static string? TokenString(JsonElement? root, string key, string path)
    {
        if (root is not { ValueKind: JsonValueKind.Object } r || !r.TryGetProperty(key, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object when v.TryGetProperty("content", out var content) => content.GetString(),
            JsonValueKind.Null => null,
            _ => throw new InvalidDataException($"{path}: '{key}' is neither a string nor a token object"),
        };
    }

    private static List<string>? TokenList(JsonElement? root, string key, string path)
    {
        if (root is not { ValueKind: JsonValueKind.Object } r || !r.TryGetProperty(key, out var v) || v.ValueKind != JsonValueKind.Array) return null;
        var list = new List<string>();
        foreach (var e in v.EnumerateArray())
        {
            var s = e.ValueKind == JsonValueKind.String ? e.GetString()
                : e.ValueKind == JsonValueKind.Object && e.TryGetProperty("content", out var c) ? c.GetString() : null;
            list.Add(s ?? throw new InvalidDataException($"{path}: an entry of '{key}' is neither a string nor a token object"));
        }
        return list;
    }

    private static List<AddedToken> ReadAddedTokensDecoder(JsonElement dec, string path)
    {
        var list = new List<AddedToken>();
        foreach (var p in dec.EnumerateObject())
        {
            if (!int.TryParse(p.Name, out int id) || id < 0)
                throw new InvalidDataException($"{path}: added_tokens_decoder key '{p.Name}' is not a token id");
            var v = p.Value;
            bool Flag(string name) => v.TryGetProperty(name, out var f) && f.ValueKind == JsonValueKind.True;
            var content = v.TryGetProperty("content", out var c) ? c.GetString() : null;
            if (string.IsNullOrEmpty(content))
                throw new InvalidDataException($"{path}: added_tokens_decoder entry {id} has no content");
            list.Add(new AddedToken(id, content, Flag("special"), Flag("lstrip"), Flag("rstrip"), Flag("single_word")));
        }
        return list;
    }
}
