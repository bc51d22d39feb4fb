using System.Text.Json.Nodes;

namespace FastVideo.Tests.Models;

/// <summary>The config of a <see cref="WanVaeReference"/>, with diffusers' key names in <see cref="ToJson"/>.</summary>
public sealed record WanVaeRefConfig
{
    public int BaseDim { get; init; } = 4;
    public int? DecoderBaseDim { get; init; }
    public int ZDim { get; init; } = 4;
    public int[] DimMult { get; init; } = [1, 2, 2];
    public int NumResBlocks { get; init; } = 1;
    public double[] AttnScales { get; init; } = [];
    public bool[] TemperalDownsample { get; init; } = [false, true];
    public bool IsResidual { get; init; }
    public int InChannels { get; init; } = 3;
    public int OutChannels { get; init; } = 3;
    public int? PatchSize { get; init; }

    public int Patch => PatchSize ?? 1;
    public int SpatialFactor => Patch << (DimMult.Length - 1);

    /// <summary>config.json as diffusers writes it (scale factors left at diffusers' defaults, as a fresh model saves them).</summary>
    public JsonObject ToJson(int seed)
    {
        var rng = new Random(seed);
        var mean = new JsonArray();
        var std = new JsonArray();
        for (int i = 0; i < ZDim; i++)
        {
            mean.Add(Math.Round(rng.NextDouble() * 2 - 1, 4));
            std.Add(Math.Round(0.5 + rng.NextDouble() * 2, 4));
        }
        return new JsonObject
        {
            ["_class_name"] = "AutoencoderKLWan",
            ["_diffusers_version"] = "0.35.2",
            ["attn_scales"] = new JsonArray(AttnScales.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
            ["base_dim"] = BaseDim,
            ["decoder_base_dim"] = DecoderBaseDim,
            ["dim_mult"] = new JsonArray(DimMult.Select(m => (JsonNode?)JsonValue.Create(m)).ToArray()),
            ["dropout"] = 0.0,
            ["in_channels"] = InChannels,
            ["is_residual"] = IsResidual,
            ["latents_mean"] = mean,
            ["latents_std"] = std,
            ["num_res_blocks"] = NumResBlocks,
            ["out_channels"] = OutChannels,
            ["patch_size"] = PatchSize,
            ["scale_factor_spatial"] = 8,
            ["scale_factor_temporal"] = 4,
            ["temperal_downsample"] = new JsonArray(TemperalDownsample.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
            ["z_dim"] = ZDim,
        };
    }
}

/// <summary>
/// A naive double-precision AutoencoderKLWan (diffusers 0.35.2) written for tests, with nothing shared with the
/// implementation: plain loops, and every sequence processed WHOLE instead of chunk by chunk. Whole-sequence
/// semantics of diffusers' chunked runs (encode chunks of 1, 4, 4, … frames; decode one latent frame at a time):
/// causal convolutions pad 2·p zero frames in front of the whole sequence; a temporal downsampler keeps frame 0
/// and then convolves (kernel 3, stride 2, no padding) the whole sequence; a temporal upsampler keeps frame 0 and
/// interleaves the two halves of a causal convolution over frames 1…; AvgDown3D front-pads the whole sequence;
/// DupUp3D duplicates the whole sequence and drops its first ft − 1 frames. Parameters are created on first use
/// (seeded, named as diffusers names them) or read from a given dictionary.
/// </summary>
internal sealed class WanVaeReference
{
    /// <summary>A single video (no batch): [C, T, H, W], row-major.</summary>
    internal sealed class Vol(int c, int t, int h, int w)
    {
        public readonly int C = c, T = t, H = h, W = w;
        public readonly double[] D = new double[c * t * h * w];
        public int Index(int ci, int ti, int hi, int wi) => ((ci * T + ti) * H + hi) * W + wi;
        public double this[int ci, int ti, int hi, int wi]
        {
            get => D[Index(ci, ti, hi, wi)];
            set => D[Index(ci, ti, hi, wi)] = value;
        }
    }

    private readonly WanVaeRefConfig _c;
    private readonly Random? _rng;
    public Dictionary<string, (int[] Shape, double[] Values)> Params { get; }

    /// <summary>Random parameters, created on first use from <paramref name="seed"/>; <see cref="DeclareAll"/> creates them all.</summary>
    public WanVaeReference(WanVaeRefConfig config, int seed)
    {
        _c = config;
        _rng = new Random(seed);
        Params = new(StringComparer.Ordinal);
    }

    /// <summary>Given parameters (e.g. a golden checkpoint's).</summary>
    public WanVaeReference(WanVaeRefConfig config, Dictionary<string, (int[] Shape, double[] Values)> parameters)
    {
        _c = config;
        Params = parameters;
    }

    /// <summary>Creates every parameter by running the encoder and decoder once on the smallest inputs.</summary>
    public void DeclareAll()
    {
        int s = _c.SpatialFactor;
        Encode(new Vol(_c.InChannels / (_c.Patch * _c.Patch), 1, s, s));
        Decode(new Vol(_c.ZDim, 1, 1, 1));
    }

    /// <summary>Rounds every parameter to BF16 (round to nearest even), as a BF16 checkpoint stores them.</summary>
    public void RoundParamsToBf16()
    {
        foreach (var (_, (_, v)) in Params)
            for (int i = 0; i < v.Length; i++)
            {
                uint bits = BitConverter.SingleToUInt32Bits((float)v[i]);
                bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000u;
                v[i] = BitConverter.UInt32BitsToSingle(bits);
            }
    }

    private double[] P(string name, params int[] shape)
    {
        if (Params.TryGetValue(name, out var p))
        {
            if (!p.Shape.SequenceEqual(shape))
                throw new InvalidOperationException($"reference: {name} used as [{string.Join(", ", shape)}], stored [{string.Join(", ", p.Shape)}]");
            return p.Values;
        }
        if (_rng is null) throw new KeyNotFoundException($"reference: parameter {name} not given");
        int n = shape.Aggregate(1, (a, b) => a * b);
        var v = new double[n];
        bool gamma = name.EndsWith(".gamma", StringComparison.Ordinal);
        double std = name.EndsWith(".weight", StringComparison.Ordinal) ? Math.Sqrt((double)shape[0] / n) : 0.1;
        for (int i = 0; i < n; i++)
        {
            double u1 = 1.0 - _rng.NextDouble(), u2 = _rng.NextDouble();
            // Rounded to float: the checkpoint stores F32, and the reference must use the very same values.
            v[i] = (float)((gamma ? 1 : 0) + std * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        Params[name] = (shape, v);
        return v;
    }

    // ---- primitive ops -------------------------------------------------------------------------------

    /// <summary>Conv3d with zero padding (front, back, top, bottom, left, right); a 2-D weight [O, C, kh, kw] when kt = 0.</summary>
    private Vol Conv(Vol x, string name, int o, (int T, int H, int W) k, (int T, int H, int W) s,
        (int F, int B, int T, int Bo, int L, int R) pad)
    {
        bool twoD = k.T == 0;
        int kt = twoD ? 1 : k.T;
        var w = twoD ? P(name + ".weight", o, x.C, k.H, k.W) : P(name + ".weight", o, x.C, kt, k.H, k.W);
        var bias = P(name + ".bias", o);
        int to = (x.T + pad.F + pad.B - kt) / s.T + 1, ho = (x.H + pad.T + pad.Bo - k.H) / s.H + 1, wo = (x.W + pad.L + pad.R - k.W) / s.W + 1;
        var y = new Vol(o, Math.Max(to, 0), ho, wo);
        double[] xd = x.D, yd = y.D;
        int sw = s.W;
        // Output channels are independent planes: run them in parallel (the sums themselves stay sequential).
        Parallel.For(0, o, oc =>
        {
            for (int i = 0; i < y.T * ho * wo; i++) yd[oc * y.T * ho * wo + i] = bias[oc];
            for (int c = 0; c < x.C; c++)
                for (int a = 0; a < kt; a++)
                    for (int b = 0; b < k.H; b++)
                        for (int d = 0; d < k.W; d++)
                        {
                            double wv = w[(((oc * x.C + c) * kt + a) * k.H + b) * k.W + d];
                            // Output columns whose input column ww·sW + d − left lies inside x (the rest read zero padding).
                            int wBegin = Math.Max(0, (pad.L - d + sw - 1) / sw), last = x.W - 1 + pad.L - d;
                            int wEnd = last < 0 ? 0 : Math.Min(wo, last / sw + 1);
                            for (int t = 0; t < y.T; t++)
                            {
                                int ti = t * s.T + a - pad.F;
                                if (ti < 0 || ti >= x.T) continue;
                                for (int h = 0; h < ho; h++)
                                {
                                    int hi = h * s.H + b - pad.T;
                                    if (hi < 0 || hi >= x.H) continue;
                                    int yRow = y.Index(oc, t, h, 0), xRow = x.Index(c, ti, hi, 0) + d - pad.L;
                                    for (int ww = wBegin; ww < wEnd; ww++) yd[yRow + ww] += wv * xd[xRow + ww * sw];
                                }
                            }
                        }
        });
        return y;
    }

    private Vol CausalConv(Vol x, string name, int o, int k, int p) => Conv(x, name, o, (k, k, k), (1, 1, 1), (2 * p, 0, p, p, p, p));

    private Vol Norm(Vol x, string name, bool images)
    {
        var g = images ? P(name + ".gamma", x.C, 1, 1) : P(name + ".gamma", x.C, 1, 1, 1);
        var y = new Vol(x.C, x.T, x.H, x.W);
        int plane = x.T * x.H * x.W;
        for (int i = 0; i < plane; i++)
        {
            double ss = 0;
            for (int c = 0; c < x.C; c++) ss += x.D[c * plane + i] * x.D[c * plane + i];
            double inv = Math.Sqrt(x.C) / Math.Max(Math.Sqrt(ss), 1e-12);
            for (int c = 0; c < x.C; c++) y.D[c * plane + i] = x.D[c * plane + i] * inv * g[c];
        }
        return y;
    }

    private static Vol Silu(Vol x)
    {
        var y = new Vol(x.C, x.T, x.H, x.W);
        for (int i = 0; i < x.D.Length; i++) y.D[i] = x.D[i] / (1 + Math.Exp(-x.D[i]));
        return y;
    }

    private static Vol Add(Vol a, Vol b)
    {
        if (a.C != b.C || a.T != b.T || a.H != b.H || a.W != b.W) throw new InvalidOperationException("reference: adding different shapes");
        var y = new Vol(a.C, a.T, a.H, a.W);
        for (int i = 0; i < a.D.Length; i++) y.D[i] = a.D[i] + b.D[i];
        return y;
    }

    /// <summary>Frames [start, start + n) of x.</summary>
    private static Vol Frames(Vol x, int start, int n)
    {
        var y = new Vol(x.C, n, x.H, x.W);
        for (int c = 0; c < x.C; c++)
            for (int t = 0; t < n; t++)
                Array.Copy(x.D, x.Index(c, start + t, 0, 0), y.D, y.Index(c, t, 0, 0), x.H * x.W);
        return y;
    }

    /// <summary>x with its frames followed by those of y.</summary>
    private static Vol Cat(Vol x, Vol y)
    {
        var z = new Vol(x.C, x.T + y.T, x.H, x.W);
        for (int c = 0; c < x.C; c++)
            for (int t = 0; t < z.T; t++)
                Array.Copy(t < x.T ? x.D : y.D, t < x.T ? x.Index(c, t, 0, 0) : y.Index(c, t - x.T, 0, 0), z.D, z.Index(c, t, 0, 0), x.H * x.W);
        return z;
    }

    // ---- blocks ----------------------------------------------------------------------------------------

    private Vol Res(Vol x, string name, int o)
    {
        var h = x.C != o ? Conv(x, name + ".conv_shortcut", o, (1, 1, 1), (1, 1, 1), (0, 0, 0, 0, 0, 0)) : x;
        var a = CausalConv(Silu(Norm(x, name + ".norm1", false)), name + ".conv1", o, 3, 1);
        a = CausalConv(Silu(Norm(a, name + ".norm2", false)), name + ".conv2", o, 3, 1);
        return Add(a, h);
    }

    /// <summary>Single-head attention over the H·W positions of each frame, q|k|v from a 1×1 conv, scale 1/√C.</summary>
    private Vol Attn(Vol x, string name)
    {
        int c = x.C, n = x.H * x.W;
        var norm = Norm(x, name + ".norm", true);
        var wq = P(name + ".to_qkv.weight", 3 * c, c, 1, 1);
        var bq = P(name + ".to_qkv.bias", 3 * c);
        var wp = P(name + ".proj.weight", c, c, 1, 1);
        var bp = P(name + ".proj.bias", c);
        var y = new Vol(c, x.T, x.H, x.W);
        for (int t = 0; t < x.T; t++)
        {
            var qkv = new double[n, 3 * c];
            for (int i = 0; i < n; i++)
                for (int oc = 0; oc < 3 * c; oc++)
                {
                    double s = bq[oc];
                    for (int ic = 0; ic < c; ic++) s += wq[oc * c + ic] * norm[ic, t, i / x.W, i % x.W];
                    qkv[i, oc] = s;
                }
            var o = new double[n, c];
            var p = new double[n];
            for (int i = 0; i < n; i++)
            {
                double max = double.NegativeInfinity;
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int d = 0; d < c; d++) s += qkv[i, d] * qkv[j, c + d];
                    p[j] = s / Math.Sqrt(c);
                    max = Math.Max(max, p[j]);
                }
                double sum = 0;
                for (int j = 0; j < n; j++) sum += p[j] = Math.Exp(p[j] - max);
                for (int j = 0; j < n; j++)
                    for (int d = 0; d < c; d++) o[i, d] += p[j] / sum * qkv[j, 2 * c + d];
            }
            for (int i = 0; i < n; i++)
                for (int oc = 0; oc < c; oc++)
                {
                    double s = bp[oc];
                    for (int ic = 0; ic < c; ic++) s += wp[oc * c + ic] * o[i, ic];
                    y[oc, t, i / x.W, i % x.W] = x[oc, t, i / x.W, i % x.W] + s;
                }
        }
        return y;
    }

    private Vol Mid(Vol x, string name) =>
        Res(Attn(Res(x, name + ".resnets.0", x.C), name + ".attentions.0"), name + ".resnets.1", x.C);

    /// <summary>Spatial 2× down (zero pad right/bottom, 3×3 stride 2); temporal: frame 0, then a stride-2 valid conv over all frames.</summary>
    private Vol Down(Vol x, string name, bool time)
    {
        var s = Conv(x, name + ".resample.1", x.C, (0, 3, 3), (1, 2, 2), (0, 0, 0, 1, 0, 1));
        if (!time) return s;
        P(name + ".time_conv.weight", x.C, x.C, 3, 1, 1);
        P(name + ".time_conv.bias", x.C);
        if (s.T < 3) return Frames(s, 0, 1);
        return Cat(Frames(s, 0, 1), Conv(s, name + ".time_conv", x.C, (3, 1, 1), (2, 1, 1), (0, 0, 0, 0, 0, 0)));
    }

    /// <summary>Temporal: frame 0, then frames 1… doubled by a causal conv to 2C whose halves interleave; spatial: nearest 2×, 3×3 conv to o.</summary>
    private Vol Up(Vol x, string name, bool time, int o)
    {
        var u = x;
        if (time)
        {
            P(name + ".time_conv.weight", 2 * x.C, x.C, 3, 1, 1);
            P(name + ".time_conv.bias", 2 * x.C);
            if (x.T > 1)
            {
                var tc = Conv(Frames(x, 1, x.T - 1), name + ".time_conv", 2 * x.C, (3, 1, 1), (1, 1, 1), (2, 0, 0, 0, 0, 0));
                u = new Vol(x.C, 1 + 2 * tc.T, x.H, x.W);
                int plane = x.H * x.W;
                for (int c = 0; c < x.C; c++)
                {
                    Array.Copy(x.D, x.Index(c, 0, 0, 0), u.D, u.Index(c, 0, 0, 0), plane);
                    for (int t = 0; t < tc.T; t++)
                    {
                        Array.Copy(tc.D, tc.Index(c, t, 0, 0), u.D, u.Index(c, 1 + 2 * t, 0, 0), plane);
                        Array.Copy(tc.D, tc.Index(x.C + c, t, 0, 0), u.D, u.Index(c, 2 + 2 * t, 0, 0), plane);
                    }
                }
            }
        }
        var big = new Vol(u.C, u.T, 2 * u.H, 2 * u.W);
        for (int c = 0; c < u.C; c++)
            for (int t = 0; t < u.T; t++)
                for (int h = 0; h < big.H; h++)
                    for (int w = 0; w < big.W; w++) big[c, t, h, w] = u[c, t, h / 2, w / 2];
        return Conv(big, name + ".resample.1", o, (0, 3, 3), (1, 1, 1), (0, 0, 1, 1, 1, 1));
    }

    /// <summary>AvgDown3D: front zero pad to a multiple of ft, fold ft×fs×fs cells into channels, average groups.</summary>
    private static Vol AvgDown(Vol x, int o, int ft, int fs)
    {
        int pad = (ft - x.T % ft) % ft, f = ft * fs * fs, g = x.C * f / o;
        var y = new Vol(o, (x.T + pad) / ft, x.H / fs, x.W / fs);
        for (int oc = 0; oc < o; oc++)
            for (int t = 0; t < y.T; t++)
                for (int h = 0; h < y.H; h++)
                    for (int w = 0; w < y.W; w++)
                    {
                        double s = 0;
                        for (int k = oc * g; k < (oc + 1) * g; k++)
                        {
                            int c = k / f, r = k % f, it = r / (fs * fs), ih = r / fs % fs, iw = r % fs;
                            int ti = t * ft + it - pad;
                            if (ti >= 0) s += x[c, ti, h * fs + ih, w * fs + iw];
                        }
                        y[oc, t, h, w] = s / g;
                    }
        return y;
    }

    /// <summary>DupUp3D on the whole sequence, dropping the first ft − 1 frames (the first chunk's).</summary>
    private static Vol DupUp(Vol x, int o, int ft, int fs)
    {
        int f = ft * fs * fs, r = o * f / x.C;
        var y = new Vol(o, x.T * ft - (ft - 1), x.H * fs, x.W * fs);
        for (int oc = 0; oc < o; oc++)
            for (int t = 0; t < x.T; t++)
                for (int it = 0; it < ft; it++)
                {
                    int to = t * ft + it - (ft - 1);
                    if (to < 0) continue;
                    for (int h = 0; h < x.H; h++)
                        for (int ih = 0; ih < fs; ih++)
                            for (int w = 0; w < x.W; w++)
                                for (int iw = 0; iw < fs; iw++)
                                    y[oc, to, h * fs + ih, w * fs + iw] = x[(oc * f + it * fs * fs + ih * fs + iw) / r, t, h, w];
                }
        return y;
    }

    private static Vol Patchify(Vol x, int p)
    {
        var y = new Vol(x.C * p * p, x.T, x.H / p, x.W / p);
        for (int c = 0; c < x.C; c++)
            for (int t = 0; t < x.T; t++)
                for (int h = 0; h < x.H; h++)
                    for (int w = 0; w < x.W; w++)
                        y[c * p * p + w % p * p + h % p, t, h / p, w / p] = x[c, t, h, w];
        return y;
    }

    private static Vol Unpatchify(Vol x, int p)
    {
        var y = new Vol(x.C / (p * p), x.T, x.H * p, x.W * p);
        for (int c = 0; c < y.C; c++)
            for (int t = 0; t < y.T; t++)
                for (int h = 0; h < y.H; h++)
                    for (int w = 0; w < y.W; w++)
                        y[c, t, h, w] = x[c * p * p + w % p * p + h % p, t, h / p, w / p];
        return y;
    }

    // ---- the model ---------------------------------------------------------------------------------------

    /// <summary>quant_conv(encoder(video)): [2·z, T', H/s, W/s] posterior moments.</summary>
    public Vol Encode(Vol video)
    {
        var c = _c;
        int last = c.DimMult.Length - 1;
        int[] dims = [c.BaseDim, .. c.DimMult.Select(m => c.BaseDim * m)];
        var x = c.PatchSize is { } p ? Patchify(video, p) : video;
        x = CausalConv(x, "encoder.conv_in", dims[0], 3, 1);
        int block = 0;
        double scale = 1.0;
        for (int i = 0; i <= last; i++)
        {
            bool down = i != last, time = down && c.TemperalDownsample[i];
            if (c.IsResidual)
            {
                var copy = x;
                for (int j = 0; j < c.NumResBlocks; j++) x = Res(x, $"encoder.down_blocks.{i}.resnets.{j}", dims[i + 1]);
                if (down) x = Down(x, $"encoder.down_blocks.{i}.downsampler", time);
                x = Add(x, AvgDown(copy, dims[i + 1], time ? 2 : 1, down ? 2 : 1));
                continue;
            }
            for (int j = 0; j < c.NumResBlocks; j++)
            {
                x = Res(x, $"encoder.down_blocks.{block++}", dims[i + 1]);
                if (c.AttnScales.Contains(scale)) x = Attn(x, $"encoder.down_blocks.{block++}");
            }
            if (down)
            {
                x = Down(x, $"encoder.down_blocks.{block++}", time);
                scale /= 2;
            }
        }
        x = Mid(x, "encoder.mid_block");
        x = CausalConv(Silu(Norm(x, "encoder.norm_out", false)), "encoder.conv_out", 2 * c.ZDim, 3, 1);
        return Conv(x, "quant_conv", 2 * c.ZDim, (1, 1, 1), (1, 1, 1), (0, 0, 0, 0, 0, 0));
    }

    /// <summary>decoder(post_quant_conv(z)) before clamping: [out/p², 1 + (T'−1)·2^(temporal ups), h·s, w·s].</summary>
    public Vol Decode(Vol z)
    {
        var c = _c;
        int last = c.DimMult.Length - 1, bd = c.DecoderBaseDim ?? c.BaseDim;
        int[] dims = [bd * c.DimMult[^1], .. Enumerable.Reverse(c.DimMult).Select(m => bd * m)];
        var up = Enumerable.Reverse(c.TemperalDownsample).ToArray();
        var x = Conv(z, "post_quant_conv", c.ZDim, (1, 1, 1), (1, 1, 1), (0, 0, 0, 0, 0, 0));
        x = CausalConv(x, "decoder.conv_in", dims[0], 3, 1);
        x = Mid(x, "decoder.mid_block");
        for (int i = 0; i <= last; i++)
        {
            bool upFlag = i != last, time = upFlag && up[i];
            var copy = x;
            for (int j = 0; j <= c.NumResBlocks; j++) x = Res(x, $"decoder.up_blocks.{i}.resnets.{j}", dims[i + 1]);
            if (c.IsResidual)
            {
                if (!upFlag) continue;
                x = Up(x, $"decoder.up_blocks.{i}.upsampler", time, dims[i + 1]);
                x = Add(x, DupUp(copy, dims[i + 1], time ? 2 : 1, 2));
            }
            else if (upFlag) x = Up(x, $"decoder.up_blocks.{i}.upsamplers.0", time, dims[i + 1] / 2);
        }
        x = CausalConv(Silu(Norm(x, "decoder.norm_out", false)), "decoder.conv_out", c.OutChannels, 3, 1);
        return c.PatchSize is { } p ? Unpatchify(x, p) : x;
    }
}
