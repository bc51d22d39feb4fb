using FastVideo.Backends;
using FastVideo.Tensors;
using static FastVideo.Tests.Parity.InputSpec;
using R = FastVideo.Tests.Parity.DoubleReference;

namespace FastVideo.Tests.Parity;

public static partial class ParityCases
{
    // ---- GEMM, convolution, resampling, attention --------------------------------------------------------------

    private static void AddCompute(List<ParityCase> list)
    {
        foreach (var (a, b, tb, alpha) in new[]
        {
            (new[] { 3, 5 }, new[] { 5, 7 }, false, 1f), ([2, 3, 5], [5, 4], false, 1f), ([2, 4, 6], [2, 3, 6], true, 0.5f),
            ([1, 1], [1, 1], false, 1f), ([2, 2, 17, 33], [2, 2, 33, 9], false, 1f),
        })
            list.Add(Case(Op.MatMul, $"{Dims(a)} · {Dims(b)}{(tb ? "ᵀ" : "")}{(alpha != 1 ? $" α={alpha}" : "")}", DType.F32, [F32(a), F32(b)],
                (be, t) => be.MatMul(t[0], t[1], tb, alpha), x => R.MatMul(x[0], a, x[1], b, tb, alpha)));

        foreach (var (xs, outF, wt, bias) in new[]
        {
            (new[] { 3, 7 }, 5, DType.F32, true), ([2, 3, 17], 9, DType.BF16, true), ([1, 33], 4, DType.F16, false), ([1], 1, DType.F32, true),
        })
        {
            int inF = xs[^1];
            var inputs = new List<InputSpec> { F32(xs), Of(wt, outF, inF) };
            if (bias) inputs.Add(Of(wt, outF));
            list.Add(Case(Op.Linear, $"{Dims(xs)} → {outF}{(bias ? " + bias" : "")}", wt, inputs.ToArray(),
                (be, t) => be.Linear(t[0], t[1], bias ? t[2] : null), x => R.Linear(x[0], inF, x[1], outF, bias ? x[2] : null)));
        }

        foreach (var (xs, ws, wt, bias, stride, pad) in new[]
        {
            (new[] { 1, 3, 7, 9 }, new[] { 4, 3, 3, 3 }, DType.F32, true, (1, 1), (1, 1, 1, 1)),
            ([2, 2, 8, 6], [3, 2, 3, 3], DType.F32, false, (2, 2), (0, 1, 0, 1)),
            ([1, 3, 5, 5], [2, 3, 1, 1], DType.BF16, true, (1, 1), (0, 0, 0, 0)),
        })
        {
            int[] x5 = [xs[0], xs[1], 1, xs[2], xs[3]], w5 = [ws[0], ws[1], 1, ws[2], ws[3]];
            var inputs = new List<InputSpec> { F32(xs), Of(wt, ws) };
            if (bias) inputs.Add(F32(ws[0]));
            list.Add(Case(Op.Conv2d, $"{Dims(xs)} * {Dims(ws)} s{stride.Item1} p{pad}", wt, inputs.ToArray(),
                (be, t) => be.Conv2d(t[0], t[1], bias ? t[2] : null, stride, pad),
                x => R.Conv3d(x[0], x5, x[1], w5, bias ? x[2] : null, (1, stride.Item1, stride.Item2), (0, 0, pad.Item1, pad.Item2, pad.Item3, pad.Item4)).Y));
        }

        foreach (var (xs, ws, bias, stride, pad) in new[]
        {
            (new[] { 1, 3, 5, 6, 7 }, new[] { 4, 3, 3, 3, 3 }, true, (1, 1, 1), (2, 0, 1, 1, 1, 1)),
            ([1, 2, 4, 6, 6], [2, 2, 1, 3, 3], false, (1, 2, 2), (0, 0, 0, 1, 0, 1)),
        })
        {
            var inputs = new List<InputSpec> { F32(xs), F32(ws) };
            if (bias) inputs.Add(F32(ws[0]));
            list.Add(Case(Op.Conv3d, $"{Dims(xs)} * {Dims(ws)} s{stride} p{pad}", DType.F32, inputs.ToArray(),
                (be, t) => be.Conv3d(t[0], t[1], bias ? t[2] : null, stride, pad),
                x => R.Conv3d(x[0], xs, x[1], ws, bias ? x[2] : null, stride, pad).Y));
        }

        foreach (var shape in new[] { new[] { 1, 3, 5, 7 }, new[] { 2, 3, 4, 5, 3 }, new[] { 1, 1 } })
            list.Add(Case(Op.UpsampleNearest2x, Dims(shape), DType.F32, [F32(shape)],
                (be, t) => be.UpsampleNearest2x(t[0]), x => R.UpsampleNearest2x(x[0], shape)));

        foreach (var (qs, ks, vs, ms) in new[]
        {
            (new[] { 1, 2, 5, 8 }, new[] { 1, 2, 7, 8 }, new[] { 1, 2, 7, 8 }, (int[]?)null),
            ([1, 2, 5, 8], [1, 2, 7, 8], [1, 2, 7, 4], [1, 1, 5, 7]),
            ([2, 3, 17, 16], [2, 3, 33, 16], [2, 3, 33, 16], null),
            ([1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], null),
        })
        {
            float scale = 1f / MathF.Sqrt(qs[3]);
            var inputs = new List<InputSpec> { F32(qs), F32(ks), F32(vs) };
            if (ms != null) inputs.Add(new InputSpec(ms, Kind: InputKind.Uniform, Lo: -3, Hi: 0));
            list.Add(Case(Op.Attention, $"q {Dims(qs)}, k {Dims(ks)}, v {Dims(vs)}{(ms != null ? $", mask {Dims(ms)}" : "")}", DType.F32, inputs.ToArray(),
                (be, t) => be.Attention(t[0], t[1], t[2], ms != null ? t[3] : null, scale),
                x => R.Attention(x[0], qs, x[1], ks, x[2], vs, ms != null ? x[3] : null, ms, scale)));
        }
    }
}
