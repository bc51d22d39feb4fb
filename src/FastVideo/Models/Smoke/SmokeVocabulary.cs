namespace FastVideo.Models.Smoke;

/// <summary>
/// The smoke tokenizer's vocabulary: a fixed list in code, so the model file never changes. Layout (ids):
/// <code>
/// 0 &lt;pad&gt; (CONTROL), 1 &lt;/s&gt; (CONTROL), 2 &lt;unk&gt; (UNKNOWN)    — as the real umt5 tokenizer
/// 3 &lt;s&gt; (CONTROL, bos_id)   — umt5 has no BOS (bos_id −1), but Microsoft.ML.Tokenizers 2.0.1's unigram
///                               model indexes its piece table with bos_id and throws on −1; never emitted
/// "▁" (word start), then "▁word" for common English/prompt words by rank, "▁Word" for the most common,
/// word-internal suffixes ("s", "ing", …), common letter pairs, "▁c" for every printable ASCII c, and
/// every printable ASCII character c alone (so any ASCII text has a segmentation without &lt;unk&gt;)
/// </code>
/// Scores play the unigram log-probabilities: whole words (−5 … −8) beat suffix splits (−8), which beat
/// letter pairs (−9.5) and single characters (−10 and below), so Viterbi prefers the longest known pieces.
/// Text outside printable ASCII becomes &lt;unk&gt;. Scores are computed in double and rounded to float, exactly.
/// </summary>
internal static class SmokeVocabulary
{
    public const string WordStart = "\u2581";

    /// <summary>Common words, most common first (general English, then video-prompt vocabulary).</summary>
    private const string Words =
        "the a of and to in is on with at by for from as an it its this that are be was were his her their " +
        "he she they we you i one two three four five some many all more most very not no up down out over " +
        "under into through across along around behind between near far above below before after while during " +
        "small large big little tiny huge tall short long wide narrow old young new bright dark light soft " +
        "warm cold hot cool wet dry calm slow fast quick gentle quiet loud heavy clear deep high low full empty " +
        "white black red green blue yellow orange purple pink brown gray grey golden silver colorful vivid " +
        "man woman boy girl child children people person baby friend family crowd dancer player chef " +
        "cat cats dog dogs bird birds fish horse cow sheep lion tiger bear fox wolf deer rabbit duck owl " +
        "eagle butterfly bee snake frog whale dolphin shark turtle monkey panda elephant giraffe zebra " +
        "tree trees flower flowers grass leaf leaves forest garden field meadow park plant rose " +
        "sky sun moon star stars cloud clouds rain snow wind storm fog mist sunset sunrise night day " +
        "morning evening light shadow fire smoke water river lake sea ocean wave waves beach sand shore " +
        "mountain mountains hill valley rock stone desert island ice road street city town village house " +
        "building room window door wall floor table chair bed kitchen bridge tower castle car bus train " +
        "boat ship plane bike bicycle truck robot camera book cup glass bottle ball hat dress shirt coat " +
        "hair face eyes eye hand hands head smile food bread cake coffee tea fruit apple " +
        "walk walks walking run runs running jump jumps jumping fly flies flying swim swims swimming " +
        "dance dances dancing sit sits sitting stand stands standing play plays playing look looks looking " +
        "move moves moving turn turns turning ride rides riding eat eats eating sleep sleeping read " +
        "drive driving hold holding watch watching smile smiling laugh laughing talk talking sing singing " +
        "fall falling rise rising grow growing flow flowing shine shining spin spinning roll rolling " +
        "float floating wave waving open close drift drifting sway swaying glide gliding chase chasing " +
        "realistic cinematic style photo photograph video film scene shot view close-up wide-angle " +
        "detailed detail details quality high-quality sharp focus blur blurry blurred background foreground " +
        "camera lens lighting lit color colors tone tones texture motion movement static still frame " +
        "beautiful pretty cute ugly strange magical mysterious peaceful dramatic epic vintage modern " +
        "futuristic ancient natural urban rural indoor outdoor aerial slow-motion timelapse animation " +
        "cartoon anime painting drawing sketch render 3d digital art artistic abstract surreal fantasy " +
        "portrait landscape macro panorama top side front back left right center middle edge corner " +
        "time year years moment first last next other another each every both few several " +
        "has have had do does did can could will would should may might must make makes made " +
        "go goes going went come comes coming take takes took get gets see sees seen show shows " +
        "like just only also then than there here where when what which who how why so if or but " +
        "together alone again away back home world life earth space planet universe galaxy " +
        "low-quality worst bad good best better great nice fine perfect real true " +
        "overexposed underexposed noise noisy grain grainy compression artifacts jpeg " +
        "deformed distorted extra fingers limbs poorly drawn subtitles text watermark logo " +
        "bright tones overall gray messy walking backwards three legs background people " +
        "gently slowly quickly softly brightly happily calmly smoothly " +
        "dog's cat's it's don't isn't";

    /// <summary>Word-internal pieces, most useful first.</summary>
    private const string Suffixes =
        "s es ed ing er ers est ly y ies ied al ial ness ment ments tion tions sion ity ful less able ible " +
        "ous ive ic ical ish ize ized ise ist ism en ence ance ant ent ery ory ate ated ating";

    /// <summary>Frequent English letter pairs (word-internal).</summary>
    private const string Bigrams =
        "th he in er an re on at en nd ti es or te of ed is it al ar st to nt ng se ha as ou io le ve co me de " +
        "hi ri ro ic ne ea ra ce li ch ll be ma si om ur ca el ta la ns ge ly ei di ec ac ss ot pe us mo ho " +
        "il ct lo tr ow wa ee ai oo ie ay ke ki ck sh wh gh ph qu";

    /// <summary>The pieces with scores and types, ids in order.</summary>
    public static IReadOnlyList<SentencePiece> Build()
    {
        var pieces = new List<SentencePiece>
        {
            new("<pad>", 0f, SentencePiece.Control),
            new("</s>", 0f, SentencePiece.Control),
            new("<unk>", 0f, SentencePiece.Unknown),
            new("<s>", 0f, SentencePiece.Control),
            new(WordStart, -6f, SentencePiece.Normal),
        };
        var seen = new HashSet<string>(pieces.Select(p => p.Piece), StringComparer.Ordinal);
        void Add(string piece, double score)
        {
            if (seen.Add(piece)) pieces.Add(new SentencePiece(piece, (float)score, SentencePiece.Normal));
        }

        var words = Split(Words);
        for (int r = 0; r < words.Length; r++) Add(WordStart + words[r], -5.0 - 3.0 * r / words.Length);
        const int capitalized = 120;
        for (int r = 0; r < Math.Min(capitalized, words.Length); r++)
            if (char.IsAsciiLetterLower(words[r][0]))
                Add(WordStart + char.ToUpperInvariant(words[r][0]) + words[r][1..], -6.5 - 1.5 * r / capitalized);
        var suffixes = Split(Suffixes);
        for (int r = 0; r < suffixes.Length; r++) Add(suffixes[r], -8.0 - 0.01 * r);
        var bigrams = Split(Bigrams);
        for (int r = 0; r < bigrams.Length; r++) Add(bigrams[r], -9.5 - 0.005 * r);
        for (char c = '!'; c <= '~'; c++) Add(WordStart + c, -9.0 - 0.001 * (c - '!'));
        for (char c = '!'; c <= '~'; c++) Add(c.ToString(), -10.0 - 0.001 * (c - '!'));
        return pieces;
    }

    private static string[] Split(string s) => s.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
