namespace FastVideo.Models.Smoke;

/// <summary>
/// A transformers <c>UMT5EncoderModel</c>: its <c>config.json</c> (the keys transformers 4.48 writes, as in the
/// golden pipeline's <c>text_encoder/</c>) and its parameter list. <c>encoder.embed_tokens.weight</c> is tied to
/// <c>shared.weight</c> and, as <c>save_pretrained</c> does, not stored.
/// </summary>
internal sealed record SmokeUmt5Recipe
{
    public required int VocabSize { get; init; }
    public int DModel { get; init; } = 64;
    public int DKv { get; init; } = 32;
    public int DFf { get; init; } = 128;
    public int NumLayers { get; init; } = 2;
    public int NumHeads { get; init; } = 2;
    public int RelativeAttentionNumBuckets { get; init; } = 32;
    public int RelativeAttentionMaxDistance { get; init; } = 128;

    public PyDict Config() => new()
    {
        { "_name_or_path", "text_encoder" },
        { "architectures", new[] { "UMT5EncoderModel" } },
        { "classifier_dropout", 0.0 },
        { "d_ff", DFf },
        { "d_kv", DKv },
        { "d_model", DModel },
        { "decoder_start_token_id", 0 },
        { "dense_act_fn", "gelu_new" },
        { "dropout_rate", 0.0 },
        { "eos_token_id", 1 },
        { "feed_forward_proj", "gated-gelu" },
        { "initializer_factor", 1.0 },
        { "is_encoder_decoder", true },
        { "is_gated_act", true },
        { "layer_norm_epsilon", 1e-6 },
        { "model_type", "umt5" },
        { "num_decoder_layers", NumLayers },
        { "num_heads", NumHeads },
        { "num_layers", NumLayers },
        { "pad_token_id", 0 },
        { "relative_attention_max_distance", RelativeAttentionMaxDistance },
        { "relative_attention_num_buckets", RelativeAttentionNumBuckets },
        { "tie_word_embeddings", false },
        { "tokenizer_class", "T5Tokenizer" },
        { "torch_dtype", "float32" },
        { "transformers_version", SmokeModel.TransformersVersion },
        { "use_cache", false },
        { "vocab_size", VocabSize },
    };

    /// <summary>
    /// <c>shared.weight [vocab, d_model]</c>; per block <c>layer.0.SelfAttention.{q,k,v} [heads·d_kv, d_model]</c>,
    /// <c>o [d_model, heads·d_kv]</c>, its own <c>relative_attention_bias [buckets, heads]</c> (every UMT5 layer has
    /// one), <c>layer.{0,1}.layer_norm</c>, gated FFN <c>wi_0/wi_1 [d_ff, d_model]</c>, <c>wo [d_model, d_ff]</c>;
    /// <c>encoder.final_layer_norm</c>. No biases anywhere (T5).
    /// </summary>
    public ParameterList Parameters()
    {
        int inner = NumHeads * DKv;
        var p = new ParameterList();
        p.Add(ParameterSpec.Embedding("shared.weight", VocabSize, DModel));
        for (int i = 0; i < NumLayers; i++)
        {
            var a = $"encoder.block.{i}.layer.0";
            p.Layer($"{a}.SelfAttention.q", false, inner, DModel);
            p.Layer($"{a}.SelfAttention.k", false, inner, DModel);
            p.Layer($"{a}.SelfAttention.v", false, inner, DModel);
            p.Layer($"{a}.SelfAttention.o", false, DModel, inner);
            p.Add(ParameterSpec.Embedding($"{a}.SelfAttention.relative_attention_bias.weight", RelativeAttentionNumBuckets, NumHeads));
            p.Add(ParameterSpec.Gain($"{a}.layer_norm.weight", DModel));
            var f = $"encoder.block.{i}.layer.1";
            p.Layer($"{f}.DenseReluDense.wi_0", false, DFf, DModel);
            p.Layer($"{f}.DenseReluDense.wi_1", false, DFf, DModel);
            p.Layer($"{f}.DenseReluDense.wo", false, DModel, DFf);
            p.Add(ParameterSpec.Gain($"{f}.layer_norm.weight", DModel));
        }
        p.Add(ParameterSpec.Gain("encoder.final_layer_norm.weight", DModel));
        return p;
    }
}
