using FastVideo.Loading;
using System.Text.Json;

namespace FastVideo.Models.Dits.Wan;

/// <summary>
/// The <c>config.json</c> of a diffusers <c>WanTransformer3DModel</c> (field names as diffusers writes them).
/// Defaults are diffusers 0.35.2's constructor defaults (the Wan2.1 14B shape); an absent key takes its default,
/// as <c>from_config</c> does. Unknown keys are ignored, as diffusers ignores them.
/// </summary>
public sealed record WanTransformerConfig
{
    public int[] PatchSize { get; init; } = { 1, 2, 2 };
    public int NumAttentionHeads { get; init; } = 40;
    public int AttentionHeadDim { get; init; } = 128;
    public int InChannels { get; init; } = 16;
    /// <summary>diffusers: <c>out_channels or in_channels</c>, so null or 0 in the file means in_channels; absent means 16.</summary>
    public int OutChannels { get; init; } = 16;
    public int TextDim { get; init; } = 4096;
    /// <summary>Width of the timestep sinusoid; an odd width gets a zero last channel (diffusers' padding).</summary>
    public int FreqDim { get; init; } = 256;
    public int FfnDim { get; init; } = 13824;
    public int NumLayers { get; init; } = 40;
    /// <summary>Affine LayerNorm before the cross-attention when true, identity when false (or null in the file).</summary>
    public bool CrossAttnNorm { get; init; } = true;
    /// <summary>
    /// Recorded, not acted on: diffusers 0.35.2 passes qk_norm to every block, which ignores it and always
    /// RMS-normalises q and k over the whole inner dim with learned weights (norm_q, norm_k, norm_added_k),
    /// whatever the value, null included. So does this port; every value gives the same model.
    /// </summary>
    public string? QkNorm { get; init; } = "rms_norm_across_heads";
    public float Eps { get; init; } = 1e-6f;
    /// <summary>Width of the CLIP image features (I2V); null for text-to-video.</summary>
    public int? ImageDim { get; init; }
    /// <summary>
    /// Input width of the cross-attention's image projections add_k_proj/add_v_proj. They read the embedded
    /// image tokens, which are inner-dim wide, so a value must equal <see cref="InnerDim"/>. With it set, each
    /// cross-attention splits its context (image ++ text) at <c>total − 512</c> (<see cref="I2VTextLength"/>).
    /// </summary>
    public int? AddedKvProjDim { get; init; }
    public int RopeMaxSeqLen { get; init; } = 1024;
    /// <summary>
    /// FLF2V: length of a learned position table <c>image_embedder.pos_embed</c> [1, P, image_dim] added to the
    /// CLIP features of the first and last frame joined ([2B, Li, D] viewed as [B, 2Li, D]; P = 2Li, or 1
    /// broadcast). Without image_dim diffusers builds no image embedder and the value has no effect.
    /// </summary>
    public int? PosEmbedSeqLen { get; init; }

    /// <summary>Width of the token stream: heads × head dim.</summary>
    public int InnerDim => NumAttentionHeads * AttentionHeadDim;
    public int PatchVolume => PatchSize[0] * PatchSize[1] * PatchSize[2];
    public bool IsImageToVideo => ImageDim is not null;
    /// <summary>Whether the model has a learned position table for two-image (first/last frame) CLIP features.</summary>
    public bool HasImagePosEmbed => ImageDim is not null && PosEmbedSeqLen is not null;

    /// <summary>The text context length diffusers' attention processor hard-codes: image tokens = total − 512.</summary>
    public const int I2VTextLength = 512;

    public static WanTransformerConfig FromFile(string path)
    {
        try
        {
            return FromJson(InputFile.ReadAllText(path), path);
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
        var r = new ConfigReader(root, source);
        var d = new WanTransformerConfig();
        int inChannels = r.Int("in_channels") ?? d.InChannels;
        var c = new WanTransformerConfig
        {
            PatchSize = r.IntArray("patch_size") ?? d.PatchSize,
            NumAttentionHeads = r.Int("num_attention_heads") ?? d.NumAttentionHeads,
            AttentionHeadDim = r.Int("attention_head_dim") ?? d.AttentionHeadDim,
            InChannels = inChannels,
            // `out_channels or in_channels`: null and 0 both fall back; an absent key is the default 16.
            OutChannels = !r.Has("out_channels") ? d.OutChannels : (r.Int("out_channels", nullable: true) is int o && o != 0 ? o : inChannels),
            TextDim = r.Int("text_dim") ?? d.TextDim,
            FreqDim = r.Int("freq_dim") ?? d.FreqDim,
            FfnDim = r.Int("ffn_dim") ?? d.FfnDim,
            NumLayers = r.Int("num_layers") ?? d.NumLayers,
            // `LayerNorm if cross_attn_norm else Identity`: null is false.
            CrossAttnNorm = r.Has("cross_attn_norm") ? r.Bool("cross_attn_norm", nullable: true) ?? false : d.CrossAttnNorm,
            QkNorm = r.Has("qk_norm") ? r.RawString("qk_norm") : d.QkNorm,
            Eps = (float)(r.Double("eps") ?? d.Eps),
            ImageDim = r.Int("image_dim", nullable: true),
            AddedKvProjDim = r.Int("added_kv_proj_dim", nullable: true),
            RopeMaxSeqLen = r.Int("rope_max_seq_len") ?? d.RopeMaxSeqLen,
            PosEmbedSeqLen = r.Int("pos_embed_seq_len", nullable: true),
        };
        c.Validate(source);
        return c;
    }

    /// <summary>
    /// Throws <see cref="InvalidDataException"/> naming the field when diffusers could not build or run a model
    /// from this configuration (it would fail at construction or on every forward).
    /// </summary>
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
        Positive(FreqDim, "freq_dim");
        Positive(FfnDim, "ffn_dim");
        Positive(RopeMaxSeqLen, "rope_max_seq_len");
        if (NumLayers < 0) throw new InvalidDataException($"{source}: num_layers must be at least 0, got {NumLayers}");
        // The t part (D − 4·⌊D/6⌋ channels) must be even for get_1d_rotary_pos_embed and D even for the pairs.
        if (AttentionHeadDim % 2 != 0)
            throw new InvalidDataException($"{source}: attention_head_dim must be even (rotary pairs), got {AttentionHeadDim}");
        if (!(Eps > 0)) throw new InvalidDataException($"{source}: eps must be positive, got {Eps}");
        if (ImageDim is int img) Positive(img, "image_dim");
        if (AddedKvProjDim is int added && added != InnerDim)
            throw new InvalidDataException($"{source}: added_kv_proj_dim must equal the inner dim num_attention_heads × attention_head_dim = {InnerDim} " +
                $"(add_k_proj/add_v_proj read the embedded image tokens, which are that wide), got {added}");
        if (PosEmbedSeqLen is int p)
        {
            Positive(p, "pos_embed_seq_len");
            // pos_embed [1, P, D] is added to [B, 2·Li, D]: only P = 2·Li or a broadcast P = 1 can ever fit.
            if (ImageDim is not null && p != 1 && p % 2 != 0)
                throw new InvalidDataException($"{source}: pos_embed_seq_len must be even (two images of Li tokens each) or 1, got {p}");
        }
    }

    /// <summary>Typed reads of config keys; a present key of the wrong type, or null where diffusers needs a value, names the file and key.</summary>
    private sealed class ConfigReader(JsonElement root, string source)
    {
        public bool Has(string name) => root.TryGetProperty(name, out _);

        /// <summary>The value, or null when absent; a JSON null is an error unless <paramref name="nullable"/>.</summary>
        private JsonElement? Get(string name, bool nullable)
        {
            if (!root.TryGetProperty(name, out var v)) return null;
            if (v.ValueKind == JsonValueKind.Null)
            {
                if (nullable) return null;
                throw new InvalidDataException($"{source}: {name} is null; diffusers cannot build WanTransformer3DModel without a value (remove the key for the default)");
            }
            return v;
        }

        public int? Int(string name, bool nullable = false)
        {
            if (Get(name, nullable) is not { } v) return null;
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int i))
                throw new InvalidDataException($"{source}: {name} must be an integer, got {v.GetRawText()}");
            return i;
        }

        public double? Double(string name)
        {
            if (Get(name, false) is not { } v) return null;
            if (v.ValueKind != JsonValueKind.Number) throw new InvalidDataException($"{source}: {name} must be a number, got {v.GetRawText()}");
            return v.GetDouble();
        }

        public bool? Bool(string name, bool nullable = false)
        {
            if (Get(name, nullable) is not { } v) return null;
            if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                throw new InvalidDataException($"{source}: {name} must be true or false, got {v.GetRawText()}");
            return v.GetBoolean();
        }

        /// <summary>A string as is, null as null, any other value as its JSON text (for a key recorded but not acted on).</summary>
        public string? RawString(string name)
        {
            if (Get(name, true) is not { } v) return null;
            return v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText();
        }

        public int[]? IntArray(string name)
        {
            if (Get(name, false) is not { } v) return null;
            if (v.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{source}: {name} must be an array, got {v.GetRawText()}");
            return v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int i)
                ? i : throw new InvalidDataException($"{source}: {name} must hold integers, got {v.GetRawText()}")).ToArray();
        }
    }
}
