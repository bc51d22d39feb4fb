using FastVideo.Cuda.Kernels;
using FastVideo.Interop;
using FastVideo.Tensors;

namespace FastVideo.Cuda.Diagnostics;

/// <summary>
/// One timed kernel: median and best time over the runs, and the rates they give. Flops is the floating-point
/// work of one run (0 for data movement); Bytes the fewest bytes one run must move through device memory (inputs
/// read once, outputs written once); InputSets how many input sets the runs rotated over.
/// </summary>
public sealed record BenchResult(string Kernel, string Shape, double MedianMs, double MinMs, double Flops, double Bytes, int Runs, int InputSets)
{
    public double Tflops => Flops / (MedianMs * 1e-3) / 1e12;
    public double GBs => Bytes / (MedianMs * 1e-3) / 1e9;
}

/// <summary>
/// Times kernels with CUDA events: each case runs <see cref="Warmup"/> times untimed (module load, NVRTC,
/// cuBLASLt heuristics and allocation stay out), then <see cref="Runs"/> times, each bracketed by two events on
/// the stream; the median is reported. Inputs are rotated across enough sets that one pass over them exceeds
/// four times the L2 cache, so repeated runs do not read from the cache. Inputs are random (never zeros).
/// </summary>
public sealed partial class KernelBench
{
    private readonly CudaBackend _b;

    public int Warmup { get; init; } = 5;
    public int Runs { get; init; } = 50;

    /// <summary>Bytes one pass over the input sets should exceed (4 × L2 by default).</summary>
    public long RotateBytes { get; init; }

    /// <summary>At most this many input sets per case (bounds memory for large cases).</summary>
    public int MaxSets { get; init; } = 8;

    public KernelBench(CudaBackend backend)
    {
        _b = backend;
        RotateBytes = Math.Max(4L * backend.CudaDevice.Info.L2CacheBytes, 64L << 20);
    }

    /// <summary>
    /// Runs every case whose name contains <paramref name="filter"/> (all when null) and reports each as it finishes.
    /// A case that throws is reported through <paramref name="error"/> and the run goes on (cases whose kernel
    /// module is missing are skipped silently).
    /// </summary>
    public List<BenchResult> RunAll(string? filter, Action<BenchResult>? report = null, Action<string, Exception>? error = null)
    {
        var results = new List<BenchResult>();
        foreach (var (name, run) in Cases())
        {
            if (filter != null && !name.Contains(filter, StringComparison.OrdinalIgnoreCase)) continue;
            BenchResult? r;
            try
            {
                r = run();
            }
            catch (Exception e) when (e is CudaException or InvalidOperationException or NotSupportedException or OutOfDeviceMemoryException)
            {
                error?.Invoke(name, e);
                continue;
            }
            if (r == null) continue;
            results.Add(r);
            report?.Invoke(r);
        }
        return results;
    }

    /// <summary>
    /// Times <paramref name="launch"/>(set) with events. <paramref name="setBytes"/> is the input bytes of one set:
    /// the number of sets is chosen so that a pass over all sets exceeds <see cref="RotateBytes"/>.
    /// </summary>
    private BenchResult Measure(string kernel, string shape, double flops, double bytes, long setBytes, Func<int, IDisposable> makeSet, Action<int> launch)
    {
        int sets = (int)Math.Clamp((RotateBytes + setBytes - 1) / Math.Max(1, setBytes), 1, MaxSets);
        var owned = new List<IDisposable>();
        try
        {
            for (int s = 0; s < sets; s++) owned.Add(makeSet(s));
            _b.Synchronize();
            for (int i = 0; i < Warmup; i++) launch(i % sets);
            _b.Synchronize();
            using var start = _b.CudaDevice.CreateEvent();
            using var end = _b.CudaDevice.CreateEvent();
            var times = new double[Runs];
            for (int i = 0; i < Runs; i++)
            {
                start.Record(_b.CudaDevice.Stream);
                launch(i % sets);
                end.Record(_b.CudaDevice.Stream);
                times[i] = CudaEvent.ElapsedMilliseconds(start, end);
            }
            Array.Sort(times);
            return new BenchResult(kernel, shape, times[Runs / 2], times[0], flops, bytes, Runs, sets);
        }
        finally
        {
            foreach (var o in owned) o.Dispose();
        }
    }

    /// <summary>A random device tensor (normal values, converted to <paramref name="dtype"/> on the host).</summary>
    private Tensor Random(int seed, DType dtype, params int[] shape)
    {
        long n = ShapeUtil.Numel(shape);
        var rng = new System.Random(seed);
        var f = new float[n];
        for (long i = 0; i < n; i++) f[i] = (float)(rng.NextDouble() * 2 - 1);
        var bytes = new byte[n * dtype.Size()];
        DTypeConvert.FromFloat(f, dtype, bytes);
        var t = _b.Empty(shape, dtype);
        _b.Allocator.CopyFromHost(bytes, t.DataPointer);
        return t;
    }

    /// <summary>Disposes a group of tensors as one set.</summary>
    private sealed class Set(params Tensor[] tensors) : IDisposable
    {
        public Tensor this[int i] => tensors[i];
        public void Dispose()
        {
            foreach (var t in tensors) t.Dispose();
        }
    }

    private static string Dims(params long[] s) => string.Join("x", s);
}
