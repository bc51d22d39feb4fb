namespace FastVideo.Models.Smoke;

/// <summary>
/// A text-to-video <c>WanTransformer3DModel</c> (diffusers 0.35.2): its <c>config.json</c> and its parameter list,
/// generalised from the golden <c>wan_transformer_t2v</c> checkpoint (same names, shapes following the config).
/// </summary>
internal sealed record SmokeTransformerRecipe
{
    public int NumAttentionHeads { get; init; } = 4;
    public int AttentionHeadDim { get; init; } = 32;
    public int InChannels { get; init; } = 16;
    public int OutChannels { get; init; } = 16;
    public int TextDim { get; init; } = 64;
    public int FreqDim { get; init; } = 256;
    public int FfnDim { get; init; } = 256;
    public int NumLayers { get; init; } = 2;
    public int[] PatchSize { get; init; } = [1, 2, 2];
    public int RopeMaxSeqLen { get; init; } = 1024;

    public int InnerDim => NumAttentionHeads * AttentionHeadDim;

    /// <summary>The keys diffusers 0.35.2 writes for a T2V model (no image_dim / added_kv_proj_dim).</summary>
    public PyDict Config() => new()
    {
        { "_class_name", "WanTransformer3DModel" },
        { "_diffusers_version", SmokeModel.DiffusersVersion },
        { "added_kv_proj_dim", null },
        { "attention_head_dim", AttentionHeadDim },
        { "cross_attn_norm", true },
        { "eps", 1e-6 },
        { "ffn_dim", FfnDim },
        { "freq_dim", FreqDim },
        { "image_dim", null },
        { "in_channels", InChannels },
        { "num_attention_heads", NumAttentionHeads },
        { "num_layers", NumLayers },
        { "out_channels", OutChannels },
        { "patch_size", PatchSize },
        { "pos_embed_seq_len", null },
        { "qk_norm", "rms_norm_across_heads" },
        { "rope_max_seq_len", RopeMaxSeqLen },
        { "text_dim", TextDim },
    };

    /// <summary>
    /// <c>patch_embedding</c> (Conv3d, kernel = stride = patch), <c>condition_embedder.{time_embedder.linear_1/2,
    /// time_proj, text_embedder.linear_1/2}</c>, per block <c>attn1/attn2.{to_q,to_k,to_v,to_out.0}</c> with the
    /// across-heads RMSNorm gains <c>norm_q/norm_k</c>, the cross-attention LayerNorm <c>norm2</c>,
    /// <c>ffn.net.0.proj</c>/<c>ffn.net.2</c> and <c>scale_shift_table [1, 6, dim]</c>; then
    /// <c>scale_shift_table [1, 2, dim]</c> and <c>proj_out</c>.
    /// </summary>
    public ParameterList Parameters()
    {
        int d = InnerDim;
        var p = new ParameterList();
        p.Layer("patch_embedding", d, InChannels, PatchSize[0], PatchSize[1], PatchSize[2]);
        p.Layer("condition_embedder.time_embedder.linear_1", d, FreqDim);
        p.Layer("condition_embedder.time_embedder.linear_2", d, d);
        p.Layer("condition_embedder.time_proj", 6 * d, d);
        p.Layer("condition_embedder.text_embedder.linear_1", d, TextDim);
        p.Layer("condition_embedder.text_embedder.linear_2", d, d);
        for (int i = 0; i < NumLayers; i++)
        {
            var b = $"blocks.{i}";
            foreach (var attn in new[] { "attn1", "attn2" })
            {
                foreach (var proj in new[] { "to_q", "to_k", "to_v", "to_out.0" })
                    p.Layer($"{b}.{attn}.{proj}", d, d);
                p.Add(ParameterSpec.Gain($"{b}.{attn}.norm_q.weight", d));
                p.Add(ParameterSpec.Gain($"{b}.{attn}.norm_k.weight", d));
            }
            p.Add(ParameterSpec.Gain($"{b}.norm2.weight", d));
            p.Add(ParameterSpec.Bias($"{b}.norm2.bias", d));
            p.Layer($"{b}.ffn.net.0.proj", FfnDim, d);
            p.Layer($"{b}.ffn.net.2", d, FfnDim);
            p.Add(ParameterSpec.Table($"{b}.scale_shift_table", 1, 6, d));
        }
        p.Add(ParameterSpec.Table("scale_shift_table", 1, 2, d));
        p.Layer("proj_out", OutChannels * PatchSize[0] * PatchSize[1] * PatchSize[2], d);
        return p;
    }
}
