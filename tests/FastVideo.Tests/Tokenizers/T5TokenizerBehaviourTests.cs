using FastVideo.Models.Tokenizers;
using FastVideo.Tests.Support;
using NUnit.Framework;

namespace FastVideo.Tests.Tokenizers;

/// <summary>Rules of transformers' T5Tokenizer beyond the golden strings, and input validation.</summary>
public class T5TokenizerBehaviourTests
{
    private static T5Tokenizer Fixture(bool legacy = true) =>
        T5Tokenizer.FromModelFile(Golden.Path_("tokenizer", "test_sentencepiece.model"), new T5TokenizerOptions { Legacy = legacy });

    [Test]
    public void EosIsNotAppendedTwice()
    {
        var tok = Fixture();
        var ids = tok.Encode("This is a test</s>");
        Assert.That(ids.Count(i => i == tok.EosId), Is.EqualTo(1));
        Assert.That(ids[^1], Is.EqualTo(tok.EosId));
    }

    [Test]
    public void TruncationKeepsRoomForEosAndMaskCountsRealTokens()
    {
        var tok = Fixture();
        var full = tok.Encode("The quick brown fox jumps over the lazy dog.", addSpecialTokens: false);
        var batch = tok.EncodeBatch(["The quick brown fox jumps over the lazy dog.", "a"], maxLength: 5);
        Assert.That(batch.Row(0).ToArray(), Is.EqualTo(full.Take(4).Select(i => (long)i).Append(tok.EosId).ToArray()));
        Assert.That(batch.SequenceLength(0), Is.EqualTo(5));
        Assert.That(batch.SequenceLength(1), Is.EqualTo(tok.Encode("a").Length));
        Assert.That(batch.Row(1)[^1], Is.EqualTo(tok.PadId));
        using var ids = batch.InputIdsTensor();
        using var mask = batch.AttentionMaskTensor();
        Assert.That(ids.Shape, Is.EqualTo(new[] { 2, 5 }));
        Assert.That(mask.ToArray<long>(), Is.EqualTo(batch.AttentionMask));
    }

    [Test]
    public void LiteralSpecialTokensAndLongestExtraIdMatch()
    {
        var tok = Fixture();
        // <extra_id_10> must not be read as <extra_id_1> followed by "0>".
        var ids = tok.Encode("a<extra_id_10>b<pad><unk>", addSpecialTokens: false);
        Assert.That(ids, Does.Contain(tok.TokenToId("<extra_id_10>")));
        Assert.That(ids, Does.Not.Contain(tok.TokenToId("<extra_id_1>")));
        Assert.That(ids[^2..], Is.EqualTo(new[] { tok.PadId, tok.UnkId }));
        Assert.That(tok.Decode(ids, skipSpecialTokens: false), Does.Contain("<extra_id_10>").And.Contain("<pad><unk>"));
    }

    [Test]
    public void InvalidArgumentsAreReported()
    {
        var tok = Fixture();
        Assert.Throws<ArgumentOutOfRangeException>(() => tok.EncodeBatch(["a"], 0));
        Assert.Throws<ArgumentException>(() => tok.EncodeBatch([], 8));
        var e = Assert.Throws<ArgumentException>(() => tok.EncodeBatch(["short", "The quick brown fox jumps"], 3, truncation: false));
        Assert.That(e!.Message, Does.Contain("texts[1]"));
        Assert.Throws<ArgumentOutOfRangeException>(() => tok.IdToToken(tok.Count));
        var missing = Path.Combine(Path.GetTempPath(), "no-such-tokenizer-folder");
        Assert.That(Assert.Throws<DirectoryNotFoundException>(() => T5Tokenizer.FromFolder(missing))!.Message, Does.Contain(missing));
    }

    [Test]
    public void CorruptModelFileIsRejectedWithItsName()
    {
        var path = Path.Combine(Path.GetTempPath(), $"fv-bad-spiece-{Environment.ProcessId}.model");
        File.WriteAllBytes(path, [0x0A, 0xFF, 0xFF, 0xFF]);
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => SentencePieceModelProto.Load(path));
            Assert.That(e!.Message, Does.Contain(path));
        }
        finally { File.Delete(path); }
    }
}
