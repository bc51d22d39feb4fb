namespace FastVideo.Models.Encoders.ClipVision;

/// <summary>
/// The fields of transformers' <c>CLIPVisionConfig</c> (plus <c>projection_dim</c>) the vision tower uses, with the
/// library's defaults for missing keys. <c>hidden_act</c>: "gelu" (exact), "gelu_new"/"gelu_pytorch_tanh" (tanh) or
/// "quick_gelu" (x·σ(1.702x)).
/// </summary>
public sealed record ClipVisionConfig
{
    public int HiddenSize { get; init; } = 768;
    public int IntermediateSize { get; init; } = 3072;
    public int ProjectionDim { get; init; } = 512;
    public int NumHiddenLayers { get; init; } = 12;
    public int NumAttentionHeads { get; init; } = 12;
    public int NumChannels { get; init; } = 3;
    public int ImageSize { get; init; } = 224;
    public int PatchSize { get; init; } = 32;
    public string HiddenAct { get; init; } = "quick_gelu";
    public double LayerNormEps { get; init; } = 1e-5;
    public string Source { get; init; } = "defaults";

    public int HeadDim => HiddenSize / NumAttentionHeads;
    public int NumPatches => (ImageSize / PatchSize) * (ImageSize / PatchSize);
    /// <summary>Patches plus the class token.</summary>
    public int NumPositions => NumPatches + 1;

    public static ClipVisionConfig FromFile(string configPath)
    {
        var j = ConfigJson.Load(configPath);
        var d = new ClipVisionConfig();
        var c = new ClipVisionConfig
        {
            Source = configPath,
            HiddenSize = j.Positive("hidden_size", j.Int("hidden_size", d.HiddenSize)),
            IntermediateSize = j.Positive("intermediate_size", j.Int("intermediate_size", d.IntermediateSize)),
            ProjectionDim = j.Positive("projection_dim", j.Int("projection_dim", d.ProjectionDim)),
            NumHiddenLayers = j.Positive("num_hidden_layers", j.Int("num_hidden_layers", d.NumHiddenLayers)),
            NumAttentionHeads = j.Positive("num_attention_heads", j.Int("num_attention_heads", d.NumAttentionHeads)),
            NumChannels = j.Positive("num_channels", j.Int("num_channels", d.NumChannels)),
            ImageSize = j.Positive("image_size", j.Int("image_size", d.ImageSize)),
            PatchSize = j.Positive("patch_size", j.Int("patch_size", d.PatchSize)),
            HiddenAct = j.String("hidden_act", d.HiddenAct),
            LayerNormEps = j.Double("layer_norm_eps", d.LayerNormEps),
        };
        if (c.HiddenSize % c.NumAttentionHeads != 0)
            throw new InvalidDataException($"{configPath}: hidden_size {c.HiddenSize} is not divisible by num_attention_heads {c.NumAttentionHeads}");
        if (c.ImageSize % c.PatchSize != 0)
            throw new InvalidDataException($"{configPath}: image_size {c.ImageSize} is not a multiple of patch_size {c.PatchSize}");
        if (c.HiddenAct is not ("gelu" or "gelu_new" or "gelu_pytorch_tanh" or "quick_gelu"))
            throw new NotSupportedException($"{configPath}: hidden_act '{c.HiddenAct}' is not supported; expected gelu, gelu_new, gelu_pytorch_tanh or quick_gelu");
        return c;
    }
}
