using BenchmarkDotNet.Attributes;
using FastVideo.Attention;
using FastVideo.Backends;
using FastVideo.Backends.Cpu;
using FastVideo.Loading;
using FastVideo.Models.Dits.Wan;
using FastVideo.Tensors;

namespace FastVideo.Benchmarks;

/// <summary>
/// One Wan DiT block at Wan2.1-T2V-1.3B width (inner 1536 = 12 heads × 128, FFN 8960) over 1,560 video tokens
/// (one latent frame of a 480×832 video: 1 × 30 × 52 patches) and a 512-token text context, random weights,
/// CPU backend, reference SDPA attention. About 160 GFLOP per call (FFN 86, self-attention projections 30,
/// attention 20, cross-attention projections 20). Run: dotnet run -c Release -- --filter *WanBlock*
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3, invocationCount: 1)]
public class WanBlockBenchmark
{
    private const int Heads = 12, HeadDim = 128, Dim = Heads * HeadDim, Ffn = 8960, TextTokens = 512;
    private static readonly VideoGrid s_grid = new(1, 30, 52);

    private IBackend _backend = null!;
    private WanTransformerBlock _block = null!;
    private Tensor _x = null!, _text = null!, _tproj = null!, _cos = null!, _sin = null!;
    private IAttentionBackend _attention = null!;

    [Params(DType.F32, DType.BF16)]
    public DType WeightDType { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _backend = CpuBackend.Default;
        var config = new WanTransformerConfig
        {
            NumAttentionHeads = Heads, AttentionHeadDim = HeadDim, FfnDim = Ffn, NumLayers = 1, TextDim = 4096,
        };
        using var source = new RandomBlockSource(Dim, Ffn, WeightDType, seed: 1);
        var reader = new ParameterReader(source, _backend.Allocator, "benchmark block");
        _block = WanTransformerBlock.Load(_backend, reader, "blocks.0", config);
        reader.EnsureAllConsumed();
        _x = Random(new[] { 1, s_grid.Tokens, Dim }, 2, 1f);
        _text = Random(new[] { 1, TextTokens, Dim }, 3, 1f);
        _tproj = Random(new[] { 1, 6, Dim }, 4, 0.1f);
        var (cos, sin) = WanRotaryPosEmbed.PairTables(HeadDim, 1024, s_grid);
        _cos = Tensor.FromHost<float>(_backend.Allocator, cos, new[] { s_grid.Tokens, HeadDim / 2 });
        _sin = Tensor.FromHost<float>(_backend.Allocator, sin, new[] { s_grid.Tokens, HeadDim / 2 });
        _attention = new SdpaAttention(_backend);
    }

    [Benchmark]
    public void Block()
    {
        using var y = _block.Forward(_x, _text, null, _tproj, _cos, _sin, _attention, s_grid);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _block.Dispose();
        foreach (var t in new[] { _x, _text, _tproj, _cos, _sin }) t.Dispose();
    }

    private Tensor Random(int[] shape, int seed, float scale) =>
        Tensor.FromHost<float>(_backend.Allocator, RandomBlockSource.Normal(ShapeUtil.Numel(shape), seed, scale), shape);

    /// <summary>The parameters of <c>blocks.0</c> of a T2V Wan transformer, generated on demand: weights N(0, 1/fan_in).</summary>
    private sealed class RandomBlockSource : ITensorSource
    {
        private readonly Dictionary<string, (int[] Shape, float Scale, bool Linear)> _params = new(StringComparer.Ordinal);
        private readonly DType _linearDType;
        private readonly int _seed;

        public RandomBlockSource(int dim, int ffn, DType linearDType, int seed)
        {
            _linearDType = linearDType;
            _seed = seed;
            void Lin(string p, int o, int i)
            {
                _params[p + ".weight"] = (new[] { o, i }, 1f / MathF.Sqrt(i), true);
                _params[p + ".bias"] = (new[] { o }, 0.1f, false);
            }
            foreach (var a in new[] { "attn1", "attn2" })
            {
                foreach (var l in new[] { "to_q", "to_k", "to_v", "to_out.0" }) Lin($"blocks.0.{a}.{l}", dim, dim);
                _params[$"blocks.0.{a}.norm_q.weight"] = (new[] { dim }, 0.1f, false);
                _params[$"blocks.0.{a}.norm_k.weight"] = (new[] { dim }, 0.1f, false);
            }
            _params["blocks.0.norm2.weight"] = (new[] { dim }, 0.1f, false);
            _params["blocks.0.norm2.bias"] = (new[] { dim }, 0.1f, false);
            Lin("blocks.0.ffn.net.0.proj", ffn, dim);
            Lin("blocks.0.ffn.net.2", dim, ffn);
            _params["blocks.0.scale_shift_table"] = (new[] { 1, 6, dim }, 1f / MathF.Sqrt(dim), false);
        }

        public string Description => "random Wan block";
        public IEnumerable<string> Names => _params.Keys;
        public bool Contains(string name) => _params.ContainsKey(name);

        public SafetensorsEntry Entry(string name)
        {
            var p = _params[name];
            var dtype = p.Linear ? _linearDType : DType.F32;
            long bytes = ShapeUtil.Numel(p.Shape) * dtype.Size();
            return new SafetensorsEntry(name, dtype, p.Shape, 0, bytes);
        }

        public Tensor Load(string name, IAllocator? allocator = null)
        {
            var e = Entry(name);
            using var f = LoadF32(name, allocator);
            if (e.DType == DType.F32) return f.Share();
            var bytes = new byte[e.Length];
            DTypeConvert.FromFloat(f.ToArray<float>(), e.DType, bytes);
            var t = Tensor.Empty(allocator ?? CpuAllocator.Shared, e.Shape, e.DType);
            t.Storage.Allocator.CopyFromHost(bytes, t.DataPointer);
            return t;
        }

        public Tensor LoadF32(string name, IAllocator? allocator = null)
        {
            var p = _params[name];
            var values = Normal(ShapeUtil.Numel(p.Shape), _seed * 7919 + name.Length * 31 + name[^1], p.Scale);
            // Norm gains around 1, like trained ones (and the goldens' 1 + N(0, 0.1²)).
            if (name.Contains("norm", StringComparison.Ordinal) && name.EndsWith(".weight", StringComparison.Ordinal))
                for (int i = 0; i < values.Length; i++) values[i] += 1f;
            return Tensor.FromHost<float>(allocator ?? CpuAllocator.Shared, values, p.Shape);
        }

        public static float[] Normal(long n, int seed, float scale)
        {
            var rng = new Random(seed);
            var r = new float[n];
            for (long i = 0; i < n; i++)
                r[i] = (float)(scale * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
            return r;
        }

        public void Dispose() { }
    }
}
