using System.Diagnostics;
using System.Runtime.InteropServices;
using FastVideo.Backends.Cpu;
using FastVideo.Tensors;

namespace FastVideo.Benchmarks;

/// <summary>
/// A short, noise-tolerant GEMM comparison without BenchmarkDotNet's process spawning: for each shape, runs
/// ours (F32 and BF16 B) and OpenBLAS in alternation for a number of rounds and keeps each one's best and median
/// time, so a burst of load from other processes hits all contenders alike. Prints a Markdown table.
/// Run: <c>dotnet run -c Release --project benchmarks/FastVideo.Benchmarks -- quick [rounds] [shape ...]</c>
/// With FASTVIDEO_BENCH_CLOCK=cpu the time is the process's CPU time instead of wall time: with one thread
/// (FASTVIDEO_BENCH_THREADS=1) that measures the code rather than the machine's load, for tuning on a busy box.
/// </summary>
public static unsafe class QuickGemm
{
    public static void Run(string[] args)
    {
        int rounds = args.Length > 0 && int.TryParse(args[0], out int r) ? r : 7;
        var shapes = args.Skip(args.Length > 0 && int.TryParse(args[0], out _) ? 1 : 0).Select(GemmShape.Parse).ToList();
        if (shapes.Count == 0) shapes = GemmShape.Standard.Select(GemmShape.Parse).ToList();
        int threads = GemmBenchmarks.Threads;
        bool cpuClock = Environment.GetEnvironmentVariable("FASTVIDEO_BENCH_CLOCK") == "cpu";
        bool blas = OpenBlas.Available;
        if (blas)
        {
            OpenBlas.SetNumThreads(threads);
            Console.WriteLine(OpenBlas.Describe());
        }
        else Console.WriteLine("OpenBLAS not found (libopenblas.so.0): baseline column empty");
        Console.WriteLine($"threads={threads} clock={(cpuClock ? "process CPU" : "wall")} rounds={rounds} kernel={GemmKernels.Selected} MR={GemmKernels.MR} NR={GemmKernels.NR} KC={CpuGemm.KC} MC={CpuGemm.MC} NC={CpuGemm.NC}");
        Console.WriteLine();
        Console.WriteLine("| shape (M×N×K) | B | ours GFLOP/s best (median) | OpenBLAS GFLOP/s best (median) | ratio best | ratio median |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var s in shapes)
        {
            long na = (long)s.M * s.K, nb = (long)s.K * s.N, nc = (long)s.M * s.N;
            float* a = (float*)NativeMemory.AlignedAlloc((nuint)(na * 4), 64);
            float* b = (float*)NativeMemory.AlignedAlloc((nuint)(nb * 4), 64);
            float* c = (float*)NativeMemory.AlignedAlloc((nuint)(nc * 4), 64);
            ushort* bh = (ushort*)NativeMemory.AlignedAlloc((nuint)(nb * 2), 64);
            var rng = new Random(1);
            for (long i = 0; i < na; i++) a[i] = (float)(rng.NextDouble() - 0.5);
            for (long i = 0; i < nb; i++) { bh[i] = BFloat16.RoundToBits((float)(rng.NextDouble() - 0.5)); b[i] = BFloat16.BitsToSingle(bh[i]); }
            int ldb = s.TransB ? s.K : s.N;
            var runs = new List<(string Name, Action Run, List<double> Times)>
            {
                ("F32", () => CpuGemm.Gemm(false, s.TransB, s.M, s.N, s.K, 1f, a, s.K, b, GemmBType.F32, ldb, 0f, c, s.N, null, threads), new()),
                ("BF16", () => CpuGemm.Gemm(false, s.TransB, s.M, s.N, s.K, 1f, a, s.K, bh, GemmBType.BF16, ldb, 0f, c, s.N, null, threads), new()),
            };
            if (blas)
                runs.Add(("OpenBLAS", () => OpenBlas.Sgemm(OpenBlas.RowMajor, OpenBlas.NoTrans, s.TransB ? OpenBlas.Trans : OpenBlas.NoTrans,
                    s.M, s.N, s.K, 1f, a, s.K, b, ldb, 0f, c, s.N), new()));
            foreach (var run in runs) run.Run(); // warm-up: JIT tiers, packing buffers, OpenBLAS thread pool
            foreach (var run in runs) run.Run();
            for (int round = 0; round < rounds; round++)
                foreach (var run in runs)
                {
                    run.Times.Add(Time(run.Run, cpuClock));
                }
            double Best(List<double> t) => t.Min();
            double Median(List<double> t) { var o = t.Order().ToList(); return o[o.Count / 2]; }
            var ob = blas ? runs[2].Times : null;
            foreach (var run in runs.Take(2))
            {
                string gf(double sec) => $"{s.Flops / sec / 1e9:F1}";
                string blasCol = ob == null ? "-" : $"{gf(Best(ob))} ({gf(Median(ob))})";
                string rb = ob == null ? "-" : $"{Best(ob) / Best(run.Times):F2}×";
                string rm = ob == null ? "-" : $"{Median(ob) / Median(run.Times):F2}×";
                Console.WriteLine($"| {s.M}×{s.N}×{s.K} {(s.TransB ? "NT" : "NN")} | {run.Name} | {gf(Best(run.Times))} ({gf(Median(run.Times))}) | {blasCol} | {rb} | {rm} |");
            }
            NativeMemory.AlignedFree(a);
            NativeMemory.AlignedFree(b);
            NativeMemory.AlignedFree(c);
            NativeMemory.AlignedFree(bh);
        }
    }

    private static double Time(Action run, bool cpuClock)
    {
        if (!cpuClock)
        {
            var sw = Stopwatch.StartNew();
            run();
            return sw.Elapsed.TotalSeconds;
        }
        var p = Process.GetCurrentProcess();
        var t0 = p.TotalProcessorTime;
        run();
        p.Refresh();
        return (p.TotalProcessorTime - t0).TotalSeconds;
    }
}
