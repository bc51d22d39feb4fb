using System.Text.Json;

namespace FastVideo.Models.Dits.Wan;

/// <summary>
/// The <c>config.json</c> of a diffusers <c>WanTransformer3DModel</c> (field names as diffusers writes them).
/// Defaults are diffusers' constructor defaults (the Wan2.1 14B shape).
/// </summary>
public sealed record WanTransformerConfig
{
    public int[] PatchSize { get; init; } = { 1, 2, 2 };
    public int NumAttentionHeads { get; init; } = 40;
    public int AttentionHeadDim { get; init; } = 128;
    public int InChannels { get; init; } = 16;
    public int OutChannels { get; init; } = 16;
    public int TextDim { get; init; } = 4096;
    public int FreqDim { get; init; } = 256;
    public int FfnDim { get; init; } = 13824;
    public int NumLayers { get; init; } = 40;
    public bool CrossAttnNorm { get; init; } = true;
    public string? QkNorm { get; init; } = "rms_norm_across_heads";
    public float Eps { get; init; } = 1e-6f;
    /// <summary>Width of the CLIP image features (I2V); null for text-to-video.</summary>
    public int? ImageDim { get; init; }
    public int? AddedKvProjDim { get; init; }
    public int RopeMaxSeqLen { get; init; } = 1024;
    /// <summary>FLF2V: length of a learned position table added to the (two-image) CLIP features.</summary>
    public int? PosEmbedSeqLen { get; init; }

    /// <summary>Width of the token stream: heads × head dim.</summary>
    public int InnerDim => NumAttentionHeads * AttentionHeadDim;
    public int PatchVolume => PatchSize[0] * PatchSize[1] * PatchSize[2];
    public bool IsImageToVideo => ImageDim is not null;

    /// <summary>The fixed text context length of I2V models (diffusers' attention processor hard-codes it).</summary>
    public const int I2VTextLength = 512;

    public static WanTransformerConfig FromFile(string path)
    {
        try
        {
            return FromJson(File.ReadAllText(path), path);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>Parses and validates; <paramref name="source"/> names the file in error messages.</summary>
    public static WanTransformerConfig FromJson(string json, string source = "config.json")
    {
        using var doc = JsonDocument.Parse(json);
        return FromJson(doc.RootElement, source);
    }

    /// <summary>From an already parsed config object (e.g. <see cref="Loading.ConfigFile.Root"/>).</summary>
    public static WanTransformerConfig FromJson(JsonElement root, string source)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source}: expected a JSON object");
        if (root.TryGetProperty("_class_name", out var cls) && cls.ValueKind == JsonValueKind.String && cls.GetString() != "WanTransformer3DModel")
            throw new InvalidDataException($"{source}: _class_name is '{cls.GetString()}', expected 'WanTransformer3DModel'");
        var d = new WanTransformerConfig();
        var c = new WanTransformerConfig
        {
            PatchSize = IntArray(root, "patch_size", source) ?? d.PatchSize,
            NumAttentionHeads = Int(root, "num_attention_heads", source) ?? d.NumAttentionHeads,
            AttentionHeadDim = Int(root, "attention_head_dim", source) ?? d.AttentionHeadDim,
            InChannels = Int(root, "in_channels", source) ?? d.InChannels,
            OutChannels = Int(root, "out_channels", source) ?? Int(root, "in_channels", source) ?? d.OutChannels,
            TextDim = Int(root, "text_dim", source) ?? d.TextDim,
            FreqDim = Int(root, "freq_dim", source) ?? d.FreqDim,
            FfnDim = Int(root, "ffn_dim", source) ?? d.FfnDim,
            NumLayers = Int(root, "num_layers", source) ?? d.NumLayers,
            CrossAttnNorm = Bool(root, "cross_attn_norm", source) ?? d.CrossAttnNorm,
            QkNorm = root.TryGetProperty("qk_norm", out var qk) ? qk.ValueKind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.String => qk.GetString(),
                _ => throw new InvalidDataException($"{source}: qk_norm must be a string or null, got {qk.GetRawText()}"),
            } : d.QkNorm,
            Eps = (float)(Double(root, "eps", source) ?? d.Eps),
            ImageDim = Int(root, "image_dim", source),
            AddedKvProjDim = Int(root, "added_kv_proj_dim", source),
            RopeMaxSeqLen = Int(root, "rope_max_seq_len", source) ?? d.RopeMaxSeqLen,
            PosEmbedSeqLen = Int(root, "pos_embed_seq_len", source),
        };
        c.Validate(source);
        return c;
    }

    /// <summary>Throws <see cref="InvalidDataException"/> naming the field when the configuration cannot describe a Wan DiT.</summary>
    public void Validate(string source = "config")
    {
        void Positive(int v, string name)
        {
            if (v <= 0) throw new InvalidDataException($"{source}: {name} must be positive, got {v}");
        }
        if (PatchSize is not { Length: 3 } || PatchSize.Any(p => p <= 0))
            throw new InvalidDataException($"{source}: patch_size must be three positive integers, got [{string.Join(", ", PatchSize ?? Array.Empty<int>())}]");
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(AttentionHeadDim, "attention_head_dim");
        Positive(InChannels, "in_channels");
        Positive(OutChannels, "out_channels");
        Positive(TextDim, "text_dim");
        Positive(FfnDim, "ffn_dim");
        Positive(NumLayers, "num_layers");
        Positive(RopeMaxSeqLen, "rope_max_seq_len");
        if (FreqDim <= 0 || FreqDim % 2 != 0) throw new InvalidDataException($"{source}: freq_dim must be positive and even, got {FreqDim}");
        if (AttentionHeadDim % 2 != 0 || AttentionHeadDim < 6)
            throw new InvalidDataException($"{source}: attention_head_dim must be even and at least 6 (rotary pairs over t/h/w), got {AttentionHeadDim}");
        if (!(Eps > 0)) throw new InvalidDataException($"{source}: eps must be positive, got {Eps}");
        // diffusers 0.35.2 always normalises q and k over the whole inner dimension whatever this says;
        // another value would mean a model this port (and that diffusers) would compute differently.
        if (QkNorm != "rms_norm_across_heads")
            throw new NotSupportedException($"{source}: qk_norm '{QkNorm ?? "null"}' is not supported; only 'rms_norm_across_heads'");
        if (ImageDim is int img)
        {
            Positive(img, "image_dim");
            if (AddedKvProjDim != InnerDim)
                throw new InvalidDataException($"{source}: image_dim is set, so added_kv_proj_dim must equal the inner dim {InnerDim} (the image embedder's width), got {AddedKvProjDim?.ToString() ?? "null"}");
        }
        else if (AddedKvProjDim is not null)
            throw new InvalidDataException($"{source}: added_kv_proj_dim {AddedKvProjDim} without image_dim: the model would have image projections but no image embedder");
        if (PosEmbedSeqLen is int p)
        {
            Positive(p, "pos_embed_seq_len");
            if (ImageDim is null) throw new InvalidDataException($"{source}: pos_embed_seq_len needs image_dim");
            if (p % 2 != 0) throw new InvalidDataException($"{source}: pos_embed_seq_len must be even (two images), got {p}");
        }
    }

    private static JsonElement? Get(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static int? Int(JsonElement root, string name, string source)
    {
        if (Get(root, name) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int i))
            throw new InvalidDataException($"{source}: {name} must be an integer, got {v.GetRawText()}");
        return i;
    }

    private static double? Double(JsonElement root, string name, string source)
    {
        if (Get(root, name) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Number) throw new InvalidDataException($"{source}: {name} must be a number, got {v.GetRawText()}");
        return v.GetDouble();
    }

    private static bool? Bool(JsonElement root, string name, string source)
    {
        if (Get(root, name) is not { } v) return null;
        if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            throw new InvalidDataException($"{source}: {name} must be true or false, got {v.GetRawText()}");
        return v.GetBoolean();
    }

    private static int[]? IntArray(JsonElement root, string name, string source)
    {
        if (Get(root, name) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{source}: {name} must be an array, got {v.GetRawText()}");
        return v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int i)
            ? i : throw new InvalidDataException($"{source}: {name} must hold integers, got {v.GetRawText()}")).ToArray();
    }
}
