using FastVideo.Backends.Cpu;
using FastVideo.Models.Encoders.ClipVision;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;
using R = FastVideo.Tests.Parity.DoubleReference;

namespace FastVideo.Tests.Models;

/// <summary>
/// CLIPVisionModelWithProjection on configs the golden does not cover (activations, image sizes that are not a
/// multiple of the patch, channels, one layer, epsilon, projection size), against a naive double-precision
/// transcription of transformers' modeling_clip.py written here.
/// </summary>
public class ClipVisionConfigTests
{
    private sealed record Case(string Act, int Hidden, int Heads, int Inter, int Proj, int Layers, int Image, int Patch, int Channels, double Eps, int Batch);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["quick_gelu, 30 px with 8 px patches (remainder dropped)"] = new("quick_gelu", 12, 3, 20, 7, 2, 30, 8, 3, 1e-3, 2),
        ["gelu_new, one layer (penultimate = embeddings)"] = new("gelu_new", 8, 2, 10, 5, 1, 12, 4, 1, 1e-5, 1),
        ["relu, one patch"] = new("relu", 6, 1, 9, 3, 3, 7, 7, 2, 1e-6, 3),
        ["silu"] = new("silu", 10, 5, 6, 4, 2, 9, 3, 3, 1e-5, 1),
    };

    public static IEnumerable<string> CaseNames => Cases.Keys;

    private static double Activation(string name, double x) => name switch
    {
        "quick_gelu" => x / (1 + Math.Exp(-1.702 * x)),
        "gelu_new" => R.GeluTanh(x),
        "relu" => Math.Max(0, x),
        "silu" => R.Silu(x),
        _ => throw new ArgumentException(name),
    };

    private static Dictionary<string, object?> ConfigJson(Case c) => new()
    {
        ["architectures"] = new[] { "CLIPVisionModelWithProjection" }, ["model_type"] = "clip_vision_model",
        ["hidden_size"] = c.Hidden, ["intermediate_size"] = c.Inter, ["projection_dim"] = c.Proj,
        ["num_hidden_layers"] = c.Layers, ["num_attention_heads"] = c.Heads, ["num_channels"] = c.Channels,
        ["image_size"] = c.Image, ["patch_size"] = c.Patch, ["hidden_act"] = c.Act, ["layer_norm_eps"] = c.Eps,
        ["attention_dropout"] = 0.0,
    };

    private const string P = "vision_model.";

    private static void AddWeights(TinyCheckpoint ck, Case c)
    {
        int d = c.Hidden, g = c.Image / c.Patch;
        ck.Add(P + "embeddings.class_embedding", 0, 0.5, d);
        ck.Weight(P + "embeddings.patch_embedding.weight", d, c.Channels, c.Patch, c.Patch);
        ck.Add(P + "embeddings.position_embedding.weight", 0, 0.5, g * g + 1, d);
        foreach (var ln in new[] { "pre_layrnorm", "post_layernorm" })
        {
            ck.Add(P + ln + ".weight", 1, 0.1, d);
            ck.Add(P + ln + ".bias", 0, 0.1, d);
        }
        for (int i = 0; i < c.Layers; i++)
        {
            string l = $"{P}encoder.layers.{i}.";
            foreach (var ln in new[] { "layer_norm1", "layer_norm2" })
            {
                ck.Add(l + ln + ".weight", 1, 0.1, d);
                ck.Add(l + ln + ".bias", 0, 0.1, d);
            }
            foreach (var p in new[] { "q_proj", "k_proj", "v_proj", "out_proj" })
            {
                ck.Weight(l + $"self_attn.{p}.weight", d, d);
                ck.Add(l + $"self_attn.{p}.bias", 0, 0.1, d);
            }
            ck.Weight(l + "mlp.fc1.weight", c.Inter, d);
            ck.Add(l + "mlp.fc1.bias", 0, 0.1, c.Inter);
            ck.Weight(l + "mlp.fc2.weight", d, c.Inter);
            ck.Add(l + "mlp.fc2.bias", 0, 0.1, d);
        }
        ck.Weight("visual_projection.weight", c.Proj, d);
    }

    private static double[] Linear(double[] x, int rows, double[] w, double[]? b, int outDim, int inDim)
    {
        var y = new double[rows * outDim];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outDim; o++)
            {
                double s = b?[o] ?? 0;
                for (int i = 0; i < inDim; i++) s += x[r * inDim + i] * w[o * inDim + i];
                y[r * outDim + o] = s;
            }
        return y;
    }

    private static double[] LayerNorm(double[] x, int rows, int d, double[] w, double[] b, double eps)
    {
        var y = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            double mean = 0, var = 0;
            for (int i = 0; i < d; i++) mean += x[r * d + i];
            mean /= d;
            for (int i = 0; i < d; i++) var += (x[r * d + i] - mean) * (x[r * d + i] - mean);
            double inv = 1 / Math.Sqrt(var / d + eps);
            for (int i = 0; i < d; i++) y[r * d + i] = (x[r * d + i] - mean) * inv * w[i] + b[i];
        }
        return y;
    }

    /// <summary>hidden_states (h0 after pre_layrnorm, each layer's output) and image_embeds for one image [C, S, S].</summary>
    private static (List<double[]> States, double[] Embeds) Reference(TinyCheckpoint ck, Case c, double[] px)
    {
        int d = c.Hidden, g = c.Image / c.Patch, T = g * g + 1, dh = d / c.Heads, S = c.Image;
        var h = new double[T * d];
        Array.Copy(ck[P + "embeddings.class_embedding"], h, d);
        var wp = ck[P + "embeddings.patch_embedding.weight"];
        for (int gy = 0; gy < g; gy++)
            for (int gx = 0; gx < g; gx++)
                for (int o = 0; o < d; o++)
                {
                    double s = 0;
                    for (int ch = 0; ch < c.Channels; ch++)
                        for (int ky = 0; ky < c.Patch; ky++)
                            for (int kx = 0; kx < c.Patch; kx++)
                                s += wp[((o * c.Channels + ch) * c.Patch + ky) * c.Patch + kx] * px[(ch * S + gy * c.Patch + ky) * S + gx * c.Patch + kx];
                    h[(1 + gy * g + gx) * d + o] = s;
                }
        var pos = ck[P + "embeddings.position_embedding.weight"];
        for (int i = 0; i < h.Length; i++) h[i] += pos[i];
        h = LayerNorm(h, T, d, ck[P + "pre_layrnorm.weight"], ck[P + "pre_layrnorm.bias"], c.Eps);
        var states = new List<double[]> { h };
        for (int layer = 0; layer < c.Layers; layer++)
        {
            string l = $"{P}encoder.layers.{layer}.";
            double[] W(string n) => ck[l + n];
            var n1 = LayerNorm(h, T, d, W("layer_norm1.weight"), W("layer_norm1.bias"), c.Eps);
            var q = Linear(n1, T, W("self_attn.q_proj.weight"), W("self_attn.q_proj.bias"), d, d);
            var k = Linear(n1, T, W("self_attn.k_proj.weight"), W("self_attn.k_proj.bias"), d, d);
            var v = Linear(n1, T, W("self_attn.v_proj.weight"), W("self_attn.v_proj.bias"), d, d);
            var attn = new double[T * d];
            for (int head = 0; head < c.Heads; head++)
                for (int i = 0; i < T; i++)
                {
                    var s = new double[T];
                    for (int j = 0; j < T; j++)
                    {
                        for (int e = 0; e < dh; e++) s[j] += q[i * d + head * dh + e] * k[j * d + head * dh + e];
                        s[j] /= Math.Sqrt(dh);
                    }
                    double max = s.Max(), sum = 0;
                    for (int j = 0; j < T; j++) { s[j] = Math.Exp(s[j] - max); sum += s[j]; }
                    for (int e = 0; e < dh; e++)
                        for (int j = 0; j < T; j++) attn[i * d + head * dh + e] += s[j] / sum * v[j * d + head * dh + e];
                }
            var o = Linear(attn, T, W("self_attn.out_proj.weight"), W("self_attn.out_proj.bias"), d, d);
            h = h.Select((x, i) => x + o[i]).ToArray();
            var n2 = LayerNorm(h, T, d, W("layer_norm2.weight"), W("layer_norm2.bias"), c.Eps);
            var mid = Linear(n2, T, W("mlp.fc1.weight"), W("mlp.fc1.bias"), c.Inter, d).Select(x => Activation(c.Act, x)).ToArray();
            var f = Linear(mid, T, W("mlp.fc2.weight"), W("mlp.fc2.bias"), d, c.Inter);
            h = h.Select((x, i) => x + f[i]).ToArray();
            states.Add(h);
        }
        var pooled = LayerNorm(h[..d], 1, d, ck[P + "post_layernorm.weight"], ck[P + "post_layernorm.bias"], c.Eps);
        return (states, Linear(pooled, 1, ck["visual_projection.weight"], null, c.Proj, d));
    }

    [TestCaseSource(nameof(CaseNames))]
    public void ForwardMatchesNaiveReference(string name)
    {
        var c = Cases[name];
        using var ck = new TinyCheckpoint(seed: name.Length * 7 + c.Hidden);
        AddWeights(ck, c);
        using var model = ClipVisionModelWithProjection.FromFolder(CpuBackend.Default, ck.Save(ConfigJson(c)));
        int perImage = c.Channels * c.Image * c.Image;
        var px = ck.Normal(c.Batch * perImage);
        using var pixels = Tensor.FromHost<float>(px.Select(v => (float)v).ToArray(), c.Batch, c.Channels, c.Image, c.Image);
        var states = new List<Tensor>();
        try
        {
            using var output = model.Forward(pixels, states);
            int tokens = (c.Image / c.Patch) * (c.Image / c.Patch) + 1;
            Assert.That(output.LastHiddenState.Shape, Is.EqualTo(new[] { c.Batch, tokens, c.Hidden }));
            Assert.That(output.ImageEmbeds.Shape, Is.EqualTo(new[] { c.Batch, c.Proj }));
            Assert.That(states, Has.Count.EqualTo(c.Layers + 1));
            var refs = Enumerable.Range(0, c.Batch).Select(b => Reference(ck, c, px[(b * perImage)..((b + 1) * perImage)])).ToArray();
            double[] Stack(Func<(List<double[]> States, double[] Embeds), double[]> pick) => refs.SelectMany(r => pick(r)).ToArray();
            for (int i = 0; i < states.Count; i++)
                Numerics.AssertRelL2(states[i].ToArray<float>(), Stack(r => r.States[i]), 1e-5, $"{name}: hidden_states[{i}]");
            Numerics.AssertRelL2(output.PenultimateHiddenState.ToArray<float>(), Stack(r => r.States[^2]), 1e-5, $"{name}: hidden_states[-2]");
            Numerics.AssertRelL2(output.LastHiddenState.ToArray<float>(), Stack(r => r.States[^1]), 1e-5, $"{name}: last_hidden_state");
            Numerics.AssertRelL2(output.ImageEmbeds.ToArray<float>(), Stack(r => r.Embeds), 1e-5, $"{name}: image_embeds");
        }
        finally
        {
            foreach (var t in states) t.Dispose();
        }
    }

    [Test]
    public void UnsupportedOrInvalidConfigIsNamed()
    {
        var path = TinyCheckpoint.WriteConfig(new() { ["hidden_act"] = "tanh" });
        try
        {
            Assert.That(Assert.Throws<NotSupportedException>(() => ClipVisionConfig.FromFile(path))!.Message,
                Does.Contain(path).And.Contain("hidden_act").And.Contain("\"tanh\""));
            File.WriteAllText(path, """{"hidden_size": 10, "num_attention_heads": 4}""");
            Assert.That(Assert.Throws<InvalidDataException>(() => ClipVisionConfig.FromFile(path))!.Message, Does.Contain("num_attention_heads"));
            File.WriteAllText(path, """{"image_size": 16, "patch_size": 32}""");
            Assert.That(Assert.Throws<InvalidDataException>(() => ClipVisionConfig.FromFile(path))!.Message, Does.Contain("patch_size"));
            File.WriteAllText(path, """{"image_size": 30, "patch_size": 8}""");
            Assert.That(ClipVisionConfig.FromFile(path).NumPositions, Is.EqualTo(10), "⌊30/8⌋² patches + class token");
        }
        finally { File.Delete(path); }
    }
}
