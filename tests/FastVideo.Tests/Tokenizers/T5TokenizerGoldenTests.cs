using System.Text.Json;
using FastVideo.Loading;
using FastVideo.Models.Tokenizers;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Tokenizers;

/// <summary>
/// T5Tokenizer against transformers' slow T5Tokenizer on its test fixture (golden/tokenizer, README section 7):
/// every golden string with and without &lt;/s&gt;, the tokens, the decoded text, the raw SentencePiece ids,
/// and the padded/truncated batch of the WanPipeline call pattern, for legacy True and False.
/// </summary>
public class T5TokenizerGoldenTests
{
    private static JsonElement Goldens()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Golden.Path_("tokenizer", "tokenizer_goldens.json")));
        return doc.RootElement.Clone();
    }

    private static T5Tokenizer Fixture(bool legacy) =>
        T5Tokenizer.FromModelFile(Golden.Path_("tokenizer", "test_sentencepiece.model"), new T5TokenizerOptions { Legacy = legacy, ExtraIds = 100 });

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    [Test]
    public void RawSentencePieceIdsMatch()
    {
        var tok = Fixture(legacy: true);
        foreach (var c in Goldens().GetProperty("sentencepiece_encode").EnumerateArray())
        {
            var text = c.GetProperty("text").GetString()!;
            Assert.That(tok.SentencePieceIds(text), Is.EqualTo(Ints(c.GetProperty("ids"))), $"sentencepiece ids of \"{text}\"");
        }
    }

    [TestCase(true, "legacy_true")]
    [TestCase(false, "legacy_false")]
    public void VocabularyLayoutMatches(bool legacy, string variant)
    {
        var v = Goldens().GetProperty("variants").GetProperty(variant);
        var tok = Fixture(legacy);
        Assert.That(tok.VocabSize, Is.EqualTo(v.GetProperty("vocab_size").GetInt32()), "vocab_size");
        Assert.That(tok.Count, Is.EqualTo(v.GetProperty("len").GetInt32()), "len(tokenizer)");
        var special = v.GetProperty("special_ids");
        Assert.That(tok.PadId, Is.EqualTo(special.GetProperty("pad").GetInt32()), "pad id (an added token)");
        Assert.That(tok.EosId, Is.EqualTo(special.GetProperty("eos").GetInt32()), "eos id");
        Assert.That(tok.UnkId, Is.EqualTo(special.GetProperty("unk").GetInt32()), "unk id");
        Assert.That(tok.TokenToId("<extra_id_0>"), Is.EqualTo(v.GetProperty("extra_id_0").GetInt32()));
        Assert.That(tok.TokenToId("<extra_id_99>"), Is.EqualTo(v.GetProperty("extra_id_99").GetInt32()));
    }

    [TestCase(true, "legacy_true")]
    [TestCase(false, "legacy_false")]
    public void EveryStringMatches(bool legacy, string variant)
    {
        var tok = Fixture(legacy);
        var strings = Goldens().GetProperty("variants").GetProperty(variant).GetProperty("strings");
        Assert.That(strings.GetArrayLength(), Is.EqualTo(10));
        foreach (var s in strings.EnumerateArray())
        {
            var text = s.GetProperty("text").GetString()!;
            var ids = Ints(s.GetProperty("input_ids"));
            Assert.That(tok.Encode(text), Is.EqualTo(ids), $"input_ids of \"{text}\"");
            Assert.That(tok.Encode(text, addSpecialTokens: false), Is.EqualTo(Ints(s.GetProperty("input_ids_no_special"))), $"ids without </s> of \"{text}\"");
            var tokens = s.GetProperty("tokens").EnumerateArray().Select(x => x.GetString()).ToArray();
            Assert.That(ids.Select(tok.IdToToken).ToArray(), Is.EqualTo(tokens), $"tokens of \"{text}\"");
            Assert.That(tok.Decode(ids), Is.EqualTo(s.GetProperty("decoded").GetString()), $"decode of \"{text}\"");
        }
    }

    [TestCase(true, "padded_legacy_true.safetensors")]
    [TestCase(false, "padded_legacy_false.safetensors")]
    public void PaddedTruncatedBatchMatches(bool legacy, string file)
    {
        var tok = Fixture(legacy);
        var texts = Goldens().GetProperty("variants").GetProperty(legacy ? "legacy_true" : "legacy_false").GetProperty("strings")
            .EnumerateArray().Select(s => s.GetProperty("text").GetString()!).ToArray();
        using var st = SafetensorsFile.Open(Golden.Path_("tokenizer", file));
        var batch = tok.EncodeBatch(texts, maxLength: 16);
        Assert.That(st["input_ids"].Shape, Is.EqualTo(new[] { texts.Length, 16 }));
        Assert.That(batch.InputIds, Is.EqualTo(st.Read<long>("input_ids")), "input_ids");
        Assert.That(batch.AttentionMask, Is.EqualTo(st.Read<long>("attention_mask")), "attention_mask");
    }

    [Test]
    public void PipelineTokenizerFolderReproducesWanPipelineInputs()
    {
        var tok = T5Tokenizer.FromFolder(Golden.Path_("wan_pipeline_t2v", "pipeline", "tokenizer"));
        Assert.That(tok.Legacy, Is.True);
        Assert.That(tok.PadId, Is.EqualTo(1100));
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Golden.Path_("wan_pipeline_t2v", "manifest.json")));
        var call = manifest.RootElement.GetProperty("call");
        var prompts = new[] { call.GetProperty("prompt").GetString()!, call.GetProperty("negative_prompt").GetString()! };
        int maxLen = call.GetProperty("max_sequence_length").GetInt32();
        var batch = tok.EncodeBatch(prompts.Select(PromptCleaner.Clean).ToArray(), maxLen);
        using var st = SafetensorsFile.Open(Golden.Path_("wan_pipeline_t2v", "flowmatch_shift3.safetensors"));
        Assert.That(batch.InputIds, Is.EqualTo(st.Read<long>("input_ids")), "input_ids (prompt, negative prompt)");
        Assert.That(batch.AttentionMask, Is.EqualTo(st.Read<long>("attention_mask")), "attention_mask");
    }
}
