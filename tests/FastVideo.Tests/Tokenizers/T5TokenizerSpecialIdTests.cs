using System.Text.Json;
using FastVideo.Loading;
using FastVideo.Models.Tokenizers;
using FastVideo.Tests.Support;
using Google.Protobuf;
using Microsoft.ML.Tokenizers;
using NUnit.Framework;

namespace FastVideo.Tests.Tokenizers;

/// <summary>
/// SentencePiece models with T5's special-id layout: the real umt5/Wan <c>spiece.model</c> has trainer_spec pad 0,
/// eos 1, unk 2 and no BOS (bos_id −1), which Microsoft.ML.Tokenizers 2.0.1 cannot load as is. The models are the
/// transformers fixture with trainer_spec overrides appended (protobuf merges repeated embedded messages, as
/// transformers' MergeFrom does), so the golden ids still apply: T5 never adds a BOS.
/// </summary>
public class T5TokenizerSpecialIdTests
{
    private static byte[] FixtureBytes => File.ReadAllBytes(Golden.Path_("tokenizer", "test_sentencepiece.model"));

    private static JsonElement Goldens()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Golden.Path_("tokenizer", "tokenizer_goldens.json")));
        return doc.RootElement.Clone();
    }

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    /// <summary>Serialized TrainerSpec holding only the given int32 ids (field → value) and strings.</summary>
    private static byte[] TrainerOverride(IEnumerable<(int Field, int Value)> ids, IEnumerable<(int Field, string Value)>? pieces = null)
    {
        var body = new MemoryStream();
        var b = new CodedOutputStream(body);
        foreach (var (f, v) in ids) { b.WriteTag(f, WireFormat.WireType.Varint); b.WriteInt32(v); }
        foreach (var (f, v) in pieces ?? []) { b.WriteTag(f, WireFormat.WireType.LengthDelimited); b.WriteString(v); }
        b.Flush();
        return Field(2, body.ToArray());
    }

    private static byte[] Field(int field, byte[] message)
    {
        var ms = new MemoryStream();
        var o = new CodedOutputStream(ms);
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(message));
        o.Flush();
        return ms.ToArray();
    }

    private static byte[] Piece(string piece, int type)
    {
        var ms = new MemoryStream();
        var o = new CodedOutputStream(ms);
        o.WriteTag(1, WireFormat.WireType.LengthDelimited);
        o.WriteString(piece);
        o.WriteTag(2, WireFormat.WireType.Fixed32);
        o.WriteFloat(0f);
        o.WriteTag(3, WireFormat.WireType.Varint);
        o.WriteEnum(type);
        o.Flush();
        return Field(1, ms.ToArray());
    }

    /// <summary>The fixture (unk 0, bos 1, eos 2) with trainer_spec bos_id = −1.</summary>
    private static byte[] FixtureWithoutBos() => [.. FixtureBytes, .. TrainerOverride([(41, -1)])];

    /// <summary>
    /// The fixture relaid out as T5: pieces 0..2 become &lt;pad&gt; (CONTROL), &lt;/s&gt; (CONTROL), &lt;unk&gt; (UNKNOWN);
    /// pieces 3..999, the normalizer and its character map are untouched; trainer_spec pad 0, eos 1, unk 2, bos −1.
    /// </summary>
    private static byte[] T5Layout()
    {
        var input = new CodedInputStream(FixtureBytes);
        var output = new MemoryStream();
        int piece = 0;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var value = input.ReadBytes(); // every top-level ModelProto field is length-delimited
            if (tag >> 3 == 1 && piece < 3)
                output.Write(piece switch { 0 => Piece("<pad>", 3), 1 => Piece("</s>", 3), _ => Piece("<unk>", 2) });
            else
                output.Write(Field((int)(tag >> 3), value.ToByteArray()));
            if (tag >> 3 == 1) piece++;
        }
        output.Write(TrainerOverride([(40, 2), (41, -1), (42, 1), (43, 0)], [(45, "<unk>"), (47, "</s>"), (48, "<pad>")]));
        return output.ToArray();
    }

    /// <summary>Fixture ids → T5-layout ids: unk 0 → 2, eos 2 → 1, the added &lt;pad&gt; 1100 → piece 0.</summary>
    private static long ToT5Layout(long id) => id switch { 0 => 2, 2 => 1, 1100 => 0, _ => id };

    private static T5Tokenizer Tokenizer(byte[] model, bool legacy) =>
        new(SentencePieceModelProto.Parse(model, "in-memory spiece.model"), new T5TokenizerOptions { Legacy = legacy, ExtraIds = 100 });

    [Test]
    public void MicrosoftMlCannotLoadANegativeBosIdAsIs()
    {
        // Why T5Tokenizer hands the library a trainer_spec override: its unigram model indexes the piece table with bos_id.
        using var s = new MemoryStream(FixtureWithoutBos());
        Assert.Throws<IndexOutOfRangeException>(() => SentencePieceTokenizer.Create(s, addBeginningOfSentence: false, addEndOfSentence: false));
        var proto = SentencePieceModelProto.Parse(FixtureWithoutBos(), "fixture without bos");
        Assert.That((proto.SpecialIds.UnkId, proto.SpecialIds.BosId, proto.SpecialIds.EosId, proto.SpecialIds.PadId), Is.EqualTo((0, -1, 2, -1)));
    }

    [TestCase(true, "legacy_true")]
    [TestCase(false, "legacy_false")]
    public void ModelWithoutBosTokenizesLikeTheGoldens(bool legacy, string variant)
    {
        var tok = Tokenizer(FixtureWithoutBos(), legacy);
        foreach (var s in Goldens().GetProperty("variants").GetProperty(variant).GetProperty("strings").EnumerateArray())
        {
            var text = s.GetProperty("text").GetString()!;
            Assert.That(tok.Encode(text), Is.EqualTo(Ints(s.GetProperty("input_ids"))), $"input_ids of \"{text}\"");
            Assert.That(tok.Decode(Ints(s.GetProperty("input_ids"))), Is.EqualTo(s.GetProperty("decoded").GetString()), $"decode of \"{text}\"");
        }
        foreach (var c in Goldens().GetProperty("sentencepiece_encode").EnumerateArray())
            Assert.That(tok.SentencePieceIds(c.GetProperty("text").GetString()!), Is.EqualTo(Ints(c.GetProperty("ids"))));
    }

    [TestCase(true, "legacy_true", "padded_legacy_true.safetensors")]
    [TestCase(false, "legacy_false", "padded_legacy_false.safetensors")]
    public void T5LayoutTokenizesLikeTheGoldensWithItsSpecialIds(bool legacy, string variant, string padded)
    {
        var tok = Tokenizer(T5Layout(), legacy);
        Assert.That((tok.PadId, tok.EosId, tok.UnkId), Is.EqualTo((0, 1, 2)));
        Assert.That((tok.VocabSize, tok.Count), Is.EqualTo((1000, 1100)), "<pad> is a piece, not an added token");
        Assert.That((tok.TokenToId("<extra_id_0>"), tok.TokenToId("<extra_id_99>")), Is.EqualTo((1099, 1000)));

        var strings = Goldens().GetProperty("variants").GetProperty(variant).GetProperty("strings");
        int unknowns = 0;
        foreach (var s in strings.EnumerateArray())
        {
            var text = s.GetProperty("text").GetString()!;
            var expected = Ints(s.GetProperty("input_ids")).Select(i => (int)ToT5Layout(i)).ToArray();
            var ids = tok.Encode(text);
            Assert.That(ids, Is.EqualTo(expected), $"input_ids of \"{text}\"");
            unknowns += ids.Count(i => i == 2);
            Assert.That(tok.Decode(ids), Is.EqualTo(s.GetProperty("decoded").GetString()), $"decode of \"{text}\"");
        }
        Assert.That(unknowns, Is.GreaterThan(0), "the strings exercise the unknown id (trainer_spec unk_id 2)");

        var texts = strings.EnumerateArray().Select(s => s.GetProperty("text").GetString()!).ToArray();
        using var st = SafetensorsFile.Open(Golden.Path_("tokenizer", padded));
        var batch = tok.EncodeBatch(texts, maxLength: 16);
        Assert.That(batch.InputIds, Is.EqualTo(st.Read<long>("input_ids").Select(ToT5Layout).ToArray()), "input_ids");
        Assert.That(batch.AttentionMask, Is.EqualTo(st.Read<long>("attention_mask")), "attention_mask");
    }

    [Test]
    public void UnknownIdComesFromThePieceTypeNotFromTrainerSpec()
    {
        // SentencePiece emits the piece of type UNKNOWN; a stale trainer_spec.unk_id (here 5, a normal piece) must not leak.
        var model = (byte[])[.. FixtureBytes, .. TrainerOverride([(40, 5)])];
        var tok = Tokenizer(model, legacy: true);
        var reference = Tokenizer(FixtureBytes, legacy: true);
        const string text = "\u4e2d\u6587 unknown \u4e2d";
        Assert.That(tok.Encode(text), Is.EqualTo(reference.Encode(text)));
        Assert.That(tok.Encode(text), Does.Contain(0));
    }

    [Test]
    public void ExtraIdsAndAdditionalSpecialTokensFollowTransformersInit()
    {
        var model = SentencePieceModelProto.Parse(FixtureBytes, "fixture");
        // additional_special_tokens naming no extra id: the extra_ids names are appended and stay special;
        // new special tokens take len(vocab) onwards in the order eos, unk, pad, additional.
        var tok = new T5Tokenizer(model, new T5TokenizerOptions { AdditionalSpecialTokens = ["<special_a>"], ExtraIds = 100 });
        Assert.That((tok.TokenToId("<extra_id_0>"), tok.PadId, tok.TokenToId("<special_a>")), Is.EqualTo((1099, 1100, 1101)));
        Assert.That(tok.IsSpecialId(1099) && tok.IsSpecialId(1101), Is.True);
        Assert.That(tok.Encode("a<special_a>b", addSpecialTokens: false), Does.Contain(1101));

        // Named extra ids: the i-th sits at len(sp_model) − 1 + extra_ids − i.
        var named = new T5Tokenizer(model, new T5TokenizerOptions { AdditionalSpecialTokens = ["<extra_id_0>", "<extra_id_1>"], ExtraIds = 2 });
        Assert.That((named.TokenToId("<extra_id_0>"), named.TokenToId("<extra_id_1>"), named.PadId), Is.EqualTo((1001, 1000, 1002)));

        var e = Assert.Throws<InvalidDataException>(() =>
            new T5Tokenizer(model, new T5TokenizerOptions { AdditionalSpecialTokens = ["<extra_id_0>"], ExtraIds = 100, Source = "tok-folder" }));
        Assert.That(e!.Message, Does.Contain("tok-folder").And.Contain("extra_ids"));
    }
}
