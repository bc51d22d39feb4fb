using FastVideo.Backends;

namespace FastVideo.Models.Encoders.Umt5;

/// <summary>
/// The fields of transformers' <c>UMT5Config</c> the encoder uses, with the library's defaults for missing keys.
/// <c>feed_forward_proj</c> "gated-gelu" means a gated FFN with <c>gelu_new</c> (tanh GELU); "gated-X" is gated
/// with activation X, plain "X" is <c>wo(act(wi(x)))</c>.
/// </summary>
public sealed record Umt5Config
{
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
    public bool IsGatedAct => FeedForwardProj.StartsWith("gated-", StringComparison.Ordinal);

    /// <summary>The activation name after transformers' mapping ("gated-gelu" → "gelu_new").</summary>
    public string DenseActFn => FeedForwardProj == "gated-gelu" ? "gelu_new" : FeedForwardProj.Split('-')[^1];

    /// <summary>Where the config came from, for error messages.</summary>
    public string Source { get; init; } = "defaults";

    public static Umt5Config FromFile(string configPath)
    {
        var j = ConfigJson.Load(configPath);
        var d = new Umt5Config();
        var c = new Umt5Config
        {
            Source = configPath,
            VocabSize = j.Positive("vocab_size", j.Int("vocab_size", d.VocabSize)),
            DModel = j.Positive("d_model", j.Int("d_model", d.DModel)),
            DKv = j.Positive("d_kv", j.Int("d_kv", d.DKv)),
            DFf = j.Positive("d_ff", j.Int("d_ff", d.DFf)),
            NumLayers = j.Positive("num_layers", j.Int("num_layers", d.NumLayers)),
            NumHeads = j.Positive("num_heads", j.Int("num_heads", d.NumHeads)),
            RelativeAttentionNumBuckets = j.Positive("relative_attention_num_buckets", j.Int("relative_attention_num_buckets", d.RelativeAttentionNumBuckets)),
            RelativeAttentionMaxDistance = j.Positive("relative_attention_max_distance", j.Int("relative_attention_max_distance", d.RelativeAttentionMaxDistance)),
            LayerNormEpsilon = j.Double("layer_norm_epsilon", d.LayerNormEpsilon),
            FeedForwardProj = j.String("feed_forward_proj", d.FeedForwardProj),
        };
        var parts = c.FeedForwardProj.Split('-');
        if (parts.Length > 2 || (parts.Length == 2 && parts[0] != "gated"))
            throw new InvalidDataException($"{configPath}: feed_forward_proj '{c.FeedForwardProj}' is not 'ACT' or 'gated-ACT'");
        c.Activation();
        if (c.RelativeAttentionNumBuckets < 4)
            throw new InvalidDataException($"{configPath}: relative_attention_num_buckets {c.RelativeAttentionNumBuckets} is below 4 (bidirectional buckets need num_buckets/4 ≥ 1 exact positions)");
        return c;
    }

    /// <summary>The FFN activation as a backend op choice; throws for activations the engine lacks.</summary>
    internal (bool IsRelu, GeluApproximation Gelu) Activation() => DenseActFn switch
    {
        "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => (false, GeluApproximation.Tanh),
        "gelu" => (false, GeluApproximation.None),
        "relu" => (true, GeluApproximation.None),
        _ => throw new NotSupportedException($"{Source}: feed-forward activation '{DenseActFn}' (feed_forward_proj '{FeedForwardProj}') is not supported; expected gelu_new, gelu or relu"),
    };
}
