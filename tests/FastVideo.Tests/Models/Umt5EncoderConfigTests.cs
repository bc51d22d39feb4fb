using FastVideo.Backends.Cpu;
using FastVideo.Models.Encoders.Umt5;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;
using R = FastVideo.Tests.Parity.DoubleReference;

namespace FastVideo.Tests.Models;

/// <summary>
/// UMT5EncoderModel on configs the golden does not cover (feed-forward variants, d_kv·heads ≠ d_model, other bucket
/// counts and distances, epsilon, layer counts, length 1, padding rows), against a naive double-precision
/// transcription of transformers' modeling_umt5.py written here.
/// </summary>
public class Umt5EncoderConfigTests
{
    private sealed record Case(string FeedForwardProj, int DModel, int Heads, int DKv, int DFf, int Layers, int Buckets, int MaxDistance,
        double Eps, int[][] Masks, string? DenseActFn = null, bool? IsGatedAct = null);

    private static readonly int[] Full7 = [1, 1, 1, 1, 1, 1, 1];

    // Sequence lengths stay below the first log-bucket edge that the float32 bucket formula could place differently.
    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["relu, inner ≠ d_model, padding and empty rows"] = new("relu", 12, 3, 5, 10, 3, 8, 20, 1e-3,
            [Full7, [1, 1, 1, 1, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0]]),
        ["gated-silu, one token, one layer"] = new("gated-silu", 10, 2, 4, 9, 1, 6, 5, 1e-6, [[1]]),
        ["gated-gelu (gelu_new), T5 default buckets"] = new("gated-gelu", 8, 2, 3, 6, 2, 32, 128, 1e-6, [[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]]),
        ["gelu (exact), not gated"] = new("gelu", 9, 1, 7, 11, 2, 10, 12, 1e-5, [[1, 1, 1, 1, 1, 1]]),
        ["dense_act_fn key wins"] = new("gated-gelu", 8, 2, 4, 6, 1, 8, 16, 1e-6, [[1, 1, 1, 0]], DenseActFn: "relu6"),
        ["is_gated_act key wins"] = new("gated-gelu", 8, 2, 4, 6, 1, 8, 16, 1e-6, [[1, 1, 1, 1]], IsGatedAct: false),
    };

    public static IEnumerable<string> CaseNames => Cases.Keys;

    private static bool Gated(Case c) => c.IsGatedAct ?? c.FeedForwardProj.StartsWith("gated-", StringComparison.Ordinal);

    private static string Act(Case c) => c.DenseActFn ?? (c.FeedForwardProj == "gated-gelu" ? "gelu_new" : c.FeedForwardProj.Split('-')[^1]);

    private static double Activation(string name, double x) => name switch
    {
        "relu" => Math.Max(x, 0),
        "relu6" => Math.Min(Math.Max(x, 0), 6),
        "silu" => R.Silu(x),
        "gelu" => R.GeluExact(x),
        "gelu_new" => R.GeluTanh(x),
        _ => throw new ArgumentException(name),
    };

    private static Dictionary<string, object?> ConfigJson(Case c, int vocab, bool tie = false)
    {
        var json = new Dictionary<string, object?>
        {
            ["architectures"] = new[] { "UMT5EncoderModel" }, ["model_type"] = "umt5", ["vocab_size"] = vocab,
            ["d_model"] = c.DModel, ["num_heads"] = c.Heads, ["d_kv"] = c.DKv, ["d_ff"] = c.DFf, ["num_layers"] = c.Layers,
            ["relative_attention_num_buckets"] = c.Buckets, ["relative_attention_max_distance"] = c.MaxDistance,
            ["layer_norm_epsilon"] = c.Eps, ["feed_forward_proj"] = c.FeedForwardProj, ["tie_word_embeddings"] = tie,
            ["dropout_rate"] = 0.1,
        };
        if (c.DenseActFn != null) json["dense_act_fn"] = c.DenseActFn;
        if (c.IsGatedAct != null) json["is_gated_act"] = c.IsGatedAct;
        return json;
    }

    private static void AddWeights(TinyCheckpoint ck, Case c, int vocab)
    {
        int d = c.DModel, inner = c.Heads * c.DKv;
        ck.Add("shared.weight", 0, 1, vocab, d);
        for (int i = 0; i < c.Layers; i++)
        {
            string a = $"encoder.block.{i}.layer.0.", f = $"encoder.block.{i}.layer.1.";
            ck.Add(a + "layer_norm.weight", 1, 0.1, d);
            foreach (var p in new[] { "q", "k", "v" }) ck.Weight(a + $"SelfAttention.{p}.weight", inner, d);
            ck.Weight(a + "SelfAttention.o.weight", d, inner);
            ck.Add(a + "SelfAttention.relative_attention_bias.weight", 0, 1, c.Buckets, c.Heads);
            ck.Add(f + "layer_norm.weight", 1, 0.1, d);
            if (Gated(c))
            {
                ck.Weight(f + "DenseReluDense.wi_0.weight", c.DFf, d);
                ck.Weight(f + "DenseReluDense.wi_1.weight", c.DFf, d);
            }
            else
            {
                ck.Weight(f + "DenseReluDense.wi.weight", c.DFf, d);
            }
            ck.Weight(f + "DenseReluDense.wo.weight", d, c.DFf);
        }
        ck.Add("encoder.final_layer_norm.weight", 1, 0.1, d);
    }

    private static Umt5EncoderModel LoadTiny(TinyCheckpoint ck, Case c, int vocab, bool tie = false)
    {
        AddWeights(ck, c, vocab);
        return Umt5EncoderModel.FromFolder(CpuBackend.Default, ck.Save(ConfigJson(c, vocab, tie)));
    }

    /// <summary>T5's bidirectional bucket, in double precision.</summary>
    private static int Bucket(int relative, int buckets, int maxDistance)
    {
        int n = buckets / 2, exact = n / 2, a = Math.Abs(relative);
        int offset = relative > 0 ? n : 0;
        if (a < exact) return offset + a;
        return offset + Math.Min(n - 1, exact + (int)(Math.Log((double)a / exact) / Math.Log((double)maxDistance / exact) * (n - exact)));
    }

    private static double[] Linear(double[] x, int rows, double[] w, int outDim, int inDim)
    {
        var y = new double[rows * outDim];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outDim; o++)
            {
                double s = 0;
                for (int i = 0; i < inDim; i++) s += x[r * inDim + i] * w[o * inDim + i];
                y[r * outDim + o] = s;
            }
        return y;
    }

    private static double[] RmsNorm(double[] x, int rows, int d, double[] g, double eps)
    {
        var y = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            double ms = 0;
            for (int i = 0; i < d; i++) ms += x[r * d + i] * x[r * d + i];
            double inv = 1 / Math.Sqrt(ms / d + eps);
            for (int i = 0; i < d; i++) y[r * d + i] = x[r * d + i] * inv * g[i];
        }
        return y;
    }

    /// <summary>The encoder for one sequence (rows are independent in T5), transcribed from modeling_umt5.py.</summary>
    private static double[] Reference(TinyCheckpoint ck, Case c, long[] ids, int[] mask)
    {
        int L = ids.Length, d = c.DModel, inner = c.Heads * c.DKv;
        var emb = ck["shared.weight"];
        var h = new double[L * d];
        for (int l = 0; l < L; l++) Array.Copy(emb, ids[l] * d, h, l * d, d);
        for (int layer = 0; layer < c.Layers; layer++)
        {
            string a = $"encoder.block.{layer}.layer.0.", f = $"encoder.block.{layer}.layer.1.";
            var n = RmsNorm(h, L, d, ck[a + "layer_norm.weight"], c.Eps);
            var q = Linear(n, L, ck[a + "SelfAttention.q.weight"], inner, d);
            var k = Linear(n, L, ck[a + "SelfAttention.k.weight"], inner, d);
            var v = Linear(n, L, ck[a + "SelfAttention.v.weight"], inner, d);
            var table = ck[a + "SelfAttention.relative_attention_bias.weight"];
            var attn = new double[L * inner];
            for (int head = 0; head < c.Heads; head++)
                for (int i = 0; i < L; i++)
                {
                    var s = new double[L];
                    for (int j = 0; j < L; j++)
                    {
                        double dot = 0;
                        for (int e = 0; e < c.DKv; e++) dot += q[i * inner + head * c.DKv + e] * k[j * inner + head * c.DKv + e];
                        // No 1/√d_kv; bias per layer; key mask (1 − m)·finfo(float32).min.
                        s[j] = dot + table[Bucket(j - i, c.Buckets, c.MaxDistance) * c.Heads + head] + (1 - mask[j]) * (double)float.MinValue;
                    }
                    double max = s.Max(), sum = 0;
                    for (int j = 0; j < L; j++) { s[j] = Math.Exp(s[j] - max); sum += s[j]; }
                    for (int e = 0; e < c.DKv; e++)
                    {
                        double acc = 0;
                        for (int j = 0; j < L; j++) acc += s[j] / sum * v[j * inner + head * c.DKv + e];
                        attn[i * inner + head * c.DKv + e] = acc;
                    }
                }
            var o = Linear(attn, L, ck[a + "SelfAttention.o.weight"], d, inner);
            for (int i = 0; i < h.Length; i++) h[i] += o[i];
            n = RmsNorm(h, L, d, ck[f + "layer_norm.weight"], c.Eps);
            double[] hidden;
            if (Gated(c))
            {
                var g = Linear(n, L, ck[f + "DenseReluDense.wi_0.weight"], c.DFf, d);
                var lin = Linear(n, L, ck[f + "DenseReluDense.wi_1.weight"], c.DFf, d);
                hidden = g.Select((x, i) => Activation(Act(c), x) * lin[i]).ToArray();
            }
            else
            {
                hidden = Linear(n, L, ck[f + "DenseReluDense.wi.weight"], c.DFf, d).Select(x => Activation(Act(c), x)).ToArray();
            }
            var ff = Linear(hidden, L, ck[f + "DenseReluDense.wo.weight"], d, c.DFf);
            for (int i = 0; i < h.Length; i++) h[i] += ff[i];
        }
        return RmsNorm(h, L, d, ck["encoder.final_layer_norm.weight"], c.Eps);
    }

    [TestCaseSource(nameof(CaseNames))]
    public void ForwardMatchesNaiveReference(string name)
    {
        var c = Cases[name];
        const int vocab = 37;
        using var ck = new TinyCheckpoint(seed: name.Length * 31 + c.DModel);
        using var model = LoadTiny(ck, c, vocab);
        Assert.That((model.Config.DenseActFn, model.Config.IsGatedAct), Is.EqualTo((Act(c), Gated(c))));

        int batch = c.Masks.Length, length = c.Masks[0].Length;
        var ids = Enumerable.Range(0, batch * length).Select(_ => (long)ck.NextInt(vocab)).ToArray();
        var mask = c.Masks.SelectMany(m => m.Select(x => (long)x)).ToArray();
        using var idsT = Tensor.FromHost<long>(ids, batch, length);
        using var maskT = Tensor.FromHost<long>(mask, batch, length);
        using var hidden = model.Forward(idsT, maskT);
        Assert.That(hidden.Shape, Is.EqualTo(new[] { batch, length, c.DModel }));
        var expected = new List<double>();
        for (int b = 0; b < batch; b++)
            expected.AddRange(Reference(ck, c, ids[(b * length)..((b + 1) * length)], c.Masks[b]));
        Numerics.AssertRelL2(hidden.ToArray<float>(), expected.ToArray(), 1e-5, name);

        // WanPipeline's embeddings: positions at or past each row's token count are zero (an all-padding row entirely).
        using var wan = model.EncodePrompts(idsT, maskT);
        var wanValues = wan.ToArray<float>();
        var hiddenValues = hidden.ToArray<float>();
        for (int b = 0; b < batch; b++)
        {
            int count = c.Masks[b].Count(x => x > 0);
            for (int l = 0; l < length; l++)
                for (int i = 0; i < c.DModel; i++)
                {
                    int at = (b * length + l) * c.DModel + i;
                    Assert.That(wanValues[at], l < count ? Is.EqualTo(hiddenValues[at]) : Is.EqualTo(0f), $"{name}: wan embeds [{b}, {l}, {i}]");
                }
        }
    }

    [Test]
    public void TieWordEmbeddingsDoesNotRescaleTheEncoder()
    {
        // transformers rescales by d_model^-0.5 only before the decoder's LM head; UMT5EncoderModel has none.
        var c = Cases["gated-gelu (gelu_new), T5 default buckets"];
        float[] Run(bool tie)
        {
            using var ck = new TinyCheckpoint(seed: 5);
            using var model = LoadTiny(ck, c, 20, tie);
            using var ids = Tensor.FromHost<long>(new long[] { 3, 1, 4, 1, 5 }, 1, 5);
            using var h = model.Forward(ids);
            return h.ToArray<float>();
        }
        Assert.That(Run(tie: true), Is.EqualTo(Run(tie: false)));
    }

    [Test]
    public void NoMaskEqualsAllOnesMask()
    {
        var c = Cases["relu, inner ≠ d_model, padding and empty rows"];
        using var ck = new TinyCheckpoint(seed: 9);
        using var model = LoadTiny(ck, c, 20);
        using var ids = Tensor.FromHost<int>(new[] { 3, 1, 4, 1, 5, 9, 2, 6 }, 2, 4);
        using var ones = Tensor.FromHost<int>(Enumerable.Repeat(1, 8).ToArray(), 2, 4);
        using var a = model.Forward(ids);
        using var b = model.Forward(ids, ones);
        Assert.That(a.ToArray<float>(), Is.EqualTo(b.ToArray<float>()));
    }

    [TestCase("gated-tanh", "tanh")]
    [TestCase("sigmoid", "sigmoid")]
    [TestCase("gated-swiglu", "swiglu")]
    public void UnsupportedActivationIsNamed(string feedForwardProj, string act)
    {
        var path = TinyCheckpoint.WriteConfig(new() { ["feed_forward_proj"] = feedForwardProj });
        try
        {
            var e = Assert.Throws<NotSupportedException>(() => Umt5Config.FromFile(path));
            Assert.That(e!.Message, Does.Contain(path).And.Contain("feed_forward_proj").And.Contain($"\"{act}\""));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void MalformedFeedForwardProjAndBucketsAreNamed()
    {
        var bad = new (Dictionary<string, object?> Json, string Key)[]
        {
            (new() { ["feed_forward_proj"] = "double-gelu" }, "feed_forward_proj"),
            (new() { ["feed_forward_proj"] = "gated-gelu-new" }, "feed_forward_proj"),
            (new() { ["relative_attention_num_buckets"] = 3 }, "relative_attention_num_buckets"),
            (new() { ["relative_attention_num_buckets"] = 16, ["relative_attention_max_distance"] = 4 }, "relative_attention_max_distance"),
            (new() { ["d_kv"] = 0 }, "d_kv"),
            (new() { ["is_gated_act"] = "yes" }, "is_gated_act"),
        };
        foreach (var (json, key) in bad)
        {
            var path = TinyCheckpoint.WriteConfig(json);
            try
            {
                var e = Assert.Throws<InvalidDataException>(() => Umt5Config.FromFile(path));
                Assert.That(e!.Message, Does.Contain(path).And.Contain(key));
            }
            finally { File.Delete(path); }
        }
    }

    [Test]
    public void NegativeTokenIdIsNamed()
    {
        var c = Cases["gated-silu, one token, one layer"];
        using var ck = new TinyCheckpoint(seed: 3);
        using var model = LoadTiny(ck, c, 20);
        using var ids = Tensor.FromHost<long>(new long[] { 4, -1 }, 1, 2);
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(ids))!.Message, Does.Contain("input_ids[0, 1] = -1"));
    }
}
