namespace FastVideo.Models.Encoders.ClipVision;

/// <summary>
/// The fields of transformers' <c>CLIPVisionConfig</c> (plus <c>projection_dim</c>) the vision tower uses, with the
/// library's defaults for missing keys. <c>hidden_act</c> is any ACT2FN name <see cref="HfActivation"/> implements
/// (the default "quick_gelu" is x·σ(1.702x); Wan2.1's image encoder uses exact "gelu"). As in the library,
/// <c>image_size</c> need not be a multiple of <c>patch_size</c>: the stride-P patch convolution drops the remainder
/// and there are ⌊image_size/patch_size⌋² patches.
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
    /// <summary>Patches per side, ⌊image_size / patch_size⌋.</summary>
    public int GridSize => ImageSize / PatchSize;
    public int NumPatches => GridSize * GridSize;
    /// <summary>Patches plus the class token.</summary>
    public int NumPositions => NumPatches + 1;

    public static ClipVisionConfig FromFile(string configPath)
    {
        var j = ConfigJson.Load(configPath);
        var d = new ClipVisionConfig();
        var c = new ClipVisionConfig
        {
            Source = configPath,
            HiddenSize = j.PositiveInt("hidden_size", d.HiddenSize),
            IntermediateSize = j.PositiveInt("intermediate_size", d.IntermediateSize),
            ProjectionDim = j.PositiveInt("projection_dim", d.ProjectionDim),
            NumHiddenLayers = j.PositiveInt("num_hidden_layers", d.NumHiddenLayers),
            NumAttentionHeads = j.PositiveInt("num_attention_heads", d.NumAttentionHeads),
            NumChannels = j.PositiveInt("num_channels", d.NumChannels),
            ImageSize = j.PositiveInt("image_size", d.ImageSize),
            PatchSize = j.PositiveInt("patch_size", d.PatchSize),
            HiddenAct = j.String("hidden_act", d.HiddenAct),
            LayerNormEps = j.Double("layer_norm_eps", d.LayerNormEps),
        };
        if (c.HiddenSize % c.NumAttentionHeads != 0)
            throw new InvalidDataException($"{configPath}: hidden_size {c.HiddenSize} is not divisible by num_attention_heads {c.NumAttentionHeads}");
        if (c.PatchSize > c.ImageSize)
            throw new InvalidDataException($"{configPath}: 'patch_size' = {c.PatchSize} is larger than 'image_size' = {c.ImageSize} (no patch fits)");
        c.Activation();
        return c;
    }

    /// <summary>The MLP activation; throws <see cref="NotSupportedException"/> naming hidden_act for activations the engine lacks.</summary>
    internal HfActivation Activation() => HfActivation.Parse(HiddenAct, Source, "hidden_act");
}
