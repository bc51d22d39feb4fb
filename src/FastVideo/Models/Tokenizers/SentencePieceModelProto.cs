using FastVideo.Loading;
using System.Text;
using Google.Protobuf;

namespace FastVideo.Models.Tokenizers;

/// <summary>Piece types of a SentencePiece model (sentencepiece_model.proto, <c>SentencePiece.Type</c>).</summary>
public enum SentencePieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Byte = 6,
    Unused = 5,
}

/// <summary>
/// The parts of a serialized SentencePiece <c>ModelProto</c> (<c>spiece.model</c>) that the T5 tokenizer needs
/// besides what Microsoft.ML.Tokenizers does with it: the piece table with types (for decoding and the
/// unknown-piece rules), the normalizer flags, the unknown surface, and a variant of the model with
/// <c>add_dummy_prefix</c> switched off (transformers' non-legacy T5 mode).
/// Field numbers are those of sentencepiece_model.proto: ModelProto {1 pieces, 2 trainer_spec, 3 normalizer_spec},
/// SentencePiece {1 piece, 2 score, 3 type}, TrainerSpec {3 model_type, 40 unk_id, 41 bos_id, 42 eos_id, 43 pad_id,
/// 44 unk_surface, 45 unk_piece, 46 bos_piece, 47 eos_piece, 48 pad_piece},
/// NormalizerSpec {3 add_dummy_prefix, 4 remove_extra_whitespaces, 5 escape_whitespaces}.
/// </summary>
public sealed class SentencePieceModelProto
{
    /// <summary>SentencePiece's default surface of an unknown piece when decoding (" ⁇ ").</summary>
    public const string DefaultUnknownSurface = " \u2047 ";

    private readonly Dictionary<string, int> _pieceToId;

    public byte[] Bytes { get; }
    public IReadOnlyList<string> Pieces { get; }
    public IReadOnlyList<SentencePieceType> Types { get; }
    /// <summary>1 = unigram, 2 = BPE, 3 = word, 4 = char.</summary>
    public int ModelType { get; }
    public bool AddDummyPrefix { get; }
    public bool RemoveExtraWhitespaces { get; }
    public bool EscapeWhitespaces { get; }
    public string UnknownSurface { get; }
    /// <summary>Id of the (first) piece of type Unknown.</summary>
    public int UnknownId { get; }
    /// <summary>trainer_spec's special ids as stored (defaults unk 0, bos 1, eos 2, pad −1; −1 = the model has none,
    /// as T5's bos). SentencePiece itself finds the unknown piece by type and never emits bos/eos/pad while encoding.</summary>
    public SentencePieceSpecialIds SpecialIds { get; }

    public int Count => Pieces.Count;

    private SentencePieceModelProto(byte[] bytes, List<string> pieces, List<SentencePieceType> types, int modelType,
        bool addDummyPrefix, bool removeExtraWhitespaces, bool escapeWhitespaces, string unkSurface, SentencePieceSpecialIds specialIds)
    {
        Bytes = bytes;
        Pieces = pieces;
        Types = types;
        ModelType = modelType;
        AddDummyPrefix = addDummyPrefix;
        RemoveExtraWhitespaces = removeExtraWhitespaces;
        EscapeWhitespaces = escapeWhitespaces;
        UnknownSurface = unkSurface;
        _pieceToId = new Dictionary<string, int>(pieces.Count, StringComparer.Ordinal);
        for (int i = 0; i < pieces.Count; i++) _pieceToId.TryAdd(pieces[i], i);
        UnknownId = types.IndexOf(SentencePieceType.Unknown);
        SpecialIds = specialIds;
    }

    /// <summary>Reads a model file; <paramref name="path"/> appears in every error.</summary>
    public static SentencePieceModelProto Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"SentencePiece model not found: {path}", path);
        return Parse(InputFile.ReadAllBytes(path), path);
    }

    public static SentencePieceModelProto Parse(byte[] bytes, string description)
    {
        var pieces = new List<string>();
        var types = new List<SentencePieceType>();
        int modelType = 1;
        bool dummy = true, removeWs = true, escapeWs = true;
        string unkSurface = DefaultUnknownSurface;
        var ids = new SentencePieceSpecialIds();
        try
        {
            var input = new CodedInputStream(bytes);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (tag >> 3)
                {
                    case 1:
                        var (piece, type) = ReadPiece(input.ReadBytes());
                        pieces.Add(piece);
                        types.Add(type);
                        break;
                    case 2:
                        ReadTrainerSpec(input.ReadBytes(), ref modelType, ref unkSurface, ref ids);
                        break;
                    case 3:
                        ReadNormalizerSpec(input.ReadBytes(), ref dummy, ref removeWs, ref escapeWs);
                        break;
                    default:
                        input.SkipLastField();
                        break;
                }
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{description}: not a valid SentencePiece model ({e.Message})", e);
        }
        if (pieces.Count == 0) throw new InvalidDataException($"{description}: SentencePiece model has no pieces");
        if (!types.Contains(SentencePieceType.Unknown)) throw new InvalidDataException($"{description}: SentencePiece model has no unknown piece");
        return new SentencePieceModelProto(bytes, pieces, types, modelType, dummy, removeWs, escapeWs, unkSurface, ids);
    }

    /// <summary>Id of <paramref name="piece"/>, or <see cref="UnknownId"/> when the model has no such piece (SentencePiece's PieceToId).</summary>
    public int PieceToId(string piece) => _pieceToId.TryGetValue(piece, out int id) ? id : UnknownId;

    public bool TryGetId(string piece, out int id) => _pieceToId.TryGetValue(piece, out id);

    /// <summary>
    /// The same model with <c>normalizer_spec.add_dummy_prefix = false</c>. Protobuf merges repeated occurrences of
    /// an embedded message field, so appending a second normalizer_spec holding only that flag overrides it
    /// without re-serializing the model (what transformers does with MergeFrom).
    /// </summary>
    public byte[] WithoutDummyPrefix() => WithoutDummyPrefix(Bytes);

    private static byte[] WithoutDummyPrefix(byte[] model) =>
        Append(model, 3, m =>
        {
            m.WriteTag(3, WireFormat.WireType.Varint);
            m.WriteBool(false);
        });

    /// <summary>
    /// The bytes to give Microsoft.ML.Tokenizers' <c>SentencePieceTokenizer.Create</c>, optionally without the dummy
    /// prefix. Its unigram model indexes its piece table with trainer_spec's bos/eos/pad ids and emits trainer_spec's
    /// unk_id for unknown text, where SentencePiece uses the piece of type UNKNOWN and ignores ids of pieces it never
    /// emits. So a trainer_spec override is appended (protobuf merge, as <see cref="WithoutDummyPrefix()"/>): unk_id
    /// and unk_piece name the UNKNOWN piece; a bos or eos id outside the vocabulary (T5's bos_id −1) is pointed at that
    /// same piece, which the library then re-registers as unknown (a no-op); a pad id beyond it becomes −1 (none).
    /// The encoder is never asked to add bos/eos, so the ids it produces are SentencePiece's.
    /// </summary>
    internal byte[] ForMicrosoftMl(bool addDummyPrefix)
    {
        var model = Bytes;
        var ids = SpecialIds;
        string unkPiece = Pieces[UnknownId];
        bool Outside(int id) => id < 0 || id >= Count;
        bool fixUnk = ids.UnkId != UnknownId || ids.UnkPiece != unkPiece;
        bool fixBos = Outside(ids.BosId), fixEos = Outside(ids.EosId), fixPad = ids.PadId >= Count;
        if (fixUnk || fixBos || fixEos || fixPad)
        {
            model = Append(model, 2, m =>
            {
                void Id(int field, int value) { m.WriteTag(field, WireFormat.WireType.Varint); m.WriteInt32(value); }
                void Piece(int field, string value) { m.WriteTag(field, WireFormat.WireType.LengthDelimited); m.WriteString(value); }
                Id(40, UnknownId);
                Piece(45, unkPiece);
                if (fixBos) { Id(41, UnknownId); Piece(46, unkPiece); }
                if (fixEos) { Id(42, UnknownId); Piece(47, unkPiece); }
                if (fixPad) Id(43, -1);
            });
        }
        return addDummyPrefix || !AddDummyPrefix ? model : WithoutDummyPrefix(model);
    }

    /// <summary><paramref name="model"/> followed by one more occurrence of message field <paramref name="field"/>.</summary>
    private static byte[] Append(byte[] model, int field, Action<CodedOutputStream> writeMessage)
    {
        var body = new MemoryStream();
        var b = new CodedOutputStream(body);
        writeMessage(b);
        b.Flush();
        var extra = new MemoryStream();
        var o = new CodedOutputStream(extra);
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(body.ToArray()));
        o.Flush();
        var result = new byte[model.Length + extra.Length];
        model.CopyTo(result, 0);
        extra.ToArray().CopyTo(result, model.Length);
        return result;
    }

    private static (string, SentencePieceType) ReadPiece(ByteString msg)
    {
        var input = msg.CreateCodedInput();
        string piece = "";
        var type = SentencePieceType.Normal;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (tag >> 3)
            {
                case 1: piece = input.ReadString(); break;
                case 3: type = (SentencePieceType)input.ReadEnum(); break;
                default: input.SkipLastField(); break;
            }
        }
        return (piece, type);
    }

    private static void ReadTrainerSpec(ByteString msg, ref int modelType, ref string unkSurface, ref SentencePieceSpecialIds ids)
    {
        var input = msg.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (tag >> 3)
            {
                case 3 when (tag & 7) == 0: modelType = input.ReadEnum(); break;
                case 40 when (tag & 7) == 0: ids = ids with { UnkId = input.ReadInt32() }; break;
                case 41 when (tag & 7) == 0: ids = ids with { BosId = input.ReadInt32() }; break;
                case 42 when (tag & 7) == 0: ids = ids with { EosId = input.ReadInt32() }; break;
                case 43 when (tag & 7) == 0: ids = ids with { PadId = input.ReadInt32() }; break;
                case 44 when (tag & 7) == 2: unkSurface = Encoding.UTF8.GetString(input.ReadBytes().Span); break;
                case 45 when (tag & 7) == 2: ids = ids with { UnkPiece = input.ReadString() }; break;
                case 46 when (tag & 7) == 2: ids = ids with { BosPiece = input.ReadString() }; break;
                case 47 when (tag & 7) == 2: ids = ids with { EosPiece = input.ReadString() }; break;
                case 48 when (tag & 7) == 2: ids = ids with { PadPiece = input.ReadString() }; break;
                default: input.SkipLastField(); break;
            }
        }
    }

    private static void ReadNormalizerSpec(ByteString msg, ref bool dummy, ref bool removeWs, ref bool escapeWs)
    {
        var input = msg.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (tag >> 3)
            {
                case 3 when (tag & 7) == 0: dummy = input.ReadBool(); break;
                case 4 when (tag & 7) == 0: removeWs = input.ReadBool(); break;
                case 5 when (tag & 7) == 0: escapeWs = input.ReadBool(); break;
                default: input.SkipLastField(); break;
            }
        }
    }
}

/// <summary>
/// trainer_spec's special pieces (sentencepiece_model.proto defaults). −1 means the model has no such piece:
/// T5/UMT5 models have pad 0, eos 1, unk 2 and bos −1.
/// </summary>
public sealed record SentencePieceSpecialIds
{
    public int UnkId { get; init; }
    public int BosId { get; init; } = 1;
    public int EosId { get; init; } = 2;
    public int PadId { get; init; } = -1;
    public string UnkPiece { get; init; } = "<unk>";
    public string BosPiece { get; init; } = "<s>";
    public string EosPiece { get; init; } = "</s>";
    public string PadPiece { get; init; } = "<pad>";
}
