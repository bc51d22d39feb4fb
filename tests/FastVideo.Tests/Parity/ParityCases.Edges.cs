using FastVideo.Backends;
using FastVideo.Cuda.Diagnostics;
using FastVideo.Tensors;
using static FastVideo.Tests.Parity.InputSpec;
using R = FastVideo.Tests.Parity.DoubleReference;

namespace FastVideo.Tests.Parity;

public static partial class ParityCases
{
    // ---- edge rules of the contract: integer casts, fully masked attention rows ---------------------------

    /// <summary>
    /// Every cast that involves an integer or Bool dtype, on the conversion edge cases (<see cref="InputKind.Special"/>),
    /// judged exactly against <see cref="CastReference"/> (and, for integer outputs, byte for byte against the reference backend).
    /// </summary>
    private static void AddCasts(List<ParityCase> list)
    {
        // A local, not a static field: ParityCases.All is built by a static initializer in another file of this
        // partial class, which may run before this file's static fields are set.
        DType[] types = [DType.F32, DType.F16, DType.BF16, DType.I32, DType.I64, DType.U8, DType.Bool];
        int[] shape = [7, 19];
        foreach (var from in types)
            foreach (var to in types)
            {
                if (from == to || (from.IsFloat() && to.IsFloat())) continue;
                list.Add(Case(Op.Cast, $"special {Dims(shape)} {Lower(from)}→{Lower(to)}", from, [new InputSpec(shape, from, InputKind.Special)],
                    (b, t) => b.Cast(t[0], to), x => x[0].Select(v => CastReference(v, from, to)).ToArray(), maxNmse: 0, maxNmseVsDouble: 0));
            }
    }

    /// <summary>
    /// One element of IBackend.Cast, written from its rules: a float source is its exact value, an integer one its
    /// integer value; → F32 rounds once; → F16/BF16 rounds to F32 first, then to the 16-bit type (nearest even);
    /// float → I32/I64 truncates toward zero and saturates, NaN → 0; float → U8 is the low byte of the I32 result;
    /// integer → I32/U8 keeps the low bits (two's complement); → Bool is v ≠ 0 (NaN → 1). The result as double.
    /// </summary>
    public static double CastReference(double v, DType from, DType to)
    {
        bool fromFloat = from.IsFloat();
        double asF32 = fromFloat ? (float)v : (float)(long)v; // long → float: one rounding, as the backends
        switch (to)
        {
            case DType.F32: return asF32;
            case DType.F16: return (double)(Half)(float)asF32;
            case DType.BF16: return BFloat16.BitsToSingle(BFloat16.RoundToBits((float)asF32));
            case DType.Bool: return v != 0 || double.IsNaN(v) ? 1 : 0;
        }
        if (!fromFloat)
        {
            long w = (long)v;
            return to switch
            {
                DType.I32 => unchecked((int)w),
                DType.U8 => unchecked((byte)w),
                _ => w,
            };
        }
        if (to == DType.I64) return Saturate(v, 9223372036854775808.0);
        double i32 = Saturate(v, 2147483648.0);
        return to == DType.I32 ? i32 : unchecked((byte)(int)i32);
    }

    /// <summary>trunc(v) clamped to [−limit, limit − 1]; NaN → 0.</summary>
    private static double Saturate(double v, double limit)
    {
        if (double.IsNaN(v)) return 0;
        if (v >= limit) return limit - 1;
        if (v <= -limit) return -limit;
        return Math.Truncate(v);
    }

    /// <summary>
    /// Attention rows whose scores are all −∞ give 0 (IBackend.Attention): whole query rows masked, a batch with
    /// every key masked, a partly masked key range, and no keys at all. The −∞ entries are added to a finite random
    /// mask by backend ops (<see cref="SelfTestCases.MaskLeading"/>), so both backends take the same steps.
    /// </summary>
    private static void AddMaskedAttention(List<ParityCase> list)
    {
        foreach (var (qs, ks, vs, ms, dim, count) in new[]
        {
            (new[] { 1, 2, 5, 8 }, new[] { 1, 2, 7, 8 }, new[] { 1, 2, 7, 4 }, new[] { 1, 1, 5, 7 }, 2, 2),
            ([2, 3, 17, 16], [2, 3, 33, 16], [2, 3, 33, 16], [2, 1, 1, 33], 0, 1),
            ([2, 3, 17, 16], [2, 3, 33, 16], [2, 3, 33, 16], [2, 1, 1, 33], 3, 5),
            ([1, 1, 3, 5], [1, 1, 4, 5], [1, 1, 4, 5], [4], 0, 4),
        })
        {
            float scale = 1f / MathF.Sqrt(qs[3]);
            list.Add(Case(Op.Attention, $"q {Dims(qs)}, k {Dims(ks)}, v {Dims(vs)}, mask {Dims(ms)} −∞ below {count} in dim {dim}", DType.F32,
                [F32(qs), F32(ks), F32(vs), new InputSpec(ms, Kind: InputKind.Uniform, Lo: -3, Hi: 0)],
                (be, t) =>
                {
                    using var m = SelfTestCases.MaskLeading(be, t[3], dim, count);
                    return be.Attention(t[0], t[1], t[2], m, scale);
                },
                x => R.Attention(x[0], qs, x[1], ks, x[2], vs, MaskLeadingReference(x[3], ms, dim, count), ms, scale)));
        }

        int[] q0 = [1, 2, 3, 8], k0 = [1, 2, 0, 8];
        list.Add(Case(Op.Attention, $"q {Dims(q0)}, no keys", DType.F32, [F32(q0), F32(k0), F32(k0)],
            (be, t) => be.Attention(t[0], t[1], t[2], null, 0.35f), x => R.Attention(x[0], q0, x[1], k0, x[2], k0, null, null, 0.35)));
    }

    /// <summary>The double-side twin of <see cref="SelfTestCases.MaskLeading"/>: entries with index &lt; count along dim become −∞.</summary>
    private static double[] MaskLeadingReference(double[] mask, int[] shape, int dim, int count)
    {
        var m = (double[])mask.Clone();
        for (long i = 0; i < m.Length; i++)
            if (R.Unravel(i, shape)[dim] < count) m[i] = double.NegativeInfinity;
        return m;
    }
}
