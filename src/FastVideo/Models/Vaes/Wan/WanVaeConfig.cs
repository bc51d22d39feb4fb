using System.Text.Json;

namespace FastVideo.Models.Vaes.Wan;

/// <summary>A VAE config.json is malformed or asks for something this port does not implement.</summary>
public sealed class WanVaeConfigException(string message) : Exception(message);

/// <summary>
/// The <c>AutoencoderKLWan</c> config.json (diffusers 0.35.2) as typed values. A key absent from the file
/// takes diffusers' default, as <c>register_to_config</c> does; unknown keys are ignored, as diffusers does.
/// Only the Wan2.1 structure is implemented: <c>is_residual</c> must be false and <c>patch_size</c> null
/// (the Wan2.2 VAE), and <c>attn_scales</c> empty (diffusers' encoder cannot run attention blocks inside its
/// feature-cached down path, and its decoder ignores the key).
/// </summary>
public sealed record WanVaeConfig
{
    public int BaseDim { get; init; } = 96;
    /// <summary><c>decoder_base_dim</c>; null in the file means <see cref="BaseDim"/>.</summary>
    public int DecoderBaseDim { get; init; } = 96;
    public int ZDim { get; init; } = 16;
    public int[] DimMult { get; init; } = [1, 2, 4, 4];
    public int NumResBlocks { get; init; } = 2;
    public double[] AttnScales { get; init; } = [];
    /// <summary>Per encoder stage (one fewer than <see cref="DimMult"/>): whether it also halves time.</summary>
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
    public int InChannels { get; init; } = 3;
    public int OutChannels { get; init; } = 3;
    public int? PatchSize { get; init; }
    public int ScaleFactorTemporal { get; init; } = 4;
    public int ScaleFactorSpatial { get; init; } = 8;

    /// <summary>Time compression: 2 per encoder stage with temporal downsampling.</summary>
    public int TemporalCompression => 1 << TemperalDownsample.Count(b => b);
    /// <summary>Space compression: 2 per encoder stage after the first (diffusers: 2^len(temperal_downsample)).</summary>
    public int SpatialCompression => 1 << TemperalDownsample.Length;

    /// <summary>Reads and validates a config.json file.</summary>
    public static WanVaeConfig FromFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: VAE config.json not found", path);
        return FromJson(File.ReadAllText(path), path);
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
            };
            c.Validate(source);
            return c;
        }
    }

    /// <summary>Throws <see cref="WanVaeConfigException"/> naming the first key with an unsupported or inconsistent value.</summary>
    public void Validate(string source = "config")
    {
        void Fail(string msg) => throw new WanVaeConfigException($"{source}: {msg}");
        if (IsResidual) Fail("is_residual = true (the Wan2.2 VAE) is not supported; only the Wan2.1 VAE (is_residual false) is implemented");
        if (PatchSize is not null) Fail($"patch_size = {PatchSize} (the Wan2.2 VAE) is not supported; only patch_size null (Wan2.1) is implemented");
        if (AttnScales.Length > 0) Fail($"attn_scales = [{string.Join(", ", AttnScales)}] is not supported; only [] (Wan2.1) is implemented");
        if (BaseDim <= 0) Fail($"base_dim must be positive, got {BaseDim}");
        if (DecoderBaseDim <= 0) Fail($"decoder_base_dim must be positive, got {DecoderBaseDim}");
        if (ZDim <= 0) Fail($"z_dim must be positive, got {ZDim}");
        if (NumResBlocks <= 0) Fail($"num_res_blocks must be positive, got {NumResBlocks}");
        if (InChannels <= 0) Fail($"in_channels must be positive, got {InChannels}");
        if (OutChannels <= 0) Fail($"out_channels must be positive, got {OutChannels}");
        if (DimMult.Length < 1 || DimMult.Any(m => m <= 0)) Fail($"dim_mult must be a non-empty list of positive integers, got [{string.Join(", ", DimMult)}]");
        if (TemperalDownsample.Length != DimMult.Length - 1)
            Fail($"temperal_downsample has {TemperalDownsample.Length} entries, dim_mult [{string.Join(", ", DimMult)}] needs {DimMult.Length - 1} (one per downsampling stage)");
        if (Dropout is < 0 or >= 1) Fail($"dropout must be in [0, 1), got {Dropout}");
        if (LatentsMean.Length != ZDim) Fail($"latents_mean has {LatentsMean.Length} values, z_dim is {ZDim}");
        if (LatentsStd.Length != ZDim) Fail($"latents_std has {LatentsStd.Length} values, z_dim is {ZDim}");
        if (LatentsStd.Any(s => !(s > 0) || !float.IsFinite(s))) Fail("latents_std values must be positive and finite");
        if (LatentsMean.Any(m => !float.IsFinite(m))) Fail("latents_mean values must be finite");
        if (4 % TemporalCompression != 0)
            Fail($"temperal_downsample [{string.Join(", ", TemperalDownsample)}] compresses time by {TemporalCompression}; the chunked encoder (4 frames per chunk, as diffusers) supports at most two temporal downsamplings");
        if (ScaleFactorTemporal != TemporalCompression)
            Fail($"scale_factor_temporal = {ScaleFactorTemporal}, but temperal_downsample [{string.Join(", ", TemperalDownsample)}] compresses time by {TemporalCompression}");
        if (ScaleFactorSpatial != SpatialCompression)
            Fail($"scale_factor_spatial = {ScaleFactorSpatial}, but dim_mult [{string.Join(", ", DimMult)}] compresses space by {SpatialCompression}");
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
