using FastVideo.Backends;
using FastVideo.Loading;
using FastVideo.Tensors;

namespace FastVideo.Models.Encoders.ClipVision;

/// <summary>The three outputs Wan uses; each [B, T, D] or [B, projection_dim], owned by the caller.</summary>
public sealed class ClipVisionOutput(Tensor penultimateHiddenState, Tensor lastHiddenState, Tensor imageEmbeds) : IDisposable
{
    /// <summary>
    /// <c>hidden_states[-2]</c>: the output of the second-to-last layer (what WanImageToVideoPipeline.encode_image
    /// returns); with one layer that is hidden_states[0], the embeddings after pre_layrnorm.
    /// </summary>
    public Tensor PenultimateHiddenState { get; } = penultimateHiddenState;
    /// <summary>The last layer's output, before post_layernorm.</summary>
    public Tensor LastHiddenState { get; } = lastHiddenState;
    /// <summary><c>visual_projection(post_layernorm(last_hidden_state[:, 0]))</c>.</summary>
    public Tensor ImageEmbeds { get; } = imageEmbeds;

    public void Dispose()
    {
        PenultimateHiddenState.Dispose();
        LastHiddenState.Dispose();
        ImageEmbeds.Dispose();
    }
}

/// <summary>
/// transformers' <c>CLIPVisionModelWithProjection</c> (Wan I2V's image encoder) on an <see cref="IBackend"/>:
/// <code>
/// h0 = pre_layrnorm(cat(class_embedding, patches(conv P×P stride P)) + position_embedding)   [B, 1+N, D]
/// per layer: h = h + out_proj(Attention(q, k, v, scale 1/√d_head)) on LayerNorm1(h);  h = h + fc2(act(fc1(LayerNorm2(h))))
/// image_embeds = visual_projection(post_layernorm(h_last[:, 0]))
/// </code>
/// hidden_states = (h0, h1, …, h_last); the penultimate is hidden_states[-2].
/// </summary>
public sealed class ClipVisionModelWithProjection : IDisposable
{
    private const string P = "vision_model.";
    private readonly IBackend _backend;
    private readonly Tensor _classEmbedding, _patchWeight, _positionEmbedding, _preLnW, _preLnB, _postLnW, _postLnB, _projection;
    private readonly ClipLayer[] _layers;
    private readonly float _eps;
    private readonly HfActivation _act;

    public ClipVisionConfig Config { get; }

    private ClipVisionModelWithProjection(IBackend backend, ClipVisionConfig config, Tensor[] embeddings, ClipLayer[] layers)
    {
        _backend = backend;
        Config = config;
        (_classEmbedding, _patchWeight, _positionEmbedding, _preLnW, _preLnB, _postLnW, _postLnB, _projection) =
            (embeddings[0], embeddings[1], embeddings[2], embeddings[3], embeddings[4], embeddings[5], embeddings[6], embeddings[7]);
        _layers = layers;
        _eps = (float)config.LayerNormEps;
        _act = config.Activation();
    }

    /// <summary>
    /// Loads <c>config.json</c> and the weights of a transformers model folder (diffusers' <c>image_encoder/</c>):
    /// <c>model.safetensors</c> or a shard index, as <see cref="TensorSources.OpenFolder"/> finds them.
    /// </summary>
    public static ClipVisionModelWithProjection FromFolder(IBackend backend, string folder)
    {
        var config = ClipVisionConfig.FromFile(Path.Combine(folder, "config.json"));
        using var source = TensorSources.OpenFolder(folder);
        return Load(backend, config, source);
    }

    /// <summary>Builds the model from checkpoint tensors; a missing, mis-shaped or unknown parameter raises <see cref="CheckpointException"/> naming it.</summary>
    public static ClipVisionModelWithProjection Load(IBackend backend, ClipVisionConfig config, ITensorSource source)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(source);
        var weights = new OwnedParameters(new ParameterReader(source, backend.Allocator, "CLIPVisionModelWithProjection"));
        var r = weights.Reader;
        Tensor Take(string name, params int[] shape) => weights.Take(name, shape);
        Tensor TakeF32(string name, params int[] shape) => weights.TakeF32(name, shape);
        try
        {
            int d = config.HiddenSize, ff = config.IntermediateSize;
            var emb = new[]
            {
                TakeF32(P + "embeddings.class_embedding", d),
                Take(P + "embeddings.patch_embedding.weight", d, config.NumChannels, config.PatchSize, config.PatchSize),
                TakeF32(P + "embeddings.position_embedding.weight", config.NumPositions, d),
                TakeF32(P + "pre_layrnorm.weight", d), TakeF32(P + "pre_layrnorm.bias", d),
                TakeF32(P + "post_layernorm.weight", d), TakeF32(P + "post_layernorm.bias", d),
                Take("visual_projection.weight", config.ProjectionDim, d),
            };
            // Older checkpoints store the constant position_ids buffer (arange); it carries no weights.
            r.Skip(P + "embeddings.position_ids");
            var layers = new ClipLayer[config.NumHiddenLayers];
            for (int i = 0; i < layers.Length; i++)
            {
                string l = $"{P}encoder.layers.{i}.";
                layers[i] = new ClipLayer(
                    TakeF32(l + "layer_norm1.weight", d), TakeF32(l + "layer_norm1.bias", d),
                    Take(l + "self_attn.q_proj.weight", d, d), TakeF32(l + "self_attn.q_proj.bias", d),
                    Take(l + "self_attn.k_proj.weight", d, d), TakeF32(l + "self_attn.k_proj.bias", d),
                    Take(l + "self_attn.v_proj.weight", d, d), TakeF32(l + "self_attn.v_proj.bias", d),
                    Take(l + "self_attn.out_proj.weight", d, d), TakeF32(l + "self_attn.out_proj.bias", d),
                    TakeF32(l + "layer_norm2.weight", d), TakeF32(l + "layer_norm2.bias", d),
                    Take(l + "mlp.fc1.weight", ff, d), TakeF32(l + "mlp.fc1.bias", ff),
                    Take(l + "mlp.fc2.weight", d, ff), TakeF32(l + "mlp.fc2.bias", d));
            }
            r.EnsureAllConsumed();
            return new ClipVisionModelWithProjection(backend, config, emb, layers);
        }
        catch
        {
            weights.DisposeAll();
            throw;
        }
    }

    /// <summary>
    /// Runs the vision tower on normalised <paramref name="pixelValues"/> F32 [B, num_channels, image_size, image_size]
    /// (see <see cref="ClipImageProcessor"/>). <paramref name="hiddenStates"/>, if given, receives every hidden state
    /// (embeddings after pre_layrnorm, then each layer's output), owned by the caller.
    /// </summary>
    public ClipVisionOutput Forward(Tensor pixelValues, List<Tensor>? hiddenStates = null)
    {
        ArgumentNullException.ThrowIfNull(pixelValues, "pixel_values");
        if (pixelValues.DType != DType.F32)
            throw new ArgumentException($"CLIPVisionModelWithProjection: pixel_values must be F32, got {pixelValues.DType}", "pixel_values");
        if (pixelValues.Rank != 4 || pixelValues.Size(1) != Config.NumChannels || pixelValues.Size(2) != Config.ImageSize
            || pixelValues.Size(3) != Config.ImageSize || pixelValues.Size(0) == 0)
            throw new ShapeMismatchException($"CLIPVisionModelWithProjection: pixel_values must be [batch, {Config.NumChannels}, {Config.ImageSize}, {Config.ImageSize}], got [{string.Join(", ", pixelValues.Shape)}]");
        var be = _backend;
        int batch = pixelValues.Size(0), d = Config.HiddenSize, tokens = Config.NumPositions;
        using var scope = TensorScope.Begin();

        // ---- embeddings: patches [B, D, g, g] → [B, N, D]; class token first; + positions
        var patches = be.Conv2d(pixelValues, _patchWeight, null, (Config.PatchSize, Config.PatchSize), (0, 0, 0, 0));
        var seq = be.Permute(patches.Reshape(batch, d, Config.NumPatches), [0, 2, 1]);
        var cls = _classEmbedding.Reshape(1, 1, d);
        var clsBatch = batch == 1 ? cls : be.Concat(Enumerable.Repeat(cls, batch).ToArray(), 0);
        var h = be.Add(be.Concat([clsBatch, seq], 1), _positionEmbedding);
        h = be.LayerNorm(h, _preLnW, _preLnB, _eps);

        var states = new List<Tensor> { h };
        foreach (var layer in _layers)
        {
            h = Layer(layer, h, batch, tokens);
            states.Add(h);
        }
        if (hiddenStates != null)
            foreach (var s in states) hiddenStates.Add(TensorScope.Detach(be.Copy(s)));

        var first = be.Slice(h, 1, 0, 1).Reshape(batch, d);
        var pooled = be.LayerNorm(first, _postLnW, _postLnB, _eps);
        var embeds = be.Linear(pooled, _projection);
        var penultimate = be.Copy(states[^2]);
        var last = be.Copy(h);
        return new ClipVisionOutput(TensorScope.Detach(penultimate), TensorScope.Detach(last), TensorScope.Detach(embeds));
    }

    private Tensor Layer(ClipLayer w, Tensor h, int batch, int tokens)
    {
        var be = _backend;
        int heads = Config.NumAttentionHeads, dh = Config.HeadDim;
        var n = be.LayerNorm(h, w.Ln1W, w.Ln1B, _eps);
        Tensor Heads(Tensor weight, Tensor bias) =>
            be.Permute(be.Linear(n, weight, bias).Reshape(batch, tokens, heads, dh), [0, 2, 1, 3]); // [B, H, T, dh]
        var a = be.Attention(Heads(w.Wq, w.Bq), Heads(w.Wk, w.Bk), Heads(w.Wv, w.Bv), null, 1f / MathF.Sqrt(dh));
        var merged = be.Permute(a, [0, 2, 1, 3]).Reshape(batch, tokens, heads * dh);
        h = be.Add(h, be.Linear(merged, w.Wo, w.Bo));
        n = be.LayerNorm(h, w.Ln2W, w.Ln2B, _eps);
        var mid = _act.Apply(be, be.Linear(n, w.Fc1W, w.Fc1B));
        return be.Add(h, be.Linear(mid, w.Fc2W, w.Fc2B));
    }

    public void Dispose()
    {
        foreach (var t in new[] { _classEmbedding, _patchWeight, _positionEmbedding, _preLnW, _preLnB, _postLnW, _postLnB, _projection }) t.Dispose();
        foreach (var l in _layers) l.Dispose();
    }

    private sealed record ClipLayer(Tensor Ln1W, Tensor Ln1B, Tensor Wq, Tensor Bq, Tensor Wk, Tensor Bk, Tensor Wv, Tensor Bv,
        Tensor Wo, Tensor Bo, Tensor Ln2W, Tensor Ln2B, Tensor Fc1W, Tensor Fc1B, Tensor Fc2W, Tensor Fc2B) : IDisposable
    {
        public void Dispose()
        {
            foreach (var t in new[] { Ln1W, Ln1B, Wq, Bq, Wk, Bk, Wv, Bv, Wo, Bo, Ln2W, Ln2B, Fc1W, Fc1B, Fc2W, Fc2B }) t.Dispose();
        }
    }
}
