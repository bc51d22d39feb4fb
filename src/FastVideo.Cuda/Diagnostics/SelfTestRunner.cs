using System.Diagnostics;
using System.Runtime.InteropServices;
using FastVideo.Backends;
using FastVideo.Backends.Cpu;
using FastVideo.Tensors;

namespace FastVideo.Cuda.Diagnostics;

public enum SelfTestStatus { Passed, Failed, Unsupported, NotImplemented, Error }

/// <summary>The outcome of one case: relative L2 error against the CPU backend, non-finite values, CUDA wall time.</summary>
public sealed record SelfTestResult(SelfTestCase Case, SelfTestStatus Status, double RelL2, int NonFinite, double CudaMilliseconds, string Message);

/// <summary>
/// Runs <see cref="SelfTestCase"/>s: inputs drawn on the host from the seed (each run may use a fresh seed; the
/// seed is printed so a failure can be replayed), the op run on the CPU backend (the reference) and on the exact or
/// mixed-precision CUDA backend. The CUDA allocators poison every buffer with NaN before the op writes it, so an
/// element left unwritten fails the case. Error = ‖cuda − cpu‖₂ / ‖cpu‖₂ over all outputs; a non-finite CUDA
/// value where the reference is finite, or any differing value of an integer output, fails the case whatever the error.
/// </summary>
public sealed class SelfTestRunner
{
    private readonly IBackend _exact;
    private readonly IBackend _mixed;
    private readonly CpuBackend _cpu;

    public int Seed { get; }

    /// <summary>
    /// <paramref name="exact"/> runs the FP32 rows, <paramref name="mixed"/> the mixed-precision ones (normally two
    /// <see cref="CudaBackend"/>s, whose allocators are switched to poisoning; any backend works, which lets the
    /// table itself be checked on the CPU).
    /// </summary>
    public SelfTestRunner(IBackend exact, IBackend mixed, int seed, CpuBackend? cpu = null)
    {
        _exact = exact;
        _mixed = mixed;
        _cpu = cpu ?? CpuBackend.Default;
        Seed = seed;
        if (exact is CudaBackend e) e.CudaAllocator.PoisonAllocations = true;
        if (mixed is CudaBackend m) m.CudaAllocator.PoisonAllocations = true;
    }

    public SelfTestResult Run(SelfTestCase c, int index)
    {
        var backend = c.Mixed ? _mixed : _exact;
        if (!backend.Supports(c.Op, c.DType))
            return new(c, SelfTestStatus.Unsupported, double.NaN, 0, 0, $"{c.Op} for {c.DType}: a kernel module it needs is missing");
        var host = MakeInputs(c, unchecked(Seed * 7919 + index));
        Tensor[]? reference = null, result = null;
        var hostInputs = new List<Tensor>();
        var deviceInputs = new List<Tensor>();
        try
        {
            foreach (var (bytes, spec) in host)
            {
                var h = Tensor.Empty(CpuAllocator.Shared, spec.Shape, spec.DType);
                bytes.CopyTo(h.AsSpan<byte>());
                hostInputs.Add(h);
            }
            reference = c.Run(_cpu, hostInputs.ToArray());
            foreach (var h in hostInputs) deviceInputs.Add(backend.Copy(h));
            backend.Synchronize();
            var sw = Stopwatch.StartNew();
            result = c.Run(backend, deviceInputs.ToArray());
            backend.Synchronize();
            double ms = sw.Elapsed.TotalMilliseconds;
            return Compare(c, reference, result, ms);
        }
        catch (NotImplementedException e)
        {
            return new(c, SelfTestStatus.NotImplemented, double.NaN, 0, 0, e.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new(c, SelfTestStatus.Error, double.NaN, 0, 0, $"{e.GetType().Name}: {e.Message}");
        }
        finally
        {
            foreach (var t in hostInputs) t.Dispose();
            foreach (var t in deviceInputs) t.Dispose();
            if (reference != null) foreach (var t in reference) t.Dispose();
            if (result != null) foreach (var t in result) t.Dispose();
        }
    }

    private static SelfTestResult Compare(SelfTestCase c, Tensor[] reference, Tensor[] result, double ms)
    {
        if (reference.Length != result.Length)
            return new(c, SelfTestStatus.Failed, double.NaN, 0, ms, $"{result.Length} outputs, the CPU gives {reference.Length}");
        double num = 0, den = 0;
        int nonFinite = 0, intMismatches = 0;
        string? first = null;
        for (int k = 0; k < reference.Length; k++)
        {
            if (!reference[k].ShapeSpan.SequenceEqual(result[k].ShapeSpan) || reference[k].DType != result[k].DType)
                return new(c, SelfTestStatus.Failed, double.NaN, 0, ms,
                    $"output {k}: [{ShapeUtil.Format(result[k].ShapeSpan)}] {result[k].DType}, the CPU gives [{ShapeUtil.Format(reference[k].ShapeSpan)}] {reference[k].DType}");
            var r = ReadAsDouble(reference[k]);
            var g = ReadAsDouble(result[k]);
            bool exact = !reference[k].DType.IsFloat(); // integer and Bool results must match exactly
            for (int i = 0; i < r.Length; i++)
            {
                if (exact && r[i] != g[i])
                {
                    intMismatches++;
                    first ??= $"output {k}[{i}] = {g[i]}, the CPU gives {r[i]}";
                }
                if (double.IsFinite(r[i]) != double.IsFinite(g[i]) || (!double.IsFinite(r[i]) && !(double.IsNaN(r[i]) && double.IsNaN(g[i])) && r[i] != g[i]))
                {
                    nonFinite++;
                    first ??= $"output {k}[{i}] = {g[i]}, the CPU gives {r[i]}";
                    continue;
                }
                if (!double.IsFinite(r[i])) continue;
                double d = g[i] - r[i];
                num += d * d;
                den += r[i] * r[i];
            }
        }
        double rel = den > 0 ? Math.Sqrt(num / den) : Math.Sqrt(num);
        bool ok = nonFinite == 0 && intMismatches == 0 && rel <= c.Tolerance;
        string msg = nonFinite > 0 ? $"{nonFinite} non-finite mismatches, first {first}"
            : intMismatches > 0 ? $"{intMismatches} integer values differ, first {first}"
            : ok ? "" : $"relative L2 {rel:E2} > {c.Tolerance:E0}";
        return new(c, ok ? SelfTestStatus.Passed : SelfTestStatus.Failed, rel, nonFinite, ms, msg);
    }

    private static double[] ReadAsDouble(Tensor t)
    {
        if (t.DType == DType.I64) return Array.ConvertAll(t.ToArray<long>(), v => (double)v);
        if (t.DType == DType.I32) return Array.ConvertAll(t.ToArray<int>(), v => (double)v);
        return Array.ConvertAll(t.ToFloatArray(), v => (double)v);
    }

    /// <summary>The stored bytes of each input, drawn from <paramref name="seed"/>.</summary>
    public static (byte[] Bytes, SelfTestInput Spec)[] MakeInputs(SelfTestCase c, int seed)
    {
        var rng = new Random(seed);
        var r = new (byte[], SelfTestInput)[c.Inputs.Length];
        for (int k = 0; k < c.Inputs.Length; k++)
        {
            var s = c.Inputs[k];
            int n = checked((int)ShapeUtil.Numel(s.Shape));
            var bytes = new byte[(long)n * s.DType.Size()];
            if (s.DType == DType.I64)
            {
                var v = new long[n];
                for (int i = 0; i < n; i++) v[i] = rng.Next(Math.Max(1, s.Vocab));
                MemoryMarshal.AsBytes(v.AsSpan()).CopyTo(bytes);
            }
            else if (s.DType is DType.I32 or DType.U8 or DType.Bool)
            {
                var v = new float[n];
                for (int i = 0; i < n; i++) v[i] = rng.Next(Math.Max(1, s.Vocab));
                DTypeConvert.FromFloat(v, s.DType, bytes);
            }
            else
            {
                var v = new float[n];
                for (int i = 0; i < n; i++)
                    v[i] = s.Distribution switch
                    {
                        InputDistribution.Uniform => (float)(s.Lo + (s.Hi - s.Lo) * rng.NextDouble()),
                        InputDistribution.AwayFromZero => (float)((0.5 + 1.5 * rng.NextDouble()) * (rng.Next(2) == 0 ? -1 : 1)),
                        InputDistribution.Ids => rng.Next(Math.Max(1, s.Vocab)),
                        _ => Normal(rng),
                    };
                DTypeConvert.FromFloat(v, s.DType, bytes);
            }
            r[k] = (bytes, s);
        }
        return r;
    }

    private static float Normal(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}
