using FastVideo.Tensors;

namespace FastVideo.Cuda.Kernels;

/// <summary>A kernel entry point: the module (the .cu file's stem, one fatbin each) and the extern "C" name.</summary>
public readonly record struct KernelEntry(string Module, string Name)
{
    public override string ToString() => $"{Module}:{Name}";
}

/// <summary>
/// Every entry point of kernels/ with the rules that pick one (dtype suffixes: f32, bf16, f16; b1..b8 for
/// byte-size-generic copies) and its launch geometry. kernels/ABI.md is the long form; each params struct
/// here mirrors the C struct of the same name (checked by static_asserts in C and by KernelAbiTests in C#).
/// </summary>
public static class KernelCatalog
{
    /// <summary>Module names (the .cu stems; fatbins are kernels/&lt;module&gt;.fatbin).</summary>
    public static class Modules
    {
        public const string RmsNorm = "rmsnorm";
        public const string LayerNormModulate = "layernorm_modulate";
        public const string QkvNormRope = "qkv_norm_rope";
        public const string FlashAttention = "flash_attn_fwd";
        public const string FlashAttentionHopper = "flash_attn_hopper";
        public const string Activations = "activations";
        public const string Broadcast = "broadcast";
        public const string Convert = "convert";
        public const string Reduce = "reduce";
        public const string Rope = "rope";
        public const string Layout = "layout";
        public const string Im2Col = "im2col";
    }

    /// <summary>The kernel name suffix of a float dtype: f32, bf16 or f16.</summary>
    public static string Suffix(DType dtype) => dtype switch
    {
        DType.F32 => "f32",
        DType.BF16 => "bf16",
        DType.F16 => "f16",
        _ => throw new ArgumentException($"kernels take F32, BF16 or F16 here, got {dtype}", nameof(dtype)),
    };

    private static KernelEntry Pick(string module, string name, IReadOnlyCollection<KernelEntry> allowed, string what)
    {
        var e = new KernelEntry(module, name);
        if (!allowed.Contains(e)) throw new NotSupportedException($"{what}: no kernel {name} in {module}.cu (supported: {string.Join(", ", allowed.Select(a => a.Name))})");
        return e;
    }

    private static string InOut(string stem, DType input, DType output) =>
        input == output ? $"{stem}_{Suffix(input)}" : $"{stem}_{Suffix(input)}_{Suffix(output)}";

    // ---- norms -----------------------------------------------------------------------------------------

    public static readonly KernelEntry[] RmsNormEntries =
        [.. new[] { "fv_rmsnorm_f32", "fv_rmsnorm_bf16", "fv_rmsnorm_f16", "fv_rmsnorm_f32_bf16" }.Select(n => new KernelEntry(Modules.RmsNorm, n))];

    /// <summary>RMSNorm from <paramref name="input"/> to <paramref name="output"/> (same dtype, or F32 → BF16).</summary>
    public static KernelEntry RmsNorm(DType input, DType output) =>
        Pick(Modules.RmsNorm, InOut("fv_rmsnorm", input, output), RmsNormEntries, "RmsNorm");

    public static readonly KernelEntry[] LayerNormEntries =
        [.. new[] { "fv_layernorm_f32", "fv_layernorm_f32_bf16", "fv_layernorm_bf16", "fv_layernorm_f16" }.Select(n => new KernelEntry(Modules.LayerNormModulate, n))];

    /// <summary>LayerNorm (+ affine, + modulation) from <paramref name="input"/> to <paramref name="output"/>.</summary>
    public static KernelEntry LayerNorm(DType input, DType output) =>
        Pick(Modules.LayerNormModulate, InOut("fv_layernorm", input, output), LayerNormEntries, "LayerNorm");

    public static readonly KernelEntry[] GatedResidualEntries =
        [.. new[] { "fv_residual_gate_f32", "fv_residual_gate_f32_bf16", "fv_residual_gate_bf16" }.Select(n => new KernelEntry(Modules.LayerNormModulate, n))];

    /// <summary>x + y·gate with x (and out) of <paramref name="x"/>'s dtype, y of <paramref name="y"/>'s.</summary>
    public static KernelEntry GatedResidual(DType x, DType y) =>
        Pick(Modules.LayerNormModulate, InOut("fv_residual_gate", x, y), GatedResidualEntries, "GatedResidual");

    public static readonly KernelEntry[] QkvNormRopeEntries =
        [.. new[] { "fv_qkv_norm_rope_f32_f32", "fv_qkv_norm_rope_f32_bf16", "fv_qkv_norm_rope_f32_f16", "fv_qkv_norm_rope_bf16_bf16", "fv_qkv_norm_rope_f16_f16" }
            .Select(n => new KernelEntry(Modules.QkvNormRope, n))];

    /// <summary>The fused qkv split + norm + RoPE from a GEMM output of <paramref name="input"/> to q/k/v of <paramref name="output"/>.</summary>
    public static KernelEntry QkvNormRope(DType input, DType output) =>
        Pick(Modules.QkvNormRope, $"fv_qkv_norm_rope_{Suffix(input)}_{Suffix(output)}", QkvNormRopeEntries, "QkvNormRope");

    /// <summary>Row kernels (norms, qkv, softmax, reduce_rows): one block per row, 16-byte vectors of the input dtype.</summary>
    public static LaunchConfig RowLaunch(long rows, long cols, DType input) => LaunchConfig.PerRow(rows, cols, LaunchConfig.VectorWidth(input.Size()));

    // ---- attention -------------------------------------------------------------------------------------

    /// <summary>Head dims the flash-attention kernels are instantiated for.</summary>
    public static readonly int[] AttentionHeadDims = [64, 128];

    public static readonly KernelEntry[] FlashAttentionEntries =
        [.. from t in new[] { "bf16", "f16" } from d in AttentionHeadDims select new KernelEntry(Modules.FlashAttention, $"fv_flash_attn_fwd_{t}_d{d}")];

    public static readonly KernelEntry[] FlashAttentionHopperEntries =
        [.. from t in new[] { "bf16", "f16" } from d in AttentionHeadDims select new KernelEntry(Modules.FlashAttentionHopper, $"fv_flash_attn_hopper_{t}_d{d}")];

    /// <summary>
    /// Flash attention for q/k/v of <paramref name="dtype"/> (BF16 or F16) and <paramref name="headDim"/> (64 or 128).
    /// <paramref name="hopper"/> picks the wgmma kernel (sm_90 exactly, module flash_attn_hopper present);
    /// otherwise the mma.sync kernel (sm_80+).
    /// </summary>
    public static KernelEntry FlashAttention(DType dtype, int headDim, bool hopper = false)
    {
        if (dtype is not (DType.BF16 or DType.F16)) throw new NotSupportedException($"FlashAttention: q/k/v must be BF16 or F16, got {dtype}");
        if (!AttentionHeadDims.Contains(headDim)) throw new NotSupportedException($"FlashAttention: head dim {headDim} is not instantiated (have {string.Join(", ", AttentionHeadDims)})");
        return hopper
            ? new KernelEntry(Modules.FlashAttentionHopper, $"fv_flash_attn_hopper_{Suffix(dtype)}_d{headDim}")
            : new KernelEntry(Modules.FlashAttention, $"fv_flash_attn_fwd_{Suffix(dtype)}_d{headDim}");
    }

    /// <summary>Query rows per block of the mma.sync kernel (4 warps × 16 rows).</summary>
    public const int FlashAttentionBlockM = 64;

    /// <summary>Query rows per block of the Hopper kernel (2 consumer warpgroups × 64 rows).</summary>
    public const int FlashAttentionHopperBlockM = 128;

    /// <summary>Keys per K/V tile of the Hopper kernel.</summary>
    public const int FlashAttentionHopperBlockN = 64;

    /// <summary>Pipeline depth (K/V stages) of the Hopper kernel.</summary>
    public const int FlashAttentionHopperStages = 2;

    /// <summary>
    /// Dynamic shared memory of the Hopper kernel: Q (128 × D) + stages × (K + V) (64 × D each), 16-bit, plus
    /// 1 KiB for the 1024-byte alignment of the swizzled tiles and the mbarriers. Over 48 KiB: the caller must
    /// raise CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES to this value before the launch.
    /// </summary>
    public static int FlashAttentionHopperSharedBytes(int headDim) =>
        2 * headDim * (FlashAttentionHopperBlockM + 2 * FlashAttentionHopperStages * FlashAttentionHopperBlockN) + 1024;

    /// <summary>
    /// Grid (ceil(nq / block_m), heads, batch); block 128 (mma.sync, static shared memory) or 384 (Hopper: one
    /// producer and two consumer warpgroups, <see cref="FlashAttentionHopperSharedBytes"/> dynamic).
    /// </summary>
    public static LaunchConfig FlashAttentionLaunch(int batch, int heads, int nq, int headDim, bool hopper = false)
    {
        if (batch > 65535 || heads > 65535) throw new NotSupportedException($"FlashAttention: batch {batch} and heads {heads} must be ≤ 65535 (grid z/y)");
        int bm = hopper ? FlashAttentionHopperBlockM : FlashAttentionBlockM;
        uint gx = (uint)Math.Max(1, (nq + bm - 1) / bm);
        return hopper
            ? new LaunchConfig(gx, (uint)heads, (uint)batch, 384, (uint)FlashAttentionHopperSharedBytes(headDim))
            : new LaunchConfig(gx, (uint)heads, (uint)batch, 128, 0);
    }

    // ---- element-wise ------------------------------------------------------------------------------------

    /// <summary>Unary maps (FvUnaryParams): gelu_erf, gelu_tanh, silu in f32/bf16; scale, clamp in f32.</summary>
    public static readonly KernelEntry[] UnaryEntries =
        [.. new[] { "fv_gelu_erf_f32", "fv_gelu_erf_bf16", "fv_gelu_tanh_f32", "fv_gelu_tanh_bf16", "fv_silu_f32", "fv_silu_bf16", "fv_scale_f32", "fv_clamp_f32" }
            .Select(n => new KernelEntry(Modules.Activations, n))];

    public static KernelEntry Gelu(FastVideo.Backends.GeluApproximation approximation, DType dtype) =>
        Pick(Modules.Activations, $"fv_gelu_{(approximation == FastVideo.Backends.GeluApproximation.Tanh ? "tanh" : "erf")}_{Suffix(dtype)}", UnaryEntries, "Gelu");

    public static KernelEntry Silu(DType dtype) => Pick(Modules.Activations, $"fv_silu_{Suffix(dtype)}", UnaryEntries, "Silu");
    public static readonly KernelEntry Scale = new(Modules.Activations, "fv_scale_f32");
    public static readonly KernelEntry Clamp = new(Modules.Activations, "fv_clamp_f32");

    /// <summary>Contiguous equal-shape binary ops (FvBinaryParams), f32.</summary>
    public static readonly KernelEntry Axpby = new(Modules.Activations, "fv_axpby_f32");
    public static readonly KernelEntry AddContiguous = new(Modules.Activations, "fv_add_f32_contig");
    public static readonly KernelEntry SubContiguous = new(Modules.Activations, "fv_sub_f32_contig");
    public static readonly KernelEntry MulContiguous = new(Modules.Activations, "fv_mul_f32_contig");
    public static readonly KernelEntry DivContiguous = new(Modules.Activations, "fv_div_f32_contig");

    /// <summary>Strided broadcast ops (FvBroadcastParams), f32.</summary>
    public static readonly KernelEntry Add = new(Modules.Broadcast, "fv_add_f32");
    public static readonly KernelEntry Sub = new(Modules.Broadcast, "fv_sub_f32");
    public static readonly KernelEntry Mul = new(Modules.Broadcast, "fv_mul_f32");
    public static readonly KernelEntry Div = new(Modules.Broadcast, "fv_div_f32");
    public static readonly KernelEntry Modulate = new(Modules.Broadcast, "fv_modulate_f32");
    public static readonly KernelEntry AddGated = new(Modules.Broadcast, "fv_add_gated_f32");

    public static readonly KernelEntry[] CastEntries =
        [.. from a in new[] { "f32", "bf16", "f16" } from b in new[] { "f32", "bf16", "f16" } where a != b select new KernelEntry(Modules.Convert, $"fv_cast_{a}_{b}")];

    /// <summary>Float-to-float cast (FvUnaryParams).</summary>
    public static KernelEntry Cast(DType from, DType to) => Pick(Modules.Convert, $"fv_cast_{Suffix(from)}_{Suffix(to)}", CastEntries, "Cast");

    /// <summary>Cast between any two dtypes, chosen at run time (FvCastParams); integer casts take it, float pairs the entries above.</summary>
    public static readonly KernelEntry CastAny = new(Modules.Convert, "fv_cast_any");

    /// <summary>Fill with a bit pattern (FvFillParams), any element size 1, 2, 4, 8.</summary>
    public static readonly KernelEntry Fill = new(Modules.Convert, "fv_fill");

    public static readonly KernelEntry Softmax = new(Modules.Reduce, "fv_softmax_f32");
    public static readonly KernelEntry ReduceRows = new(Modules.Reduce, "fv_reduce_rows_f32");
    public static readonly KernelEntry ReduceCols = new(Modules.Reduce, "fv_reduce_cols_f32");
    public static readonly KernelEntry Rope = new(Modules.Rope, "fv_rope_f32");

    // ---- layout ------------------------------------------------------------------------------------------

    private static string Bytes(int elementBytes) => elementBytes switch
    {
        1 or 2 or 4 or 8 => $"b{elementBytes}",
        _ => throw new ArgumentOutOfRangeException(nameof(elementBytes), elementBytes, "element size must be 1, 2, 4 or 8 bytes"),
    };

    public static readonly KernelEntry[] LayoutEntries =
    [
        .. new[] { 1, 2, 4, 8 }.Select(b => new KernelEntry(Modules.Layout, $"fv_permute_b{b}")),
        .. from s in new[] { "patchify", "unpatchify", "upsample_nearest2x" } from b in new[] { 2, 4 } select new KernelEntry(Modules.Layout, $"fv_{s}_b{b}"),
        new KernelEntry(Modules.Layout, "fv_copy_rows"),
        new KernelEntry(Modules.Layout, "fv_embedding_f32"),
    ];

    public static KernelEntry Permute(int elementBytes) => Pick(Modules.Layout, $"fv_permute_{Bytes(elementBytes)}", LayoutEntries, "Permute");
    public static KernelEntry Patchify(int elementBytes) => Pick(Modules.Layout, $"fv_patchify_{Bytes(elementBytes)}", LayoutEntries, "Patchify");
    public static KernelEntry Unpatchify(int elementBytes) => Pick(Modules.Layout, $"fv_unpatchify_{Bytes(elementBytes)}", LayoutEntries, "Unpatchify");
    public static KernelEntry UpsampleNearest2x(int elementBytes) => Pick(Modules.Layout, $"fv_upsample_nearest2x_{Bytes(elementBytes)}", LayoutEntries, "UpsampleNearest2x");
    public static readonly KernelEntry CopyRows = new(Modules.Layout, "fv_copy_rows");
    public static readonly KernelEntry Embedding = new(Modules.Layout, "fv_embedding_f32");

    public static readonly KernelEntry[] Im2ColEntries =
        [.. new[] { "fv_im2col_f32", "fv_im2col_bf16", "fv_im2col_f16", "fv_im2col_f32_bf16" }.Select(n => new KernelEntry(Modules.Im2Col, n))];

    /// <summary>im2col from x of <paramref name="input"/> to a column matrix of <paramref name="output"/>.</summary>
    public static KernelEntry Im2Col(DType input, DType output) => Pick(Modules.Im2Col, InOut("fv_im2col", input, output), Im2ColEntries, "Im2Col");

    /// <summary>Every entry point, for the ABI tests and for preloading modules.</summary>
    public static IReadOnlyList<KernelEntry> All { get; } =
    [
        .. RmsNormEntries, .. LayerNormEntries, .. GatedResidualEntries, .. QkvNormRopeEntries,
        .. FlashAttentionEntries, .. FlashAttentionHopperEntries,
        .. UnaryEntries, Axpby, AddContiguous, SubContiguous, MulContiguous, DivContiguous,
        Add, Sub, Mul, Div, Modulate, AddGated,
        .. CastEntries, CastAny, Fill, Softmax, ReduceRows, ReduceCols, Rope,
        .. LayoutEntries, .. Im2ColEntries,
    ];
}
