using FastVideo.Models.Smoke;
using Google.Protobuf;
using NUnit.Framework;

namespace FastVideo.Tests.Smoke;

/// <summary>The hand-written protobuf encoder, read back with Google.Protobuf's own decoder.</summary>
public class SentencePieceModelWriterTests
{
    private static readonly SentencePiece[] Tiny =
    [
        new("<pad>", 0f, SentencePiece.Control),
        new("</s>", 0f, SentencePiece.Control),
        new("<unk>", 0f, SentencePiece.Unknown),
        new("\u2581h\u00e9", -1.5f, SentencePiece.Normal),
        new("x", -12.25f, SentencePiece.UserDefined),
    ];

    /// <summary>field number → values (varints as long, fixed32 as float bits, length-delimited as bytes).</summary>
    private static Dictionary<int, List<object>> Fields(ByteString bytes)
    {
        var fields = new Dictionary<int, List<object>>();
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            int field = WireFormat.GetTagFieldNumber(tag);
            object value = WireFormat.GetTagWireType(tag) switch
            {
                WireFormat.WireType.Varint => input.ReadInt64(),
                WireFormat.WireType.Fixed32 => input.ReadFloat(),
                WireFormat.WireType.LengthDelimited => input.ReadBytes(),
                var w => throw new AssertionException($"unexpected wire type {w} for field {field}"),
            };
            if (!fields.TryGetValue(field, out var list)) fields[field] = list = new List<object>();
            list.Add(value);
        }
        return fields;
    }

    [Test]
    public void ModelProtoDecodesWithGoogleProtobuf()
    {
        var bytes = SentencePieceModelWriter.Serialize(new SentencePieceModelSpec { Pieces = Tiny, BosId = -1 });
        var model = Fields(ByteString.CopyFrom(bytes));
        Assert.That(model.Keys, Is.EqualTo(new[] { 1, 2, 3 }), "pieces, trainer_spec, normalizer_spec in field order");
        Assert.That(model[1], Has.Count.EqualTo(Tiny.Length));
        for (int i = 0; i < Tiny.Length; i++)
        {
            var piece = Fields((ByteString)model[1][i]);
            Assert.That(((ByteString)piece[1][0]).ToStringUtf8(), Is.EqualTo(Tiny[i].Piece));
            Assert.That((float)piece[2][0], Is.EqualTo(Tiny[i].Score));
            Assert.That((long)piece[3][0], Is.EqualTo(Tiny[i].Type));
        }

        var trainer = Fields((ByteString)model[2][0]);
        Assert.That((long)trainer[3][0], Is.EqualTo(1), "model_type UNIGRAM");
        Assert.That((long)trainer[4][0], Is.EqualTo(Tiny.Length), "vocab_size");
        Assert.That((long)trainer[35][0], Is.EqualTo(0), "byte_fallback");
        Assert.That(((long)trainer[40][0], (long)trainer[41][0], (long)trainer[42][0], (long)trainer[43][0]), Is.EqualTo((2L, -1L, 1L, 0L)),
            "unk, bos (negative int32: a 10-byte varint), eos, pad ids");
        Assert.That(((ByteString)trainer[45][0]).ToStringUtf8(), Is.EqualTo("<unk>"));
        Assert.That(((ByteString)trainer[47][0]).ToStringUtf8(), Is.EqualTo("</s>"));
        Assert.That(((ByteString)trainer[48][0]).ToStringUtf8(), Is.EqualTo("<pad>"));

        var normalizer = Fields((ByteString)model[3][0]);
        Assert.That(((ByteString)normalizer[1][0]).ToStringUtf8(), Is.EqualTo("identity"));
        Assert.That(((long)normalizer[3][0], (long)normalizer[4][0], (long)normalizer[5][0]), Is.EqualTo((1L, 1L, 1L)));
        Assert.That(normalizer.ContainsKey(2), Is.False, "no precompiled character map");
    }

    [Test]
    public void InvalidVocabulariesAreRejectedWithTheReason()
    {
        static string Fail(SentencePiece[] pieces, int unk = 2, int bos = -1) =>
            Assert.Throws<ArgumentException>(() => SentencePieceModelWriter.Serialize(new SentencePieceModelSpec { Pieces = pieces, UnkId = unk, BosId = bos }))!.Message;

        Assert.That(Fail([.. Tiny, new("x", -1f, SentencePiece.Normal)]), Does.Contain("'x' is a duplicate"));
        Assert.That(Fail([.. Tiny, new("", -1f, SentencePiece.Normal)]), Does.Contain("is empty"));
        Assert.That(Fail([.. Tiny, new("y", float.NaN, SentencePiece.Normal)]), Does.Contain("score NaN"));
        Assert.That(Fail([.. Tiny, new("y", -1f, 9)]), Does.Contain("type 9"));
        Assert.That(Fail([.. Tiny, new("<unk2>", 0f, SentencePiece.Unknown)]), Does.Contain("exactly one UNKNOWN"));
        Assert.That(Fail(Tiny, unk: 3), Does.Contain("unk_id 3"));
        Assert.That(Fail(Tiny, bos: 3), Does.Contain("bos_id 3 is not a CONTROL piece"));
        Assert.That(Fail(Tiny, bos: 99), Does.Contain("bos_id 99"));
        Assert.That(Assert.Throws<ArgumentException>(() => SentencePieceModelWriter.Serialize(new SentencePieceModelSpec { Pieces = Tiny, BosId = -1, ByteFallback = true }))!.Message,
            Does.Contain("256 pieces"));
    }

    [Test]
    public void SmokeVocabularyIsUniqueAndCoversPrintableAscii()
    {
        var pieces = SmokeVocabulary.Build();
        Assert.That(pieces.Select(p => p.Piece).Distinct().Count(), Is.EqualTo(pieces.Count));
        var set = pieces.Select(p => p.Piece).ToHashSet();
        for (char c = '!'; c <= '~'; c++)
        {
            Assert.That(set, Does.Contain(c.ToString()));
            Assert.That(set, Does.Contain("\u2581" + c));
        }
        Assert.That(pieces.Where(p => p.Type == SentencePiece.Normal).All(p => p.Score < 0), Is.True, "log-probabilities");
        Assert.That(pieces.Single(p => p.Piece == "\u2581cat").Score, Is.GreaterThan(pieces.Single(p => p.Piece == "ca").Score + pieces.Single(p => p.Piece == "t").Score),
            "a whole word beats its pieces");
    }
}
