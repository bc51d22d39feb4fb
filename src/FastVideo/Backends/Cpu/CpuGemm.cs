using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FastVideo.Backends.Cpu;

/// <summary>Element type of the B operand of <see cref="CpuGemm"/>: converted to F32 while packing.</summary>
internal enum GemmBType : byte { F32, BF16, F16 }

/// <summary>
/// Single-precision GEMM on row-major matrices: C = alpha·op(A)·op(B) + beta·C, op = identity or transpose.
/// A is M×K (or K×M when transA), B is K×N (or N×K when transB); lda/ldb/ldc are row strides in elements.
/// Multithreaded internally. Other CPU ops (convolution via im2col) call it.
/// <para>
/// Structure (Goto/BLIS): C is split into one rectangle per thread (along whichever of M, N has more tiles);
/// each thread walks its rectangle in NC-column blocks, KC-deep slices and MC-row blocks, packing op(B)
/// (KC×NC, in L3) and op(A) (MC×KC, in L2) into micro-panels, then runs the register-blocked micro-kernel
/// (<see cref="GemmKernels"/>) over MR×NR tiles, each B micro-panel reused across the MC/MR tiles below it.
/// </para>
/// </summary>
internal static unsafe class CpuGemm
{
    // Block sizes, measured on Zen 5 (48 KiB L1d, 1 MiB L2 per core) with the 14×32 kernel, single thread
    // (docs/PERF.md): KC from 256 to 768..1024 raised 1560×1536×1536 from ~170 to ~190 GFLOP/s, because each
    // K slice re-reads and re-writes the C tiles (C of these shapes is ~10 MiB, far outside L2) while the
    // micro-panels (KC×NR of B = 128 KiB, MR×KC of A = 56 KiB) stream from L2 fast enough for the FMAs;
    // 1024 rather than 768 keeps K = 1024 in one slice (1024³: ~170 → ~185). MC and NC were flat within noise
    // over 56..336 rows and 1024..2048 columns; the smaller ones keep the per-thread buffers at 4.5 MiB.

    /// <summary>Largest depth of one packed slice; K is cut into equal slices of at most this (multiples of 16).</summary>
    internal const int KC = 1024;
    /// <summary>Rows of A packed at once, a multiple of MR: MC×KC floats (448 KiB) stay in L2.</summary>
    internal static readonly int MC = GemmKernels.MR * 8;
    /// <summary>Columns of B packed at once, a multiple of NR: KC×NC floats (4 MiB) in L3.</summary>
    internal static readonly int NC = GemmKernels.NR * 32;
    /// <summary>
    /// NR-column panels an <see cref="IGemmBPacker"/> fills per call when all rows fit one MC block: 4 × 32 columns
    /// × KC = 512 KiB of B next to the 448 KiB A block, within a 1 MiB L2.
    /// </summary>
    internal const int PackerPanels = 4;
    /// <summary>Below this many multiply-adds a second thread costs more than it saves.</summary>
    internal const long ParallelMinMacs = 1L << 18;

    /// <summary>C = alpha·op(A)·op(B) + beta·C with all processors. beta = 0 never reads C (NaN in C is overwritten).</summary>
    public static void Sgemm(bool transA, bool transB, int M, int N, int K, float alpha,
        float* A, int lda, float* B, int ldb, float beta, float* C, int ldc)
        => Gemm(transA, transB, M, N, K, alpha, A, lda, B, GemmBType.F32, ldb, beta, C, ldc, null, Environment.ProcessorCount);

    /// <summary>
    /// The general entry: B of element type <paramref name="bType"/> (converted to F32 while packing), an optional
    /// F32 <paramref name="bias"/> of N values added to every row (C = alpha·op(A)·op(B) + beta·C + bias), and an
    /// explicit degree of parallelism. alpha = 0 or K = 0 reads neither A nor B.
    /// </summary>
    public static void Gemm(bool transA, bool transB, int M, int N, int K, float alpha,
        float* A, int lda, void* B, GemmBType bType, int ldb, float beta, float* C, int ldc, float* bias, int threads)
    {
        if (M < 0 || N < 0 || K < 0) throw new ArgumentOutOfRangeException(nameof(M), $"sgemm: negative size M={M} N={N} K={K}");
        if (M == 0 || N == 0) return;
        if (K == 0 || alpha == 0f)
        {
            ScaleOnly(M, N, beta, C, ldc, bias);
            return;
        }
        if (UsesSmallM(M))
        {
            GemmSmallM.Run(transA, transB, M, N, K, alpha, A, lda, B, bType, ldb, beta, C, ldc, bias, threads);
            return;
        }
        var job = new Job
        {
            TransA = transA, TransB = transB, K = K, Alpha = alpha, A = A, Lda = lda, B = B, BType = bType, Ldb = ldb,
            Beta = beta, C = C, Ldc = ldc, Bias = bias,
        };
        Run(in job, M, N, threads);
    }

    /// <summary>Whether <see cref="Gemm"/> hands M rows to <see cref="GemmSmallM"/> rather than the packed kernels.</summary>
    public static bool UsesSmallM(int M) => M <= GemmSmallM.MaxRows && Vector512.IsHardwareAccelerated;

    /// <summary>
    /// C = A·B + beta·C with B (K×N) never stored: <paramref name="packer"/> writes each KC×NC block of B straight
    /// into the micro-panel layout. Same blocking, kernels and summation order as <see cref="Gemm"/> with
    /// alpha = 1 and no bias, so the result equals <see cref="Gemm"/> on the materialised B bit for bit (for M
    /// where <see cref="UsesSmallM"/> is false). beta = 0 never reads C.
    /// </summary>
    public static void GemmPackedB(int M, int N, int K, float* A, int lda, IGemmBPacker packer, float beta, float* C, int ldc, int threads)
    {
        if (M < 0 || N < 0 || K < 0) throw new ArgumentOutOfRangeException(nameof(M), $"sgemm: negative size M={M} N={N} K={K}");
        if (M == 0 || N == 0) return;
        if (K == 0)
        {
            ScaleOnly(M, N, beta, C, ldc, null);
            return;
        }
        var job = new Job { K = K, Alpha = 1f, A = A, Lda = lda, Beta = beta, C = C, Ldc = ldc, Packer = packer };
        Run(in job, M, N, threads);
    }

    /// <summary>Splits C among the threads (see the class remarks) and runs <see cref="Block"/> on each part.</summary>
    private static void Run(in Job job, int M, int N, int threads)
    {
        int mr = GemmKernels.MR, nr = GemmKernels.NR;
        int mTiles = (M + mr - 1) / mr, nTiles = (N + nr - 1) / nr;
        bool splitN = nTiles >= mTiles;
        int parts = (long)M * N * job.K < ParallelMinMacs ? 1 : Math.Min(Math.Max(threads, 1), splitN ? nTiles : mTiles);
        if (parts == 1)
        {
            Block(in job, 0, M, 0, N);
            return;
        }
        int tiles = splitN ? nTiles : mTiles, step = splitN ? nr : mr;
        var shared = job; // a lambda cannot capture an in parameter
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
        {
            // Tiles split as evenly as possible; rectangles are tile-aligned so only the last has ragged tiles.
            int t0 = (int)((long)tiles * p / parts), t1 = (int)((long)tiles * (p + 1) / parts);
            if (splitN) Block(in shared, 0, M, t0 * step, Math.Min(t1 * step, N));
            else Block(in shared, t0 * step, Math.Min(t1 * step, M), 0, N);
        });
    }

    /// <summary>The operands of one call, shared read-only by the threads.</summary>
    private struct Job
    {
        public bool TransA, TransB;
        public int K, Lda, Ldb, Ldc;
        public float Alpha, Beta;
        public float* A, C, Bias;
        public void* B;
        public GemmBType BType;
        /// <summary>When set, packs B in place of <see cref="GemmPack.PackB"/> (B, BType, Ldb, TransB unused).</summary>
        public IGemmBPacker? Packer;
    }

    /// <summary>C = beta·C + bias (the product vanishes when K = 0 or alpha = 0); beta = 0 does not read C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScaleOnly(int M, int N, float beta, float* C, int ldc, float* bias)
    {
        for (int i = 0; i < M; i++)
        {
            float* c = C + (long)i * ldc;
            for (int j = 0; j < N; j++)
                c[j] = (beta == 0f ? 0f : beta * c[j]) + (bias == null ? 0f : bias[j]);
        }
    }

    /// <summary>Rows [i0, i1) × columns [j0, j1) of C, on the calling thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block(in Job job, int i0, int i1, int j0, int j1)
    {
        int mr = GemmKernels.MR, nr = GemmKernels.NR, K = job.K;
        // Equal slices (K = 1000 → 2 × 512 rather than 768 + 232; K = 8960 → 12 × 752), rounded up to the 16-deep
        // transposes of the packing routines.
        int slices = (K + KC - 1) / KC;
        int kcStep = Math.Min(KC, ((K + slices - 1) / slices + 15) & ~15);
        float* packA = Buffers.A, packB = Buffers.B;
        float* tile = stackalloc float[mr * nr];
        // A packer with all rows in one MC block fills a few NR-column panels just before the tiles that use them,
        // so they are written and read in L2 instead of a KC×NC block going out to L3 or
        // memory and back; with several MC blocks that would repack every panel per block, so B is packed
        // block-wise as from memory.
        bool panelwise = job.Packer != null && i1 - i0 <= MC;
        // (PackerPanels panels at a time: each input row piece is read as PackerPanels·NR consecutive floats.)
        for (int jc = j0; jc < j1; jc += NC)
        {
            int nc = Math.Min(NC, j1 - jc);
            for (int pc = 0; pc < K; pc += kcStep)
            {
                int kc = Math.Min(kcStep, K - pc);
                if (panelwise) { }
                else if (job.Packer != null) job.Packer.Pack(jc, nc, pc, kc, nr, packB);
                else GemmPack.PackB(job.TransB, job.B, job.BType, job.Ldb, jc, nc, pc, kc, nr, packB);
                // The first K slice applies beta and the bias; later slices accumulate onto it.
                bool first = pc == 0;
                float beta = first ? job.Beta : 1f;
                for (int ic = i0; ic < i1; ic += MC)
                {
                    int mc = Math.Min(MC, i1 - ic);
                    GemmPack.PackA(job.TransA, job.A, job.Lda, ic, mc, pc, kc, mr, packA);
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int n = Math.Min(nr, nc - jr);
                        float* pb = packB + (long)jr * kc;
                        if (panelwise)
                        {
                            int group = PackerPanels * nr, inGroup = jr % group;
                            if (inGroup == 0) job.Packer!.Pack(jc + jr, Math.Min(group, nc - jr), pc, kc, nr, packB);
                            pb = packB + (long)inGroup * kc;
                        }
                        float* bias = first && job.Bias != null ? job.Bias + jc + jr : null;
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            int m = Math.Min(mr, mc - ir);
                            float* pa = packA + (long)ir * kc;
                            float* c = job.C + (long)(ic + ir) * job.Ldc + jc + jr;
                            if (m == mr && n == nr)
                                GemmKernels.Tile(kc, pa, pb, c, job.Ldc, job.Alpha, beta, bias);
                            else
                            {
                                GemmKernels.Tile(kc, pa, pb, tile, nr, 1f, 0f, null);
                                StoreEdge(tile, nr, c, job.Ldc, m, n, job.Alpha, beta, bias);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>The valid m×n corner of a scratch tile into C: C = alpha·tile + beta·C + bias.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StoreEdge(float* tile, int ldt, float* c, long ldc, int m, int n, float alpha, float beta, float* bias)
    {
        for (int i = 0; i < m; i++)
        {
            float* t = tile + i * ldt, ci = c + i * ldc;
            int j = 0;
            // The same operations in the same order as the scalar tail, 16 lanes at a time (edge rows of full width
            // are common: M = 96 leaves a 12-row tile under every 32-column panel).
            if (Vector512.IsHardwareAccelerated)
                for (; j + 16 <= n; j += 16)
                {
                    var r = Vector512.Create(alpha) * Vector512.Load(t + j) + (bias == null ? Vector512<float>.Zero : Vector512.Load(bias + j));
                    if (beta != 0f) r += Vector512.Create(beta) * Vector512.Load(ci + j);
                    Vector512.Store(r, ci + j);
                }
            for (; j < n; j++)
            {
                float r = alpha * t[j] + (bias == null ? 0f : bias[j]);
                if (beta != 0f) r += beta * ci[j];
                ci[j] = r;
            }
        }
    }

    /// <summary>
    /// Per-thread packing buffers, allocated once per thread (64-byte aligned) and kept for the life of the
    /// thread: pool threads run GEMM after GEMM, and fresh pages on every call would cost page faults.
    /// </summary>
    private static class Buffers
    {
        [ThreadStatic] private static float* t_a;
        [ThreadStatic] private static float* t_b;

        public static float* A => t_a != null ? t_a : t_a = Alloc((long)MC * KC + GemmPack.SlackFloats);
        public static float* B => t_b != null ? t_b : t_b = Alloc((long)KC * NC + GemmPack.SlackFloats);

        private static float* Alloc(long floats) => (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
    }
}
