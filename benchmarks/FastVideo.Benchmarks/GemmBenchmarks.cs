using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using FastVideo.Backends.Cpu;
using FastVideo.Tensors;

namespace FastVideo.Benchmarks;

/// <summary>
/// The managed GEMM (<see cref="CpuGemm"/>) with F32 and BF16 B operands beside OpenBLAS cblas_sgemm on the
/// same F32 operands, same thread count, same process. BDN's Ratio column is time / OpenBLAS time; the
/// GFLOP/s column is 2·M·N·K / mean time.
/// Run: <c>dotnet run -c Release --project benchmarks/FastVideo.Benchmarks -- --filter *Gemm* --job short</c>
/// </summary>
[Config(typeof(BenchConfig))]
public unsafe class GemmBenchmarks
{
    private float* _a, _b, _c;
    private ushort* _bBf16;
    private GemmShape _s = null!;

    [ParamsSource(nameof(Shapes))]
    public string Shape { get; set; } = "";

    /// <summary>The standard shapes, or those listed in FASTVIDEO_BENCH_SHAPES (comma-separated, e.g. "1024x1024x1024-NN").</summary>
    public static IEnumerable<string> Shapes =>
        Environment.GetEnvironmentVariable("FASTVIDEO_BENCH_SHAPES") is { Length: > 0 } list
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : GemmShape.Standard;

    /// <summary>Threads for both libraries (the machine's processor count unless FASTVIDEO_BENCH_THREADS says otherwise).</summary>
    public static int Threads => int.TryParse(Environment.GetEnvironmentVariable("FASTVIDEO_BENCH_THREADS"), out int t) ? t : Environment.ProcessorCount;

    [GlobalSetup]
    public void Setup()
    {
        _s = GemmShape.Parse(Shape);
        long a = (long)_s.M * _s.K, b = (long)_s.K * _s.N, c = (long)_s.M * _s.N;
        _a = Alloc(a);
        _b = Alloc(b);
        _c = Alloc(c);
        _bBf16 = (ushort*)NativeMemory.AlignedAlloc((nuint)(b * 2), 64);
        var rng = new Random(1);
        for (long i = 0; i < a; i++) _a[i] = (float)(rng.NextDouble() - 0.5);
        for (long i = 0; i < b; i++)
        {
            _bBf16[i] = BFloat16.RoundToBits((float)(rng.NextDouble() - 0.5));
            _b[i] = BFloat16.BitsToSingle(_bBf16[i]);
        }
        new Span<float>(_c, (int)c).Clear();
        if (OpenBlas.Available) OpenBlas.SetNumThreads(Threads);
    }

    private static float* Alloc(long n) => (float*)NativeMemory.AlignedAlloc((nuint)(n * 4), 64);

    [GlobalCleanup]
    public void Cleanup()
    {
        NativeMemory.AlignedFree(_a);
        NativeMemory.AlignedFree(_b);
        NativeMemory.AlignedFree(_c);
        NativeMemory.AlignedFree(_bBf16);
    }

    private int Ldb => _s.TransB ? _s.K : _s.N;

    [Benchmark(Baseline = true, Description = "OpenBLAS F32")]
    public void OpenBlasF32() =>
        OpenBlas.Sgemm(OpenBlas.RowMajor, OpenBlas.NoTrans, _s.TransB ? OpenBlas.Trans : OpenBlas.NoTrans, _s.M, _s.N, _s.K, 1f,
            _a, _s.K, _b, Ldb, 0f, _c, _s.N);

    [Benchmark(Description = "Ours F32")]
    public void OursF32() =>
        CpuGemm.Gemm(false, _s.TransB, _s.M, _s.N, _s.K, 1f, _a, _s.K, _b, GemmBType.F32, Ldb, 0f, _c, _s.N, null, Threads);

    [Benchmark(Description = "Ours BF16 B")]
    public void OursBf16() =>
        CpuGemm.Gemm(false, _s.TransB, _s.M, _s.N, _s.K, 1f, _a, _s.K, _bBf16, GemmBType.BF16, Ldb, 0f, _c, _s.N, null, Threads);
}
