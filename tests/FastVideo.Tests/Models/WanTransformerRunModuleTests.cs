using System.Text.Json;
using FastVideo.Cli;
using FastVideo.Loading;
using FastVideo.Models.Dits.Wan;
using FastVideo.Tensors;
using FastVideo.Tests.Cli;
using FastVideo.Tests.Loading;
using FastVideo.Tests.Support;
using NUnit.Framework;
using static FastVideo.Tests.Models.WanGolden;

namespace FastVideo.Tests.Models;

/// <summary>
/// <c>fastvideo run-module</c> on the transformer with inputs beyond the goldens' forms: per-token timesteps,
/// I2V text lengths other than 512, FLF2V image pairs, and a 0-d timestep (rejected with the model's message).
/// </summary>
public class WanTransformerRunModuleTests
{
    /// <summary>
    /// T2V case_b with its timesteps given per token, [2, 72] (every token of a sample at that sample's t): the
    /// per-token path must reproduce the golden.
    /// </summary>
    [Test]
    public void PerTokenTimestepsReproduceTheGolden()
    {
        using var dir = new TempDir();
        var golden = Golden.Path_("wan_transformer_t2v", "case_b.safetensors");
        using (var g = SafetensorsFile.Open(golden))
        {
            var ts = g.Read<float>("timestep");
            CliTestSupport.WriteF32(dir.File("in.safetensors"),
                ("hidden_states", g.Read<float>("hidden_states"), g.Entry("hidden_states").Shape),
                ("encoder_hidden_states", g.Read<float>("encoder_hidden_states"), g.Entry("encoder_hidden_states").Shape),
                ("timestep", ts.SelectMany(t => Enumerable.Repeat(t, 72)).ToArray(), new[] { 2, 72 }));
        }
        var run = CliTestSupport.Run("run-module", ModelDir("wan_transformer_t2v"), "-i", dir.File("in.safetensors"), "-o", dir.File("out.safetensors"));
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Stdout, Does.Contain("timestep").And.Contain("[2, 72] F32"));
        using var actual = SafetensorsFile.Open(dir.File("out.safetensors"));
        using var expected = SafetensorsFile.Open(golden);
        Numerics.AssertClose(actual.Read<float>("output"), expected.Read<float>("output"), Atol, Rtol, "per-token case_b");
    }

    /// <summary>A tiny FLF2V model folder (written as diffusers writes one) with 300 text tokens: run-module equals the in-process forward.</summary>
    [Test]
    public void TinyFlf2vFolderWithShortText()
    {
        var c = WanTransformerReferenceTests.TinyI2V() with { PosEmbedSeqLen = 6 };
        var ck = WanTinyCheckpoint.Random(c, 80);
        using var dir = new TempDir();
        var folder = WriteFolder(ck, dir.File("transformer"));
        int[] hs = { 1, c.InChannels, 2, 2, 4 }, txs = { 1, 300, c.TextDim }, ims = { 2, 3, c.ImageDim!.Value };
        var x = Numerics.RandomNormal(hs.Aggregate(1, (a, b) => a * b), 1);
        var text = Numerics.RandomNormal(txs.Aggregate(1, (a, b) => a * b), 2);
        var image = Numerics.RandomNormal(ims.Aggregate(1, (a, b) => a * b), 3);
        CliTestSupport.WriteF32(dir.File("in.safetensors"), ("hidden_states", x, hs), ("timestep", new[] { 700f }, new[] { 1 }),
            ("encoder_hidden_states", text, txs), ("encoder_hidden_states_image", image, ims));
        var run = CliTestSupport.Run("run-module", folder, "-i", dir.File("in.safetensors"), "-o", dir.File("out.safetensors"));
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());

        using var model = WanTransformer3DModel.FromFolder(Backend, folder);
        using var scope = TensorScope.Begin();
        var be = Backend.Allocator;
        var y = model.Forward(Tensor.FromHost<float>(be, x, hs), Tensor.FromHost<float>(be, new[] { 700f }, new[] { 1 }),
            Tensor.FromHost<float>(be, text, txs), Tensor.FromHost<float>(be, image, ims));
        using var actual = SafetensorsFile.Open(dir.File("out.safetensors"));
        Assert.That(actual.Names, Is.EqualTo(new[] { "output" }));
        Assert.That(actual.Entry("output").Shape, Is.EqualTo(y.Shape));
        Assert.That(actual.Read<float>("output"), Is.EqualTo(y.ToArray<float>()));
    }

    [Test]
    public void ScalarTimestepIsTheModelsMessage()
    {
        using var dir = new TempDir();
        CliTestSupport.CopyTensors(Golden.Path_("wan_transformer_t2v", "case_a.safetensors"), dir.File("in.safetensors"), "hidden_states", "encoder_hidden_states");
        using (var src = SafetensorsFile.Open(dir.File("in.safetensors")))
        {
            var tensors = src.Names.ToDictionary(n => n, n => src.Load(n));
            tensors["timestep"] = Tensor.FromHost<float>(new[] { 500f });
            try
            {
                SafetensorsWriter.Save(dir.File("in0.safetensors"), tensors);
            }
            finally
            {
                foreach (var t in tensors.Values) t.Dispose();
            }
        }
        var run = CliTestSupport.Run("run-module", ModelDir("wan_transformer_t2v"), "-i", dir.File("in0.safetensors"), "-o", dir.File("out.safetensors"));
        CliTestSupport.AssertError(run, CliApp.ExitFailure, "timestep is a 0-d scalar", "[1]");
    }

    /// <summary>config.json (diffusers' keys) and diffusion_pytorch_model.safetensors for a tiny checkpoint.</summary>
    internal static string WriteFolder(WanTinyCheckpoint ck, string folder)
    {
        Directory.CreateDirectory(folder);
        var c = ck.Config;
        var json = new Dictionary<string, object?>
        {
            ["_class_name"] = "WanTransformer3DModel", ["_diffusers_version"] = "0.35.2",
            ["patch_size"] = c.PatchSize, ["num_attention_heads"] = c.NumAttentionHeads, ["attention_head_dim"] = c.AttentionHeadDim,
            ["in_channels"] = c.InChannels, ["out_channels"] = c.OutChannels, ["text_dim"] = c.TextDim, ["freq_dim"] = c.FreqDim,
            ["ffn_dim"] = c.FfnDim, ["num_layers"] = c.NumLayers, ["cross_attn_norm"] = c.CrossAttnNorm, ["qk_norm"] = c.QkNorm,
            ["eps"] = c.Eps, ["image_dim"] = c.ImageDim, ["added_kv_proj_dim"] = c.AddedKvProjDim,
            ["rope_max_seq_len"] = c.RopeMaxSeqLen, ["pos_embed_seq_len"] = c.PosEmbedSeqLen,
        };
        File.WriteAllText(Path.Combine(folder, "config.json"), JsonSerializer.Serialize(json));
        var tensors = ck.Params.ToDictionary(p => p.Key, p => Tensor.FromHost<float>(p.Value.Values, p.Value.Shape));
        try
        {
            SafetensorsWriter.Save(Path.Combine(folder, "diffusion_pytorch_model.safetensors"), tensors);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
        return folder;
    }
}
