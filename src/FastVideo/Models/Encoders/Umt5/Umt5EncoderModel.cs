using FastVideo.Backends;
using FastVideo.Loading;
using FastVideo.Tensors;

namespace FastVideo.Models.Encoders.Umt5;

/// <summary>
/// transformers' <c>UMT5EncoderModel</c> (Wan's text encoder) on an <see cref="IBackend"/>. Per block:
/// <code>
/// h = h + o(Attention(q(n), k(n), v(n), mask = bias_l + (1 − m)·float32.min, scale = 1)),  n = RmsNorm(h)
/// h = h + wo(act(wi_0(n)) ⊙ wi_1(n)),                                                      n = RmsNorm(h)
/// </code>
/// then a final RmsNorm. Each block has its own relative-position bias table (bidirectional buckets,
/// <see cref="Umt5RelativePosition"/>); scores are not scaled by 1/√d_kv (T5 folds that into the weights).
/// Weights keep their stored dtype for Linear/Embedding (the backend accumulates in F32); norm gains are F32.
/// </summary>
public sealed class Umt5EncoderModel : IDisposable
{
    private readonly IBackend _backend;
    private readonly Tensor _embedTokens;
    private readonly Umt5Block[] _blocks;
    private readonly Tensor _finalNorm;
    private readonly float _eps;
    private readonly HfActivation _act;

    public Umt5Config Config { get; }

    private Umt5EncoderModel(IBackend backend, Umt5Config config, Tensor embed, Umt5Block[] blocks, Tensor finalNorm)
    {
        _backend = backend;
        Config = config;
        _embedTokens = embed;
        _blocks = blocks;
        _finalNorm = finalNorm;
        _eps = (float)config.LayerNormEpsilon;
        _act = config.Activation();
    }

    /// <summary>
    /// Loads <c>config.json</c> and the weights of a transformers model folder (diffusers' <c>text_encoder/</c>):
    /// <c>model.safetensors</c> or a shard index, as <see cref="TensorSources.OpenFolder"/> finds them.
    /// </summary>
    public static Umt5EncoderModel FromFolder(IBackend backend, string folder)
    {
        var config = Umt5Config.FromFile(Path.Combine(folder, "config.json"));
        using var source = TensorSources.OpenFolder(folder);
        return Load(backend, config, source);
    }

    /// <summary>
    /// Builds the model from checkpoint tensors. The token embedding is <c>shared.weight</c> or, when that is absent,
    /// <c>encoder.embed_tokens.weight</c> (transformers ties them; checkpoints store either or both). Any missing,
    /// mis-shaped or unknown parameter raises <see cref="CheckpointException"/> naming it.
    /// </summary>
    public static Umt5EncoderModel Load(IBackend backend, Umt5Config config, ITensorSource source)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(source);
        var weights = new OwnedParameters(new ParameterReader(source, backend.Allocator, "UMT5EncoderModel"));
        var r = weights.Reader;
        Tensor Take(string name, params int[] shape) => weights.Take(name, shape);
        Tensor TakeF32(string name, params int[] shape) => weights.TakeF32(name, shape);
        try
        {
            int d = config.DModel, inner = config.InnerDim, ff = config.DFf;
            Tensor embed;
            if (r.Has("shared.weight"))
            {
                embed = Take("shared.weight", config.VocabSize, d);
                r.Skip("encoder.embed_tokens.weight");
            }
            else if (r.Has("encoder.embed_tokens.weight"))
            {
                embed = Take("encoder.embed_tokens.weight", config.VocabSize, d);
            }
            else
            {
                throw new CheckpointException($"UMT5EncoderModel: parameter 'shared.weight' (or its tie 'encoder.embed_tokens.weight') is missing from {source.Description}");
            }

            var blocks = new Umt5Block[config.NumLayers];
            for (int i = 0; i < blocks.Length; i++)
            {
                string a = $"encoder.block.{i}.layer.0.", f = $"encoder.block.{i}.layer.1.";
                blocks[i] = new Umt5Block(
                    AttnNorm: TakeF32(a + "layer_norm.weight", d),
                    Q: Take(a + "SelfAttention.q.weight", inner, d),
                    K: Take(a + "SelfAttention.k.weight", inner, d),
                    V: Take(a + "SelfAttention.v.weight", inner, d),
                    O: Take(a + "SelfAttention.o.weight", d, inner),
                    RelativeBias: TakeF32(a + "SelfAttention.relative_attention_bias.weight", config.RelativeAttentionNumBuckets, config.NumHeads),
                    FfnNorm: TakeF32(f + "layer_norm.weight", d),
                    Wi0: Take(f + (config.IsGatedAct ? "DenseReluDense.wi_0.weight" : "DenseReluDense.wi.weight"), ff, d),
                    Wi1: config.IsGatedAct ? Take(f + "DenseReluDense.wi_1.weight", ff, d) : null,
                    Wo: Take(f + "DenseReluDense.wo.weight", d, ff));
            }
            var finalNorm = TakeF32("encoder.final_layer_norm.weight", d);
            r.EnsureAllConsumed();
            return new Umt5EncoderModel(backend, config, embed, blocks, finalNorm);
        }
        catch
        {
            weights.DisposeAll();
            throw;
        }
    }

    /// <summary>
    /// last_hidden_state [B, L, d_model] F32 for <paramref name="inputIds"/> (I64 or I32 [B, L]) and
    /// <paramref name="attentionMask"/> (I64/I32 [B, L], 1 = token, 0 = padding; null = all ones).
    /// <paramref name="hiddenStates"/>, if given, receives transformers' <c>output_hidden_states</c>: the embeddings,
    /// each block's output but the last, and the final normalised output (the caller disposes them).
    /// The token ids are read back once to check them against the vocabulary (an explicit sync point on a device).
    /// </summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, List<Tensor>? hiddenStates = null)
    {
        var (batch, length) = ValidateInputs(inputIds, attentionMask);
        var be = _backend;
        using var scope = TensorScope.Begin();
        var extMask = ExtendedMask(attentionMask, batch, length);
        var buckets = Tensor.FromHost<int>(be.Allocator,
            Umt5RelativePosition.Buckets(length, length, Config.RelativeAttentionNumBuckets, Config.RelativeAttentionMaxDistance), [length, length]);

        var h = be.Embedding(_embedTokens, inputIds); // [B, L, D]
        for (int i = 0; i < _blocks.Length; i++)
        {
            if (hiddenStates != null) hiddenStates.Add(TensorScope.Detach(be.Copy(h)));
            h = Block(_blocks[i], h, buckets, extMask, batch, length);
        }
        h = be.RmsNorm(h, _finalNorm, _eps);
        if (hiddenStates != null) hiddenStates.Add(TensorScope.Detach(be.Copy(h)));
        return TensorScope.Detach(h);
    }

    /// <summary>
    /// WanPipeline's <c>_get_t5_prompt_embeds</c> after tokenization: last_hidden_state with every position at or
    /// beyond each row's length (count of mask entries &gt; 0) set to zero. Reads the mask back to the host.
    /// </summary>
    public Tensor EncodePrompts(Tensor inputIds, Tensor attentionMask)
    {
        ArgumentNullException.ThrowIfNull(attentionMask);
        using var scope = TensorScope.Begin();
        using var hidden = Forward(inputIds, attentionMask); // validates both inputs; detached, so disposed here
        int batch = inputIds.Size(0), length = inputIds.Size(1);
        var mask = ReadMask(attentionMask);
        var keep = new float[batch * length];
        for (int b = 0; b < batch; b++)
        {
            int n = 0;
            for (int j = 0; j < length; j++) if (mask[b * length + j] > 0) n++;
            for (int j = 0; j < n; j++) keep[b * length + j] = 1f;
        }
        var keepT = Tensor.FromHost<float>(_backend.Allocator, keep, [batch, length, 1]);
        return TensorScope.Detach(_backend.Mul(hidden, keepT));
    }

    private Tensor Block(Umt5Block w, Tensor h, Tensor buckets, Tensor? extMask, int batch, int length)
    {
        var be = _backend;
        int heads = Config.NumHeads, dkv = Config.DKv;
        // ---- self-attention: n [B, L, D] → q/k/v [B, H, L, dkv]
        var n = be.RmsNorm(h, w.AttnNorm, _eps);
        Tensor Heads(Tensor weight)
        {
            var x = be.Linear(n, weight); // [B, L, H·dkv]
            using var x4 = x.Reshape(batch, length, heads, dkv);
            return be.Permute(x4, [0, 2, 1, 3]);
        }
        var q = Heads(w.Q);
        var k = Heads(w.K);
        var v = Heads(w.V);
        // bias: table [buckets, H] gathered → [L, L, H] → [1, H, L, L]; plus the key mask [B, 1, 1, L].
        var table = be.Embedding(w.RelativeBias, buckets);
        var bias = be.Permute(table, [2, 0, 1]).Reshape(1, heads, length, length);
        var mask = extMask is null ? bias : be.Add(bias, extMask);
        var a = be.Attention(q, k, v, mask, 1f);                      // [B, H, L, dkv]
        var merged = be.Permute(a, [0, 2, 1, 3]).Reshape(batch, length, heads * dkv);
        h = be.Add(h, be.Linear(merged, w.O));
        // ---- feed-forward
        n = be.RmsNorm(h, w.FfnNorm, _eps);
        var act = _act.Apply(be, be.Linear(n, w.Wi0));
        var hid = w.Wi1 is null ? act : be.Mul(act, be.Linear(n, w.Wi1));
        return be.Add(h, be.Linear(hid, w.Wo));
    }

    /// <summary>
    /// (1 − mask)·float32.min as F32 [B, 1, 1, L], or null when there is no mask. Computed in that order, as the
    /// library does, so that a mask value other than 0/1 gives its finite result rather than overflowing.
    /// </summary>
    private Tensor? ExtendedMask(Tensor? attentionMask, int batch, int length)
    {
        if (attentionMask is null) return null;
        var m = _backend.Cast(attentionMask, DType.F32);
        var inverted = _backend.Scale(m, -1f, 1f);
        var ext = _backend.Scale(inverted, float.MinValue);
        return ext.Reshape(batch, 1, 1, length);
    }

    private static long[] ReadMask(Tensor mask) =>
        mask.DType == DType.I64 ? mask.ToArray<long>() : mask.ToArray<int>().Select(x => (long)x).ToArray();

    private (int Batch, int Length) ValidateInputs(Tensor inputIds, Tensor? attentionMask)
    {
        ArgumentNullException.ThrowIfNull(inputIds, "input_ids");
        if (inputIds.Rank != 2)
            throw new ShapeMismatchException($"UMT5EncoderModel: input_ids must be [batch, length], got [{string.Join(", ", inputIds.Shape)}]");
        if (inputIds.DType is not (DType.I64 or DType.I32))
            throw new ArgumentException($"UMT5EncoderModel: input_ids must be I64 or I32 token ids, got {inputIds.DType}", "input_ids");
        int batch = inputIds.Size(0), length = inputIds.Size(1);
        if (batch == 0 || length == 0)
            throw new ShapeMismatchException($"UMT5EncoderModel: input_ids [{batch}, {length}] is empty");
        var ids = inputIds.DType == DType.I64 ? inputIds.ToArray<long>() : inputIds.ToArray<int>().Select(x => (long)x).ToArray();
        for (int i = 0; i < ids.Length; i++)
            if ((ulong)ids[i] >= (ulong)Config.VocabSize)
                throw new ArgumentOutOfRangeException("input_ids", $"UMT5EncoderModel: input_ids[{i / length}, {i % length}] = {ids[i]} is outside the vocabulary [0, {Config.VocabSize})");
        if (attentionMask != null)
        {
            if (attentionMask.DType is not (DType.I64 or DType.I32))
                throw new ArgumentException($"UMT5EncoderModel: attention_mask must be I64 or I32, got {attentionMask.DType}", "attention_mask");
            attentionMask.ExpectShape("UMT5EncoderModel: attention_mask (same shape as input_ids)", batch, length);
        }
        return (batch, length);
    }

    public void Dispose()
    {
        _embedTokens.Dispose();
        _finalNorm.Dispose();
        foreach (var b in _blocks) b.Dispose();
    }

    private sealed record Umt5Block(Tensor AttnNorm, Tensor Q, Tensor K, Tensor V, Tensor O, Tensor RelativeBias,
        Tensor FfnNorm, Tensor Wi0, Tensor? Wi1, Tensor Wo) : IDisposable
    {
        public void Dispose()
        {
            foreach (var t in new[] { AttnNorm, Q, K, V, O, RelativeBias, FfnNorm, Wi0, Wi1, Wo }) t?.Dispose();
        }
    }
}
