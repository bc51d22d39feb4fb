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
/// SentencePiece {1 piece, 2 score, 3 type}, TrainerSpec {3 model_type, 44 unk_surface},
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

    public int Count => Pieces.Count;

    private SentencePieceModelProto(byte[] bytes, List<string> pieces, List<SentencePieceType> types, int modelType,
        bool addDummyPrefix, bool removeExtraWhitespaces, bool escapeWhitespaces, string unkSurface)
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
    }

    /// <summary>Reads a model file; <paramref name="path"/> appears in every error.</summary>
    public static SentencePieceModelProto Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"SentencePiece model not found: {path}", path);
        return Parse(File.ReadAllBytes(path), path);
    }

    public static SentencePieceModelProto Parse(byte[] bytes, string description)
    {
        var pieces = new List<string>();
        var types = new List<SentencePieceType>();
        int modelType = 1;
        bool dummy = true, removeWs = true, escapeWs = true;
        string unkSurface = DefaultUnknownSurface;
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
                        ReadTrainerSpec(input.ReadBytes(), ref modelType, ref unkSurface);
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
        return new SentencePieceModelProto(bytes, pieces, types, modelType, dummy, removeWs, escapeWs, unkSurface);
    }

    /// <summary>Id of <paramref name="piece"/>, or <see cref="UnknownId"/> when the model has no such piece (SentencePiece's PieceToId).</summary>
    public int PieceToId(string piece) => _pieceToId.TryGetValue(piece, out int id) ? id : UnknownId;

    public bool TryGetId(string piece, out int id) => _pieceToId.TryGetValue(piece, out id);

    /// <summary>
    /// The same model with <c>normalizer_spec.add_dummy_prefix = false</c>. Protobuf merges repeated occurrences of
    /// an embedded message field, so appending a second normalizer_spec holding only that flag overrides it
    /// without re-serializing the model (what transformers does with MergeFrom).
    /// </summary>
    public byte[] WithoutDummyPrefix()
    {
        var extra = new MemoryStream();
        var o = new CodedOutputStream(extra);
        o.WriteTag(3, WireFormat.WireType.LengthDelimited);
        o.WriteLength(2);
        o.WriteTag(3, WireFormat.WireType.Varint);
        o.WriteBool(false);
        o.Flush();
        var result = new byte[Bytes.Length + extra.Length];
        Bytes.CopyTo(result, 0);
        extra.ToArray().CopyTo(result, Bytes.Length);
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

    private static void ReadTrainerSpec(ByteString msg, ref int modelType, ref string unkSurface)
    {
        var input = msg.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (tag >> 3)
            {
                case 3 when (tag & 7) == 0: modelType = input.ReadEnum(); break;
                case 44 when (tag & 7) == 2: unkSurface = Encoding.UTF8.GetString(input.ReadBytes().Span); break;
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
