using System.Buffers.Binary;
using System.Text;

namespace FastVideo.Models.Smoke;

/// <summary>A piece of a SentencePiece model: text, score (log probability for unigram) and type
/// (sentencepiece_model.proto <c>SentencePiece.Type</c>: NORMAL 1, UNKNOWN 2, CONTROL 3, USER_DEFINED 4, UNUSED 5, BYTE 6).</summary>
internal readonly record struct SentencePiece(string Piece, float Score, int Type)
{
    public const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Byte = 6;
}

/// <summary>
/// The fields of a unigram SentencePiece model that the smoke tokenizer sets: special piece ids and surfaces
/// (TrainerSpec), and the normalizer flags (NormalizerSpec). Defaults: T5/UMT5's <c>&lt;pad&gt;</c> 0,
/// <c>&lt;/s&gt;</c> 1, <c>&lt;unk&gt;</c> 2, and a <c>&lt;s&gt;</c> at 3 where those models have no BOS (−1), because
/// Microsoft.ML.Tokenizers' unigram model fails on a negative bos_id.
/// </summary>
internal sealed record SentencePieceModelSpec
{
    public required IReadOnlyList<SentencePiece> Pieces { get; init; }
    public int UnkId { get; init; } = 2;
    public int BosId { get; init; } = 3;
    public int EosId { get; init; } = 1;
    public int PadId { get; init; } = 0;
    public bool ByteFallback { get; init; }
    /// <summary>"identity": no precompiled character map, text is used as given (the map of an NFKC model is a
    /// trained artefact; without one, SentencePiece and Microsoft.ML.Tokenizers both skip normalisation).</summary>
    public string NormalizerName { get; init; } = "identity";
    public bool AddDummyPrefix { get; init; } = true;
    public bool RemoveExtraWhitespaces { get; init; } = true;
    public bool EscapeWhitespaces { get; init; } = true;
}

/// <summary>
/// Serialises a SentencePiece <c>ModelProto</c> (the <c>spiece.model</c> file) with a hand-written protobuf
/// encoder: fields in field-number order, proto2 optional fields written only when set, which is also how the
/// C++ library serialises. Field numbers (src/sentencepiece_model.proto):
/// <code>
/// ModelProto     { repeated SentencePiece pieces = 1; TrainerSpec trainer_spec = 2; NormalizerSpec normalizer_spec = 3; }
/// SentencePiece  { string piece = 1; float score = 2; Type type = 3; }
/// TrainerSpec    { ModelType model_type = 3 (UNIGRAM 1); int32 vocab_size = 4; bool byte_fallback = 35;
///                  int32 unk_id = 40, bos_id = 41, eos_id = 42, pad_id = 43;
///                  string unk_piece = 45, bos_piece = 46, eos_piece = 47, pad_piece = 48; }
/// NormalizerSpec { string name = 1; bool add_dummy_prefix = 3, remove_extra_whitespaces = 4, escape_whitespaces = 5; }
/// </code>
/// Wire format: tag = field·8 + wire type (0 varint, 2 length-delimited, 5 fixed32); negative int32 values are
/// varints of their 64-bit two's complement (10 bytes), as protobuf requires.
/// </summary>
internal static class SentencePieceModelWriter
{
    private const int VarintWire = 0, LengthWire = 2, Fixed32Wire = 5;

    public static byte[] Serialize(SentencePieceModelSpec spec)
    {
        Validate(spec);
        var model = new ProtoBuffer();
        var piece = new ProtoBuffer();
        foreach (var p in spec.Pieces)
        {
            piece.Clear();
            piece.String(1, p.Piece);
            piece.Float(2, p.Score);
            piece.Varint(3, p.Type);
            model.Message(1, piece);
        }

        var trainer = new ProtoBuffer();
        trainer.Varint(3, 1); // UNIGRAM
        trainer.Varint(4, spec.Pieces.Count);
        trainer.Varint(35, spec.ByteFallback ? 1 : 0);
        trainer.Varint(40, spec.UnkId);
        trainer.Varint(41, spec.BosId);
        trainer.Varint(42, spec.EosId);
        trainer.Varint(43, spec.PadId);
        trainer.String(45, PieceOr(spec, spec.UnkId, "<unk>"));
        trainer.String(46, PieceOr(spec, spec.BosId, "<s>"));
        trainer.String(47, PieceOr(spec, spec.EosId, "</s>"));
        trainer.String(48, PieceOr(spec, spec.PadId, "<pad>"));
        model.Message(2, trainer);

        var normalizer = new ProtoBuffer();
        normalizer.String(1, spec.NormalizerName);
        normalizer.Varint(3, spec.AddDummyPrefix ? 1 : 0);
        normalizer.Varint(4, spec.RemoveExtraWhitespaces ? 1 : 0);
        normalizer.Varint(5, spec.EscapeWhitespaces ? 1 : 0);
        model.Message(3, normalizer);
        return model.ToArray();
    }

    private static string PieceOr(SentencePieceModelSpec spec, int id, string fallback) =>
        id >= 0 ? spec.Pieces[id].Piece : fallback;

    /// <summary>What SentencePiece's model loader checks: non-empty unique pieces, exactly one UNKNOWN piece at
    /// unk_id, special ids inside the vocabulary and of CONTROL type, 256 byte pieces when byte_fallback is on.</summary>
    private static void Validate(SentencePieceModelSpec spec)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int unknowns = 0, bytes = 0;
        for (int i = 0; i < spec.Pieces.Count; i++)
        {
            var p = spec.Pieces[i];
            if (string.IsNullOrEmpty(p.Piece)) throw new ArgumentException($"piece {i} is empty", nameof(spec));
            if (!seen.Add(p.Piece)) throw new ArgumentException($"piece {i} '{p.Piece}' is a duplicate", nameof(spec));
            if (!float.IsFinite(p.Score)) throw new ArgumentException($"piece {i} '{p.Piece}' has score {p.Score}", nameof(spec));
            if (p.Type is < 1 or > 6) throw new ArgumentException($"piece {i} '{p.Piece}' has type {p.Type}, expected 1..6", nameof(spec));
            if (p.Type == SentencePiece.Unknown) unknowns++;
            if (p.Type == SentencePiece.Byte) bytes++;
        }
        if (unknowns != 1) throw new ArgumentException($"a model needs exactly one UNKNOWN piece, found {unknowns}", nameof(spec));
        if ((uint)spec.UnkId >= (uint)spec.Pieces.Count || spec.Pieces[spec.UnkId].Type != SentencePiece.Unknown)
            throw new ArgumentException($"unk_id {spec.UnkId} is not the UNKNOWN piece", nameof(spec));
        foreach (var (name, id) in new[] { ("bos_id", spec.BosId), ("eos_id", spec.EosId), ("pad_id", spec.PadId) })
        {
            if (id < 0) continue;
            if (id >= spec.Pieces.Count || spec.Pieces[id].Type != SentencePiece.Control)
                throw new ArgumentException($"{name} {id} is not a CONTROL piece of the {spec.Pieces.Count}-piece vocabulary", nameof(spec));
        }
        if (spec.ByteFallback && bytes != 256)
            throw new ArgumentException($"byte_fallback needs the 256 pieces <0x00>..<0xFF> of type BYTE, found {bytes}", nameof(spec));
    }

    /// <summary>A growable protobuf encoder.</summary>
    private sealed class ProtoBuffer
    {
        private byte[] _data = new byte[256];
        private int _length;

        public void Clear() => _length = 0;

        public byte[] ToArray() => _data.AsSpan(0, _length).ToArray();

        public void Varint(int field, long value)
        {
            Tag(field, VarintWire);
            RawVarint((ulong)value); // int32 −1 → 0xFFFF_FFFF_FFFF_FFFF: protobuf sign-extends negative int32s
        }

        public void Float(int field, float value)
        {
            Tag(field, Fixed32Wire);
            Ensure(4);
            BinaryPrimitives.WriteSingleLittleEndian(_data.AsSpan(_length), value);
            _length += 4;
        }

        public void String(int field, string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            Tag(field, LengthWire);
            RawVarint((ulong)bytes.Length);
            Append(bytes);
        }

        public void Message(int field, ProtoBuffer message)
        {
            Tag(field, LengthWire);
            RawVarint((ulong)message._length);
            Append(message._data.AsSpan(0, message._length));
        }

        private void Tag(int field, int wire) => RawVarint((ulong)((field << 3) | wire));

        private void RawVarint(ulong v)
        {
            Ensure(10);
            while (v >= 0x80)
            {
                _data[_length++] = (byte)(v | 0x80);
                v >>= 7;
            }
            _data[_length++] = (byte)v;
        }

        private void Append(ReadOnlySpan<byte> bytes)
        {
            Ensure(bytes.Length);
            bytes.CopyTo(_data.AsSpan(_length));
            _length += bytes.Length;
        }

        private void Ensure(int extra)
        {
            if (_length + extra <= _data.Length) return;
            Array.Resize(ref _data, Math.Max(_data.Length * 2, _length + extra));
        }
    }
}
