using FastVideo.Models.Smoke;
using FastVideo.Models.Tokenizers;
using Microsoft.ML.Tokenizers;
using NUnit.Framework;

namespace FastVideo.Tests.Smoke;

/// <summary>The smoke tokenizer's spiece.model (written by our protobuf encoder) read by Microsoft.ML.Tokenizers,
/// by the project's own model parser and by the project's T5Tokenizer over the whole tokenizer folder.</summary>
public class SmokeTokenizerTests
{
    private const string Prompt = "A cat walks on the grass, realistic style.";

    private static string TokenizerFolder => Path.Combine(SmokeFolderFixture.Folder, "tokenizer");
    private static string SpiecePath => Path.Combine(TokenizerFolder, "spiece.model");

    [Test]
    public void ModelProtoParsesBackToTheVocabulary()
    {
        var pieces = SmokeVocabulary.Build();
        var proto = SentencePieceModelProto.Load(SpiecePath);
        Assert.That(proto.Pieces, Is.EqualTo(pieces.Select(p => p.Piece).ToList()));
        Assert.That(proto.Types.Select(t => (int)t), Is.EqualTo(pieces.Select(p => p.Type).ToList()));
        Assert.That(proto.ModelType, Is.EqualTo(1), "unigram");
        Assert.That(proto.UnknownId, Is.EqualTo(2));
        Assert.That(proto.AddDummyPrefix && proto.RemoveExtraWhitespaces && proto.EscapeWhitespaces, Is.True);
        Assert.That(proto.Pieces.Take(3), Is.EqualTo(new[] { "<pad>", "</s>", "<unk>" }), "the real umt5 layout");
        Assert.That(proto.Count, Is.InRange(300, 2000));
        Assert.That(proto.Pieces.Distinct().Count(), Is.EqualTo(proto.Count), "pieces are unique");
    }

    [Test]
    public void MicrosoftSentencePieceTokenizerEncodesAPromptToWholeWords()
    {
        using var stream = File.OpenRead(SpiecePath);
        var sp = SentencePieceTokenizer.Create(stream, false, false);
        var tokens = sp.EncodeToTokens(Prompt, out _).Select(t => t.Value).ToArray();
        Assert.That(tokens, Is.EqualTo(new[] { "▁A", "▁cat", "▁walks", "▁on", "▁the", "▁grass", ",", "▁realistic", "▁style", "." }));
        Assert.That(sp.Decode(sp.EncodeToIds(Prompt)), Is.EqualTo(Prompt));
    }

    [Test]
    public void UnknownWordsFallBackToPiecesAndNonAsciiToUnk()
    {
        using var stream = File.OpenRead(SpiecePath);
        var sp = SentencePieceTokenizer.Create(stream, false, false);
        var ids = sp.EncodeToIds("xylophone");
        Assert.That(ids, Has.Count.GreaterThan(1), "not a vocabulary word: split into smaller pieces");
        Assert.That(ids, Has.No.Member(2), "ASCII text never needs <unk>");
        Assert.That(sp.Decode(ids), Is.EqualTo("xylophone"));
        Assert.That(sp.EncodeToIds("caf\u00e9"), Has.Member(2), "é is outside the vocabulary");
    }

    [Test]
    public void T5TokenizerLoadsTheFolderWithUmt5SpecialIds()
    {
        var tok = T5Tokenizer.FromFolder(TokenizerFolder);
        int pieces = SmokeVocabulary.Build().Count;
        Assert.That(tok.PadId, Is.EqualTo(0));
        Assert.That(tok.EosId, Is.EqualTo(1));
        Assert.That(tok.UnkId, Is.EqualTo(2));
        Assert.That(tok.VocabSize, Is.EqualTo(pieces));
        Assert.That(tok.Count, Is.EqualTo(pieces + SmokeTokenizerFiles.ExtraIds));
        Assert.That(tok.TokenToId("<extra_id_0>"), Is.EqualTo(pieces + SmokeTokenizerFiles.ExtraIds - 1));
        Assert.That(tok.TokenToId("<extra_id_99>"), Is.EqualTo(pieces));
    }

    [Test]
    public void T5TokenizerEncodesThePromptAsWanPipelineDoes()
    {
        var tok = T5Tokenizer.FromFolder(TokenizerFolder);
        var ids = tok.Encode(Prompt);
        Assert.That(ids.Select(tok.IdToToken), Is.EqualTo(new[] { "▁A", "▁cat", "▁walks", "▁on", "▁the", "▁grass", ",", "▁realistic", "▁style", ".", "</s>" }));
        Assert.That(tok.Decode(ids), Is.EqualTo(Prompt));

        var batch = tok.EncodeBatch([Prompt, "blurry, low quality, static"], SmokeModel.MaxSequenceLength);
        var row0 = batch.InputIds.Take(SmokeModel.MaxSequenceLength).ToArray();
        Assert.That(row0.Take(ids.Length), Is.EqualTo(ids.Select(i => (long)i)));
        Assert.That(row0.Skip(ids.Length), Is.All.EqualTo(0L), "padded with <pad> = 0");
        Assert.That(batch.AttentionMask.Take(SmokeModel.MaxSequenceLength).Sum(), Is.EqualTo(ids.Length));
    }

    [Test]
    public void DefaultNegativePromptIsTruncatedToTheSmokeSequenceLength()
    {
        var tok = T5Tokenizer.FromFolder(TokenizerFolder);
        var full = tok.Encode(SmokeModel.Preset.NegativePrompt);
        Assert.That(full.Length, Is.GreaterThan(SmokeModel.MaxSequenceLength), "the long Wan negative prompt");
        Assert.That(full, Has.No.Member(tok.UnkId));
        var batch = tok.EncodeBatch([SmokeModel.Preset.NegativePrompt], SmokeModel.MaxSequenceLength);
        Assert.That(batch.InputIds[SmokeModel.MaxSequenceLength - 1], Is.EqualTo((long)tok.EosId));
    }
}
