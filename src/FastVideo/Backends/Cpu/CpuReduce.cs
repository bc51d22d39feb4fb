using System.Runtime.Intrinsics;

namespace FastVideo.Backends.Cpu;

/// <summary>
/// Row reductions in double precision over float data (each float lane widened to double before it is
/// added), vectorised with Vector512. The order of additions is fixed for a given length, so results are
/// reproducible regardless of threading.
/// </summary>
internal static unsafe class CpuReduce
{
    /// <summary>Σ p[i].</summary>
    public static double Sum(float* p, long n)
    {
        long i = 0;
        double s = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var a0 = Vector512<double>.Zero;
            var a1 = Vector512<double>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Load(p + i));
                a0 += lo;
                a1 += hi;
            }
            s = Vector512.Sum(a0 + a1);
        }
        for (; i < n; i++) s += p[i];
        return s;
    }

    /// <summary>Σ p[i]².</summary>
    public static double SumSquares(float* p, long n)
    {
        long i = 0;
        double s = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var a0 = Vector512<double>.Zero;
            var a1 = Vector512<double>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Load(p + i));
                a0 = Vector512.FusedMultiplyAdd(lo, lo, a0);
                a1 = Vector512.FusedMultiplyAdd(hi, hi, a1);
            }
            s = Vector512.Sum(a0 + a1);
        }
        for (; i < n; i++) s += (double)p[i] * p[i];
        return s;
    }

    /// <summary>Σ (p[i] − mean)².</summary>
    public static double SumSquaredDeviations(float* p, long n, double mean)
    {
        long i = 0;
        double s = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var a0 = Vector512<double>.Zero;
            var a1 = Vector512<double>.Zero;
            var m = Vector512.Create(mean);
            for (; i + 16 <= n; i += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Load(p + i));
                lo -= m;
                hi -= m;
                a0 = Vector512.FusedMultiplyAdd(lo, lo, a0);
                a1 = Vector512.FusedMultiplyAdd(hi, hi, a1);
            }
            s = Vector512.Sum(a0 + a1);
        }
        for (; i < n; i++)
        {
            double d = p[i] - mean;
            s += d * d;
        }
        return s;
    }

    /// <summary>acc[j] += p[j] for j &lt; n (double accumulators, float data).</summary>
    public static void AccumulateInto(double* acc, float* p, long n)
    {
        long j = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; j + 16 <= n; j += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Load(p + j));
                (Vector512.Load(acc + j) + lo).Store(acc + j);
                (Vector512.Load(acc + j + 8) + hi).Store(acc + j + 8);
            }
        for (; j < n; j++) acc[j] += p[j];
    }

    /// <summary>acc[j] += p[j]² for j &lt; n.</summary>
    public static void AccumulateSquaresInto(double* acc, float* p, long n)
    {
        long j = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; j + 16 <= n; j += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Load(p + j));
                Vector512.FusedMultiplyAdd(lo, lo, Vector512.Load(acc + j)).Store(acc + j);
                Vector512.FusedMultiplyAdd(hi, hi, Vector512.Load(acc + j + 8)).Store(acc + j + 8);
            }
        for (; j < n; j++) acc[j] += (double)p[j] * p[j];
    }

    /// <summary>max p[i] (NaN if any element is NaN; −∞ for n = 0).</summary>
    public static float Max(float* p, long n)
    {
        long i = 0;
        float m = float.NegativeInfinity;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var v = Vector512.Load(p);
            for (i = 16; i + 16 <= n; i += 16) v = Vector512.Max(v, Vector512.Load(p + i));
            for (int k = 0; k < 16; k++) m = MathF.Max(m, v[k]);
        }
        for (; i < n; i++) m = MathF.Max(m, p[i]);
        return m;
    }
}
