namespace FastVideo.Entrypoints;

/// <summary>
/// Default sampling settings of one model family member, as FastVideo ships them. <paramref name="MaxSequenceLength"/>
/// is the text length prompts are padded to (512 for every Wan2.1 checkpoint, as diffusers' default).
/// </summary>
public sealed record WanPreset(
    string Name, int Height, int Width, int NumFrames, int Steps, float GuidanceScale, float FlowShift,
    int Fps, long Seed, string NegativePrompt, int MaxSequenceLength = 512);

/// <summary>
/// FastVideo's sampling defaults for Wan2.1 (fastvideo/configs/sample/wan.py). The preset is chosen from the
/// checkpoint: the pipeline class (T2V or I2V), the transformer width (1.3B: 1536, 14B: 5120) and, for I2V,
/// the folder name (480P / 720P).
/// </summary>
public static class WanPresets
{
    /// <summary>FastVideo's default negative prompt for Wan2.1.</summary>
    public const string DefaultNegativePrompt =
        "Bright tones, overexposed, static, blurred details, subtitles, style, works, paintings, images, static, overall gray, worst quality, low quality, JPEG compression residue, ugly, incomplete, extra fingers, poorly drawn hands, poorly drawn faces, deformed, disfigured, misshapen limbs, fused fingers, still picture, messy background, three legs, many people in the background, walking backwards";

    public static readonly WanPreset T2V_1_3B = new("Wan2.1-T2V-1.3B", 480, 832, 81, 50, 3.0f, 3.0f, 16, 1024, DefaultNegativePrompt);
    public static readonly WanPreset T2V_14B = new("Wan2.1-T2V-14B", 720, 1280, 81, 50, 5.0f, 5.0f, 16, 1024, DefaultNegativePrompt);
    public static readonly WanPreset I2V_14B_480P = new("Wan2.1-I2V-14B-480P", 480, 832, 81, 40, 5.0f, 3.0f, 16, 1024, DefaultNegativePrompt);
    public static readonly WanPreset I2V_14B_720P = new("Wan2.1-I2V-14B-720P", 720, 1280, 81, 40, 5.0f, 5.0f, 16, 1024, DefaultNegativePrompt);

    /// <summary>Picks the preset for a checkpoint.</summary>
    /// <param name="imageToVideo">the pipeline is WanImageToVideoPipeline.</param>
    /// <param name="transformerDim">num_attention_heads × attention_head_dim of the transformer.</param>
    /// <param name="folderName">the checkpoint folder or repo name (used to tell 480P from 720P).</param>
    public static WanPreset For(bool imageToVideo, int transformerDim, string folderName)
    {
        if (imageToVideo)
            return folderName.Contains("720", StringComparison.OrdinalIgnoreCase) ? I2V_14B_720P : I2V_14B_480P;
        return transformerDim >= 5120 ? T2V_14B : T2V_1_3B;
    }
}
