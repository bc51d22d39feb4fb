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
/// Run: <c>dotnet run -c Release --project benchmarks/FastVideo.Benchmarks -- --filter *WanVaeBenchmark*</c>
/// (set FASTVIDEO_WANVAE_BENCH_LATENTS=TxHxW for a smaller case).
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

    /// <summary>Latent frames × height × width; FASTVIDEO_WANVAE_BENCH_LATENTS (e.g. "2x30x52") overrides the real case.</summary>
    public static IEnumerable<string> LatentSizes() =>
        [Environment.GetEnvironmentVariable("FASTVIDEO_WANVAE_BENCH_LATENTS") is { Length: > 0 } s ? s : "5x60x104"];

    [ParamsSource(nameof(LatentSizes))]
    public string Latents { get; set; } = "5x60x104";

    [GlobalSetup]
    public void Setup()
    {
        var size = Latents.Split('x').Select(int.Parse).ToArray();
        if (size.Length != 3) throw new ArgumentException($"latent size '{Latents}' is not TxHxW");
        var (frames, height, width) = (size[0], size[1], size[2]);
        // Blocks above 64 MB go back to the OS when freed: the pool keeps one stack per size class, and the
        // decoder's many full-resolution sizes would otherwise stay cached side by side (a first run with the
        // default pool reached 11.7 GB resident during its second chunk).
        // FASTVIDEO_BENCH_HUGEPAGES=0 measures without transparent huge pages (4 KiB first-touch faults).
        bool huge = Environment.GetEnvironmentVariable("FASTVIDEO_BENCH_HUGEPAGES") != "0";
        _allocator = new CpuAllocator { MaxCachedBlock = 64L << 20, HugePageThreshold = huge ? 4L << 20 : long.MaxValue };
        var backend = new CpuBackend(_allocator);
        _vae = AutoencoderKLWan.CreateRandom(new WanVaeConfig(), backend, seed: 1);   // defaults = Wan2.1
        int n = 16 * frames * height * width;
        var rng = new Random(2);
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = (float)(rng.NextDouble() * 2 - 1);
        _latents = Tensor.FromHost<float>(_allocator, values, [1, 16, frames, height, width]);
        Console.WriteLine($"// Wan VAE: {_vae.ParameterBytes / 1e6:F0} MB of F32 parameters, latents [1, 16, {frames}, {height}, {width}], huge pages {(huge ? "advised" : "off")}");
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
        var process = System.Diagnostics.Process.GetCurrentProcess();
        Console.WriteLine($"// Wan VAE decode: peak native memory {s.PeakBytes / 1e9:F2} GB (parameters {_vae.ParameterBytes / 1e9:F2} GB included), " +
            $"process CPU time {cpu.TotalSeconds:F0} s on {Environment.ProcessorCount} cores (process totals: user {process.UserProcessorTime.TotalSeconds:F0} s, system {process.PrivilegedProcessorTime.TotalSeconds:F0} s)");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _latents.Dispose();
        _vae.Dispose();
        _allocator.ReleaseCache();
    }
}
