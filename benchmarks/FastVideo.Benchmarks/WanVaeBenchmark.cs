using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using FastVideo.Backends.Cpu;
using FastVideo.Models.Vaes.Wan;
using FastVideo.Tensors;

namespace FastVideo.Benchmarks;

/// <summary>
/// Wan2.1 VAE decode at the real width (base_dim 96, z_dim 16, dim_mult [1,2,4,4], seeded random weights) on
/// the CPU backend: 5 latent frames of 60×104 (a 480×832 video of 17 frames), about 67 TFLOP, almost all in
/// 3×3×3 convolutions at the two finest scales. One cold invocation, in process: on a small machine this
/// runs for minutes. Peak native memory (CpuAllocator) and process CPU time are printed after the run.
/// Run: <c>dotnet run -c Release --project benchmarks/FastVideo.Benchmarks -- --filter *WanVaeBenchmark*</c>.
/// </summary>
[Config(typeof(SingleShotConfig))]
public class WanVaeBenchmark
{
    private sealed class SingleShotConfig : ManualConfig
    {
        public SingleShotConfig()
        {
            AddJob(Job.Dry
                .WithStrategy(RunStrategy.ColdStart)
                .WithLaunchCount(1).WithWarmupCount(0).WithIterationCount(1).WithInvocationCount(1).WithUnrollFactor(1)
                                // In process (no second build), with a timeout far above BDN's default: one decode takes minutes.
                .WithToolchain(new InProcessEmitToolchain(TimeSpan.FromHours(3), logOutput: true)));
        }
    }

    private CpuAllocator _allocator = null!;
    private AutoencoderKLWan _vae = null!;
    private Tensor _latents = null!;

    [Params(5)] public int LatentFrames { get; set; }
    [Params(60)] public int LatentHeight { get; set; }
    [Params(104)] public int LatentWidth { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _allocator = new CpuAllocator();
        var backend = new CpuBackend(_allocator);
        _vae = AutoencoderKLWan.CreateRandom(new WanVaeConfig(), backend, seed: 1);   // defaults = Wan2.1
        int n = 16 * LatentFrames * LatentHeight * LatentWidth;
        var rng = new Random(2);
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = (float)(rng.NextDouble() * 2 - 1);
        _latents = Tensor.FromHost<float>(_allocator, values, [1, 16, LatentFrames, LatentHeight, LatentWidth]);
        Console.WriteLine($"// Wan VAE: {_vae.ParameterBytes / 1e6:F0} MB of F32 parameters, latents [1, 16, {LatentFrames}, {LatentHeight}, {LatentWidth}]");
    }

    private TimeSpan _cpuStart;

    [IterationSetup]
    public void ResetPeak()
    {
        _allocator.ResetPeak();
        _cpuStart = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
    }

    [Benchmark]
    public void Decode()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var video = _vae.Decode(_latents, (name, t) =>
        {
            if (name.StartsWith("decoder_chunk_output.", StringComparison.Ordinal))
                Console.WriteLine($"// {name} [{string.Join(", ", t.Shape)}] at {clock.Elapsed.TotalSeconds:F1} s");
        });
    }

    [IterationCleanup]
    public void ReportPeak()
    {
        var s = _allocator.Stats;
        // Process CPU time tells the cost apart from contention on a shared machine (wall ≈ cpu / cores when alone).
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - _cpuStart;
        Console.WriteLine($"// Wan VAE decode: peak native memory {s.PeakBytes / 1e9:F2} GB (parameters {_vae.ParameterBytes / 1e9:F2} GB included), " +
            $"process CPU time {cpu.TotalSeconds:F0} s on {Environment.ProcessorCount} cores");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _latents.Dispose();
        _vae.Dispose();
        _allocator.ReleaseCache();
    }
}
