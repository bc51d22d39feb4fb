using System.Diagnostics;
using System.Runtime.InteropServices;
using FastVideo.Backends.Cpu;

namespace FastVideo.Benchmarks;

/// <summary>
/// Lab for the packing routines: time to pack a whole M×K A and K×N B the way the GEMM does (per element,
/// nanoseconds and cycles at the given GHz), single thread, process CPU time.
/// Run: <c>... -- packlab [M N K]</c>
/// </summary>
public static unsafe class PackLab
{
    public static void Run(string[] args)
    {
        int M = args.Length > 2 ? int.Parse(args[0]) : 1560, N = args.Length > 2 ? int.Parse(args[1]) : 1536, K = args.Length > 2 ? int.Parse(args[2]) : 1536;
        float* a = (float*)NativeMemory.AlignedAlloc((nuint)((long)M * K * 4), 64);
        float* b = (float*)NativeMemory.AlignedAlloc((nuint)((long)N * K * 4), 64);
        ushort* bh = (ushort*)NativeMemory.AlignedAlloc((nuint)((long)N * K * 2), 64);
        float* pa = (float*)NativeMemory.AlignedAlloc((nuint)((long)CpuGemm.MC * CpuGemm.KC * 4 + 256), 64);
        float* pb = (float*)NativeMemory.AlignedAlloc((nuint)((long)CpuGemm.NC * CpuGemm.KC * 4 + 256), 64);
        for (long i = 0; i < (long)M * K; i++) a[i] = i;
        for (long i = 0; i < (long)N * K; i++) { b[i] = i; bh[i] = 0x3f80; }
        int mr = GemmKernels.MR, nr = GemmKernels.NR, kcMax = CpuGemm.KC;
        void PackAllA(bool t)
        {
            for (int pc = 0; pc < K; pc += kcMax)
                for (int ic = 0; ic < M; ic += CpuGemm.MC)
                    GemmPack.PackA(t, a, t ? M : K, ic, Math.Min(CpuGemm.MC, M - ic), pc, Math.Min(kcMax, K - pc), mr, pa);
        }
        void PackAllB(bool t, GemmBType bt)
        {
            for (int jc = 0; jc < N; jc += CpuGemm.NC)
                for (int pc = 0; pc < K; pc += kcMax)
                    GemmPack.PackB(t, bt == GemmBType.F32 ? b : bh, bt, t ? K : N, jc, Math.Min(CpuGemm.NC, N - jc), pc, Math.Min(kcMax, K - pc), nr, pb);
        }
        var cases = new (string, Action, long)[]
        {
            ("A N", () => PackAllA(false), (long)M * K),
            ("A T", () => PackAllA(true), (long)M * K),
            ("B N f32", () => PackAllB(false, GemmBType.F32), (long)N * K),
            ("B T f32", () => PackAllB(true, GemmBType.F32), (long)N * K),
            ("B N bf16", () => PackAllB(false, GemmBType.BF16), (long)N * K),
            ("B T bf16", () => PackAllB(true, GemmBType.BF16), (long)N * K),
            ("B T f16", () => PackAllB(true, GemmBType.F16), (long)N * K),
        };
        var p = Process.GetCurrentProcess();
        foreach (var (name, act, n) in cases)
        {
            act();
            double best = double.MaxValue;
            for (int r = 0; r < 7; r++)
            {
                p.Refresh();
                var t0 = p.TotalProcessorTime;
                act();
                p.Refresh();
                best = Math.Min(best, (p.TotalProcessorTime - t0).TotalSeconds);
            }
            Console.WriteLine($"{name,-10} {best * 1e3,8:F2} ms  {best * 1e9 / n:F3} ns/element");
        }
    }
}
