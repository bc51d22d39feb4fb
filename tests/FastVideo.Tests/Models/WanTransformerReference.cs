using FastVideo.Models.Dits.Wan;
using static FastVideo.Tests.Parity.DoubleReference;

namespace FastVideo.Tests.Models;

/// <summary>
/// diffusers 0.35.2 <c>WanTransformer3DModel.forward</c> written out naively in double, token by token, from
/// the Python source (no code shared with the port): patch embedding and unpatchify as index loops, RoPE
/// tables built per part and cut with the forward's split sizes, the condition embedder, blocks with the
/// I2V context cut at total − 512 with Python slice rules, and per-sample or per-token timesteps. Only the
/// timestep sinusoid is rounded to float32 where diffusers computes it in float32 (its fp64 run does too).
/// </summary>
internal sealed class WanReferenceModel(WanTinyCheckpoint checkpoint)
{
    private readonly WanTransformerConfig _c = checkpoint.Config;

    private readonly Dictionary<string, double[]> _cache = new(StringComparer.Ordinal);

    private double[] P(string name)
    {
        if (!_cache.TryGetValue(name, out var v)) _cache[name] = v = checkpoint.Params[name].Values.Select(a => (double)a).ToArray();
        return v;
    }

    /// <summary>
    /// hidden [B, C, T, H, W]; timesteps [B] (<paramref name="tsSeq"/> = 0) or [B, S] row-major; text [B, L, text_dim];
    /// image [Bi, Li, image_dim] or null. Returns the output [B, C_out, T'pt, H'ph, W'pw] flattened, and its shape.
    /// </summary>
    public (double[] Y, int[] Shape) Forward(float[] hidden, int[] hs, float[] timesteps, int tsSeq, float[] text, int[] txs, float[]? image, int[]? ims)
    {
        int b = hs[0], cin = hs[1], t = hs[2], h = hs[3], w = hs[4];
        int pt = _c.PatchSize[0], ph = _c.PatchSize[1], pw = _c.PatchSize[2];
        int f = t / pt, gh = h / ph, gw = w / pw, n = f * gh * gw, inner = _c.InnerDim;

        // patch_embedding: Conv3d(kernel = stride = patch), flatten(2).transpose(1, 2)
        var pwt = P("patch_embedding.weight");
        var pb = P("patch_embedding.bias");
        var x = new double[b][][];
        for (int bi = 0; bi < b; bi++)
        {
            x[bi] = new double[n][];
            for (int ff = 0; ff < f; ff++)
                for (int yy = 0; yy < gh; yy++)
                    for (int xx = 0; xx < gw; xx++)
                    {
                        var tok = new double[inner];
                        for (int o = 0; o < inner; o++)
                        {
                            double s = pb[o];
                            for (int c = 0; c < cin; c++)
                                for (int i = 0; i < pt; i++)
                                    for (int j = 0; j < ph; j++)
                                        for (int k = 0; k < pw; k++)
                                            s += pwt[(((o * cin + c) * pt + i) * ph + j) * pw + k]
                                                 * hidden[(((long)(bi * cin + c) * t + ff * pt + i) * h + yy * ph + j) * w + xx * pw + k];
                            tok[o] = s;
                        }
                        x[bi][(ff * gh + yy) * gw + xx] = tok;
                    }
        }

        var (ropeCos, ropeSin) = Rope(f, gh, gw);

        // condition embedder: one row per timestep value (B, or B·S when per token)
        var temb = timesteps.Select(tv => Lin(Lin(Sinusoid(tv), "condition_embedder.time_embedder.linear_1").Select(Silu).ToArray(),
            "condition_embedder.time_embedder.linear_2")).ToArray();
        var tproj = temb.Select(e => Lin(e.Select(Silu).ToArray(), "condition_embedder.time_proj")).ToArray();
        int Row(int bi, int tok) => tsSeq == 0 ? bi : bi * tsSeq + (tsSeq == 1 ? 0 : tok);

        var ctx = new List<double[]>[b];
        for (int bi = 0; bi < b; bi++)
        {
            ctx[bi] = new List<double[]>();
            if (image is not null) ctx[bi].AddRange(EmbedImage(image, ims!, bi));
            for (int l = 0; l < txs[1]; l++)
            {
                var row = Enumerable.Range(0, txs[2]).Select(d => (double)text[((long)bi * txs[1] + l) * txs[2] + d]).ToArray();
                ctx[bi].Add(Lin(Lin(row, "condition_embedder.text_embedder.linear_1").Select(GeluTanh).ToArray(), "condition_embedder.text_embedder.linear_2"));
            }
        }

        for (int layer = 0; layer < _c.NumLayers; layer++)
        {
            string pre = $"blocks.{layer}";
            var table = P(pre + ".scale_shift_table");
            for (int bi = 0; bi < b; bi++)
            {
                double[] Mod(int tok, int k) => Enumerable.Range(0, inner).Select(d => table[k * inner + d] + tproj[Row(bi, tok)][k * inner + d]).ToArray();
                var xs = x[bi];
                var h1 = xs.Select((v, tok) => Modulate(LayerNorm(v, _c.Eps, null, null), Mod(tok, 1), Mod(tok, 0))).ToArray();
                var a1 = SelfAttention(pre + ".attn1", h1, ropeCos, ropeSin);
                xs = xs.Select((v, tok) => Add(v, a1[tok], Mod(tok, 2))).ToArray();
                var h2 = _c.CrossAttnNorm ? xs.Select(v => LayerNorm(v, _c.Eps, P(pre + ".norm2.weight"), P(pre + ".norm2.bias"))).ToArray() : xs;
                var a2 = CrossAttention(pre + ".attn2", h2, ctx[bi]);
                xs = xs.Select((v, tok) => Add(v, a2[tok], null)).ToArray();
                var h3 = xs.Select((v, tok) => Modulate(LayerNorm(v, _c.Eps, null, null), Mod(tok, 4), Mod(tok, 3))).ToArray();
                var ffn = h3.Select(v => Lin(Lin(v, pre + ".ffn.net.0.proj").Select(GeluTanh).ToArray(), pre + ".ffn.net.2")).ToArray();
                x[bi] = xs.Select((v, tok) => Add(v, ffn[tok], Mod(tok, 5))).ToArray();
            }
        }

        // norm_out, proj_out, unpatchify: reshape(B, F, H', W', pt, ph, pw, C).permute(0, 7, 1, 4, 2, 5, 3, 6)
        var outTable = P("scale_shift_table");
        int cout = _c.OutChannels, to = f * pt, ho = gh * ph, wo = gw * pw;
        var y = new double[(long)b * cout * to * ho * wo];
        for (int bi = 0; bi < b; bi++)
            for (int tok = 0; tok < n; tok++)
            {
                var e = temb[Row(bi, tok)];
                var shift = Enumerable.Range(0, inner).Select(d => outTable[d] + e[d]).ToArray();
                var scale = Enumerable.Range(0, inner).Select(d => outTable[inner + d] + e[d]).ToArray();
                var o = Lin(Modulate(LayerNorm(x[bi][tok], _c.Eps, null, null), scale, shift), "proj_out");
                int ff = tok / (gh * gw), yy = tok / gw % gh, xx = tok % gw;
                for (int i = 0; i < pt; i++)
                    for (int j = 0; j < ph; j++)
                        for (int k = 0; k < pw; k++)
                            for (int c = 0; c < cout; c++)
                                y[(((long)(bi * cout + c) * to + ff * pt + i) * ho + yy * ph + j) * wo + xx * pw + k] = o[((i * ph + j) * pw + k) * cout + c];
            }
        return (y, new[] { b, cout, to, ho, wo });
    }

    /// <summary>Timesteps(flip_sin_to_cos=True, shift 0) as diffusers computes it, in float32: [cos | sin (| 0 when odd)].</summary>
    private double[] Sinusoid(float t)
    {
        int dim = _c.FreqDim, half = dim / 2;
        var r = new double[dim];
        for (int i = 0; i < half; i++)
        {
            float exponent = (float)(-Math.Log(10000.0)) * i;
            exponent /= half;
            float arg = t * (float)Math.Exp(exponent);
            r[i] = Math.Cos(arg);
            r[half + i] = Math.Sin(arg);
        }
        return r;
    }

    /// <summary>
    /// WanRotaryPosEmbed: per part (t, h, w of t_dim, h_dim, h_dim channels) get_1d_rotary_pos_embed with
    /// repeat_interleave, concatenated; the forward then splits [D − 2⌊D/3⌋, ⌊D/3⌋, ⌊D/3⌋] and reads rows f, y, x.
    /// Returns cos/sin per token and channel.
    /// </summary>
    private (double[][] Cos, double[][] Sin) Rope(int f, int gh, int gw)
    {
        int d = _c.AttentionHeadDim, hd = 2 * (d / 6), td = d - 2 * hd;
        var freq = new List<double>();
        foreach (int part in new[] { td, hd, hd })
            for (int j = 0; j < part / 2; j++)
            {
                double fr = 1.0 / Math.Pow(10000.0, 2.0 * j / part);
                freq.Add(fr);
                freq.Add(fr);
            }
        int s0 = d - 2 * (d / 3), s1 = d / 3;
        var cos = new double[f * gh * gw][];
        var sin = new double[cos.Length][];
        for (int ff = 0; ff < f; ff++)
            for (int yy = 0; yy < gh; yy++)
                for (int xx = 0; xx < gw; xx++)
                {
                    int tok = (ff * gh + yy) * gw + xx;
                    cos[tok] = new double[d];
                    sin[tok] = new double[d];
                    for (int c = 0; c < d; c++)
                    {
                        int pos = c < s0 ? ff : c < s0 + s1 ? yy : xx;
                        cos[tok][c] = Math.Cos(pos * freq[c]);
                        sin[tok][c] = Math.Sin(pos * freq[c]);
                    }
                }
        return (cos, sin);
    }

    /// <summary>WanImageEmbedding for sample <paramref name="bi"/>: optional pos_embed on the pair view, LN, FF (exact GELU), LN.</summary>
    private IEnumerable<double[]> EmbedImage(float[] image, int[] ims, int bi)
    {
        const string ie = "condition_embedder.image_embedder";
        int li = ims[1], di = ims[2];
        bool pairs = _c.PosEmbedSeqLen is not null;
        int seq = pairs ? 2 * li : li;                       // view(-1, 2·Li, D): rows of sample bi are consecutive
        var pos = pairs ? P(ie + ".pos_embed") : null;
        for (int j = 0; j < seq; j++)
        {
            var row = new double[di];
            for (int d = 0; d < di; d++)
            {
                row[d] = image[((long)bi * seq + j) * di + d];
                if (pos is not null) row[d] += pos[(_c.PosEmbedSeqLen == 1 ? 0 : j) * di + d];
            }
            var v = LayerNorm(row, 1e-5, P(ie + ".norm1.weight"), P(ie + ".norm1.bias"));
            v = Lin(Lin(v, ie + ".ff.net.0.proj").Select(GeluExact).ToArray(), ie + ".ff.net.2");
            yield return LayerNorm(v, 1e-5, P(ie + ".norm2.weight"), P(ie + ".norm2.bias"));
        }
    }

    private double[][] SelfAttention(string pre, double[][] xs, double[][] cos, double[][] sin)
    {
        var q = xs.Select((v, tok) => Rotate(Rms(Lin(v, pre + ".to_q"), P(pre + ".norm_q.weight")), cos[tok], sin[tok])).ToArray();
        var k = xs.Select((v, tok) => Rotate(Rms(Lin(v, pre + ".to_k"), P(pre + ".norm_k.weight")), cos[tok], sin[tok])).ToArray();
        var val = xs.Select(v => Lin(v, pre + ".to_v")).ToArray();
        return Attend(q, k, val).Select(o => Lin(o, pre + ".to_out.0")).ToArray();
    }

    /// <summary>apply_rotary_emb: pairs (2i, 2i+1) of each head with cos[..., 0::2] and sin[..., 1::2] of the token's row.</summary>
    private double[] Rotate(double[] v, double[] cos, double[] sin)
    {
        int d = _c.AttentionHeadDim;
        var r = new double[v.Length];
        for (int head = 0; head < _c.NumAttentionHeads; head++)
            for (int i = 0; i < d / 2; i++)
            {
                double x1 = v[head * d + 2 * i], x2 = v[head * d + 2 * i + 1];
                double c = cos[2 * i], s = sin[2 * i + 1];
                r[head * d + 2 * i] = x1 * c - x2 * s;
                r[head * d + 2 * i + 1] = x1 * s + x2 * c;
            }
        return r;
    }

    /// <summary>WanAttnProcessor for attn2: with add_k_proj the context splits at icl = len − 512 (Python slices).</summary>
    private double[][] CrossAttention(string pre, double[][] xs, List<double[]> ctx)
    {
        var textPart = ctx;
        var imagePart = new List<double[]>();
        if (_c.AddedKvProjDim is not null)
        {
            int icl = ctx.Count - 512;
            int cut = icl < 0 ? Math.Max(ctx.Count + icl, 0) : Math.Min(icl, ctx.Count);   // Python's a[:icl] / a[icl:]
            imagePart = ctx.Take(cut).ToList();
            textPart = ctx.Skip(cut).ToList();
        }
        var q = xs.Select(v => Rms(Lin(v, pre + ".to_q"), P(pre + ".norm_q.weight"))).ToArray();
        var k = textPart.Select(v => Rms(Lin(v, pre + ".to_k"), P(pre + ".norm_k.weight"))).ToArray();
        var val = textPart.Select(v => Lin(v, pre + ".to_v")).ToArray();
        var o = Attend(q, k, val);
        if (imagePart.Count > 0)   // attention over no keys is zero: nothing to add
        {
            var ki = imagePart.Select(v => Rms(Lin(v, pre + ".add_k_proj"), P(pre + ".norm_added_k.weight"))).ToArray();
            var vi = imagePart.Select(v => Lin(v, pre + ".add_v_proj")).ToArray();
            var oi = Attend(q, ki, vi);
            o = o.Select((r, i) => Add(r, oi[i], null)).ToArray();
        }
        return o.Select(r => Lin(r, pre + ".to_out.0")).ToArray();
    }

    /// <summary>Per head softmax(q·kᵀ/√D)·v over all keys.</summary>
    private double[][] Attend(double[][] q, double[][] k, double[][] v)
    {
        int d = _c.AttentionHeadDim;
        var o = q.Select(_ => new double[q[0].Length]).ToArray();
        for (int head = 0; head < _c.NumAttentionHeads; head++)
            for (int i = 0; i < q.Length; i++)
            {
                var s = new double[k.Length];
                for (int j = 0; j < k.Length; j++)
                {
                    double dot = 0;
                    for (int c = 0; c < d; c++) dot += q[i][head * d + c] * k[j][head * d + c];
                    s[j] = dot / Math.Sqrt(d);
                }
                double max = s.Max(), sum = 0;
                for (int j = 0; j < s.Length; j++) sum += s[j] = Math.Exp(s[j] - max);
                for (int j = 0; j < k.Length; j++)
                    for (int c = 0; c < d; c++) o[i][head * d + c] += s[j] / sum * v[j][head * d + c];
            }
        return o;
    }

    private double[] Lin(double[] v, string prefix)
    {
        var wt = checkpoint.Params[prefix + ".weight"];
        var bias = checkpoint.Params[prefix + ".bias"].Values;
        int outF = wt.Shape[0], inF = wt.Shape[1];
        var r = new double[outF];
        for (int o = 0; o < outF; o++)
        {
            double s = bias[o];
            for (int i = 0; i < inF; i++) s += (double)wt.Values[(long)o * inF + i] * v[i];
            r[o] = s;
        }
        return r;
    }

    private static double[] LayerNorm(double[] v, double eps, double[]? w, double[]? b)
    {
        double mean = v.Average(), var = v.Select(a => (a - mean) * (a - mean)).Average();
        return v.Select((a, i) => (a - mean) / Math.Sqrt(var + eps) * (w?[i] ?? 1) + (b?[i] ?? 0)).ToArray();
    }

    private double[] Rms(double[] v, double[] w)
    {
        double ms = v.Select(a => a * a).Average();
        return v.Select((a, i) => a / Math.Sqrt(ms + _c.Eps) * w[i]).ToArray();
    }

    private static double[] Modulate(double[] v, double[] scale, double[] shift) => v.Select((a, i) => a * (1 + scale[i]) + shift[i]).ToArray();

    private static double[] Add(double[] a, double[] b, double[]? gate) => a.Select((v, i) => v + b[i] * (gate?[i] ?? 1)).ToArray();
}
