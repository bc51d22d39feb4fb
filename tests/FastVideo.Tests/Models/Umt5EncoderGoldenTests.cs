using FastVideo.Backends.Cpu;
using FastVideo.Loading;
using FastVideo.Models.Encoders.Umt5;
using FastVideo.Tensors;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Models;

/// <summary>UMT5EncoderModel against transformers' outputs (golden/umt5_encoder, README section 4), atol = rtol = 1e-4.</summary>
public class Umt5EncoderGoldenTests
{
    private const double Tol = 1e-4;

    private static Umt5EncoderModel LoadGoldenModel() =>
        Umt5EncoderModel.FromFolder(CpuBackend.Default, Golden.Path_("umt5_encoder", "model"));

    [TestCase("case_a")]
    [TestCase("case_b")]
    public void LastHiddenStateAndWanPromptEmbedsMatch(string caseName)
    {
        using var model = LoadGoldenModel();
        using var st = SafetensorsFile.Open(Golden.Path_("umt5_encoder", caseName + ".safetensors"));
        using var ids = st.Load("input_ids");
        using var mask = st.Load("attention_mask");
        using var hidden = model.Forward(ids, mask);
        Assert.That(hidden.Shape, Is.EqualTo(st["last_hidden_state"].Shape));
        Numerics.AssertClose(hidden.ToArray<float>(), st.Read<float>("last_hidden_state"), Tol, Tol, $"{caseName} last_hidden_state");
        using var wan = model.EncodePrompts(ids, mask);
        Numerics.AssertClose(wan.ToArray<float>(), st.Read<float>("wan_prompt_embeds"), Tol, Tol, $"{caseName} wan_prompt_embeds");
    }

    [Test]
    public void HiddenStatesMatchIntermediates()
    {
        using var model = LoadGoldenModel();
        using var st = SafetensorsFile.Open(Golden.Path_("umt5_encoder", "case_a.safetensors"));
        using var inter = SafetensorsFile.Open(Golden.Path_("umt5_encoder", "case_a_intermediates.safetensors"));
        using var ids = st.Load("input_ids");
        using var mask = st.Load("attention_mask");
        var states = new List<Tensor>();
        try
        {
            using var hidden = model.Forward(ids, mask, states);
            Assert.That(states, Has.Count.EqualTo(3), "embeddings, block 0 output, final normed output");
            for (int i = 0; i < states.Count; i++)
                Numerics.AssertClose(states[i].ToArray<float>(), inter.Read<float>($"hidden_states.{i}"), Tol, Tol, $"hidden_states.{i}");
            Assert.That(states[^1].ToArray<float>(), Is.EqualTo(hidden.ToArray<float>()), "last hidden state = output");
        }
        finally
        {
            foreach (var t in states) t.Dispose();
        }
    }

    [Test]
    public void PaddedPositionsAreZeroInWanEmbedsOnly()
    {
        using var model = LoadGoldenModel();
        using var st = SafetensorsFile.Open(Golden.Path_("umt5_encoder", "case_a.safetensors"));
        using var ids = st.Load("input_ids");
        using var mask = st.Load("attention_mask");
        using var wan = model.EncodePrompts(ids, mask);
        var m = mask.ToArray<long>();
        var e = wan.ToArray<float>();
        int length = ids.Size(1), d = model.Config.DModel;
        int zeroRows = 0;
        for (int p = 0; p < m.Length; p++)
        {
            bool allZero = e.AsSpan(p * d, d).IndexOfAnyExcept(0f) < 0;
            Assert.That(allZero, Is.EqualTo(m[p] == 0), $"position {p / length},{p % length}");
            if (allZero) zeroRows++;
        }
        Assert.That(zeroRows, Is.EqualTo(24 - 13), "row 1 of case_a has 13 tokens");
    }
}

/// <summary>
/// WanPipeline's text path end to end on the saved tiny pipeline (golden/wan_pipeline_t2v/pipeline): prompt cleaning,
/// the tokenizer folder, the text_encoder folder, padding to max_sequence_length and zeroing past each length.
/// </summary>
public class Umt5WanPromptEncodingTests
{
    [Test]
    public void PromptAndNegativePromptEmbedsMatchPipeline()
    {
        var pipeline = Golden.Path_("wan_pipeline_t2v", "pipeline");
        var tok = FastVideo.Models.Tokenizers.T5Tokenizer.FromFolder(Path.Combine(pipeline, "tokenizer"));
        using var model = Umt5EncoderModel.FromFolder(CpuBackend.Default, Path.Combine(pipeline, "text_encoder"));
        using var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Golden.Path_("wan_pipeline_t2v", "manifest.json")));
        var call = manifest.RootElement.GetProperty("call");
        using var st = SafetensorsFile.Open(Golden.Path_("wan_pipeline_t2v", "flowmatch_shift3.safetensors"));
        foreach (var (key, golden) in new[] { ("prompt", "prompt_embeds"), ("negative_prompt", "negative_prompt_embeds") })
        {
            var text = FastVideo.Models.Tokenizers.PromptCleaner.Clean(call.GetProperty(key).GetString()!);
            var batch = tok.EncodeBatch([text], call.GetProperty("max_sequence_length").GetInt32());
            using var ids = batch.InputIdsTensor();
            using var mask = batch.AttentionMaskTensor();
            using var embeds = model.EncodePrompts(ids, mask);
            Assert.That(embeds.Shape, Is.EqualTo(st[golden].Shape), golden);
            Numerics.AssertClose(embeds.ToArray<float>(), st.Read<float>(golden), 1e-4, 1e-4, golden);
        }
    }
}
