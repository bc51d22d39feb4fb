namespace FastVideo.Models.Encoders.Umt5;

/// <summary>
/// The fields of transformers' <c>UMT5Config</c> the encoder uses, with the library's defaults for missing keys.
/// <c>feed_forward_proj</c> is "ACT" (<c>wo(act(wi(x)))</c>) or "gated-ACT" (<c>wo(act(wi_0(x)) ⊙ wi_1(x))</c>);
/// "gated-gelu" means ACT = <c>gelu_new</c> (tanh GELU). As in the library, <c>dense_act_fn</c> and
/// <c>is_gated_act</c> keys in config.json (what <c>save_pretrained</c> writes) win over what feed_forward_proj implies:
/// <c>PretrainedConfig.__init__</c> sets the remaining keys after UMT5Config derived its own.
/// <c>tie_word_embeddings</c> only rescales the decoder's LM-head input, so the encoder ignores it.
/// </summary>
public sealed record Umt5Config
{
    private string? _denseActFn;
    private bool? _isGatedAct;

    public int VocabSize { get; init; } = 250112;
    public int DModel { get; init; } = 512;
    public int DKv { get; init; } = 64;
    public int DFf { get; init; } = 1024;
    public int NumLayers { get; init; } = 8;
    public int NumHeads { get; init; } = 6;
    public int RelativeAttentionNumBuckets { get; init; } = 32;
    public int RelativeAttentionMaxDistance { get; init; } = 128;
    public double LayerNormEpsilon { get; init; } = 1e-6;
    public string FeedForwardProj { get; init; } = "gated-gelu";

    public int InnerDim => NumHeads * DKv;

    /// <summary>Whether the FFN is gated (wi_0, wi_1); by default feed_forward_proj starts with "gated-".</summary>
    public bool IsGatedAct
    {
        get => _isGatedAct ?? FeedForwardProj.Split('-')[0] == "gated";
        init => _isGatedAct = value;
    }

    /// <summary>The ACT2FN name of the FFN activation; by default feed_forward_proj's last part ("gated-gelu" → "gelu_new").</summary>
    public string DenseActFn
    {
        get => _denseActFn ?? (FeedForwardProj == "gated-gelu" ? "gelu_new" : FeedForwardProj.Split('-')[^1]);
        init => _denseActFn = value;
    }

    /// <summary>Where the config came from, for error messages.</summary>
    public string Source { get; init; } = "defaults";

    public static Umt5Config FromFile(string configPath)
    {
        var j = ConfigJson.Load(configPath);
        var d = new Umt5Config();
        var c = new Umt5Config
        {
            Source = configPath,
            VocabSize = j.PositiveInt("vocab_size", d.VocabSize),
            DModel = j.PositiveInt("d_model", d.DModel),
            DKv = j.PositiveInt("d_kv", d.DKv),
            DFf = j.PositiveInt("d_ff", d.DFf),
            NumLayers = j.PositiveInt("num_layers", d.NumLayers),
            NumHeads = j.PositiveInt("num_heads", d.NumHeads),
            RelativeAttentionNumBuckets = j.PositiveInt("relative_attention_num_buckets", d.RelativeAttentionNumBuckets),
            RelativeAttentionMaxDistance = j.PositiveInt("relative_attention_max_distance", d.RelativeAttentionMaxDistance),
            LayerNormEpsilon = j.Double("layer_norm_epsilon", d.LayerNormEpsilon),
            FeedForwardProj = j.String("feed_forward_proj", d.FeedForwardProj),
        };
        var parts = c.FeedForwardProj.Split('-');
        if (parts.Length > 2 || (parts.Length == 2 && parts[0] != "gated"))
            throw new InvalidDataException($"{configPath}: 'feed_forward_proj' = \"{c.FeedForwardProj}\" is not 'ACT' or 'gated-ACT'");
        if (j.Raw("dense_act_fn") != null) c = c with { DenseActFn = j.String("dense_act_fn", c.DenseActFn) };
        if (j.Raw("is_gated_act") != null) c = c with { IsGatedAct = j.Bool("is_gated_act", c.IsGatedAct) };
        c.Activation();
        if (c.RelativeAttentionNumBuckets < 4)
            throw new InvalidDataException($"{configPath}: 'relative_attention_num_buckets' = {c.RelativeAttentionNumBuckets} is below 4 (bidirectional buckets need num_buckets/4 ≥ 1 exact positions)");
        int maxExact = c.RelativeAttentionNumBuckets / 4;
        if (c.RelativeAttentionMaxDistance == maxExact)
            throw new InvalidDataException($"{configPath}: 'relative_attention_max_distance' = {c.RelativeAttentionMaxDistance} equals the {maxExact} exact buckets: the library's log-bucket formula divides by log(1) = 0");
        return c;
    }

    /// <summary>The FFN activation; throws <see cref="NotSupportedException"/> naming the config key for activations the engine lacks.</summary>
    internal HfActivation Activation() =>
        HfActivation.Parse(DenseActFn, Source, _denseActFn is null ? $"feed_forward_proj' = \"{FeedForwardProj}\" → 'dense_act_fn" : "dense_act_fn");
}
