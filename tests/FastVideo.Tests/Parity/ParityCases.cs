using FastVideo.Backends;
using FastVideo.Tensors;
using static FastVideo.Tests.Parity.InputSpec;
using R = FastVideo.Tests.Parity.DoubleReference;

namespace FastVideo.Tests.Parity;

/// <summary>
/// The op table: one row per op × shapes × dtype, covering every <see cref="Op"/> value with odd,
/// non-square and length-1 sizes. Rows that have a double reference are judged against it too.
/// Element-wise and layout rows live here; GEMM, convolution and attention rows in ParityCases.Compute.cs.
/// </summary>
public static partial class ParityCases
{
    public static IReadOnlyList<ParityCase> All { get; } = Build();

    private static List<ParityCase> Build()
    {
        var list = new List<ParityCase>();
        AddCreation(list);
        AddElementwise(list);
        AddNorms(list);
        AddLayout(list);
        AddCompute(list);
        AddCasts(list);
        AddMaskedAttention(list);
        return list;
    }

    // ---- naming and construction helpers -----------------------------------------------------------------

    public static string Dims(int[] s) => s.Length == 0 ? "scalar" : string.Join("x", s);

    private static string Lower(DType t) => t.ToString().ToLowerInvariant();

    private static ParityCase Case(Op op, string label, DType dtype, InputSpec[] inputs, Func<IBackend, Tensor[], Tensor> run,
        Func<double[][], double[]>? reference, double maxNmse = 1e-7, double maxNmseVsDouble = 1e-10) => new()
    {
        Op = op,
        Name = $"{op}[{label}] {Lower(dtype)}",
        DType = dtype,
        Inputs = inputs,
        Run = (b, t) => [run(b, t)],
        Reference = reference,
        MaxNmse = maxNmse,
        MaxNmseVsDouble = maxNmseVsDouble,
    };

    // ---- creation, movement, conversion ----------------------------------------------------------------------

    private static void AddCreation(List<ParityCase> list)
    {
        foreach (var (dt, shape) in new[] { (DType.F32, new[] { 3, 1, 7 }), (DType.BF16, new[] { 5, 33 }), (DType.I64, new[] { 4, 3 }), (DType.U8, new[] { 7 }) })
            list.Add(Case(Op.Copy, Dims(shape), dt, [new InputSpec(shape, dt, dt == DType.I64 || dt == DType.U8 ? InputKind.Ids : InputKind.Normal, Vocab: 200)],
                (b, t) => b.Copy(t[0]), x => x[0]));

        foreach (var (dt, value, shape) in new[] { (DType.F32, 1.5f, new[] { 3, 1, 7 }), (DType.BF16, -2.75f, new[] { 5, 3 }), (DType.F16, 0.1f, new[] { 1 }), (DType.I32, 7f, new[] { 4, 9 }) })
            list.Add(Case(Op.Fill, $"{Dims(shape)} = {value}", dt, [],
                (b, _) => b.Full(shape, value, dt),
                _ => Enumerable.Repeat(dt == DType.F16 ? (double)(float)(Half)value : value, (int)R.Numel(shape)).ToArray()));

        (DType From, DType To, InputKind Kind, Func<double, double> F)[] casts =
        [
            (DType.F32, DType.BF16, InputKind.Normal, v => BFloat16.BitsToSingle(BFloat16.RoundToBits((float)v))),
            (DType.BF16, DType.F32, InputKind.Normal, v => v),
            (DType.F32, DType.F16, InputKind.Normal, v => (float)(Half)(float)v),
            (DType.F16, DType.F32, InputKind.Normal, v => v),
            (DType.F32, DType.I32, InputKind.Uniform, Math.Truncate),
            (DType.I64, DType.F32, InputKind.Ids, v => v),
            (DType.I32, DType.I64, InputKind.Ids, v => v),
            (DType.F32, DType.Bool, InputKind.Ids, v => v != 0 ? 1 : 0),
        ];
        foreach (var (from, to, kind, f) in casts)
        {
            int[] shape = [3, 1, 37];
            list.Add(Case(Op.Cast, $"{Dims(shape)} {Lower(from)}→{Lower(to)}", from, [new InputSpec(shape, from, kind, Lo: -100, Hi: 100, Vocab: 3)],
                (b, t) => b.Cast(t[0], to), x => x[0].Select(f).ToArray()));
        }
    }

    // ---- element-wise -------------------------------------------------------------------------------------

    private static void AddElementwise(List<ParityCase> list)
    {
        (int[] A, int[] B)[] pairs = [([3, 1, 7], [7]), ([3, 1, 7], [1]), ([5, 1, 1], [5, 4, 3]), ([2, 3, 4, 5], [3, 1, 1]), ([4, 1], [1, 5]), ([33, 65], [33, 65])];
        (Op Op, Func<IBackend, Tensor, Tensor, Tensor> Run, Func<double, double, double> F)[] binary =
        [
            (Op.Add, (b, x, y) => b.Add(x, y), (x, y) => x + y),
            (Op.Sub, (b, x, y) => b.Sub(x, y), (x, y) => x - y),
            (Op.Mul, (b, x, y) => b.Mul(x, y), (x, y) => x * y),
            (Op.Div, (b, x, y) => b.Div(x, y), (x, y) => x / y),
        ];
        foreach (var (op, run, f) in binary)
            foreach (var (a, bs) in pairs)
            {
                var outShape = R.BroadcastShape(a, bs);
                list.Add(Case(op, $"{Dims(a)} {Sym(op)} {Dims(bs)}", DType.F32,
                    [F32(a), new InputSpec(bs, Kind: op == Op.Div ? InputKind.AwayFromZero : InputKind.Normal)],
                    (b, t) => run(b, t[0], t[1]), x => R.Map(outShape, v => f(v[0], v[1]), (x[0], a), (x[1], bs))));
            }

        list.Add(Case(Op.Axpby, "0.75·3x1x7 − 1.25·3x1x7", DType.F32, [F32(3, 1, 7), F32(3, 1, 7)],
            (b, t) => b.Axpby(0.75f, t[0], -1.25f, t[1]), x => x[0].Select((v, i) => 0.75 * v - 1.25 * x[1][i]).ToArray()));
        list.Add(Case(Op.Axpby, "2x300", DType.F32, [F32(2, 300), F32(2, 300)],
            (b, t) => b.Axpby(-1f, t[0], 3f, t[1]), x => x[0].Select((v, i) => -v + 3 * x[1][i]).ToArray()));
        list.Add(Case(Op.Scale, "3x1x7 ·−1.5 + 0.25", DType.F32, [F32(3, 1, 7)],
            (b, t) => b.Scale(t[0], -1.5f, 0.25f), x => x[0].Select(v => -1.5 * v + 0.25).ToArray()));
        list.Add(Case(Op.Scale, "1", DType.F32, [F32(1)], (b, t) => b.Scale(t[0], 3f), x => x[0].Select(v => 3 * v).ToArray()));

        foreach (var (xs, ss, hs) in new[] { (new[] { 2, 5, 7 }, new[] { 2, 1, 7 }, new[] { 2, 1, 7 }), ([4, 3, 5, 5], [4, 3, 1, 1], [3, 1, 1]) })
            list.Add(Case(Op.Modulate, $"{Dims(xs)}, {Dims(ss)}, {Dims(hs)}", DType.F32, [F32(xs), F32(ss), F32(hs)],
                (b, t) => b.Modulate(t[0], t[1], t[2]), x => R.Map(xs, v => v[0] * (1 + v[1]) + v[2], (x[0], xs), (x[1], ss), (x[2], hs))));
        foreach (var (xs, ys, gs) in new[] { (new[] { 2, 5, 7 }, new[] { 2, 5, 7 }, new[] { 2, 1, 7 }), ([3, 1, 7], [7], [1]) })
            list.Add(Case(Op.AddGated, $"{Dims(xs)}, {Dims(ys)}, {Dims(gs)}", DType.F32, [F32(xs), F32(ys), F32(gs)],
                (b, t) => b.AddGated(t[0], t[1], t[2]), x => R.Map(xs, v => v[0] + v[1] * v[2], (x[0], xs), (x[1], ys), (x[2], gs))));

        list.Add(Case(Op.Clamp, "3x1x7 to [−1, 1.5]", DType.F32, [new InputSpec([3, 1, 7], Scale: 2)],
            (b, t) => b.Clamp(t[0], -1f, 1.5f), x => x[0].Select(v => Math.Clamp(v, -1, 1.5)).ToArray()));

        foreach (var shape in new[] { new[] { 3, 1, 7 }, new[] { 5, 33 } })
        {
            var u = new InputSpec(shape, Kind: InputKind.Uniform, Lo: -6, Hi: 6);
            list.Add(Case(Op.Gelu, Dims(shape), DType.F32, [u], (b, t) => b.Gelu(t[0]), x => x[0].Select(R.GeluExact).ToArray()));
            list.Add(Case(Op.Gelu, $"{Dims(shape)} tanh", DType.F32, [u], (b, t) => b.Gelu(t[0], GeluApproximation.Tanh), x => x[0].Select(R.GeluTanh).ToArray()));
            list.Add(Case(Op.Silu, Dims(shape), DType.F32, [u], (b, t) => b.Silu(t[0]), x => x[0].Select(R.Silu).ToArray()));
        }
    }

    private static string Sym(Op op) => op switch { Op.Add => "+", Op.Sub => "−", Op.Mul => "·", _ => "/" };

    // ---- normalisation, rope, embedding, reductions -----------------------------------------------------------

    private static void AddNorms(List<ParityCase> list)
    {
        foreach (var shape in new[] { new[] { 3, 1, 7 }, new[] { 5, 300 }, new[] { 1 } })
            list.Add(Case(Op.Softmax, Dims(shape), DType.F32, [new InputSpec(shape, Kind: InputKind.Uniform, Lo: -20, Hi: 20)],
                (b, t) => b.Softmax(t[0]), x => R.Softmax(x[0], shape[^1])));

        list.Add(Case(Op.LayerNorm, "3x1x7, w, b", DType.F32, [F32(3, 1, 7), F32(7), F32(7)],
            (b, t) => b.LayerNorm(t[0], t[1], t[2], 1e-6f), x => R.LayerNorm(x[0], 7, x[1], x[2], 1e-6)));
        list.Add(Case(Op.LayerNorm, "5x33", DType.F32, [F32(5, 33)],
            (b, t) => b.LayerNorm(t[0], null, null, 1e-5f), x => R.LayerNorm(x[0], 33, null, null, 1e-5)));
        list.Add(Case(Op.LayerNorm, "4x300 mean 1000, w", DType.F32, [new InputSpec([4, 300], Kind: InputKind.Uniform, Lo: 999, Hi: 1001), F32(300)],
            (b, t) => b.LayerNorm(t[0], t[1], null, 1e-6f), x => R.LayerNorm(x[0], 300, x[1], null, 1e-6)));
        // Fused adaLN: per-sample [B, 1, C] and per-token [B, N, C] modulation (the fused paths), a broadcast the
        // fused paths leave to the composition ([2, 3, 5, 7] by [2, 1, 5, 7]), rank 1, a large mean, BF16 x.
        foreach (var (dt, xs, ms, eps) in new[]
        {
            (DType.F32, new[] { 2, 5, 33 }, new[] { 2, 1, 33 }, 1e-6f), (DType.F32, [2, 5, 33], [2, 5, 33], 1e-6f),
            (DType.F32, [3, 1, 7], [3, 1, 7], 1e-5f), (DType.F32, [4, 3, 5, 9], [4, 3, 1, 9], 1e-6f), (DType.F32, [2, 5, 7], [5, 7], 1e-6f),
            (DType.F32, [2, 3, 5, 7], [2, 1, 5, 7], 1e-6f), (DType.F32, [7], [7], 1e-6f),
            (DType.BF16, [2, 5, 33], [2, 1, 33], 1e-6f), (DType.BF16, [3, 7, 17], [3, 7, 17], 1e-6f),
        })
            list.Add(Case(Op.LayerNormModulate, $"{Dims(xs)} by {Dims(ms)}", dt, [Of(dt, xs), F32(ms), F32(ms)],
                (b, t) => b.LayerNormModulate(t[0], t[1], t[2], eps), x => R.LayerNormModulate(x[0], xs, x[1], x[2], ms, eps)));
        list.Add(Case(Op.LayerNormModulate, "1x4x300 mean 1000 by 1x1x300", DType.F32,
            [new InputSpec([1, 4, 300], Kind: InputKind.Uniform, Lo: 999, Hi: 1001), F32(1, 1, 300), F32(1, 1, 300)],
            (b, t) => b.LayerNormModulate(t[0], t[1], t[2], 1e-6f), x => R.LayerNormModulate(x[0], [1, 4, 300], x[1], x[2], [1, 1, 300], 1e-6)));
        list.Add(Case(Op.RmsNorm, "3x1x7, w", DType.F32, [F32(3, 1, 7), F32(7)],
            (b, t) => b.RmsNorm(t[0], t[1], 1e-6f), x => R.RmsNorm(x[0], 7, x[1], 1e-6)));
        list.Add(Case(Op.RmsNorm, "5x33", DType.F32, [F32(5, 33)],
            (b, t) => b.RmsNorm(t[0], null, 1e-5f), x => R.RmsNorm(x[0], 33, null, 1e-5)));

        int[] v5 = [2, 5, 3, 4, 6], g5 = [5, 1, 1, 1], v3 = [1, 7, 9];
        list.Add(Case(Op.RmsNormChannels, "2x5x3x4x6, γ/β 5x1x1x1", DType.F32, [F32(v5), F32(g5), F32(g5)],
            (b, t) => b.RmsNormChannels(t[0], t[1], t[2]), x => R.RmsNormChannels(x[0], v5, x[1], x[2], 1e-12)));
        list.Add(Case(Op.RmsNormChannels, "1x7x9, γ 7", DType.F32, [F32(v3), F32(7)],
            (b, t) => b.RmsNormChannels(t[0], t[1], null), x => R.RmsNormChannels(x[0], v3, x[1], null, 1e-12)));

        foreach (var shape in new[] { new[] { 2, 5, 3, 8 }, new[] { 1, 7, 2, 34 } })
        {
            int[] tab = [shape[1], shape[3] / 2];
            var cs = new InputSpec(tab, Kind: InputKind.Uniform);
            list.Add(Case(Op.Rope, $"{Dims(shape)}, cos/sin {Dims(tab)}", DType.F32, [F32(shape), cs, cs with { Lo = -0.9f }],
                (b, t) => b.ApplyRope(t[0], t[1], t[2]), x => R.Rope(x[0], shape, x[1], x[2])));
        }

        foreach (var (wt, it, vocab, d, ids) in new[] { (DType.F32, DType.I32, 11, 19, new[] { 3, 4 }), (DType.BF16, DType.I64, 13, 8, [5]), (DType.F16, DType.I32, 7, 33, [2, 1, 3]) })
            list.Add(Case(Op.Embedding, $"{vocab}x{d} by {Dims(ids)} {Lower(it)}", wt, [Of(wt, vocab, d), new InputSpec(ids, it, InputKind.Ids, Vocab: vocab)],
                (b, t) => b.Embedding(t[0], t[1]), x => x[1].SelectMany(id => x[0].Skip((int)id * d).Take(d)).ToArray()));

        foreach (var (shape, dim, keep) in new[] { (new[] { 3, 1, 7 }, 0, false), ([3, 70, 40], 1, true), ([5, 33], -1, false) })
        {
            int dd = dim < 0 ? dim + shape.Length : dim;
            list.Add(Case(Op.Sum, $"{Dims(shape)} dim {dim}{(keep ? " keep" : "")}", DType.F32, [F32(shape)],
                (b, t) => b.Sum(t[0], dim, keep), x => R.Reduce(x[0], shape, dd, mean: false)));
            list.Add(Case(Op.Mean, $"{Dims(shape)} dim {dim}{(keep ? " keep" : "")}", DType.F32, [F32(shape)],
                (b, t) => b.Mean(t[0], dim, keep), x => R.Reduce(x[0], shape, dd, mean: true)));
        }
    }

    // ---- layout ---------------------------------------------------------------------------------------------

    private static void AddLayout(List<ParityCase> list)
    {
        foreach (var (dt, shapes, dim) in new[] { (DType.F32, new[] { new[] { 3, 1, 7 }, [3, 2, 7] }, 1), (DType.BF16, [[2, 5], [1, 5], [4, 5]], 0), (DType.I64, [[4, 3, 1], [4, 3, 5]], -1) })
        {
            int d = dim < 0 ? dim + shapes[0].Length : dim;
            list.Add(Case(Op.Concat, $"{string.Join(" ++ ", shapes.Select(Dims))} dim {dim}", dt,
                shapes.Select(s => new InputSpec(s, dt, dt == DType.I64 ? InputKind.Ids : InputKind.Normal, Vocab: 1000)).ToArray(),
                (b, t) => b.Concat(t, dim), x => R.Concat(x.Select((v, i) => (v, shapes[i])).ToList(), d)));
        }

        foreach (var (dt, shape, dim, start, len) in new[] { (DType.F32, new[] { 4, 5, 6 }, 1, 1, 3), (DType.BF16, [7, 3], 0, 6, 1), (DType.U8, [2, 9], -1, 2, 5) })
        {
            int d = dim < 0 ? dim + shape.Length : dim;
            list.Add(Case(Op.Slice, $"{Dims(shape)} dim {dim} [{start}, +{len})", dt, [new InputSpec(shape, dt, dt == DType.U8 ? InputKind.Ids : InputKind.Normal, Vocab: 256)],
                (b, t) => b.Slice(t[0], dim, start, len), x => R.Slice(x[0], shape, d, start, len)));
        }
        // Split has no Op value of its own: it is a sequence of slices and is checked with them.
        int[] ss = [4, 5, 6];
        list.Add(new ParityCase
        {
            Op = Op.Slice,
            Name = "Slice[split 4x5x6 dim 2 into 1+2+3] f32",
            Inputs = [F32(ss)],
            Run = (b, t) => b.Split(t[0], [1, 2, 3], 2),
            Reference = x => R.Slice(x[0], ss, 2, 0, 1).Concat(R.Slice(x[0], ss, 2, 1, 2)).Concat(R.Slice(x[0], ss, 2, 3, 3)).ToArray(),
        });

        foreach (var (dt, shape, dims) in new[]
        {
            (DType.F32, new[] { 2, 3, 4, 5 }, new[] { 0, 2, 1, 3 }), (DType.BF16, [2, 3, 4, 5, 6], [0, 2, 3, 4, 1]),
            (DType.F32, [130, 67], [1, 0]), (DType.I64, [1, 2, 3, 2, 3, 5], [0, 1, 3, 2, 4, 5]), (DType.F32, [3, 1, 7], [2, 1, 0]),
        })
            list.Add(Case(Op.Permute, $"{Dims(shape)} by {string.Join(",", dims)}", dt, [new InputSpec(shape, dt, dt == DType.I64 ? InputKind.Ids : InputKind.Normal, Vocab: 1 << 20)],
                (b, t) => b.Permute(t[0], dims), x => R.Permute(x[0], shape, dims)));
    }
}
