using System.Runtime.InteropServices;
using FastVideo.Models.Dits.Wan;
using FastVideo.Tensors;
using FastVideo.Tests.Support;

namespace FastVideo.Tests.Models;

/// <summary>
/// A tiny WanTransformer3DModel checkpoint with random parameters under diffusers' names, for any config: the
/// model under test loads it through <see cref="Source"/>, the double-precision reference reads <see cref="Params"/>.
/// Initialisation follows the goldens' rules so that activations stay O(1): Linear/Conv weights N(0, 1/fan_in),
/// biases N(0, 0.1²), norm gains 1 + N(0, 0.1²), scale_shift_table N(0, 1/dim), pos_embed N(0, 1).
/// </summary>
internal sealed class WanTinyCheckpoint
{
    public WanTransformerConfig Config { get; }
    public IReadOnlyDictionary<string, (int[] Shape, float[] Values)> Params => _params;

    private readonly Dictionary<string, (int[] Shape, float[] Values)> _params = new(StringComparer.Ordinal);
    private int _seed;

    private WanTinyCheckpoint(WanTransformerConfig config, int seed)
    {
        Config = config;
        _seed = seed;
    }

    public static WanTinyCheckpoint Random(WanTransformerConfig c, int seed)
    {
        c.Validate("tiny config");
        var k = new WanTinyCheckpoint(c, seed);
        int inner = c.InnerDim;
        var p = c.PatchSize;
        k.Weight("patch_embedding.weight", inner, c.InChannels, p[0], p[1], p[2]);
        k.Bias("patch_embedding.bias", inner);
        k.Linear("condition_embedder.time_embedder.linear_1", c.FreqDim, inner);
        k.Linear("condition_embedder.time_embedder.linear_2", inner, inner);
        k.Linear("condition_embedder.time_proj", inner, 6 * inner);
        k.Linear("condition_embedder.text_embedder.linear_1", c.TextDim, inner);
        k.Linear("condition_embedder.text_embedder.linear_2", inner, inner);
        if (c.ImageDim is int img)
        {
            const string ie = "condition_embedder.image_embedder";
            k.Norm(ie + ".norm1", img, bias: true);
            k.Linear(ie + ".ff.net.0.proj", img, img);
            k.Linear(ie + ".ff.net.2", img, inner);
            k.Norm(ie + ".norm2", inner, bias: true);
            if (c.PosEmbedSeqLen is int pos) k.Put(ie + ".pos_embed", new[] { 1, pos, img }, 1f);
        }
        for (int i = 0; i < c.NumLayers; i++)
        {
            string b = $"blocks.{i}";
            foreach (var attn in new[] { b + ".attn1", b + ".attn2" })
            {
                foreach (var proj in new[] { "to_q", "to_k", "to_v", "to_out.0" }) k.Linear($"{attn}.{proj}", inner, inner);
                k.Norm(attn + ".norm_q", inner, bias: false);
                k.Norm(attn + ".norm_k", inner, bias: false);
            }
            if (c.AddedKvProjDim is int added)
            {
                k.Linear(b + ".attn2.add_k_proj", added, inner);
                k.Linear(b + ".attn2.add_v_proj", added, inner);
                k.Norm(b + ".attn2.norm_added_k", inner, bias: false);
            }
            if (c.CrossAttnNorm) k.Norm(b + ".norm2", inner, bias: true);
            k.Linear(b + ".ffn.net.0.proj", inner, c.FfnDim);
            k.Linear(b + ".ffn.net.2", c.FfnDim, inner);
            k.Put(b + ".scale_shift_table", new[] { 1, 6, inner }, (float)(1 / Math.Sqrt(inner)));
        }
        k.Put("scale_shift_table", new[] { 1, 2, inner }, (float)(1 / Math.Sqrt(inner)));
        k.Linear("proj_out", inner, c.OutChannels * c.PatchVolume);
        return k;
    }

    /// <summary>The parameters as an F32 checkpoint for <see cref="WanTransformer3DModel.Load"/>.</summary>
    public MemoryTensorSource Source()
    {
        var m = new MemoryTensorSource();
        foreach (var (name, (shape, values)) in _params)
            m.Put(name, DType.F32, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        return m;
    }

    public WanTransformer3DModel Load() => WanTransformer3DModel.Load(WanGolden.Backend, Config, Source());

    private void Linear(string prefix, int inF, int outF)
    {
        Weight(prefix + ".weight", outF, inF);
        Bias(prefix + ".bias", outF);
    }

    private void Norm(string prefix, int dim, bool bias)
    {
        var g = Numerics.RandomNormal(dim, _seed++, 0.1f);
        for (int i = 0; i < dim; i++) g[i] += 1f;
        _params[prefix + ".weight"] = (new[] { dim }, g);
        if (bias) Bias(prefix + ".bias", dim);
    }

    private void Weight(string name, params int[] shape) =>
        Put(name, shape, (float)(1 / Math.Sqrt(shape.Skip(1).Aggregate(1, (a, b) => a * b))));

    private void Bias(string name, int n) => Put(name, new[] { n }, 0.1f);

    private void Put(string name, int[] shape, float std) =>
        _params[name] = (shape, Numerics.RandomNormal(shape.Aggregate(1, (a, b) => a * b), _seed++, std));
}
