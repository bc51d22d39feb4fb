using System.Runtime.InteropServices;
using System.Text;
using FastVideo.Backends;
using FastVideo.Tensors;
using FastVideo.Tests.Support;

namespace FastVideo.Tests.Parity;

public enum ParityStatus { Passed, Failed, Unsupported, NotImplemented }

/// <summary>The outcome of one case: status, the measured errors and a message for the test log.</summary>
public sealed record ParityResult(ParityStatus Status, string Message, double Nmse = double.NaN, double NmseVsDouble = double.NaN);

/// <summary>
/// ggml's test-backend-ops idea for this engine: run every op case on a candidate backend and on a reference
/// backend from identical inputs, and compare by normalized MSE (Σ(c − r)² / Σr²) plus a NaN/Inf check;
/// where the case has a double-precision reference, judge the candidate against it as well.
/// Ops the candidate does not support (<see cref="IBackend.Supports"/> false) are reported as unsupported;
/// ops either backend has not implemented yet (<see cref="NotImplementedException"/>) as not implemented.
/// Reusable for any pair: a new backend joins by constructing this with (CpuBackend, newBackend).
/// </summary>
public sealed class BackendParity(IBackend reference, IBackend candidate)
{
    public IBackend Reference { get; } = reference;
    public IBackend Candidate { get; } = candidate;

    public ParityResult Run(ParityCase c)
    {
        if (!Candidate.Supports(c.Op, c.DType))
            return new(ParityStatus.Unsupported, $"{Candidate.Name} does not support {c.Op} for {c.DType}");

        var host = BuildInputs(c);
        Tensor[]? refOut = null, candOut = null;
        try
        {
            refOut = Execute(Reference, c, host, out string? refMissing);
            if (refMissing != null) return new(ParityStatus.NotImplemented, $"reference {Reference.Name}: {refMissing}");
            candOut = Execute(Candidate, c, host, out string? candMissing);
            if (candMissing != null) return new(ParityStatus.NotImplemented, $"candidate {Candidate.Name}: {candMissing}");
            return Compare(c, host, refOut!, candOut!);
        }
        finally
        {
            if (refOut != null) foreach (var t in refOut) t.Dispose();
            if (candOut != null) foreach (var t in candOut) t.Dispose();
        }
    }

    /// <summary>The stored bytes of each input, generated on the host from the case's seed.</summary>
    public static (byte[] Bytes, InputSpec Spec)[] BuildInputs(ParityCase c)
    {
        var r = new (byte[], InputSpec)[c.Inputs.Length];
        for (int k = 0; k < c.Inputs.Length; k++)
        {
            var s = c.Inputs[k];
            int n = (int)DoubleReference.Numel(s.Shape);
            int seed = c.Seed + 7919 * k;
            var f = s.Kind switch
            {
                InputKind.Uniform => Numerics.RandomUniform(n, seed, s.Lo, s.Hi),
                InputKind.AwayFromZero => AwayFromZero(n, seed),
                InputKind.Ids => Ids(n, seed, s.Vocab),
                InputKind.Special => Special(n, seed),
                _ => Numerics.RandomNormal(n, seed, s.Scale),
            };
            var bytes = new byte[(long)n * s.DType.Size()];
            DTypeConvert.FromFloat(f, s.DType, bytes);
            r[k] = (bytes, s);
        }
        return r;
    }

    private static float[] AwayFromZero(int n, int seed)
    {
        var rng = new Random(seed);
        var f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float)((0.5 + 1.5 * rng.NextDouble()) * (rng.Next(2) == 0 ? -1 : 1));
        return f;
    }

    /// <summary>Values where conversions differ by rule: ties, type limits (2³¹, 2⁶³ and their neighbours), ±∞, NaN, subnormals.</summary>
    public static readonly float[] SpecialValues =
    [
        0f, -0f, 0.4f, -0.6f, 1.5f, -2.5f, 2.5f, 127.9f, 128f, 255.5f, 256f, 300.7f, -129.3f, 65504f, 65520f, 1e5f, 3e9f, -3e9f,
        2147483520f, 2147483648f, -2147483648f, -2147483904f, 1e19f, -1e19f, 9.2233715e18f, 9.223372e18f, -9.223372e18f,
        float.PositiveInfinity, float.NegativeInfinity, float.NaN, 1e-40f, -7f,
    ];

    private static float[] Special(int n, int seed)
    {
        var f = Numerics.RandomNormal(n, seed, 1000f);
        for (int i = 0; i < Math.Min(n, SpecialValues.Length); i++) f[i] = SpecialValues[i];
        return f;
    }

    private static float[] Ids(int n, int seed, int vocab)
    {
        var rng = new Random(seed);
        var f = new float[n];
        for (int i = 0; i < n; i++) f[i] = rng.Next(vocab);
        return f;
    }

    /// <summary>Uploads the inputs through <see cref="IBackend.Copy"/> (from host tensors) and runs the op.</summary>
    private static Tensor[]? Execute(IBackend backend, ParityCase c, (byte[] Bytes, InputSpec Spec)[] host, out string? notImplemented)
    {
        notImplemented = null;
        var inputs = new List<Tensor>();
        try
        {
            foreach (var (bytes, spec) in host)
            {
                using var h = Tensor.Empty(CpuAllocator.Shared, spec.Shape, spec.DType);
                bytes.CopyTo(h.AsSpan<byte>());
                inputs.Add(backend.Copy(h));
            }
            var outs = c.Run(backend, inputs.ToArray());
            backend.Synchronize();
            return outs;
        }
        catch (NotImplementedException e)
        {
            notImplemented = $"{c.Op} not implemented ({e.Message})";
            return null;
        }
        finally
        {
            foreach (var t in inputs) t.Dispose();
        }
    }

    private ParityResult Compare(ParityCase c, (byte[] Bytes, InputSpec Spec)[] host, Tensor[] r, Tensor[] k)
    {
        if (r.Length != k.Length)
            return new(ParityStatus.Failed, $"{r.Length} reference outputs, {k.Length} candidate outputs");
        var refVals = new List<double>();
        var candVals = new List<double>();
        for (int i = 0; i < r.Length; i++)
        {
            if (!r[i].ShapeSpan.SequenceEqual(k[i].ShapeSpan) || r[i].DType != k[i].DType)
                return new(ParityStatus.Failed,
                    $"output {i}: reference [{ShapeUtil.Format(r[i].ShapeSpan)}] {r[i].DType}, candidate [{ShapeUtil.Format(k[i].ShapeSpan)}] {k[i].DType}");
            if (!r[i].DType.IsFloat())
            {
                // Integer results must agree exactly.
                var rb = ReadBytes(r[i]);
                var kb = ReadBytes(k[i]);
                if (!rb.AsSpan().SequenceEqual(kb))
                    return new(ParityStatus.Failed, $"output {i} ({r[i].DType}) differs from the reference");
            }
            // Exact values (I32/I64 through float would round above 2²⁴).
            refVals.AddRange(ToDoubles(ReadBytes(r[i]), r[i].DType));
            candVals.AddRange(ToDoubles(ReadBytes(k[i]), k[i].DType));
        }
        var cand = candVals.ToArray();
        string? bad = NonFinite(cand, refVals.ToArray(), "reference backend");
        if (bad != null) return new(ParityStatus.Failed, bad);
        double nmse = Nmse(cand, refVals.ToArray());
        var msg = new StringBuilder($"nmse vs {Reference.Name} = {nmse:E2} (max {c.MaxNmse:E0})");
        double nmseD = double.NaN;
        if (c.Reference != null)
        {
            var inputs = host.Select(h => ToDoubles(h.Bytes, h.Spec.DType)).ToArray();
            var exp = c.Reference(inputs);
            if (exp.Length != cand.Length)
                return new(ParityStatus.Failed, $"double reference has {exp.Length} values, the op produced {cand.Length}");
            bad = NonFinite(cand, exp, "double reference");
            if (bad != null) return new(ParityStatus.Failed, bad);
            nmseD = Nmse(cand, exp);
            msg.Append($"; nmse vs double = {nmseD:E2} (max {c.MaxNmseVsDouble:E0})");
        }
        bool ok = nmse <= c.MaxNmse && (double.IsNaN(nmseD) || nmseD <= c.MaxNmseVsDouble);
        return new(ok ? ParityStatus.Passed : ParityStatus.Failed, msg.ToString(), nmse, nmseD);
    }

    private static byte[] ReadBytes(Tensor t)
    {
        var b = new byte[t.Bytes];
        t.Storage.Allocator.CopyToHost(t.DataPointer, b);
        return b;
    }

    public static double[] ToDoubles(byte[] bytes, DType dtype)
    {
        int n = bytes.Length / dtype.Size();
        // Integers exactly (through float, I32 values above 2²⁴ would round).
        if (dtype == DType.I64) return MemoryMarshal.Cast<byte, long>(bytes).ToArray().Select(v => (double)v).ToArray();
        if (dtype == DType.I32) return MemoryMarshal.Cast<byte, int>(bytes).ToArray().Select(v => (double)v).ToArray();
        var f = new float[n];
        DTypeConvert.ToFloat(bytes, dtype, f);
        return f.Select(v => (double)v).ToArray();
    }

    /// <summary>Σ(a − b)² / Σb² (Σ(a − b)² when b is all zeros); NaN-equal positions count as equal.</summary>
    public static double Nmse(double[] a, double[] b)
    {
        double num = 0, den = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (double.IsNaN(a[i]) && double.IsNaN(b[i])) continue;
            if (double.IsInfinity(b[i]) && a[i] == b[i]) continue;
            double d = a[i] - b[i];
            num += d * d;
            den += b[i] * b[i];
        }
        return den > 0 ? num / den : num;
    }

    /// <summary>A message for the first value that is NaN/Inf where the expectation is finite (or the other way round).</summary>
    private static string? NonFinite(double[] got, double[] expected, string what)
    {
        for (int i = 0; i < got.Length; i++)
        {
            bool gf = double.IsFinite(got[i]), ef = double.IsFinite(expected[i]);
            if (gf != ef || (!gf && !(double.IsNaN(got[i]) && double.IsNaN(expected[i])) && got[i] != expected[i]))
                return $"value [{i}] is {got[i]}, the {what} has {expected[i]}";
        }
        return null;
    }
}
