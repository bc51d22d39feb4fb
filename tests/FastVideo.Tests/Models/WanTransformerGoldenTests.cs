using FastVideo.Attention;
using FastVideo.Models.Dits.Wan;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;
using static FastVideo.Tests.Models.WanGolden;

namespace FastVideo.Tests.Models;

/// <summary>WanTransformer3DModel against diffusers 0.35.2 outputs (README sections 1–2), atol = rtol = 1e-4.</summary>
public class WanTransformerGoldenTests
{
    private static readonly object[] s_cases =
    {
        new object[] { "wan_transformer_t2v", "case_a" },
        new object[] { "wan_transformer_t2v", "case_b" },
        new object[] { "wan_transformer_i2v", "case_a" },
    };

    [TestCaseSource(nameof(s_cases))]
    public void ForwardMatchesDiffusers(string component, string caseName)
    {
        using var model = LoadModel(component);
        using var f = Case(component, caseName);
        using var output = Run(model, f, inspect: null);
        Assert.That(output.Shape, Is.EqualTo(f.Entry("output").Shape));
        Numerics.AssertClose(output.ToArray<float>(), f.Read<float>("output"), Atol, Rtol, $"{component}/{caseName} output");
    }

    /// <summary>Every recorded submodule output (patch embedding, condition embedder, each block and its sub-layers, proj_out).</summary>
    [TestCaseSource(nameof(s_cases))]
    public void IntermediatesMatchDiffusers(string component, string caseName)
    {
        using var model = LoadModel(component);
        using var f = Case(component, caseName);
        using var inter = Case(component, caseName + "_intermediates");
        var seen = new Dictionary<string, float[]>();
        using (Run(model, f, (name, t) => seen[name] = t.ToArray<float>())) { }

        int compared = 0;
        foreach (var e in inter.Entries)
        {
            if (e.Name.StartsWith("rope.", StringComparison.Ordinal)) continue; // per-pair tables: RopeTablesMatchDiffusers
            Assert.That(seen.ContainsKey(e.Name), $"the model reported no intermediate '{e.Name}'");
            Numerics.AssertClose(seen[e.Name], inter.Read<float>(e.Name), Atol, Rtol, $"{component}/{caseName} {e.Name}");
            compared++;
        }
        Assert.That(compared, Is.GreaterThanOrEqualTo(12));
    }

    /// <summary>Block 0 alone, fed the golden patch embedding and condition-embedder outputs: localises block errors.</summary>
    [TestCase("wan_transformer_t2v", "case_b")]
    [TestCase("wan_transformer_i2v", "case_a")]
    public void Block0MatchesDiffusersFromGoldenInputs(string component, string caseName)
    {
        using var model = LoadModel(component);
        using var inter = Case(component, caseName + "_intermediates");
        using var scope = TensorScope.Begin();
        var be = Backend;
        var patch = Load(inter, "patch_embedding");                        // [B, inner, T', H', W']
        int b = patch.Size(0), inner = patch.Size(1);
        var grid = new VideoGrid(patch.Size(2), patch.Size(3), patch.Size(4));
        var x = be.Permute(patch.Reshape(b, inner, grid.Tokens), new[] { 0, 2, 1 });
        var text = Load(inter, "condition_embedder.encoder_hidden_states");
        var image = inter.Contains("condition_embedder.encoder_hidden_states_image") ? Load(inter, "condition_embedder.encoder_hidden_states_image") : null;
        var tproj = Load(inter, "condition_embedder.timestep_proj").Reshape(b, 6, inner);
        var (cos, sin) = WanRotaryPosEmbed.PairTables(model.Config.AttentionHeadDim, model.Config.RopeMaxSeqLen, grid);
        var cosT = Tensor.FromHost<float>(be.Allocator, cos, new[] { grid.Tokens, cos.Length / grid.Tokens });
        var sinT = Tensor.FromHost<float>(be.Allocator, sin, new[] { grid.Tokens, sin.Length / grid.Tokens });

        var y = model.Blocks[0].Forward(x, text, image, tproj, cosT, sinT, model.Attention, grid);
        Numerics.AssertClose(y.ToArray<float>(), inter.Read<float>("blocks.0"), Atol, Rtol, $"{component}/{caseName} blocks.0");
    }

    /// <summary>The per-pair tables equal diffusers' channel tables read at 0::2 (cos) and 1::2 (sin).</summary>
    [TestCase("wan_transformer_t2v", "case_a")]
    [TestCase("wan_transformer_i2v", "case_a")]
    public void RopeTablesMatchDiffusers(string component, string caseName)
    {
        using var inter = Case(component, caseName + "_intermediates");
        var gc = inter.Read<float>("rope.freqs_cos");   // [1, N, 1, D]
        var gs = inter.Read<float>("rope.freqs_sin");
        int d = inter.Entry("rope.freqs_cos").Shape[3];
        var (cos, sin) = WanRotaryPosEmbed.PairTables(d, 1024, new VideoGrid(3, 4, 6));
        int n = 72;
        Assert.That(cos.Length, Is.EqualTo(n * d / 2));
        var ec = new float[cos.Length];
        var es = new float[sin.Length];
        for (int t = 0; t < n; t++)
            for (int i = 0; i < d / 2; i++)
            {
                ec[t * d / 2 + i] = gc[t * d + 2 * i];
                es[t * d / 2 + i] = gs[t * d + 2 * i + 1];
                // diffusers repeats each frequency for both channels of a pair, so nothing is lost by keeping one.
                Assert.That(gc[t * d + 2 * i + 1], Is.EqualTo(gc[t * d + 2 * i]));
            }
        Numerics.AssertClose(cos, ec, 1e-7, 0, "rope cos");
        Numerics.AssertClose(sin, es, 1e-7, 0, "rope sin");
    }

    /// <summary>int64 timesteps (UniPC's) are converted exactly like diffusers' <c>.float()</c>.</summary>
    [Test]
    public void Int64TimestepsGiveTheSameOutput()
    {
        using var model = LoadModel("wan_transformer_t2v");
        using var f = Case("wan_transformer_t2v", "case_b");
        var ts = f.Read<float>("timestep").Select(v => (long)v).ToArray();
        Assert.That(ts.Select(v => (float)v), Is.EqualTo(f.Read<float>("timestep")), "case_b timesteps are integers");
        using var scope = TensorScope.Begin();
        var t = Tensor.FromHost<long>(Backend.Allocator, ts, new[] { ts.Length });
        var y = model.Forward(Load(f, "hidden_states"), t, Load(f, "encoder_hidden_states"));
        Numerics.AssertClose(y.ToArray<float>(), f.Read<float>("output"), Atol, Rtol, "case_b with I64 timesteps");
    }

    internal static Tensor Run(WanTransformer3DModel model, FastVideo.Loading.SafetensorsFile f, Action<string, Tensor>? inspect)
    {
        using var scope = TensorScope.Begin();
        var hs = Load(f, "hidden_states");
        var t = Load(f, "timestep");
        var ctx = Load(f, "encoder_hidden_states");
        var img = f.Contains("encoder_hidden_states_image") ? Load(f, "encoder_hidden_states_image") : null;
        return scope.Keep(model.Forward(hs, t, ctx, img, inspect));
    }
}

/// <summary>The transformer as the pipeline golden calls it: loaded from the pipeline folder, every denoising step.</summary>
public class WanTransformerPipelineGoldenTests
{
    /// <summary>
    /// noise_pred_cond/uncond[i] = transformer(latents before step i, t_i, prompt/negative embeds) for the 6 steps of
    /// the FlowMatch pipeline golden (latents before step 0 = latents_initial, before step i = latents_after_step[i−1]).
    /// </summary>
    [Test]
    public void EveryStepOfThePipelineGolden()
    {
        var folder = FastVideo.Loading.DiffusersFolder.Open(Golden.Path_("wan_pipeline_t2v", "pipeline"));
        using var model = WanTransformer3DModel.FromComponent(Backend, folder.Components.Single(c => c.Name == "transformer"));
        using var f = Case("wan_pipeline_t2v", "flowmatch_shift3");
        var timesteps = f.Read<float>("timesteps");
        var latentShape = f.Entry("latents_initial").Shape;
        int n = latentShape.Aggregate(1, (a, b) => a * b);
        var after = f.Read<float>("latents_after_step");
        var cond = f.Read<float>("noise_pred_cond");
        var uncond = f.Read<float>("noise_pred_uncond");
        using var scope = TensorScope.Begin();
        var prompt = Load(f, "prompt_embeds");
        var negative = Load(f, "negative_prompt_embeds");
        for (int i = 0; i < timesteps.Length; i++)
        {
            var latents = i == 0 ? f.Read<float>("latents_initial") : after.AsSpan((i - 1) * n, n).ToArray();
            var x = Tensor.FromHost<float>(Backend.Allocator, latents, latentShape);
            using var yc = model.Forward(x, new[] { timesteps[i] }, prompt);
            using var yu = model.Forward(x, new[] { timesteps[i] }, negative);
            Numerics.AssertClose(yc.ToArray<float>(), cond.AsSpan(i * n, n), Atol, Rtol, $"noise_pred_cond step {i} (t = {timesteps[i]})");
            Numerics.AssertClose(yu.ToArray<float>(), uncond.AsSpan(i * n, n), Atol, Rtol, $"noise_pred_uncond step {i} (t = {timesteps[i]})");
        }
    }
}
