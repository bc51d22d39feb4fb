using FastVideo.Backends;
using FastVideo.Loading;
using FastVideo.Tensors;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>
/// The Wan2.1 video VAE (diffusers <c>AutoencoderKLWan</c>, 0.35.2) on an <see cref="IBackend"/>.
/// Encoding runs the causal encoder chunk by chunk — frames [0], [1:5], [5:9], … — with a
/// <see cref="WanFeatureCache"/>, then quant_conv, giving the posterior moments [mean | logvar]; decoding runs
/// post_quant_conv, then the decoder one latent frame at a time (the first gives 1 frame, each later one
/// gives <see cref="WanVaeConfig.TemporalCompression"/> frames). Activations are released as soon as they are
/// used and the cache keeps two frames per convolution, so peak memory follows one chunk, not the video.
/// Parameter names are diffusers' own.
/// </summary>
public sealed class AutoencoderKLWan : IDisposable
{
    /// <summary>Frames per encoder chunk after the first (fixed in diffusers' <c>_encode</c>).</summary>
    public const int EncodeChunkFrames = 4;

    public const string WeightsFileName = "diffusion_pytorch_model.safetensors";

    private readonly IBackend _backend;
    private readonly WanWeights _weights;
    private readonly WanEncoder3d _encoder;
    private readonly WanDecoder3d _decoder;
    private readonly WanCausalConv3d _quantConv, _postQuantConv;
    private readonly Tensor _latentsMean, _latentsInvStd;

    public WanVaeConfig Config { get; }
    public IBackend Backend => _backend;
    /// <summary>Bytes held by the parameters.</summary>
    public long ParameterBytes => _weights.Bytes;

    private AutoencoderKLWan(IBackend backend, WanVaeConfig config, WanWeights weights)
    {
        _backend = backend;
        Config = config;
        _weights = weights;
        _encoder = new WanEncoder3d(backend, weights, config);
        _quantConv = WanCausalConv3d.Load(backend, weights, "quant_conv", 2 * config.ZDim, 2 * config.ZDim, 1, 0);
        _postQuantConv = WanCausalConv3d.Load(backend, weights, "post_quant_conv", config.ZDim, config.ZDim, 1, 0);
        _decoder = new WanDecoder3d(backend, weights, config);
        // The pipelines compute 1/std in float32 and divide by it when decoding; keep their exact arithmetic.
        var inv = config.LatentsStd.Select(s => 1f / s).ToArray();
        _latentsMean = weights.Own(Upload(backend, config.LatentsMean, [1, config.ZDim, 1, 1, 1]));
        _latentsInvStd = weights.Own(Upload(backend, inv, [1, config.ZDim, 1, 1, 1]));
    }

    /// <summary>
    /// Builds the model from a diffusers folder holding <c>config.json</c> and
    /// <c>diffusion_pytorch_model.safetensors</c> (a <c>vae/</c> subfolder of a pipeline).
    /// </summary>
    public static AutoencoderKLWan FromPretrained(string folder, IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: VAE folder not found");
        var config = WanVaeConfig.FromFile(Path.Combine(folder, "config.json"));
        using var source = SafetensorsFile.Open(Path.Combine(folder, WeightsFileName));
        return Load(config, source, backend);
    }

    /// <summary>
    /// Builds the model from <paramref name="config"/> and the parameters in <paramref name="source"/>
    /// (diffusers names, converted to F32 on the backend's device). A missing parameter, one of the wrong
    /// shape or one the model does not know raises <see cref="CheckpointException"/>.
    /// </summary>
    public static AutoencoderKLWan Load(WanVaeConfig config, ITensorSource source, IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(backend);
        config.Validate();
        var reader = new ParameterReader(source, backend.Allocator, "AutoencoderKLWan");
        return Build(backend, config, WanWeights.From(reader), reader.EnsureAllConsumed);
    }

    /// <summary>
    /// A model with seeded random weights (conv weights N(0, 1/fan_in), biases N(0, 0.1²), norm gains
    /// 1 + N(0, 0.1²)): for benchmarks and smoke tests at a real width without a checkpoint. Its outputs mean nothing.
    /// </summary>
    public static AutoencoderKLWan CreateRandom(WanVaeConfig config, IBackend backend, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(backend);
        config.Validate();
        return Build(backend, config, WanWeights.Random(backend, seed), null);
    }

    private static AutoencoderKLWan Build(IBackend backend, WanVaeConfig config, WanWeights weights, Action? verify)
    {
        try
        {
            var model = new AutoencoderKLWan(backend, config, weights);
            verify?.Invoke();
            return model;
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    private static Tensor Upload(IBackend backend, float[] values, int[] shape)
    {
        using var host = Tensor.FromHost<float>(values, shape);
        return backend.Copy(host);
    }

    // ---- encode ---------------------------------------------------------------------------------------

    /// <summary>
    /// Posterior moments: quant_conv(encoder(video)) = [mean | logvar] along channels.
    /// video: [B, in_channels, T, H, W] F32 with T = 1 + 4k and H, W multiples of the spatial compression (8)
    /// → [B, 2·z_dim, 1 + k·4/temporal_compression, H/8, W/8]. <paramref name="observe"/> (optional) sees
    /// <c>encoder_chunk_output.{i}</c> and <c>quant_conv_output.0</c>; it must not keep or dispose them.
    /// </summary>
    public Tensor EncodeMoments(Tensor video, Action<string, Tensor>? observe = null)
    {
        CheckVideo(video);
        int frames = video.Size(2);
        int chunks = 1 + (frames - 1) / EncodeChunkFrames;
        var outputs = new List<Tensor>(chunks);
        try
        {
            using (var cache = new WanFeatureCache(_encoder.CacheSlots))
            {
                for (int i = 0; i < chunks; i++)
                {
                    using var scope = TensorScope.Begin();
                    int start = i == 0 ? 0 : 1 + EncodeChunkFrames * (i - 1);
                    int length = i == 0 ? 1 : EncodeChunkFrames;
                    var chunk = _backend.Slice(video, 2, start, length);
                    var y = _encoder.Forward(chunk, cache);
                    chunk.Dispose();
                    observe?.Invoke($"encoder_chunk_output.{i}", y);
                    outputs.Add(scope.Keep(y));
                }
            }
            Tensor moments;
            using (var joined = outputs.Count == 1 ? outputs[0].Share() : _backend.Concat(outputs, 2))
                moments = _quantConv.Forward(joined);
            observe?.Invoke("quant_conv_output.0", moments);
            return moments;
        }
        finally
        {
            foreach (var t in outputs) t.Dispose();
        }
    }

    /// <summary>
    /// The posterior mode (= mean), what the Wan pipelines use as the video latent (<c>sample_mode="argmax"</c>):
    /// the first z_dim channels of <see cref="EncodeMoments"/>. video: [B, in, 1 + 4k, H, W] → [B, z, 1 + k, H/8, W/8].
    /// </summary>
    public Tensor EncodeMean(Tensor video, Action<string, Tensor>? observe = null)
    {
        using var moments = EncodeMoments(video, observe);
        return _backend.Slice(moments, 1, 0, Config.ZDim);
    }

    private void CheckVideo(Tensor video)
    {
        ArgumentNullException.ThrowIfNull(video);
        if (video.Rank != 5)
            throw new ShapeMismatchException($"AutoencoderKLWan.Encode: video must be [B, {Config.InChannels}, T, H, W] (rank 5), got rank {video.Rank} [{ShapeUtil.Format(video.ShapeSpan)}]");
        if (video.Size(1) != Config.InChannels)
            throw new ShapeMismatchException($"AutoencoderKLWan.Encode: video has {video.Size(1)} channels in [{ShapeUtil.Format(video.ShapeSpan)}], in_channels is {Config.InChannels}");
        int t = video.Size(2);
        if (t < 1 || (t - 1) % EncodeChunkFrames != 0)
        {
            int lower = 1 + Math.Max(0, t - 1) / EncodeChunkFrames * EncodeChunkFrames;
            throw new ArgumentException($"AutoencoderKLWan.Encode: video has {t} frames; the Wan VAE encodes 1 + 4k frames (1, 5, 9, ..., 81): use {lower} or {lower + EncodeChunkFrames}", nameof(video));
        }
        int s = Config.SpatialCompression;
        if (video.Size(3) < 1 || video.Size(4) < 1 || video.Size(3) % s != 0 || video.Size(4) % s != 0)
            throw new ArgumentException($"AutoencoderKLWan.Encode: video height {video.Size(3)} and width {video.Size(4)} must be positive multiples of {s}", nameof(video));
        if (video.DType != DType.F32)
            throw new ArgumentException($"AutoencoderKLWan.Encode: video must be F32, got {video.DType}", nameof(video));
        if (video.Size(0) < 1)
            throw new ArgumentException("AutoencoderKLWan.Encode: video has an empty batch", nameof(video));
    }

    // ---- decode ---------------------------------------------------------------------------------------

    /// <summary>
    /// The decoder's output before clamping. latents: [B, z_dim, T', h, w] F32 (un-normalised, i.e. after
    /// <see cref="DenormalizeLatents"/>) → video [B, out_channels, 1 + (T'−1)·temporal_compression, 8h, 8w].
    /// <paramref name="observe"/> (optional) sees <c>post_quant_conv_output.0</c> and <c>decoder_chunk_output.{i}</c>.
    /// </summary>
    public Tensor DecodeUnclamped(Tensor latents, Action<string, Tensor>? observe = null)
    {
        CheckLatents(latents);
        int frames = latents.Size(2);
        var outputs = new List<Tensor>(frames);
        try
        {
            using (var x = _postQuantConv.Forward(latents))
            using (var cache = new WanFeatureCache(_decoder.CacheSlots))
            {
                observe?.Invoke("post_quant_conv_output.0", x);
                for (int i = 0; i < frames; i++)
                {
                    using var scope = TensorScope.Begin();
                    var chunk = _backend.Slice(x, 2, i, 1);
                    var y = _decoder.Forward(chunk, cache);
                    chunk.Dispose();
                    observe?.Invoke($"decoder_chunk_output.{i}", y);
                    outputs.Add(scope.Keep(y));
                }
            }
            return outputs.Count == 1 ? outputs[0].Share() : _backend.Concat(outputs, 2);
        }
        finally
        {
            foreach (var t in outputs) t.Dispose();
        }
    }

    /// <summary>
    /// The decoded video clamped to [−1, 1], as diffusers' <c>decode</c> returns it. Shapes as
    /// <see cref="DecodeUnclamped"/>.
    /// </summary>
    public Tensor Decode(Tensor latents, Action<string, Tensor>? observe = null)
    {
        using var raw = DecodeUnclamped(latents, observe);
        return _backend.Clamp(raw, -1f, 1f);
    }

    private void CheckLatents(Tensor latents)
    {
        ArgumentNullException.ThrowIfNull(latents);
        if (latents.Rank != 5)
            throw new ShapeMismatchException($"AutoencoderKLWan.Decode: latents must be [B, {Config.ZDim}, T, H, W] (rank 5), got rank {latents.Rank} [{ShapeUtil.Format(latents.ShapeSpan)}]");
        if (latents.Size(1) != Config.ZDim)
            throw new ShapeMismatchException($"AutoencoderKLWan.Decode: latents have {latents.Size(1)} channels in [{ShapeUtil.Format(latents.ShapeSpan)}], z_dim is {Config.ZDim}");
        if (latents.Size(0) < 1 || latents.Size(2) < 1 || latents.Size(3) < 1 || latents.Size(4) < 1)
            throw new ArgumentException($"AutoencoderKLWan.Decode: latents [{ShapeUtil.Format(latents.ShapeSpan)}] have an empty dimension", nameof(latents));
        if (latents.DType != DType.F32)
            throw new ArgumentException($"AutoencoderKLWan.Decode: latents must be F32, got {latents.DType}", nameof(latents));
    }

    // ---- latent normalisation (as the Wan pipelines apply it) -----------------------------------------

    /// <summary>
    /// (x − latents_mean) · (1 / latents_std), per channel: how the I2V pipeline normalises an encoded
    /// condition. x: [B, z_dim, T, H, W].
    /// </summary>
    public Tensor NormalizeLatents(Tensor x)
    {
        CheckLatents(x);
        using var centered = _backend.Sub(x, _latentsMean);
        return _backend.Mul(centered, _latentsInvStd);
    }

    /// <summary>
    /// x / (1 / latents_std) + latents_mean, per channel: how the pipelines turn denoised latents into the
    /// decoder's input. x: [B, z_dim, T, H, W].
    /// </summary>
    public Tensor DenormalizeLatents(Tensor x)
    {
        CheckLatents(x);
        using var scaled = _backend.Div(x, _latentsInvStd);
        return _backend.Add(scaled, _latentsMean);
    }

    public void Dispose() => _weights.Dispose();
}
