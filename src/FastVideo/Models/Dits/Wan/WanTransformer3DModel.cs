using FastVideo.Attention;
using FastVideo.Backends;
using FastVideo.Layers;
using FastVideo.Loading;
using FastVideo.Tensors;

namespace FastVideo.Models.Dits.Wan;

/// <summary>
/// The Wan2.1/2.2 diffusion transformer (diffusers 0.35.2 <c>WanTransformer3DModel</c>): text-to-video,
/// image-to-video, first-last-frame (FLF2V) and per-token timesteps (Wan2.2 TI2V), on any <see cref="IBackend"/>.
/// Parameters keep diffusers' names (see <see cref="Load"/>).
/// <para>Forward, for latents [B, C, T, H, W] and patch (pt, ph, pw), N = T' · H' · W' tokens (T' = ⌊T/pt⌋ etc.):</para>
/// <code>
/// x     = patch_embedding(latents)  (Conv3d, kernel = stride = patch) → [B, N, inner], tokens in (t, h, w) order
/// temb, timestep_proj, text, image = condition_embedder(t, text, image)
/// x     = blocks[i](x, image ++ text, timestep_proj, rope)   for every block (context cut: WanCrossContext)
/// shift, scale = scale_shift_table [1, 2, inner] + temb      (per sample, or per token)
/// y     = proj_out(LN(x)·(1 + scale) + shift)              [B, N, C_out·pt·ph·pw]
/// out   = unpatchify(y): [B, T', H', W', pt, ph, pw, C] → [B, C, T'·pt, H'·ph, W'·pw]
/// </code>
/// No attention mask is used anywhere, as in diffusers (padded text tokens are attended).
/// </summary>
public sealed class WanTransformer3DModel : IDisposable
{
    private static readonly int[] s_unpatchify = { 0, 7, 1, 4, 2, 5, 3, 6 };
    private static readonly int[] s_channelsLast = { 0, 2, 1 };

    private readonly IBackend _backend;
    private readonly Tensor _patchWeight, _patchBias, _scaleShiftTable;
    private readonly WanConditionEmbedder _conditions;
    private readonly WanTransformerBlock[] _blocks;
    private readonly LayerNorm _normOut;
    private readonly Linear _projOut;
    private (VideoGrid Grid, Tensor Cos, Tensor Sin)? _rope;
    private bool _disposed;

    public WanTransformerConfig Config { get; }
    public IBackend Backend => _backend;
    /// <summary>The attention implementation every block uses; the caller may swap it between calls.</summary>
    public IAttentionBackend Attention { get; set; }
    public IReadOnlyList<WanTransformerBlock> Blocks => _blocks;
    public WanConditionEmbedder ConditionEmbedder => _conditions;

    private WanTransformer3DModel(IBackend backend, WanTransformerConfig config, IAttentionBackend attention, Tensor patchWeight, Tensor patchBias,
        WanConditionEmbedder conditions, WanTransformerBlock[] blocks, Tensor scaleShiftTable, Linear projOut)
    {
        _backend = backend;
        Config = config;
        Attention = attention;
        _patchWeight = TensorScope.Detach(patchWeight);
        _patchBias = TensorScope.Detach(patchBias);
        _conditions = conditions;
        _blocks = blocks;
        _scaleShiftTable = TensorScope.Detach(scaleShiftTable);
        _normOut = LayerNorm.NoAffine(backend, config.Eps);
        _projOut = projOut;
    }

    /// <summary>
    /// Reads <c>config.json</c> and the weights (single file or shard index, <see cref="TensorSources.OpenFolder"/>)
    /// of a diffusers transformer folder.
    /// </summary>
    public static WanTransformer3DModel FromFolder(IBackend backend, string folder, IAttentionBackend? attention = null)
    {
        var config = WanTransformerConfig.FromFile(Path.Combine(folder, "config.json"));
        using var weights = TensorSources.OpenFolder(folder);
        return Load(backend, config, weights, attention);
    }

    /// <summary>The <c>transformer</c> component of a diffusers pipeline folder (its class must be WanTransformer3DModel).</summary>
    public static WanTransformer3DModel FromComponent(IBackend backend, ComponentFolder component, IAttentionBackend? attention = null)
    {
        ArgumentNullException.ThrowIfNull(component);
        if (component.ClassName != "WanTransformer3DModel")
            throw new InvalidDataException($"{component}: expected a WanTransformer3DModel component, got {component.ClassName}");
        var config = WanTransformerConfig.FromJson(component.Config.Root, component.ConfigPath);
        using var weights = component.OpenWeights();
        return Load(backend, config, weights, attention);
    }

    /// <summary>
    /// Builds the model from diffusers-named parameters: <c>patch_embedding.{weight,bias}</c>,
    /// <c>condition_embedder.{time_embedder.linear_1,time_embedder.linear_2,time_proj,text_embedder.linear_1,text_embedder.linear_2}</c>,
    /// I2V <c>condition_embedder.image_embedder.{norm1,ff.net.0.proj,ff.net.2,norm2}</c>,
    /// <c>blocks.{i}.{attn1,attn2}.{to_q,to_k,to_v,to_out.0,norm_q,norm_k}</c>, I2V <c>blocks.{i}.attn2.{add_k_proj,add_v_proj,norm_added_k}</c>,
    /// <c>blocks.{i}.{norm2,ffn.net.0.proj,ffn.net.2,scale_shift_table}</c>, <c>scale_shift_table</c>, <c>proj_out</c>.
    /// Linear and convolution weights keep their stored dtype; biases, norms and tables become F32.
    /// A missing, misshapen or unknown parameter raises <see cref="CheckpointException"/>.
    /// </summary>
    public static WanTransformer3DModel Load(IBackend backend, WanTransformerConfig config, ITensorSource source, IAttentionBackend? attention = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(source);
        config.Validate();
        var reader = new ParameterReader(source, backend.Allocator, "WanTransformer3DModel");
        int inner = config.InnerDim;
        var p = config.PatchSize;
        var owned = new List<IDisposable>();
        T Own<T>(T d) where T : IDisposable { owned.Add(d); return d; }
        try
        {
            var patchW = Own(reader.Take("patch_embedding.weight", inner, config.InChannels, p[0], p[1], p[2]));
            var patchB = Own(reader.TakeF32("patch_embedding.bias", inner));
            var conditions = Own(WanConditionEmbedder.Load(backend, reader, config));
            var blocks = new WanTransformerBlock[config.NumLayers];
            for (int i = 0; i < blocks.Length; i++)
                blocks[i] = Own(WanTransformerBlock.Load(backend, reader, $"blocks.{i}", config));
            var table = Own(reader.TakeF32("scale_shift_table", 1, 2, inner));
            var projOut = Own(Linear.Load(backend, reader, "proj_out", inner, config.OutChannels * config.PatchVolume));
            reader.EnsureAllConsumed();
            return new WanTransformer3DModel(backend, config, attention ?? new SdpaAttention(backend), patchW, patchB, conditions, blocks, table, projOut);
        }
        catch
        {
            foreach (var d in owned) d.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Denoiser prediction, diffusers 0.35.2 <c>WanTransformer3DModel.forward</c>.
    /// <list type="bullet">
    /// <item>hidden_states [B, in_channels, T, H, W] F32. Each of T, H, W must be at least its patch size; a
    /// remainder is dropped as diffusers' strided patch convolution drops it (grid ⌊T/pt⌋ × ⌊H/ph⌋ × ⌊W/pw⌋,
    /// output [B, out_channels, ⌊T/pt⌋·pt, ⌊H/ph⌋·ph, ⌊W/pw⌋·pw]).</item>
    /// <item>timestep: [B] (or [1]) of any float or integer dtype, or [B, N] per patch token (Wan2.2 TI2V), see
    /// <see cref="WanTimesteps"/>; read to the host.</item>
    /// <item>encoder_hidden_states [B, L, text_dim] F32, any L ≥ 1.</item>
    /// <item>encoder_hidden_states_image [B, Li, image_dim] F32 (FLF2V: [2B, Li, image_dim], first and last frame
    /// of each sample), required by models with image_dim and rejected by the others. With image projections
    /// (added_kv_proj_dim) the context is cut as <see cref="WanCrossContext"/> says: the image tokens and the
    /// text are attended separately exactly when L = 512, as the Wan pipelines pad it.</item>
    /// </list>
    /// Returns the prediction F32, owned by the caller.
    /// <paramref name="inspect"/>, when given, sees intermediate tensors under diffusers' module names
    /// (<c>patch_embedding</c>, <c>condition_embedder.temb</c>, <c>blocks.0</c>, <c>blocks.0.attn1</c>, <c>proj_out</c>, ...);
    /// they are valid only during the callback.
    /// </summary>
    public Tensor Forward(Tensor hiddenStates, Tensor timestep, Tensor encoderHiddenStates, Tensor? encoderHiddenStatesImage = null,
        Action<string, Tensor>? inspect = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var grid = ValidateInputs(hiddenStates, encoderHiddenStates, encoderHiddenStatesImage);
        var timesteps = WanTimesteps.FromTensor(timestep, hiddenStates.Size(0), grid.Tokens, ForwardName);
        return Run(hiddenStates, timesteps, grid, encoderHiddenStates, encoderHiddenStatesImage, inspect);
    }

    /// <summary>As the tensor overload, with one timestep per sample (B values, or 1 for all) given as host values.</summary>
    public Tensor Forward(Tensor hiddenStates, ReadOnlySpan<float> timesteps, Tensor encoderHiddenStates, Tensor? encoderHiddenStatesImage = null,
        Action<string, Tensor>? inspect = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var grid = ValidateInputs(hiddenStates, encoderHiddenStates, encoderHiddenStatesImage);
        var resolved = WanTimesteps.PerSample(timesteps, hiddenStates.Size(0), ForwardName);
        return Run(hiddenStates, resolved, grid, encoderHiddenStates, encoderHiddenStatesImage, inspect);
    }

    private const string ForwardName = nameof(WanTransformer3DModel) + ".Forward";

    private Tensor Run(Tensor hiddenStates, WanTimesteps timesteps, VideoGrid grid, Tensor encoderHiddenStates, Tensor? encoderHiddenStatesImage,
        Action<string, Tensor>? inspect)
    {
        int b = hiddenStates.Size(0), inner = Config.InnerDim;
        var (pt, ph, pw) = (Config.PatchSize[0], Config.PatchSize[1], Config.PatchSize[2]);
        var (ropeCos, ropeSin) = RopeTables(grid);

        using var scope = TensorScope.Begin();
        // 1. patch embedding → tokens [B, N, inner]; the strided convolution drops a remainder of T, H or W
        var patches = _backend.Conv3d(hiddenStates, _patchWeight, _patchBias, (pt, ph, pw), (0, 0, 0, 0, 0, 0)); // [B, inner, T', H', W']
        inspect?.Invoke("patch_embedding", patches);
        var x = _backend.Permute(patches.Reshape(b, inner, grid.Tokens), s_channelsLast);

        // 2. conditions: temb [B, inner] and timestep_proj [B, 6, inner], or per token [B, N, inner] and [B, N, 6, inner]
        var (temb, timestepProj) = _conditions.EmbedTime(timesteps.Values);
        if (timesteps.PerToken)
        {
            temb = temb.Reshape(b, grid.Tokens, inner);
            timestepProj = timestepProj.Reshape(b, grid.Tokens, 6, inner);
        }
        inspect?.Invoke("condition_embedder.temb", temb);
        inspect?.Invoke("condition_embedder.timestep_proj", timestepProj);
        var text = _conditions.EmbedText(encoderHiddenStates);
        inspect?.Invoke("condition_embedder.encoder_hidden_states", text);
        Tensor? image = null;
        if (encoderHiddenStatesImage is not null)
        {
            image = _conditions.EmbedImage(encoderHiddenStatesImage);
            inspect?.Invoke("condition_embedder.encoder_hidden_states_image", image);
        }
        var (textCtx, imageCtx) = WanCrossContext.Split(_backend, text, image, Config.AddedKvProjDim is not null);

        // 3. blocks; each one's intermediates are released as soon as the next block has consumed its output
        for (int i = 0; i < _blocks.Length; i++)
        {
            var next = _blocks[i].Forward(x, textCtx, imageCtx, timestepProj, ropeCos, ropeSin, Attention, grid, inspect, $"blocks.{i}");
            inspect?.Invoke($"blocks.{i}", next);
            x.Dispose();
            x = next;
        }

        // 4. output modulation (table [1, 2, inner] + temb per sample or per token), projection, unpatchify
        var tembRows = timesteps.PerToken ? temb.Reshape(b, grid.Tokens, 1, inner) : temb.Reshape(b, 1, inner);
        var shiftScale = WanTransformerBlock.Modulation(_backend, _scaleShiftTable, tembRows, 2);
        var y = _projOut.Forward(_backend.LayerNormModulate(x, shiftScale[1], shiftScale[0], _normOut.Eps));
        inspect?.Invoke("proj_out", y);
        int c = Config.OutChannels;
        var blocks8 = y.Reshape(b, grid.T, grid.H, grid.W, pt, ph, pw, c);
        var outT = _backend.Permute(blocks8, s_unpatchify);                      // [B, C, T', pt, H', ph, W', pw]
        return scope.Keep(outT.Reshape(b, c, grid.T * pt, grid.H * ph, grid.W * pw));
    }

    private VideoGrid ValidateInputs(Tensor hidden, Tensor text, Tensor? image)
    {
        const string op = ForwardName;
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(text);
        var c = Config;
        if (hidden.Rank != 5 || hidden.Size(1) != c.InChannels)
            throw new ShapeMismatchException($"{op}: hidden_states must be [B, {c.InChannels}, T, H, W], got [{ShapeUtil.Format(hidden.ShapeSpan)}]");
        RequireF32(hidden, "hidden_states");
        int b = hidden.Size(0);
        if (b == 0) throw new ShapeMismatchException($"{op}: hidden_states has an empty batch");
        var p = c.PatchSize;
        for (int d = 0; d < 3; d++)
            if (hidden.Size(2 + d) < p[d])
                throw new ShapeMismatchException($"{op}: hidden_states [{ShapeUtil.Format(hidden.ShapeSpan)}]: dimension {2 + d} ({"THW"[d]}) is {hidden.Size(2 + d)}, smaller than the patch size {p[d]} (patch_size [{string.Join(", ", p)}])");
        var grid = new VideoGrid(hidden.Size(2) / p[0], hidden.Size(3) / p[1], hidden.Size(4) / p[2]);
        if (grid.T > c.RopeMaxSeqLen || grid.H > c.RopeMaxSeqLen || grid.W > c.RopeMaxSeqLen)
            throw new ShapeMismatchException($"{op}: patch grid {grid.T}×{grid.H}×{grid.W} exceeds rope_max_seq_len {c.RopeMaxSeqLen}");
        if (text.Rank != 3 || text.Size(0) != b || text.Size(1) == 0 || text.Size(2) != c.TextDim)
            throw new ShapeMismatchException($"{op}: encoder_hidden_states must be [{b}, L, {c.TextDim}] with L ≥ 1, got [{ShapeUtil.Format(text.ShapeSpan)}]");
        RequireF32(text, "encoder_hidden_states");
        if (c.ImageDim is int imageDim)
        {
            if (image is null)
                throw new ArgumentNullException("encoderHiddenStatesImage", $"{op}: this is an image-to-video model (image_dim {imageDim}); encoder_hidden_states_image is required");
            bool pairs = c.HasImagePosEmbed;
            int imageBatch = pairs ? 2 * b : b;
            int pos = c.PosEmbedSeqLen ?? 0;
            if (image.Rank != 3 || image.Size(0) != imageBatch || image.Size(1) == 0 || image.Size(2) != imageDim
                || (pairs && pos != 1 && 2 * image.Size(1) != pos))
                throw new ShapeMismatchException($"{op}: encoder_hidden_states_image must be [{imageBatch}, {(pairs && pos != 1 ? (pos / 2).ToString() : "Li")}, {imageDim}]" +
                    (pairs ? $" (first and last frame of each of the {b} samples, joined to pos_embed_seq_len {pos} tokens)" : "") +
                    $", got [{ShapeUtil.Format(image.ShapeSpan)}]");
            RequireF32(image, "encoder_hidden_states_image");
        }
        else if (image is not null)
            throw new ArgumentException($"{op}: this is a text-to-video model (image_dim null); it takes no encoder_hidden_states_image, got [{ShapeUtil.Format(image.ShapeSpan)}]", "encoderHiddenStatesImage");
        return grid;

        static void RequireF32(Tensor t, string name)
        {
            if (t.DType != DType.F32) throw new ArgumentException($"{op}: {name} must be F32, got {t.DType}", name);
        }
    }

    /// <summary>Rotary tables [N, D/2] for <paramref name="grid"/>; the last grid's tables stay cached on the device.</summary>
    private (Tensor Cos, Tensor Sin) RopeTables(VideoGrid grid)
    {
        if (_rope is { } r && r.Grid == grid) return (r.Cos, r.Sin);
        var (cos, sin) = WanRotaryPosEmbed.PairTables(Config.AttentionHeadDim, Config.RopeMaxSeqLen, grid);
        int pairs = Config.AttentionHeadDim / 2;
        var cosT = TensorScope.Detach(Tensor.FromHost<float>(_backend.Allocator, cos, new[] { grid.Tokens, pairs }));
        var sinT = TensorScope.Detach(Tensor.FromHost<float>(_backend.Allocator, sin, new[] { grid.Tokens, pairs }));
        if (_rope is { } old)
        {
            old.Cos.Dispose();
            old.Sin.Dispose();
        }
        _rope = (grid, cosT, sinT);
        return (cosT, sinT);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _patchWeight.Dispose();
        _patchBias.Dispose();
        _conditions.Dispose();
        foreach (var blk in _blocks) blk.Dispose();
        _scaleShiftTable.Dispose();
        _normOut.Dispose();
        _projOut.Dispose();
        if (_rope is { } r)
        {
            r.Cos.Dispose();
            r.Sin.Dispose();
        }
    }
}
