using BenchmarkDotNet.Attributes;
using FastVideo.Backends;
using FastVideo.Backends.Cpu;
using FastVideo.Tensors;

namespace FastVideo.Benchmarks;

/// <summary>
/// Bandwidth of the row-wise ops through <see cref="CpuBackend.Default"/> (output allocated from the pooled
/// allocator each call, as models use them). Throughput counts one F32 read and one F32 write per element.
/// Run: <c>dotnet run -c Release --project benchmarks/FastVideo.Benchmarks -- --filter *Norm* --job short</c>
/// </summary>
[Config(typeof(BenchConfig))]
public class NormBenchmarks
{
    private readonly IBackend _be = CpuBackend.Default;
    private Tensor _x = null!, _w = null!, _b = null!;

    [Params(1560)]
    public int Rows { get; set; }

    [Params(1536, 8960)]
    public int Cols { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        var x = new float[Rows * Cols];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 4 - 2);
        var w = new float[Cols];
        for (int i = 0; i < w.Length; i++) w[i] = (float)(rng.NextDouble() + 0.5);
        _x = Tensor.FromHost<float>(x, Rows, Cols);
        _w = Tensor.FromHost<float>(w, Cols);
        _b = Tensor.FromHost<float>(w, Cols);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _x.Dispose();
        _w.Dispose();
        _b.Dispose();
    }

    [Benchmark]
    public void Softmax() => _be.Softmax(_x).Dispose();

    [Benchmark]
    public void LayerNorm() => _be.LayerNorm(_x, _w, _b, 1e-6f).Dispose();

    [Benchmark]
    public void RmsNorm() => _be.RmsNorm(_x, _w, 1e-6f).Dispose();
}
