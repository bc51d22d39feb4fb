using FastVideo.Loading;
using FastVideo.Models.Dits.Wan;
using FastVideo.Models.Encoders.ClipVision;
using FastVideo.Models.Encoders.Umt5;
using FastVideo.Models.Schedulers;
using FastVideo.Models.Tokenizers;
using FastVideo.Models.Vaes.Wan;

namespace FastVideo.Pipelines.Wan;

/// <summary>
/// The loaded modules of a Wan2.1 pipeline folder, by their diffusers component names: <c>tokenizer</c>,
/// <c>text_encoder</c>, <c>transformer</c>, <c>vae</c>, <c>scheduler</c>, and for image-to-video
/// <c>image_encoder</c> and <c>image_processor</c>. Owns the models (disposed with it).
/// </summary>
public sealed class WanModules : IDisposable
{
    public required T5Tokenizer Tokenizer { get; init; }
    public required Umt5EncoderModel TextEncoder { get; init; }
    public required WanTransformer3DModel Transformer { get; init; }
    public required AutoencoderKLWan Vae { get; init; }
    /// <summary>The checkpoint's scheduler settings; each run builds its own scheduler from them.</summary>
    public required SchedulerConfig Scheduler { get; init; }
    public ClipImageProcessor? ImageProcessor { get; init; }
    public ClipVisionModelWithProjection? ImageEncoder { get; init; }

    /// <summary>Latent channels and compression factors (from the VAE config, as diffusers reads them) and the patch size.</summary>
    public WanGeometry Geometry => new(Vae.Config.ZDim, Vae.Config.ScaleFactorTemporal, Vae.Config.ScaleFactorSpatial,
        Transformer.Config.PatchSize[0], Transformer.Config.PatchSize[1], Transformer.Config.PatchSize[2]);

    /// <summary>The components of the T2V pipeline, in loading order.</summary>
    public static IReadOnlyList<RequiredComponent> TextToVideoComponents { get; } =
    [
        new("scheduler", typeof(SchedulerConfig)),
        new("tokenizer", typeof(T5Tokenizer)),
        new("text_encoder", typeof(Umt5EncoderModel)),
        new("transformer", typeof(WanTransformer3DModel)),
        new("vae", typeof(AutoencoderKLWan)),
    ];

    /// <summary>The components of the I2V pipeline: the T2V ones plus the CLIP image encoder and its processor.</summary>
    public static IReadOnlyList<RequiredComponent> ImageToVideoComponents { get; } =
    [
        .. TextToVideoComponents,
        new("image_processor", typeof(ClipImageProcessor)),
        new("image_encoder", typeof(ClipVisionModelWithProjection)),
    ];

    /// <summary>
    /// Loads every module and checks that they fit together (text width, latent channels, T2V vs I2V transformer).
    /// Anything already loaded is released when a later module fails.
    /// </summary>
    public static WanModules Load(PipelineLoadContext context, string pipelineClass, bool imageToVideo)
    {
        ArgumentNullException.ThrowIfNull(context);
        var owned = new List<IDisposable>();
        T Take<T>(string name) where T : class
        {
            var m = ComponentRegistry.Load<T>(context, name, pipelineClass);
            if (m is IDisposable d) owned.Add(d);
            return m;
        }
        try
        {
            var modules = new WanModules
            {
                Scheduler = Take<SchedulerConfig>("scheduler"),
                Tokenizer = Take<T5Tokenizer>("tokenizer"),
                TextEncoder = Take<Umt5EncoderModel>("text_encoder"),
                Transformer = Take<WanTransformer3DModel>("transformer"),
                Vae = Take<AutoencoderKLWan>("vae"),
                ImageProcessor = imageToVideo ? Take<ClipImageProcessor>("image_processor") : null,
                ImageEncoder = imageToVideo ? Take<ClipVisionModelWithProjection>("image_encoder") : null,
            };
            modules.CheckCompatible(context.Folder, pipelineClass, imageToVideo);
            return modules;
        }
        catch
        {
            for (int i = owned.Count - 1; i >= 0; i--) owned[i].Dispose();
            throw;
        }
    }

    private void CheckCompatible(DiffusersFolder folder, string pipelineClass, bool imageToVideo)
    {
        var t = Transformer.Config;
        var problems = new List<string>();
        if (imageToVideo && !t.IsImageToVideo)
            problems.Add("transformer/config.json has image_dim null: it is a text-to-video transformer, the pipeline is image-to-video");
        if (!imageToVideo && t.IsImageToVideo)
            problems.Add($"transformer/config.json has image_dim {t.ImageDim}: it is an image-to-video transformer; the folder should say WanImageToVideoPipeline");
        if (TextEncoder.Config.DModel != t.TextDim)
            problems.Add($"text_encoder d_model {TextEncoder.Config.DModel} ≠ transformer text_dim {t.TextDim}");
        if (Vae.Config.ZDim != t.OutChannels)
            problems.Add($"vae z_dim {Vae.Config.ZDim} ≠ transformer out_channels {t.OutChannels}");
        int expectedIn = imageToVideo ? 2 * Vae.Config.ZDim + Vae.Config.ScaleFactorTemporal : Vae.Config.ZDim;
        if (t.InChannels != expectedIn)
            problems.Add($"transformer in_channels {t.InChannels} ≠ {expectedIn} ({(imageToVideo ? "noise + mask + image latents" : "vae z_dim")})");
        // The pipeline sizes latents from scale_factor_* (as diffusers' pipelines do); the VAE's structure decides what it
        // really produces. A mismatch would only surface as a shape error deep inside denoising or decoding.
        var v = Vae.Config;
        if (v.ScaleFactorSpatial != v.SpatialCompression)
            problems.Add($"vae/config.json scale_factor_spatial {v.ScaleFactorSpatial} ≠ the VAE's spatial compression {v.SpatialCompression} (patch · 2^(stages−1))");
        if (v.ScaleFactorTemporal != v.TemporalCompression || v.ScaleFactorTemporal != v.TemporalUpsampling)
            problems.Add($"vae/config.json scale_factor_temporal {v.ScaleFactorTemporal} ≠ the VAE's temporal compression {v.TemporalCompression} / decoder upsampling {v.TemporalUpsampling}");
        if (ImageEncoder is { } enc && t.ImageDim is int imageDim && enc.Config.HiddenSize != imageDim)
            problems.Add($"image_encoder hidden_size {enc.Config.HiddenSize} ≠ transformer image_dim {imageDim}");
        if (problems.Count > 0)
            throw new ModelFolderException(folder.FolderPath, $"{pipelineClass} components do not fit together: {string.Join("; ", problems)}");
    }

    public void Dispose()
    {
        ImageEncoder?.Dispose();
        Vae.Dispose();
        Transformer.Dispose();
        TextEncoder.Dispose();
    }
}
