using FastVideo.Tensors;

namespace FastVideo.Backends.Cpu;

/// <summary>
/// Convolution as GEMM. Per sample n: y[n] (viewed as [O, P]) = W [O, K] · col [K, P] + bias, with col the
/// im2col matrix of x[n]. Where the GEMM uses its packed kernels, col is never stored: <see cref="ConvPackB"/>
/// writes it block by block straight into the GEMM's B panels. Otherwise (a few output channels, or a test's
/// <see cref="t_columnBudgetOverride"/>) the column matrix is built one slab of output rows at a time, so scratch memory is
/// bounded by <see cref="ColumnLimit"/> floats (or one output row, when that alone is larger) whatever the
/// video size. A 1×1×1 kernel with unit stride and no padding skips im2col: x[n] viewed as [C, P] is
/// already the column matrix.
/// </summary>
internal static unsafe class ConvDriver
{
    /// <summary>
    /// Floats in one im2col slab (16 MiB) when that already gives the GEMM wide panels: measured on Zen 4, slabs
    /// of 1–16 MiB run within noise of each other for C = 64..384 (3×3×3), so the smaller end is taken.
    /// </summary>
    public const long ColumnBudget = 1L << 22;

    /// <summary>
    /// A slab has at least this many columns (GEMM N) when <see cref="ColumnLimit"/> allows: with K = 10368
    /// (C = 384, 3×3×3) a 16 MiB slab is only 364 columns and the GEMM ran ~20% slower than with ≥ 1000, and
    /// the GEMM splits threads along N in 32-column tiles, so narrow slabs also starve its threads.
    /// </summary>
    public const int MinColumns = 1024;

    /// <summary>Hard cap on one slab (64 MiB), above <see cref="ColumnBudget"/> only to reach <see cref="MinColumns"/>.</summary>
    public const long ColumnLimit = 1L << 24;

    /// <summary>
    /// When positive, replaces <see cref="ColumnBudget"/> and <see cref="ColumnLimit"/> (and drops
    /// <see cref="MinColumns"/>) on this thread and selects the im2col slab path for every output-channel
    /// count: lets tests force many slabs on small inputs, so the slab boundaries are exercised without
    /// building large tensors.
    /// </summary>
    [ThreadStatic] internal static long t_columnBudgetOverride;

    /// <summary>Output rows per slab for <paramref name="g"/>: see <see cref="ColumnBudget"/>, <see cref="MinColumns"/>; at least one.</summary>
    public static int RowsPerSlab(in ConvGeometry g)
    {
        long rowsTotal = Math.Max((long)g.To * g.Ho, 1);
        long perRow = Math.Max((long)g.K * g.Wo, 1);
        long rows;
        if (t_columnBudgetOverride > 0)
            rows = t_columnBudgetOverride / perRow;
        else
        {
            rows = Math.Max(ColumnBudget / perRow, (MinColumns + g.Wo - 1) / Math.Max(g.Wo, 1));
            rows = Math.Min(rows, ColumnLimit / perRow);
        }
        return (int)Math.Clamp(rows, 1, rowsTotal);
    }

    /// <summary>
    /// y = conv(x, w) + bias for <paramref name="batch"/> samples.
    /// </summary>
    /// <param name="g">Shape of one sample's convolution.</param>
    /// <param name="batch">Number of samples N.</param>
    /// <param name="x">Input [N, C, T, H, W] F32.</param>
    /// <param name="w">Weight as [O, K] F32.</param>
    /// <param name="bias">[O] F32 or null.</param>
    /// <param name="y">Output [N, O, To, Ho, Wo] F32.</param>
    /// <param name="allocator">Source of the pooled im2col scratch.</param>
    /// <param name="threads">Degree of parallelism for im2col and bias.</param>
    public static void Forward(in ConvGeometry g, int batch, float* x, float* w, float* bias, float* y,
        IAllocator allocator, int threads)
    {
        long p = g.P;
        if (p > int.MaxValue) throw new ArgumentException($"conv: {p} output positions per channel exceed the GEMM's int range");
        int pInt = (int)p;
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) };
        float beta = bias == null ? 0f : 1f;

        if (g.IsPointwise)
        {
            for (int n = 0; n < batch; n++)
            {
                float* yn = y + n * (long)g.O * p;
                if (bias != null) FillBias(yn, bias, g.O, p, options);
                CpuGemm.Gemm(false, false, g.O, pInt, g.C, 1f, w, g.C, x + n * g.InputPerSample, GemmBType.F32, pInt, beta, yn, pInt, null, threads);
            }
            return;
        }

        // The packed kernels take B through ConvPackB: no column matrix, no second packing pass over it.
        // GemmSmallM (a few output channels) reads B row-major, so it keeps the im2col slabs.
        if (!CpuGemm.UsesSmallM(g.O) && t_columnBudgetOverride <= 0)
        {
            for (int n = 0; n < batch; n++)
            {
                float* yn = y + n * (long)g.O * p;
                if (bias != null) FillBias(yn, bias, g.O, p, options);
                var packer = new ConvPackB(g, x + n * g.InputPerSample);
                CpuGemm.GemmPackedB(g.O, pInt, g.K, w, g.K, packer, beta, yn, pInt, threads);
            }
            return;
        }

        int rowsTotal = g.To * g.Ho;
        int slab = RowsPerSlab(g);
        long colFloats = (long)g.K * slab * g.Wo;
        nint colPtr = allocator.Allocate(colFloats * sizeof(float), out long capacity);
        try
        {
            float* col = (float*)colPtr;
            var geometry = g;
            for (int n = 0; n < batch; n++)
            {
                float* xn = x + n * g.InputPerSample;
                float* yn = y + n * (long)g.O * p;
                if (bias != null) FillBias(yn, bias, g.O, p, options);
                for (int r0 = 0; r0 < rowsTotal; r0 += slab)
                {
                    int rows = Math.Min(slab, rowsTotal - r0);
                    int cols = rows * g.Wo;
                    Parallel.For(0, g.K, options, k => ConvIm2Col.FillRow(geometry, xn, col, r0, rows, k));
                    CpuGemm.Gemm(false, false, g.O, cols, g.K, 1f, w, g.K, col, GemmBType.F32, cols, beta, yn + (long)r0 * g.Wo, pInt, null, threads);
                }
            }
        }
        finally
        {
            allocator.Free(colPtr, capacity);
        }
    }

    /// <summary>y[o, :] = bias[o] for every output channel, so the GEMM can accumulate onto it (beta = 1).</summary>
    private static void FillBias(float* y, float* bias, int channels, long perChannel, ParallelOptions options) =>
        Parallel.For(0, channels, options, o =>
        {
            float* row = y + o * perChannel;
            float b = bias[o];
            for (long i = 0; i < perChannel; i += int.MaxValue / 2)
                new Span<float>(row + i, (int)Math.Min(int.MaxValue / 2, perChannel - i)).Fill(b);
        });
}
