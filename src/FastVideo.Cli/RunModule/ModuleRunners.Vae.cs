using FastVideo.Backends;
using FastVideo.Loading;
using FastVideo.Models.Vaes.Wan;
using FastVideo.Tensors;

namespace FastVideo.Cli.RunModule;

internal static partial class ModuleRunners
{
    /// <summary>
    /// diffusers <c>AutoencoderKLWan.encode(video)</c>: the posterior mode <c>latent_mean</c> (what the Wan pipelines
    /// use), the raw moments <c>quant_conv_output</c> = [mean | logvar], and <c>latent_normalized</c> =
    /// (mean − latents_mean) / latents_std (the I2V condition), left out when latents_mean/std do not have z_dim
    /// values (diffusers loads and runs such a VAE; only the normalisation cannot broadcast).
    /// </summary>
    public static readonly ModuleSpec VaeEncode = new(
        ModuleKind.VaeEncode, "AutoencoderKLWan",
        ["video"], [], ["latent_mean", "quant_conv_output", "latent_normalized"],
        (backend, folder, inputs) =>
        {
            using var model = LoadVae(backend, folder);
            using var scope = TensorScope.Begin();
            var moments = model.EncodeMoments(inputs["video"]);
            var mean = backend.Slice(moments, 1, 0, model.Config.ZDim);
            if (!model.Config.HasLatentStatistics)
                return [new("latent_mean", scope.Keep(mean)), new("quant_conv_output", scope.Keep(moments))];
            var normalized = model.NormalizeLatents(mean);
            return [new("latent_mean", scope.Keep(mean)), new("quant_conv_output", scope.Keep(moments)),
                    new("latent_normalized", scope.Keep(normalized))];
        });

    /// <summary>diffusers <c>AutoencoderKLWan.decode(latents)</c>: <c>video</c> clamped to [−1, 1] and <c>video_pre_clamp</c>.</summary>
    public static readonly ModuleSpec VaeDecode = new(
        ModuleKind.VaeDecode, "AutoencoderKLWan",
        ["latents"], [], ["video", "video_pre_clamp"],
        (backend, folder, inputs) =>
        {
            using var model = LoadVae(backend, folder);
            using var scope = TensorScope.Begin();
            var raw = model.DecodeUnclamped(inputs["latents"]);
            var video = backend.Clamp(raw, -1f, 1f);
            return [new("video", scope.Keep(video)), new("video_pre_clamp", scope.Keep(raw))];
        });

    /// <summary>The VAE from config.json and the folder's weights, single or sharded.</summary>
    private static AutoencoderKLWan LoadVae(IBackend backend, string folder)
    {
        var config = WanVaeConfig.FromFile(Path.Combine(folder, "config.json"));
        using var weights = TensorSources.OpenFolder(folder);
        return AutoencoderKLWan.Load(config, weights, backend);
    }
}
