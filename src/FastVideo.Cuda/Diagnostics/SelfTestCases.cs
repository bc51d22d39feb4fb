using FastVideo.Backends;
using FastVideo.Tensors;
using static FastVideo.Cuda.Diagnostics.SelfTestInput;

namespace FastVideo.Cuda.Diagnostics;

/// <summary>
/// The self-test table: every op of the backend set with odd, non-square and length-1 sizes, and Wan2.1 shapes
/// (1.3B: model dim 1536, 12 heads of 128, FFN 8960; one 480p latent frame = 30×52 = 1560 tokens; the VAE's 96
/// channels and causal 3×3×3 convolutions). Ops with 16-bit weights and attention also run in mixed precision.
/// The token counts are kept at one latent frame so the CPU reference stays within seconds.
/// </summary>
public static class SelfTestCases
{
    private const int Dim = 1536, Tokens = 1560, Heads = 12, HeadDim = 128, Ffn = 8960;

    public static IReadOnlyList<SelfTestCase> All { get; } = Build();

    private static string Dims(int[] s) => s.Length == 0 ? "scalar" : string.Join("x", s);

    /// <summary>
    /// <paramref name="mask"/> with every entry whose index along <paramref name="dim"/> is below
    /// <paramref name="count"/> set to −∞ (−∞ added), built from backend ops so the reference and the candidate
    /// take the same steps. With dim = the query dim this masks whole query rows (their attention must be 0).
    /// </summary>
    public static Tensor MaskLeading(IBackend b, Tensor mask, int dim, int count)
    {
        var top = mask.Shape;
        var rest = mask.Shape;
        top[dim] = count;
        rest[dim] -= count;
        using var inf = b.Full(top, float.NegativeInfinity);
        using var zero = b.Full(rest, 0f);
        using var add = b.Concat([inf, zero], dim);
        return b.Add(mask, add);
    }

    private static SelfTestCase C(Op op, string label, DType dtype, SelfTestInput[] inputs, Func<IBackend, Tensor[], Tensor> run, bool mixed = false) =>
        new(op, $"{label} {dtype.ToString().ToLowerInvariant()}", dtype, mixed, inputs, (b, t) => [run(b, t)]);

    private static List<SelfTestCase> Build()
    {
        var l = new List<SelfTestCase>();
        // ---- creation, movement, conversion
        foreach (var (dt, s) in new[] { (DType.F32, new[] { 3, 1, 7 }), (DType.BF16, new[] { Tokens, Dim }), (DType.I64, new[] { 4, 3 }), (DType.U8, new[] { 7 }) })
            l.Add(C(Op.Copy, Dims(s), dt, [new(s, dt, dt is DType.I64 or DType.U8 ? InputDistribution.Ids : InputDistribution.Normal, Vocab: 200)], (b, t) => b.Copy(t[0])));
        foreach (var (dt, v, s) in new[] { (DType.F32, 1.5f, new[] { 3, 1, 7 }), (DType.BF16, -2.75f, new[] { 5, 3 }), (DType.F16, 0.1f, new[] { 1 }), (DType.I32, 7f, new[] { 4, 9 }), (DType.I64, -3f, new[] { 5 }) })
            l.Add(C(Op.Fill, $"{Dims(s)} = {v}", dt, [], (b, _) => b.Full(s, v, dt)));
        foreach (var (from, to, s) in new[]
        {
            (DType.F32, DType.BF16, new[] { Tokens, Dim }), (DType.BF16, DType.F32, new[] { 3, 1, 37 }), (DType.F32, DType.F16, new[] { 3, 1, 37 }),
            (DType.F16, DType.F32, new[] { 1 }), (DType.BF16, DType.F16, new[] { 5, 33 }), (DType.F16, DType.BF16, new[] { 7 }),
        })
            l.Add(C(Op.Cast, $"{Dims(s)} →{to.ToString().ToLowerInvariant()}", from, [Of(from, s)], (b, t) => b.Cast(t[0], to)));
        // Integer casts (fv_cast_any): saturation, wrap-around, → Bool, and integer → float rounding.
        foreach (var (from, to, s, input) in new[]
        {
            (DType.F32, DType.I32, new[] { 3, 1, 37 }, new SelfTestInput([3, 1, 37], DType.F32, InputDistribution.Uniform, -3e9f, 3e9f)),
            (DType.F32, DType.I64, [5, 33], new([5, 33], DType.F32, InputDistribution.Uniform, -1e12f, 1e12f)),
            (DType.F32, DType.U8, [7, 9], new([7, 9], DType.F32, InputDistribution.Uniform, -300f, 300f)),
            (DType.BF16, DType.I32, [1], new([1], DType.BF16, InputDistribution.Uniform, -50f, 50f)),
            (DType.F32, DType.Bool, [4, 5], new([4, 5], DType.F32, InputDistribution.Ids, Vocab: 2)),
            (DType.I64, DType.F32, [3, 1, 37], new([3, 1, 37], DType.I64, InputDistribution.Ids, Vocab: 1 << 30)),
            (DType.I32, DType.BF16, [5, 33], new([5, 33], DType.I32, InputDistribution.Ids, Vocab: 100_000)),
            (DType.I64, DType.F16, [7], new([7], DType.I64, InputDistribution.Ids, Vocab: 70_000)),
            (DType.I64, DType.I32, [2, 3, 4], new([2, 3, 4], DType.I64, InputDistribution.Ids, Vocab: 1 << 20)),
            (DType.I32, DType.U8, [9, 11], new([9, 11], DType.I32, InputDistribution.Ids, Vocab: 1000)),
            (DType.U8, DType.F32, [7], new([7], DType.U8, InputDistribution.Ids, Vocab: 256)),
            (DType.U8, DType.I64, [3, 5], new([3, 5], DType.U8, InputDistribution.Ids, Vocab: 256)),
            (DType.Bool, DType.F32, [6, 2], new([6, 2], DType.Bool, InputDistribution.Ids, Vocab: 2)),
        })
            l.Add(C(Op.Cast, $"{Dims(s)} →{to.ToString().ToLowerInvariant()}", from, [input], (b, t) => b.Cast(t[0], to)));

        // ---- GEMM
        foreach (var (a, bs, tb, alpha) in new[]
        {
            (new[] { 3, 5 }, new[] { 5, 7 }, false, 1f), ([2, 3, 5], [5, 4], false, 1f), ([2, 4, 6], [2, 3, 6], true, 0.5f), ([1, 1], [1, 1], false, 1f),
            ([2, 2, 17, 33], [2, 2, 33, 9], false, 1f), ([2, 1, 5, 6], [3, 6, 4], false, 1f), ([Heads, 257, HeadDim], [Heads, 257, HeadDim], true, 0.088f),
            ([1, Tokens, Dim], [Dim, 64], false, 1f),
        })
            l.Add(C(Op.MatMul, $"{Dims(a)}·{Dims(bs)}{(tb ? "ᵀ" : "")}{(alpha != 1 ? $" α={alpha}" : "")}", DType.F32, [F32(a), F32(bs)],
                (b, t) => b.MatMul(t[0], t[1], tb, alpha)));
        foreach (var (xs, outF, wt, bias) in new[]
        {
            (new[] { 3, 7 }, 5, DType.F32, true), ([2, 3, 17], 9, DType.BF16, true), ([1, 33], 4, DType.F16, false), ([1], 1, DType.F32, true),
            ([1, Tokens, Dim], Dim, DType.F32, true), ([1, Tokens, Dim], Dim, DType.BF16, true), ([1, 257, Dim], Ffn, DType.BF16, true),
        })
        {
            foreach (bool mixed in wt == DType.F32 ? new[] { false } : [false, true])
            {
                var inputs = new List<SelfTestInput> { F32(xs), Of(wt, outF, xs[^1]) };
                if (bias) inputs.Add(Of(wt, outF));
                l.Add(C(Op.Linear, $"{Dims(xs)}→{outF}{(bias ? " +b" : "")}", wt, inputs.ToArray(), (b, t) => b.Linear(t[0], t[1], bias ? t[2] : null), mixed));
            }
        }

        // ---- element-wise
        (int[] A, int[] B)[] pairs = [([3, 1, 7], [7]), ([5, 1, 1], [5, 4, 3]), ([2, 3, 4, 5], [3, 1, 1]), ([4, 1], [1, 5]), ([33, 65], [33, 65]), ([1, Tokens, Dim], [Dim])];
        foreach (var (a, bb) in pairs)
        {
            l.Add(C(Op.Add, $"{Dims(a)}+{Dims(bb)}", DType.F32, [F32(a), F32(bb)], (b, t) => b.Add(t[0], t[1])));
            l.Add(C(Op.Sub, $"{Dims(a)}−{Dims(bb)}", DType.F32, [F32(a), F32(bb)], (b, t) => b.Sub(t[0], t[1])));
            l.Add(C(Op.Mul, $"{Dims(a)}·{Dims(bb)}", DType.F32, [F32(a), F32(bb)], (b, t) => b.Mul(t[0], t[1])));
            l.Add(C(Op.Div, $"{Dims(a)}/{Dims(bb)}", DType.F32, [F32(a), new(bb, Distribution: InputDistribution.AwayFromZero)], (b, t) => b.Div(t[0], t[1])));
        }
        foreach (var s in new[] { new[] { 3, 1, 37 }, new[] { 1 }, new[] { 1, Tokens, Dim } })
        {
            l.Add(C(Op.Axpby, Dims(s), DType.F32, [F32(s), F32(s)], (b, t) => b.Axpby(0.7f, t[0], -1.3f, t[1])));
            l.Add(C(Op.Scale, Dims(s), DType.F32, [F32(s)], (b, t) => b.Scale(t[0], 1.7f, -0.3f)));
            l.Add(C(Op.Clamp, Dims(s), DType.F32, [F32(s)], (b, t) => b.Clamp(t[0], -0.5f, 0.8f)));
            l.Add(C(Op.Gelu, $"{Dims(s)} erf", DType.F32, [new(s, Distribution: InputDistribution.Uniform, Lo: -6, Hi: 6)], (b, t) => b.Gelu(t[0])));
            l.Add(C(Op.Gelu, $"{Dims(s)} tanh", DType.F32, [new(s, Distribution: InputDistribution.Uniform, Lo: -6, Hi: 6)], (b, t) => b.Gelu(t[0], GeluApproximation.Tanh)));
            l.Add(C(Op.Silu, Dims(s), DType.F32, [new(s, Distribution: InputDistribution.Uniform, Lo: -8, Hi: 8)], (b, t) => b.Silu(t[0])));
        }
        foreach (var (x, m) in new[] { (new[] { 2, 3, 5 }, new[] { 2, 1, 5 }), ([1, Tokens, Dim], [1, 1, Dim]), ([1, 7], [7]) })
        {
            l.Add(C(Op.Modulate, $"{Dims(x)} by {Dims(m)}", DType.F32, [F32(x), F32(m), F32(m)], (b, t) => b.Modulate(t[0], t[1], t[2])));
            l.Add(C(Op.AddGated, $"{Dims(x)} gate {Dims(m)}", DType.F32, [F32(x), F32(x), F32(m)], (b, t) => b.AddGated(t[0], t[1], t[2])));
        }

        // ---- normalisation, reductions, positional
        foreach (var s in new[] { new[] { 3, 1, 7 }, new[] { 5, 300 }, new[] { 1 }, new[] { Heads, 257, 257 } })
            l.Add(C(Op.Softmax, Dims(s), DType.F32, [new(s, Distribution: InputDistribution.Uniform, Lo: -20, Hi: 20)], (b, t) => b.Softmax(t[0])));
        l.Add(C(Op.LayerNorm, "3x1x7 w b", DType.F32, [F32(3, 1, 7), F32(7), F32(7)], (b, t) => b.LayerNorm(t[0], t[1], t[2], 1e-6f)));
        l.Add(C(Op.LayerNorm, "4x300 mean 1000", DType.F32, [new([4, 300], Distribution: InputDistribution.Uniform, Lo: 999, Hi: 1001), F32(300)], (b, t) => b.LayerNorm(t[0], t[1], null, 1e-6f)));
        l.Add(C(Op.LayerNorm, $"1x{Tokens}x{Dim}", DType.F32, [F32(1, Tokens, Dim)], (b, t) => b.LayerNorm(t[0], null, null, 1e-6f)));
        foreach (var (dt, x, m) in new[]
        {
            (DType.F32, new[] { 2, 5, 33 }, new[] { 2, 1, 33 }), (DType.F32, [2, 5, 33], [2, 5, 33]), (DType.F32, [2, 3, 5, 7], [2, 1, 5, 7]),
            (DType.F32, [1, Tokens, Dim], [1, 1, Dim]), (DType.F32, [2, 37, Dim], [2, 37, Dim]),
            (DType.BF16, [3, 7, 37], [3, 1, 37]), (DType.BF16, [3, 7, 37], [3, 7, 37]),
        })
            l.Add(C(Op.LayerNormModulate, $"{Dims(x)} by {Dims(m)}", dt, [Of(dt, x), F32(m), F32(m)], (b, t) => b.LayerNormModulate(t[0], t[1], t[2], 1e-6f)));
        l.Add(C(Op.LayerNormModulate, "1x4x300 mean 1000 by 1x1x300", DType.F32,
            [new([1, 4, 300], Distribution: InputDistribution.Uniform, Lo: 999, Hi: 1001), F32(1, 1, 300), F32(1, 1, 300)], (b, t) => b.LayerNormModulate(t[0], t[1], t[2], 1e-6f)));
        l.Add(C(Op.RmsNorm, "5x33", DType.F32, [F32(5, 33)], (b, t) => b.RmsNorm(t[0], null, 1e-5f)));
        l.Add(C(Op.RmsNorm, $"1x{Tokens}x{Dim} w", DType.F32, [F32(1, Tokens, Dim), F32(Dim)], (b, t) => b.RmsNorm(t[0], t[1], 1e-6f)));
        l.Add(C(Op.RmsNormChannels, "2x5x3x4x6 γβ", DType.F32, [F32(2, 5, 3, 4, 6), F32(5, 1, 1, 1), F32(5, 1, 1, 1)], (b, t) => b.RmsNormChannels(t[0], t[1], t[2])));
        l.Add(C(Op.RmsNormChannels, "1x96x2x30x52 γ", DType.F32, [F32(1, 96, 2, 30, 52), F32(96, 1, 1, 1)], (b, t) => b.RmsNormChannels(t[0], t[1], null)));
        l.Add(C(Op.RmsNormChannels, "1x7x1 γ", DType.F32, [F32(1, 7, 1), F32(7)], (b, t) => b.RmsNormChannels(t[0], t[1], null)));
        foreach (var (s, dim, keep) in new[] { (new[] { 3, 1, 7 }, 0, false), ([3, 70, 40], 1, true), ([5, 33], -1, false), ([1, Tokens, Dim], 1, false) })
        {
            l.Add(C(Op.Sum, $"{Dims(s)} dim {dim}{(keep ? " keep" : "")}", DType.F32, [F32(s)], (b, t) => b.Sum(t[0], dim, keep)));
            l.Add(C(Op.Mean, $"{Dims(s)} dim {dim}{(keep ? " keep" : "")}", DType.F32, [F32(s)], (b, t) => b.Mean(t[0], dim, keep)));
        }
        foreach (var s in new[] { new[] { 2, 5, 3, 8 }, new[] { 1, 7, 2, 34 }, new[] { 1, Tokens, Heads, HeadDim } })
        {
            int[] tab = [s[1], s[3] / 2];
            var cs = new SelfTestInput(tab, Distribution: InputDistribution.Uniform);
            l.Add(C(Op.Rope, Dims(s), DType.F32, [F32(s), cs, cs with { Lo = -0.9f }], (b, t) => b.ApplyRope(t[0], t[1], t[2])));
        }
        foreach (var (wt, it, vocab, d, ids) in new[] { (DType.F32, DType.I32, 11, 19, new[] { 3, 4 }), (DType.BF16, DType.I64, 13, 8, [5]), (DType.F16, DType.I32, 7, 33, [2, 1, 3]), (DType.BF16, DType.I64, 1000, 4096, [1, 512]) })
            l.Add(C(Op.Embedding, $"{vocab}x{d} by {Dims(ids)} {it.ToString().ToLowerInvariant()}", wt,
                [Of(wt, vocab, d), new(ids, it, InputDistribution.Ids, Vocab: vocab)], (b, t) => b.Embedding(t[0], t[1])));

        // ---- convolution, resampling
        foreach (var (xs, ws, wt, bias, st, pad, mixed) in new[]
        {
            (new[] { 1, 3, 7, 9 }, new[] { 4, 3, 3, 3 }, DType.F32, true, (1, 1), (1, 1, 1, 1), false),
            ([2, 2, 8, 6], [3, 2, 3, 3], DType.F32, false, (2, 2), (0, 1, 0, 1), false),
            ([1, 3, 5, 5], [2, 3, 1, 1], DType.BF16, true, (1, 1), (0, 0, 0, 0), false),
            ([1, 96, 60, 104], [96, 96, 3, 3], DType.BF16, true, (1, 1), (1, 1, 1, 1), false),
            ([1, 96, 60, 104], [96, 96, 3, 3], DType.BF16, true, (1, 1), (1, 1, 1, 1), true),
        })
        {
            var inputs = new List<SelfTestInput> { F32(xs), Of(wt, ws) };
            if (bias) inputs.Add(F32(ws[0]));
            l.Add(C(Op.Conv2d, $"{Dims(xs)}*{Dims(ws)} s{st.Item1}", wt, inputs.ToArray(), (b, t) => b.Conv2d(t[0], t[1], bias ? t[2] : null, st, pad), mixed));
        }
        foreach (var (xs, ws, wt, bias, st, pad, mixed) in new[]
        {
            (new[] { 1, 3, 5, 6, 7 }, new[] { 4, 3, 3, 3, 3 }, DType.F32, true, (1, 1, 1), (2, 0, 1, 1, 1, 1), false),
            ([1, 2, 4, 6, 6], [2, 2, 1, 3, 3], DType.F32, false, (1, 2, 2), (0, 0, 0, 1, 0, 1), false),
            ([1, 96, 3, 30, 52], [96, 96, 3, 3, 3], DType.F32, true, (1, 1, 1), (2, 0, 1, 1, 1, 1), false),
            ([1, 16, 1, 60, 104], [Dim, 16, 1, 2, 2], DType.BF16, true, (1, 2, 2), (0, 0, 0, 0, 0, 0), false),
            ([1, 16, 1, 60, 104], [Dim, 16, 1, 2, 2], DType.BF16, true, (1, 2, 2), (0, 0, 0, 0, 0, 0), true),
            ([1, 4, 2, 3, 5], [6, 4, 1, 1, 1], DType.F32, true, (1, 1, 1), (0, 0, 0, 0, 0, 0), false),
        })
        {
            var inputs = new List<SelfTestInput> { F32(xs), Of(wt, ws) };
            if (bias) inputs.Add(F32(ws[0]));
            l.Add(C(Op.Conv3d, $"{Dims(xs)}*{Dims(ws)} s{st}", wt, inputs.ToArray(), (b, t) => b.Conv3d(t[0], t[1], bias ? t[2] : null, st, pad), mixed));
        }
        foreach (var s in new[] { new[] { 1, 3, 5, 7 }, new[] { 2, 3, 4, 5, 3 }, new[] { 1, 1 }, new[] { 1, 96, 30, 52 } })
            l.Add(C(Op.UpsampleNearest2x, Dims(s), DType.F32, [F32(s)], (b, t) => b.UpsampleNearest2x(t[0])));

        // ---- attention
        foreach (var (qs, ks, vs, ms, mixed) in new[]
        {
            (new[] { 1, 2, 5, 8 }, new[] { 1, 2, 7, 8 }, new[] { 1, 2, 7, 8 }, (int[]?)null, false),
            ([1, 2, 5, 8], [1, 2, 7, 8], [1, 2, 7, 4], [1, 1, 5, 7], false),
            ([2, 3, 17, 16], [2, 3, 33, 16], [2, 3, 33, 16], [2, 3, 17, 33], false),
            ([1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], null, false),
            ([2, 3, 17, 64], [2, 3, 33, 64], [2, 3, 33, 64], null, true),
            ([1, Heads, Tokens, HeadDim], [1, Heads, Tokens, HeadDim], [1, Heads, Tokens, HeadDim], null, false),
            ([1, Heads, Tokens, HeadDim], [1, Heads, Tokens, HeadDim], [1, Heads, Tokens, HeadDim], null, true),
            ([1, Heads, Tokens, HeadDim], [1, Heads, 512, HeadDim], [1, Heads, 512, HeadDim], null, true),
        })
        {
            float scale = 1f / MathF.Sqrt(qs[3]);
            var inputs = new List<SelfTestInput> { F32(qs), F32(ks), F32(vs) };
            if (ms != null) inputs.Add(new(ms, Distribution: InputDistribution.Uniform, Lo: -3, Hi: 0));
            l.Add(C(Op.Attention, $"q {Dims(qs)} k {Dims(ks)}{(vs[3] != qs[3] ? $" dv {vs[3]}" : "")}{(ms != null ? $" mask {Dims(ms)}" : "")}", DType.F32, inputs.ToArray(),
                (b, t) => b.Attention(t[0], t[1], t[2], ms != null ? t[3] : null, scale), mixed));
        }

        // Fully masked query rows (and a batch whose keys are all masked) give 0 on every path, as on the CPU.
        foreach (var (qs, ks, ms, dim, count) in new[]
        {
            (new[] { 1, 2, 5, 8 }, new[] { 1, 2, 7, 8 }, new[] { 1, 1, 5, 7 }, 2, 2),
            ([2, 3, 17, 16], [2, 3, 33, 16], [2, 1, 1, 33], 0, 1),
            ([1, Heads, 257, HeadDim], [1, Heads, 300, HeadDim], [1, 1, 257, 300], 2, 100),
        })
        {
            float scale = 1f / MathF.Sqrt(qs[3]);
            l.Add(C(Op.Attention, $"q {Dims(qs)} k {Dims(ks)} mask {Dims(ms)} −∞ below {count} in dim {dim}", DType.F32,
                [F32(qs), F32(ks), F32(ks), new(ms, Distribution: InputDistribution.Uniform, Lo: -3, Hi: 0)],
                (b, t) =>
                {
                    using var m = MaskLeading(b, t[3], dim, count);
                    return b.Attention(t[0], t[1], t[2], m, scale);
                }));
        }

        // ---- layout
        foreach (var (dt, shapes, dim) in new[] { (DType.F32, new[] { new[] { 3, 1, 7 }, [3, 2, 7] }, 1), (DType.BF16, [[2, 5], [1, 5], [4, 5]], 0), (DType.I64, [[4, 3, 1], [4, 3, 5]], -1), (DType.F32, [[1, Tokens, Dim], [1, 512, Dim]], 1) })
            l.Add(C(Op.Concat, $"{string.Join("++", shapes.Select(Dims))} dim {dim}", dt,
                shapes.Select(s => new SelfTestInput(s, dt, dt == DType.I64 ? InputDistribution.Ids : InputDistribution.Normal, Vocab: 1000)).ToArray(), (b, t) => b.Concat(t, dim)));
        foreach (var (dt, s, dim, start, len) in new[] { (DType.F32, new[] { 4, 5, 6 }, 1, 1, 3), (DType.BF16, [7, 3], 0, 6, 1), (DType.U8, [2, 9], -1, 2, 5), (DType.F32, [1, Tokens, 3 * Dim], 2, Dim, Dim) })
            l.Add(C(Op.Slice, $"{Dims(s)} dim {dim} [{start}+{len})", dt, [new(s, dt, dt == DType.U8 ? InputDistribution.Ids : InputDistribution.Normal, Vocab: 256)],
                (b, t) => b.Slice(t[0], dim, start, len)));
        l.Add(new SelfTestCase(Op.Slice, "split 4x5x6 dim 2 into 1+2+3 f32", DType.F32, false, [F32(4, 5, 6)], (b, t) => b.Split(t[0], [1, 2, 3], 2)));
        foreach (var (dt, s, dims) in new[]
        {
            (DType.F32, new[] { 2, 3, 4, 5 }, new[] { 0, 2, 1, 3 }), (DType.BF16, [2, 3, 4, 5, 6], [0, 2, 3, 4, 1]), (DType.F32, [130, 67], [1, 0]),
            (DType.I64, [1, 2, 3, 2, 3, 5], [0, 1, 3, 2, 4, 5]), (DType.F32, [3, 1, 7], [2, 1, 0]), (DType.F32, [1, Tokens, Heads, HeadDim], [0, 2, 1, 3]),
        })
            l.Add(C(Op.Permute, $"{Dims(s)} by {string.Join(",", dims)}", dt, [new(s, dt, dt == DType.I64 ? InputDistribution.Ids : InputDistribution.Normal, Vocab: 1 << 20)],
                (b, t) => b.Permute(t[0], dims)));
        return l;
    }
}
