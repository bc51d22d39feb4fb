using System.Globalization;
using FastVideo.Backends;
using FastVideo.Loading;
using FastVideo.Tensors;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>
/// The Wan video VAE (diffusers <c>AutoencoderKLWan</c>, 0.35.2: Wan2.1, and the Wan2.2 structure with
/// <c>is_residual</c>/<c>patch_size</c>) on an <see cref="IBackend"/>.
/// Encoding runs the causal encoder chunk by chunk — frames [0], [1:5], [5:9], … — with a
/// <see cref="WanFeatureCache"/>, then quant_conv, giving the posterior moments [mean | logvar]; decoding runs
/// post_quant_conv, then the decoder one latent frame at a time (the first gives 1 frame, each later one
/// gives <see cref="WanVaeConfig.TemporalUpsampling"/> frames). Activations are released as soon as they are
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
    private readonly Tensor? _latentsMean, _latentsInvStd;

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
        if (config.HasLatentStatistics)
        {
            var inv = config.LatentsStd.Select(s => 1f / s).ToArray();
            _latentsMean = weights.Own(Upload(backend, config.LatentsMean, [1, config.ZDim, 1, 1, 1]));
            _latentsInvStd = weights.Own(Upload(backend, inv, [1, config.ZDim, 1, 1, 1]));
        }
    }

    /// <summary>
    /// Builds the model from a diffusers folder holding <c>config.json</c> and the weights
    /// (<c>diffusion_pytorch_model.safetensors</c> or a shard index, as <see cref="TensorSources.OpenFolder"/> finds
    /// them; a <c>vae/</c> subfolder of a pipeline).
    /// </summary>
    public static AutoencoderKLWan FromPretrained(string folder, IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: VAE folder not found");
        var config = WanVaeConfig.FromFile(Path.Combine(folder, "config.json"));
        using var source = TensorSources.OpenFolder(folder);
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
    /// video: [B, in_channels/p², T, H, W] F32 with T = 1 + 4k and H, W multiples of
    /// <see cref="WanVaeConfig.SpatialCompression"/> (p · 2^(S−1); 8 for Wan2.1) →
    /// [B, 2·z_dim, 1 + k·4/<see cref="WanVaeConfig.TemporalCompression"/>, H/s, W/s] (other frame counts and sizes are
    /// refused: diffusers would silently drop the trailing frames and floor the sizes). With patch_size p the
    /// video is folded into p×p patches first. <paramref name="observe"/> (optional) sees
    /// <c>encoder_chunk_output.{i}</c> and <c>quant_conv_output.0</c>; it must not keep or dispose them.
    /// </summary>
    /// <exception cref="NotSupportedException">the config has attention blocks in the encoder's down path, or
    /// T &gt; 1 with three or more temporal downsamplings: diffusers 0.35.2 fails on both (see the messages).</exception>
    public Tensor EncodeMoments(Tensor video, Action<string, Tensor>? observe = null)
    {
        CheckVideo(video);
        CheckEncodable(video.Size(2));
        int frames = video.Size(2);
        int chunks = 1 + (frames - 1) / EncodeChunkFrames;
        var outputs = new List<Tensor>(chunks);
        try
        {
            using (var x = WanPatchify.Patchify(_backend, video, Config.Patch))
            using (var cache = new WanFeatureCache(_encoder.CacheSlots))
            {
                for (int i = 0; i < chunks; i++)
                {
                    using var scope = TensorScope.Begin();
                    int start = i == 0 ? 0 : 1 + EncodeChunkFrames * (i - 1);
                    int length = i == 0 ? 1 : EncodeChunkFrames;
                    var chunk = _backend.Slice(x, 2, start, length);
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
    /// the first z_dim channels of <see cref="EncodeMoments"/>. video: [B, in, 1 + 4k, H, W] → [B, z, T', H/s, W/s].
    /// </summary>
    public Tensor EncodeMean(Tensor video, Action<string, Tensor>? observe = null)
    {
        using var moments = EncodeMoments(video, observe);
        return _backend.Slice(moments, 1, 0, Config.ZDim);
    }

    /// <summary>Latent frames an encode of <paramref name="frames"/> video frames gives: 1 + k·4/temporal compression, k = ⌊(frames − 1)/4⌋.</summary>
    public int LatentFrames(int frames) => 1 + (frames - 1) / EncodeChunkFrames * (EncodeChunkFrames / Config.TemporalCompression);

    /// <summary>Video frames a decode of <paramref name="latentFrames"/> gives: 1 + (T' − 1)·temporal upsampling.</summary>
    public int VideoFrames(int latentFrames) => 1 + (latentFrames - 1) * Config.TemporalUpsampling;

    private void CheckVideo(Tensor video)
    {
        ArgumentNullException.ThrowIfNull(video);
        int channels = Config.VideoInChannels;
        if (video.Rank != 5)
            throw new ShapeMismatchException($"AutoencoderKLWan.Encode: video must be [B, {channels}, T, H, W] (rank 5), got rank {video.Rank} [{ShapeUtil.Format(video.ShapeSpan)}]");
        if (video.Size(1) != channels)
            throw new ShapeMismatchException($"AutoencoderKLWan.Encode: video has {video.Size(1)} channels in [{ShapeUtil.Format(video.ShapeSpan)}], in_channels is {Config.InChannels}"
                + (Config.Patch > 1 ? $" = {channels} video channels × patch_size² {Config.Patch * Config.Patch}" : ""));
        // diffusers silently drops the frames after the last whole chunk (T = 6 encodes like T = 5) and floors odd
        // sizes at every downsampler; we refuse both, so that no input frame or pixel row is silently lost.
        int t = video.Size(2);
        if (t < 1 || (t - 1) % EncodeChunkFrames != 0)
        {
            int lower = 1 + Math.Max(0, t - 1) / EncodeChunkFrames * EncodeChunkFrames;
            throw new ArgumentException($"AutoencoderKLWan.Encode: video [{ShapeUtil.Format(video.ShapeSpan)}] has {t} frames; the Wan VAE encodes 1 + 4k frames (1, 5, 9, ..., 81): use {lower} or {lower + EncodeChunkFrames}", nameof(video));
        }
        int s = Config.SpatialCompression;
        if (video.Size(3) < 1 || video.Size(4) < 1 || video.Size(3) % s != 0 || video.Size(4) % s != 0)
            throw new ArgumentException($"AutoencoderKLWan.Encode: video [{ShapeUtil.Format(video.ShapeSpan)}] has height {video.Size(3)} and width {video.Size(4)}; both must be positive multiples of {s} "
                + $"(the spatial compression: patch_size {Config.Patch} × 2^{Config.Stages - 1} for dim_mult [{string.Join(", ", Config.DimMult)}])", nameof(video));
        if (video.DType != DType.F32)
            throw new ArgumentException($"AutoencoderKLWan.Encode: video must be F32, got {video.DType}", nameof(video));
        if (video.Size(0) < 1)
            throw new ArgumentException($"AutoencoderKLWan.Encode: video [{ShapeUtil.Format(video.ShapeSpan)}] has an empty batch", nameof(video));
    }

    /// <summary>Rejects what diffusers' chunked encoder cannot run, before any work is done.</summary>
    private void CheckEncodable(int frames)
    {
        if (_encoder.DownAttentionBlocks.Count > 0)
            throw new NotSupportedException(
                $"{Config.Source}: attn_scales [{string.Join(", ", Config.AttnScales.Select(a => a.ToString(CultureInfo.InvariantCulture)))}] puts attention blocks in the encoder's down path " +
                $"({string.Join(", ", _encoder.DownAttentionBlocks)}); diffusers 0.35.2 cannot encode with them (WanEncoder3d passes the " +
                "feature cache to WanAttentionBlock.forward, which takes none: a TypeError), so encoding is not supported. Decoding is.");
        int halvings = Enumerable.Range(0, Config.Stages).Count(Config.EncoderHalvesTime);
        // A 4-frame chunk halves (with the previous chunk's last frame in front: (n + 1 − 3)/2 + 1 frames) at each
        // temporal downsampler; the third would see 1 + 1 frames for a 3-frame kernel, where PyTorch fails.
        // Only a second chunk (T ≥ 5) reaches it.
        if (frames >= 1 + EncodeChunkFrames && halvings > 2)
            throw new NotSupportedException(
                $"{Config.Source}: temperal_downsample [{string.Join(", ", Config.TemperalDownsample)}] halves time {halvings} times; " +
                $"diffusers 0.35.2 encodes 4 frames per chunk, which its third temporal downsampler cannot convolve (a 3-frame kernel over 2 frames), " +
                $"so only single-frame videos can be encoded with this config (got {frames} frames).");
    }

    // ---- decode ---------------------------------------------------------------------------------------

    /// <summary>Name prefix of the per-latent-frame decoder outputs passed to a decode's observer (diffusers' hook names).</summary>
    public const string DecoderChunkPrefix = "decoder_chunk_output.";

    /// <summary>
    /// The decoder's output before clamping. latents: [B, z_dim, T', h, w] F32 (un-normalised, i.e. after
    /// <see cref="DenormalizeLatents"/>) → video [B, out_channels/p², 1 + (T'−1)·<see cref="WanVaeConfig.TemporalUpsampling"/>,
    /// h·s, w·s] (s = <see cref="WanVaeConfig.SpatialCompression"/>). The decoder runs one latent frame at a time;
    /// the first gives one frame. <paramref name="observe"/> (optional) sees <c>post_quant_conv_output.0</c> and
    /// <c>decoder_chunk_output.{i}</c> (before unpatching). NaN or ±∞ in the latents propagate, as in diffusers:
    /// checking would read the tensor back from the device (the pipeline checks its latents while denoising).
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
                    var y = _decoder.Forward(chunk, cache, firstChunk: i == 0);
                    chunk.Dispose();
                    observe?.Invoke(DecoderChunkPrefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture), y);
                    outputs.Add(scope.Keep(y));
                }
            }
            using var joined = outputs.Count == 1 ? outputs[0].Share() : _backend.Concat(outputs, 2);
            foreach (var t in outputs) t.Dispose();
            outputs.Clear();
            return WanPatchify.Unpatchify(_backend, joined, Config.Patch);
        }
        finally
        {
            foreach (var t in outputs) t.Dispose();
        }
    }

    /// <summary>
    /// The decoded video clamped to [−1, 1], as diffusers' <c>decode</c> returns it (after unpatching). Shapes as
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
    /// <exception cref="InvalidOperationException">latents_mean/latents_std do not have z_dim values.</exception>
    public Tensor NormalizeLatents(Tensor x)
    {
        CheckLatents(x);
        var (mean, invStd) = LatentStatistics();
        using var centered = _backend.Sub(x, mean);
        return _backend.Mul(centered, invStd);
    }

    /// <summary>
    /// x / (1 / latents_std) + latents_mean, per channel: how the pipelines turn denoised latents into the
    /// decoder's input. x: [B, z_dim, T, H, W].
    /// </summary>
    /// <exception cref="InvalidOperationException">latents_mean/latents_std do not have z_dim values.</exception>
    public Tensor DenormalizeLatents(Tensor x)
    {
        CheckLatents(x);
        var (mean, invStd) = LatentStatistics();
        using var scaled = _backend.Div(x, invStd);
        return _backend.Add(scaled, mean);
    }

    private (Tensor Mean, Tensor InvStd) LatentStatistics() =>
        _latentsMean is { } m && _latentsInvStd is { } s
            ? (m, s)
            : throw new InvalidOperationException(
                $"{Config.Source}: latents_mean has {Config.LatentsMean.Length} values and latents_std {Config.LatentsStd.Length}, z_dim is {Config.ZDim}: " +
                "the latents cannot be (de)normalised per channel (the Wan pipelines fail there too); the VAE itself encodes and decodes.");

    public void Dispose() => _weights.Dispose();
}
