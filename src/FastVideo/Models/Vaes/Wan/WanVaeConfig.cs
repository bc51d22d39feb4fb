using FastVideo.Loading;
using System.Text.Json;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>A VAE config.json is malformed or asks for something this port does not implement.</summary>
public sealed class WanVaeConfigException(string message) : Exception(message);

/// <summary>
/// The <c>AutoencoderKLWan</c> config.json (diffusers 0.35.2) as typed values. A key absent from the file
/// takes diffusers' default, as <c>register_to_config</c> does; unknown keys are ignored, as diffusers does.
/// Both VAE families are covered: Wan2.1 (<c>is_residual</c> false, <c>patch_size</c> null) and the Wan2.2
/// structure (<c>is_residual</c> true: residual down/up blocks with parameter-free shortcuts; <c>patch_size</c> p:
/// the video is folded into p×p-pixel patches before the encoder and unfolded after the decoder).
/// Structure, with S = len(dim_mult) stages: the encoder halves space after every stage but the last and time
/// after stage i &lt; S−1 where <c>temperal_downsample[i]</c>; the decoder doubles them back, time after stage i
/// where <c>temperal_downsample[::-1][i]</c> (diffusers' own indexing, which equals the encoder's mirror image
/// exactly when the list has S−1 entries). <c>scale_factor_temporal</c>/<c>scale_factor_spatial</c> are read for
/// the pipelines (as diffusers' pipelines read them); the VAE itself does not use them, nor does diffusers'.
/// </summary>
public sealed record WanVaeConfig
{
    public int BaseDim { get; init; } = 96;
    /// <summary><c>decoder_base_dim</c>; null in the file means <see cref="BaseDim"/>.</summary>
    public int DecoderBaseDim { get; init; } = 96;
    public int ZDim { get; init; } = 16;
    public int[] DimMult { get; init; } = [1, 2, 4, 4];
    public int NumResBlocks { get; init; } = 2;
    /// <summary>
    /// Encoder stage i (Wan2.1 structure only) gets an attention block after each of its residual blocks when
    /// 1/2^i is in this list (diffusers: <c>scale in attn_scales</c>, scale halving per stage). The decoder ignores it.
    /// </summary>
    public double[] AttnScales { get; init; } = [];
    /// <summary>Entry i (i &lt; S−1) says whether encoder stage i also halves time; see the type's summary for the decoder.</summary>
    public bool[] TemperalDownsample { get; init; } = [false, true, true];
    /// <summary>Training only; inference ignores it.</summary>
    public double Dropout { get; init; }
    public float[] LatentsMean { get; init; } =
        [-0.7571f, -0.7089f, -0.9113f, 0.1075f, -0.1745f, 0.9653f, -0.1517f, 1.5508f,
         0.4134f, -0.0715f, 0.5517f, -0.3632f, -0.1922f, -0.9497f, 0.2503f, -0.2921f];
    public float[] LatentsStd { get; init; } =
        [2.8184f, 1.4541f, 2.3275f, 2.6558f, 1.2196f, 1.7708f, 2.6052f, 2.0743f,
         3.2687f, 2.1526f, 2.8652f, 1.5579f, 1.6382f, 1.1253f, 2.8251f, 1.9160f];
    public bool IsResidual { get; init; }
    /// <summary>Whether latents_mean and latents_std both have z_dim values, i.e. whether the pipelines' latent (de)normalisation can run.</summary>
    public bool HasLatentStatistics => LatentsMean.Length == ZDim && LatentsStd.Length == ZDim;
    /// <summary>Channels of the encoder's first convolution (after patching: video channels · p²).</summary>
    public int InChannels { get; init; } = 3;
    /// <summary>Channels of the decoder's last convolution (before unpatching: video channels · p²).</summary>
    public int OutChannels { get; init; } = 3;
    public int? PatchSize { get; init; }
    public int ScaleFactorTemporal { get; init; } = 4;
    public int ScaleFactorSpatial { get; init; } = 8;
    /// <summary>Where the config came from, for messages (a file path, or "config.json").</summary>
    public string Source { get; init; } = "config.json";

    /// <summary>Number of encoder/decoder stages: len(dim_mult).</summary>
    public int Stages => DimMult.Length;

    /// <summary>Whether encoder stage <paramref name="stage"/> halves time (diffusers: <c>temperal_downsample[i]</c>, i &lt; S−1).</summary>
    public bool EncoderHalvesTime(int stage) => stage < Stages - 1 && TemperalDownsample[stage];

    /// <summary>Whether decoder stage <paramref name="stage"/> doubles time (diffusers: <c>temperal_downsample[::-1][i]</c>, i &lt; S−1).</summary>
    public bool DecoderDoublesTime(int stage) => stage < Stages - 1 && TemperalDownsample[TemperalDownsample.Length - 1 - stage];

    /// <summary>Whether encoder stage <paramref name="stage"/> has attention blocks: Wan2.1 structure and 1/2^stage in attn_scales.</summary>
    public bool EncoderStageHasAttention(int stage) => !IsResidual && AttnScales.Contains(1.0 / (1L << stage));

    /// <summary>Whether any encoder stage has attention blocks (which diffusers cannot run while encoding).</summary>
    public bool EncoderHasAttention => Enumerable.Range(0, Stages).Any(EncoderStageHasAttention);

    /// <summary>Encoder time compression: 2 per stage that halves time.</summary>
    public int TemporalCompression => 1 << Enumerable.Range(0, Stages).Count(EncoderHalvesTime);

    /// <summary>Decoder time expansion: every latent frame after the first gives this many frames.</summary>
    public int TemporalUpsampling => 1 << Enumerable.Range(0, Stages).Count(DecoderDoublesTime);

    /// <summary>Patch edge p (1 without patching).</summary>
    public int Patch => PatchSize ?? 1;

    /// <summary>Space compression: p · 2^(S−1) (one halving per stage but the last).</summary>
    public int SpatialCompression => Patch << (Stages - 1);

    /// <summary>Channels of the video the model encodes: in_channels / p².</summary>
    public int VideoInChannels => InChannels / (Patch * Patch);

    /// <summary>Channels of the video the model decodes to: out_channels / p².</summary>
    public int VideoOutChannels => OutChannels / (Patch * Patch);

    /// <summary>Encoder widths: base_dim · [1, dim_mult…].</summary>
    public int[] EncoderDims => [BaseDim, .. DimMult.Select(m => BaseDim * m)];

    /// <summary>Decoder widths: decoder_base_dim · [dim_mult[-1], reversed dim_mult…].</summary>
    public int[] DecoderDims => [DecoderBaseDim * DimMult[^1], .. Enumerable.Reverse(DimMult).Select(m => DecoderBaseDim * m)];

    /// <summary>Reads and validates a config.json file.</summary>
    public static WanVaeConfig FromFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: VAE config.json not found", path);
        return FromJson(InputFile.ReadAllText(path), path);
    }

    /// <summary>Parses and validates config JSON; <paramref name="source"/> names it in error messages.</summary>
    public static WanVaeConfig FromJson(string json, string source = "config.json")
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new WanVaeConfigException($"{source}: not valid JSON ({e.Message})"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new WanVaeConfigException($"{source}: expected a JSON object, got {root.ValueKind}");
            var r = new Reader(root, source);
            if (r.Has("_class_name") && r.String("_class_name") is { } cls && cls != "AutoencoderKLWan")
                throw new WanVaeConfigException($"{source}: _class_name is '{cls}', expected 'AutoencoderKLWan'");
            var d = new WanVaeConfig();
            int baseDim = r.Int("base_dim", d.BaseDim);
            var c = new WanVaeConfig
            {
                BaseDim = baseDim,
                DecoderBaseDim = r.NullableInt("decoder_base_dim", null) ?? baseDim,
                ZDim = r.Int("z_dim", d.ZDim),
                DimMult = r.IntArray("dim_mult", d.DimMult),
                NumResBlocks = r.Int("num_res_blocks", d.NumResBlocks),
                AttnScales = r.DoubleArray("attn_scales", d.AttnScales),
                TemperalDownsample = r.BoolArray("temperal_downsample", d.TemperalDownsample),
                Dropout = r.Double("dropout", d.Dropout),
                LatentsMean = r.FloatArray("latents_mean", d.LatentsMean),
                LatentsStd = r.FloatArray("latents_std", d.LatentsStd),
                IsResidual = r.Bool("is_residual", d.IsResidual),
                InChannels = r.Int("in_channels", d.InChannels),
                OutChannels = r.Int("out_channels", d.OutChannels),
                PatchSize = r.NullableInt("patch_size", d.PatchSize),
                ScaleFactorTemporal = r.NullableInt("scale_factor_temporal", d.ScaleFactorTemporal) ?? d.ScaleFactorTemporal,
                ScaleFactorSpatial = r.NullableInt("scale_factor_spatial", d.ScaleFactorSpatial) ?? d.ScaleFactorSpatial,
                Source = source,
            };
            c.Validate(source);
            return c;
        }
    }

    /// <summary>Throws <see cref="WanVaeConfigException"/> naming the first key with an unsupported or inconsistent value.</summary>
    public void Validate(string? source = null)
    {
        source ??= Source;
        void Fail(string msg) => throw new WanVaeConfigException($"{source}: {msg}");
        string List<T>(IEnumerable<T> xs) => "[" + string.Join(", ", xs) + "]";
        if (BaseDim <= 0) Fail($"base_dim must be positive, got {BaseDim}");
        if (DecoderBaseDim <= 0) Fail($"decoder_base_dim must be positive, got {DecoderBaseDim}");
        if (ZDim <= 0) Fail($"z_dim must be positive, got {ZDim}");
        // With no residual block a stage's downsampler would receive the previous width (diffusers fails at run time).
        if (NumResBlocks <= 0) Fail($"num_res_blocks must be positive, got {NumResBlocks}");
        if (InChannels <= 0) Fail($"in_channels must be positive, got {InChannels}");
        if (OutChannels <= 0) Fail($"out_channels must be positive, got {OutChannels}");
        if (DimMult.Length < 1 || DimMult.Any(m => m <= 0)) Fail($"dim_mult must be a non-empty list of positive integers, got {List(DimMult)}");
        // diffusers indexes temperal_downsample[i] (and its reverse) for every stage but the last; extra entries are allowed.
        if (TemperalDownsample.Length < DimMult.Length - 1)
            Fail($"temperal_downsample {List(TemperalDownsample)} has {TemperalDownsample.Length} entries, dim_mult {List(DimMult)} needs at least {DimMult.Length - 1} (one per downsampling stage)");
        if (Dropout is < 0 or > 1) Fail($"dropout must be in [0, 1], got {Dropout}");
        // latents_mean/std are used only by the pipelines' (de)normalisation; diffusers builds, encodes and decodes
        // with lists of another length (e.g. the 16 defaults with z_dim 4), so a mismatch fails only there.
        if (LatentsStd.Any(s => !(s > 0) || !float.IsFinite(s))) Fail("latents_std values must be positive and finite");
        if (LatentsMean.Any(m => !float.IsFinite(m))) Fail("latents_mean values must be finite");
        if (PatchSize is { } p)
        {
            if (p <= 0) Fail($"patch_size must be null or positive, got {p}");
            if (InChannels % (p * p) != 0) Fail($"in_channels = {InChannels} is not a multiple of patch_size² = {p * p} (the encoder sees the video folded into {p}×{p} patches)");
            if (OutChannels % (p * p) != 0) Fail($"out_channels = {OutChannels} is not a multiple of patch_size² = {p * p} (the decoder's output is unfolded from {p}×{p} patches)");
        }
        if (ScaleFactorTemporal <= 0) Fail($"scale_factor_temporal must be positive, got {ScaleFactorTemporal}");
        if (ScaleFactorSpatial <= 0) Fail($"scale_factor_spatial must be positive, got {ScaleFactorSpatial}");
        if (IsResidual) ValidateResidualShortcuts(Fail);
        else if (Stages > 1 && DecoderDims[1..^1].Min() < 2)
            Fail($"decoder_base_dim {DecoderBaseDim} with dim_mult {List(DimMult)} gives a decoder stage of width 1, which the Wan2.1 upsampler halves to 0 channels");
    }

    /// <summary>
    /// The Wan2.2 shortcuts regroup channels: AvgDown3D averages groups of in·f/out channels (f = 2^(time+2·space
    /// halvings)), DupUp3D repeats each channel out·f/in times; diffusers asserts both divide evenly.
    /// </summary>
    private void ValidateResidualShortcuts(Action<string> fail)
    {
        int[] enc = EncoderDims, dec = DecoderDims;
        for (int i = 0; i < Stages; i++)
        {
            bool down = i != Stages - 1;
            int f = (EncoderHalvesTime(i) ? 2 : 1) * (down ? 4 : 1);
            if (enc[i] * f % enc[i + 1] != 0)
                fail($"is_residual: encoder stage {i} maps {enc[i]} → {enc[i + 1]} channels; its average shortcut needs {enc[i]}·{f} divisible by {enc[i + 1]} (base_dim {BaseDim}, dim_mult [{string.Join(", ", DimMult)}])");
            if (!down) continue;
            f = (DecoderDoublesTime(i) ? 2 : 1) * 4;
            if (dec[i + 1] * f % dec[i] != 0)
                fail($"is_residual: decoder stage {i} maps {dec[i]} → {dec[i + 1]} channels; its duplicating shortcut needs {dec[i + 1]}·{f} divisible by {dec[i]} (decoder_base_dim {DecoderBaseDim}, dim_mult [{string.Join(", ", DimMult)}])");
        }
    }

    /// <summary>Typed access to config keys, with messages naming the key and the file.</summary>
    private sealed class Reader(JsonElement root, string source)
    {
        public bool Has(string key) => root.TryGetProperty(key, out _);

        private bool TryGet(string key, out JsonElement e) =>
            root.TryGetProperty(key, out e) && e.ValueKind != JsonValueKind.Undefined;

        private WanVaeConfigException Bad(string key, string expected, JsonElement e) =>
            new($"{source}: key '{key}' must be {expected}, got {e.ValueKind} {e.GetRawText()}");

        public string? String(string key) =>
            TryGet(key, out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;

        public int Int(string key, int fallback)
        {
            if (!TryGet(key, out var e)) return fallback;
            return AsInt(key, e);
        }

        public int? NullableInt(string key, int? fallback)
        {
            if (!TryGet(key, out var e)) return fallback;
            return e.ValueKind == JsonValueKind.Null ? null : AsInt(key, e);
        }

        public double Double(string key, double fallback)
        {
            if (!TryGet(key, out var e)) return fallback;
            if (e.ValueKind != JsonValueKind.Number) throw Bad(key, "a number", e);
            return e.GetDouble();
        }

        public bool Bool(string key, bool fallback)
        {
            if (!TryGet(key, out var e)) return fallback;
            return e.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Bad(key, "true or false", e),
            };
        }

        public int[] IntArray(string key, int[] fallback) => Array(key, fallback, "a list of integers", (k, x) => AsInt(k, x));

        public double[] DoubleArray(string key, double[] fallback) => Array(key, fallback, "a list of numbers", (k, x) =>
            x.ValueKind == JsonValueKind.Number ? x.GetDouble() : throw Bad(k, "a list of numbers", x));

        public float[] FloatArray(string key, float[] fallback) => Array(key, fallback, "a list of numbers", (k, x) =>
            x.ValueKind == JsonValueKind.Number ? (float)x.GetDouble() : throw Bad(k, "a list of numbers", x));

        public bool[] BoolArray(string key, bool[] fallback) => Array(key, fallback, "a list of true/false", (k, x) => x.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Bad(k, "a list of true/false", x),
        });

        private T[] Array<T>(string key, T[] fallback, string expected, Func<string, JsonElement, T> item)
        {
            if (!TryGet(key, out var e)) return (T[])fallback.Clone();
            if (e.ValueKind != JsonValueKind.Array) throw Bad(key, expected, e);
            var r = new T[e.GetArrayLength()];
            int i = 0;
            foreach (var x in e.EnumerateArray()) r[i++] = item(key, x);
            return r;
        }

        private int AsInt(string key, JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v)) return v;
            // Python configs sometimes write integral floats (96.0); accept them exactly.
            if (e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out double dv) && dv == Math.Floor(dv) && Math.Abs(dv) < int.MaxValue) return (int)dv;
            throw Bad(key, "an integer", e);
        }
    }
}
