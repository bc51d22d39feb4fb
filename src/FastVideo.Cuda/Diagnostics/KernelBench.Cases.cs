using FastVideo.Backends;
using FastVideo.Cuda.Kernels;
using FastVideo.Interop;
using FastVideo.Tensors;

namespace FastVideo.Cuda.Diagnostics;

public sealed partial class KernelBench
{
    // Wan2.1 at 480p, 81 frames: 21 latent frames × 30 × 52 = 32760 tokens; 1.3B: dim 1536, 12 heads of 128, FFN 8960.
    private const int L = 32760, Dim = 1536, Heads = 12, Hd = 128, Ffn = 8960;

    /// <summary>The cases, by name; each returns null when a module it needs is missing.</summary>
    private IEnumerable<(string Name, Func<BenchResult?> Run)> Cases()
    {
        yield return ("copy_dtod", () => MeasureCopy(1L << 30));
        yield return ("gemm_bf16", () => Gemm(DType.BF16, DType.BF16, 8192, 8192, 8192));
        yield return ("gemm_bf16", () => Gemm(DType.BF16, DType.F32, L, Dim, Dim));
        yield return ("gemm_bf16", () => Gemm(DType.BF16, DType.F32, L, Ffn, Dim));
        yield return ("gemm_f32", () => Gemm(DType.F32, DType.F32, 4096, 4096, 4096));
        yield return ("flash_attn", () => Flash(1, Heads, L, L, hopper: false));
        yield return ("flash_attn", () => Flash(1, 40, L, L, hopper: false));
        yield return ("flash_attn", () => Flash(1, Heads, L, 512, hopper: false));
        yield return ("rmsnorm", () => RmsNorm(DType.F32, L, Dim));
        yield return ("rmsnorm", () => RmsNorm(DType.BF16, L, Dim));
        yield return ("layernorm_modulate", () => LayerNorm(L, Dim));
        yield return ("qkv_norm_rope", () => QkvNormRope(L));
        yield return ("add_f32_contig", () => Elementwise("add", (long)L * Dim));
        yield return ("gelu_tanh_f32", () => Elementwise("gelu", (long)L * Dim));
        yield return ("broadcast_add_f32", () => BroadcastAdd(L, Dim));
        yield return ("cast_f32_bf16", () => Cast((long)L * Dim));
        yield return ("softmax_f32", () => Softmax(Heads * 1024, 1024));
        yield return ("permute_b4", () => Permute());
        yield return ("rope_f32", () => Rope());
        yield return ("im2col_f32", () => Im2Col());
        // Last: the Hopper kernel is unverified (kernels/ABI.md); a trap would poison the context for later rows.
        yield return ("flash_attn_hopper", () => Flash(1, Heads, L, L, hopper: true));
        yield return ("flash_attn_hopper", () => Flash(1, 40, L, L, hopper: true));
    }

    private bool Has(string module) => _b.HasModule(module);

    private BenchResult MeasureCopy(long bytes)
    {
        var sets = new List<Set>();
        return Measure("cuMemcpyDtoD", $"{bytes >> 20} MiB", 0, 2.0 * bytes, bytes,
            s =>
            {
                var set = new Set(_b.Empty([(int)(bytes / 4)]), _b.Empty([(int)(bytes / 4)]));
                sets.Add(set);
                return set;
            },
            s => CudaDriver.CopyDeviceToDevice(sets[s][1].DataPointer, sets[s][0].DataPointer, bytes, _b.CudaDevice.Stream));
    }

    private static CudaDataType Dt(DType t) => t switch { DType.BF16 => CudaDataType.R16BF, DType.F16 => CudaDataType.R16F, _ => CudaDataType.R32F };

    /// <summary>D [M, N] = A [M, K] · W [N, K]ᵀ (a Linear), FP32 accumulation.</summary>
    private BenchResult? Gemm(DType ab, DType d, int m, int n, int k)
    {
        if (!_b.HasCublasLt) return null;
        var sets = new List<Set>();
        long setBytes = ((long)m * k + (long)n * k) * ab.Size();
        return Measure($"cublasLt {ab.ToString().ToLowerInvariant()}→{d.ToString().ToLowerInvariant()}", $"{m}x{k}·({n}x{k})ᵀ",
            2.0 * m * n * k, setBytes + (double)m * n * d.Size(), setBytes,
            s => Add(sets, new Set(Random(s, ab, m, k), Random(100 + s, ab, n, k), _b.Empty([m, n], d))),
            s => _b.Gemm.Run(Dt(ab), Dt(d), CublasComputeType.F32, new GemmShape(m, n, k, 1, TransposeB: true),
                sets[s][0].DataPointer, sets[s][1].DataPointer, sets[s][2].DataPointer, 0, 1f));
    }

    private static Set Add(List<Set> sets, Set s)
    {
        sets.Add(s);
        return s;
    }

    /// <summary>The mma.sync flash kernel in BF16, or the wgmma one (sm_90 only, module present).</summary>
    private BenchResult? Flash(int b, int h, int nq, int nk, bool hopper)
    {
        if (!Has(hopper ? KernelCatalog.Modules.FlashAttentionHopper : KernelCatalog.Modules.FlashAttention)) return null;
        if (hopper && _b.CudaDevice.Info.ComputeCapability != 90) return null;
        var sets = new List<Set>();
        long qBytes = (long)b * h * nq * Hd * 2, kvBytes = 2L * b * h * nk * Hd * 2;
        var entry = KernelCatalog.FlashAttention(DType.BF16, Hd, hopper);
        var launch = KernelCatalog.FlashAttentionLaunch(b, h, nq, Hd, hopper);
        return Measure(entry.Name, $"b{b} h{h} q{nq} k{nk} d{Hd}", 4.0 * b * h * nq * (double)nk * Hd, 2.0 * qBytes + kvBytes, qBytes + kvBytes,
            s => Add(sets, new Set(Random(s, DType.BF16, b, h, nq, Hd), Random(50 + s, DType.BF16, b, h, nk, Hd),
                Random(90 + s, DType.BF16, b, h, nk, Hd), _b.Empty([b, h, nq, Hd], DType.BF16))),
            s =>
            {
                var p = new AttentionParams
                {
                    Q = sets[s][0].DataPointer, K = sets[s][1].DataPointer, V = sets[s][2].DataPointer, O = sets[s][3].DataPointer,
                    Batch = b, Heads = h, Nq = nq, Nk = nk, Scale = 1f / MathF.Sqrt(Hd),
                };
                p.SetContiguousBhnd(nq, nk, h, Hd);
                _b.Launch(entry, launch, p);
            });
    }

    private BenchResult? RmsNorm(DType t, int rows, int cols)
    {
        if (!Has(KernelCatalog.Modules.RmsNorm)) return null;
        var sets = new List<Set>();
        long bytes = (long)rows * cols * t.Size();
        var entry = KernelCatalog.RmsNorm(t, t);
        return Measure(entry.Name, Dims(rows, cols), 3.0 * rows * cols, 2.0 * bytes, bytes,
            s => Add(sets, new Set(Random(s, t, rows, cols), _b.Empty([rows, cols], t), Random(7, DType.F32, cols))),
            s => _b.Launch(entry, KernelCatalog.RowLaunch(rows, cols, t), new RmsNormParams
            {
                Y = sets[s][1].DataPointer, X = sets[s][0].DataPointer, Weight = sets[s][2].DataPointer, Rows = rows,
                XRowStride = cols, YRowStride = cols, Cols = cols, Eps = 1e-6f,
            }));
    }

    /// <summary>LayerNorm (no affine) with Wan's per-batch adaLN modulation [1, C], F32 in and out.</summary>
    private BenchResult? LayerNorm(int rows, int cols)
    {
        if (!Has(KernelCatalog.Modules.LayerNormModulate)) return null;
        var sets = new List<Set>();
        long bytes = (long)rows * cols * 4;
        var entry = KernelCatalog.LayerNorm(DType.F32, DType.F32);
        return Measure($"{entry.Name}+modulate", Dims(rows, cols), 8.0 * rows * cols, 2.0 * bytes, bytes,
            s => Add(sets, new Set(Random(s, DType.F32, rows, cols), _b.Empty([rows, cols]), Random(8, DType.F32, cols), Random(9, DType.F32, cols))),
            s => _b.Launch(entry, KernelCatalog.RowLaunch(rows, cols, DType.F32), new LayerNormParams
            {
                Y = sets[s][1].DataPointer, X = sets[s][0].DataPointer, Scale = sets[s][2].DataPointer, Shift = sets[s][3].DataPointer,
                Rows = rows, XRowStride = cols, YRowStride = cols, ModGroupStride = cols, ModRowStride = 0, Cols = cols, RowsPerGroup = rows, Eps = 1e-6f,
            }));
    }

    /// <summary>The fused split + q/k RMSNorm + RoPE + [B, H, N, D] layout after the QKV GEMM, F32 in, BF16 out.</summary>
    private BenchResult? QkvNormRope(int tokens)
    {
        if (!Has(KernelCatalog.Modules.QkvNormRope)) return null;
        var sets = new List<Set>();
        long inBytes = (long)tokens * 3 * Dim * 4, outBytes = (long)tokens * 3 * Dim * 2;
        var entry = KernelCatalog.QkvNormRope(DType.F32, DType.BF16);
        return Measure(entry.Name, $"{tokens}x3x{Dim}", 10.0 * tokens * 3 * Dim, inBytes + outBytes, inBytes,
            s => Add(sets, new Set(Random(s, DType.F32, tokens, 3 * Dim), _b.Empty([1, Heads, tokens, Hd], DType.BF16), _b.Empty([1, Heads, tokens, Hd], DType.BF16),
                _b.Empty([1, Heads, tokens, Hd], DType.BF16), Random(3, DType.F32, Dim), Random(4, DType.F32, Dim), Random(5, DType.F32, tokens, Hd / 2),
                Random(6, DType.F32, tokens, Hd / 2))),
            s => _b.Launch(entry, KernelCatalog.RowLaunch(tokens, 3 * Dim, DType.F32), new QkvNormRopeParams
            {
                QOut = sets[s][1].DataPointer, KOut = sets[s][2].DataPointer, VOut = sets[s][3].DataPointer, Qkv = sets[s][0].DataPointer,
                QWeight = sets[s][4].DataPointer, KWeight = sets[s][5].DataPointer, Cos = sets[s][6].DataPointer, Sin = sets[s][7].DataPointer,
                QkvRowStride = 3 * Dim, Batch = 1, Tokens = tokens, Heads = Heads, HeadDim = Hd, Eps = 1e-6f, ApplyNorm = 1,
            }));
    }

    private BenchResult? Elementwise(string which, long n)
    {
        if (!Has(KernelCatalog.Modules.Activations)) return null;
        var sets = new List<Set>();
        int count = (int)n;
        if (which == "add")
            return Measure(KernelCatalog.AddContiguous.Name, Dims(n), n, 12.0 * n, 8L * n,
                s => Add(sets, new Set(Random(s, DType.F32, count), Random(30 + s, DType.F32, count), _b.Empty([count]))),
                s => _b.Launch(KernelCatalog.AddContiguous, LaunchConfig.GridStride(n, 4),
                    new BinaryParams { Y = sets[s][2].DataPointer, A = sets[s][0].DataPointer, B = sets[s][1].DataPointer, N = n }));
        var gelu = KernelCatalog.Gelu(GeluApproximation.Tanh, DType.F32);
        return Measure(gelu.Name, Dims(n), 12.0 * n, 8.0 * n, 4L * n,
            s => Add(sets, new Set(Random(s, DType.F32, count), _b.Empty([count]))),
            s => _b.Launch(gelu, LaunchConfig.GridStride(n, 4), new UnaryParams { Y = sets[s][1].DataPointer, X = sets[s][0].DataPointer, N = n }));
    }

    /// <summary>[rows, cols] + [cols] through the strided broadcast kernel (the path of bias and modulation adds).</summary>
    private BenchResult? BroadcastAdd(int rows, int cols)
    {
        if (!Has(KernelCatalog.Modules.Broadcast)) return null;
        var sets = new List<Set>();
        long n = (long)rows * cols;
        var plan = BroadcastLayout.Plan("bench", [rows, cols], [cols]);
        return Measure(KernelCatalog.Add.Name, $"{rows}x{cols} + {cols}", n, 8.0 * n, 4L * n,
            s => Add(sets, new Set(Random(s, DType.F32, rows, cols), Random(40, DType.F32, cols), _b.Empty([rows, cols]))),
            s => _b.LaunchStrided("bench", KernelCatalog.Add, plan.Shape, sets[s][2].DataPointer, sets[s][0].DataPointer, plan.Strides[0],
                sets[s][1].DataPointer, plan.Strides[1]));
    }

    private BenchResult? Cast(long n)
    {
        if (!Has(KernelCatalog.Modules.Convert)) return null;
        var sets = new List<Set>();
        var entry = KernelCatalog.Cast(DType.F32, DType.BF16);
        return Measure(entry.Name, Dims(n), 0, 6.0 * n, 4L * n,
            s => Add(sets, new Set(Random(s, DType.F32, (int)n), _b.Empty([(int)n], DType.BF16))),
            s => _b.Launch(entry, LaunchConfig.GridStride(n, 8), new UnaryParams { Y = sets[s][1].DataPointer, X = sets[s][0].DataPointer, N = n }));
    }

    private BenchResult? Softmax(int rows, int cols)
    {
        if (!Has(KernelCatalog.Modules.Reduce)) return null;
        var sets = new List<Set>();
        long n = (long)rows * cols;
        return Measure(KernelCatalog.Softmax.Name, Dims(rows, cols), 5.0 * n, 8.0 * n, 4L * n,
            s => Add(sets, new Set(Random(s, DType.F32, rows, cols), _b.Empty([rows, cols]))),
            s => _b.Launch(KernelCatalog.Softmax, KernelCatalog.RowLaunch(rows, cols, DType.F32),
                new SoftmaxParams { Y = sets[s][1].DataPointer, X = sets[s][0].DataPointer, Rows = rows, Cols = cols }));
    }

    /// <summary>[1, L, H, D] → [1, H, L, D] (attention layout), F32.</summary>
    private unsafe BenchResult? Permute()
    {
        if (!Has(KernelCatalog.Modules.Layout)) return null;
        var sets = new List<Set>();
        long n = (long)L * Heads * Hd;
        var plan = PermuteLayout.Plan([1, L, Heads, Hd], [0, 2, 1, 3]);
        return Measure(KernelCatalog.Permute(4).Name, $"1x{L}x{Heads}x{Hd} → 0,2,1,3", 0, 8.0 * n, 4L * n,
            s => Add(sets, new Set(Random(s, DType.F32, 1, L, Heads, Hd), _b.Empty([1, Heads, L, Hd]))),
            s =>
            {
                var p = new PermuteParams { Y = sets[s][1].DataPointer, X = sets[s][0].DataPointer, Numel = n, Rank = plan.Rank };
                for (int i = 0; i < plan.Rank; i++)
                {
                    p.Shape[i] = plan.Shape[i];
                    p.InStride[i] = plan.InStride[i];
                }
                _b.Launch(KernelCatalog.Permute(4), LaunchConfig.GridStride(n), p);
            });
    }

    private BenchResult? Rope()
    {
        if (!Has(KernelCatalog.Modules.Rope)) return null;
        var sets = new List<Set>();
        long n = (long)L * Heads * Hd;
        return Measure(KernelCatalog.Rope.Name, $"1x{L}x{Heads}x{Hd}", 3.0 * n, 8.0 * n, 4L * n,
            s => Add(sets, new Set(Random(s, DType.F32, 1, L, Heads, Hd), _b.Empty([1, L, Heads, Hd]), Random(1, DType.F32, L, Hd / 2), Random(2, DType.F32, L, Hd / 2))),
            s => _b.Launch(KernelCatalog.Rope, LaunchConfig.GridStride(n / 2), new RopeParams
            {
                Y = sets[s][1].DataPointer, X = sets[s][0].DataPointer, Cos = sets[s][2].DataPointer, Sin = sets[s][3].DataPointer,
                Rows = L, Tokens = L, Heads = Heads, HeadDim = Hd,
            }));
    }

    /// <summary>The column matrix of Wan VAE's causal 3×3×3 convolution at 96 channels, 3 frames of 60×104 (one slab of 32 rows).</summary>
    private BenchResult? Im2Col()
    {
        if (!Has(KernelCatalog.Modules.Im2Col)) return null;
        var sets = new List<Set>();
        const int c = 96, t = 3, h = 60, w = 104, rows = 32;
        int k = c * 27;
        long colElems = (long)k * rows * w;
        var entry = KernelCatalog.Im2Col(DType.F32, DType.F32);
        return Measure(entry.Name, $"C{c} {t}x{h}x{w} k3 rows {rows}", 0, 4.0 * colElems + 4.0 * c * t * h * w, 4L * c * t * h * w,
            s => Add(sets, new Set(Random(s, DType.F32, c, t, h, w), _b.Empty([(int)colElems]))),
            s => _b.Launch(entry, LaunchConfig.GridStride(colElems), new Im2ColParams
            {
                Col = sets[s][1].DataPointer, X = sets[s][0].DataPointer, Channels = c, Frames = t, Height = h, Width = w,
                Kt = 3, Kh = 3, Kw = 3, St = 1, Sh = 1, Sw = 1, PadFront = 2, PadTop = 1, PadLeft = 1,
                OutFrames = t, OutHeight = h, OutWidth = w, R0 = 0, Rows = rows,
            }));
    }
}
