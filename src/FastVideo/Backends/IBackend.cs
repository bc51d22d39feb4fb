using FastVideo.Tensors;

namespace FastVideo.Backends;

/// <summary>GELU variants: exact (erf) as PyTorch's default, and the tanh approximation ("gelu_new", "gelu_pytorch_tanh").</summary>
public enum GeluApproximation { None, Tanh }

/// <summary>Every op of the backend op set, for <see cref="IBackend.Supports"/> and the parity suite.</summary>
public enum Op
{
    Copy, Cast, Fill, MatMul, Linear,
    Add, Sub, Mul, Div, Axpby, Scale, Modulate, AddGated, Clamp,
    Gelu, Silu, Softmax, LayerNorm, RmsNorm, RmsNormChannels,
    Conv2d, Conv3d, UpsampleNearest2x, Attention, Rope, Embedding,
    Concat, Slice, Permute, Sum, Mean,
    LayerNormModulate,
}

/// <summary>
/// The op set every model uses. Ops allocate their result from <see cref="Allocator"/> and return it: the
/// caller owns it (dispose it, or open a <see cref="TensorScope"/>). Ops never read values back to the host
/// and never synchronize; <see cref="Synchronize"/> and <see cref="Tensor.ToArray{T}"/> are the explicit points.
/// Floating activations are F32 unless an op says otherwise; shapes follow PyTorch's layouts.
/// Every argument is validated and a mismatch raises <see cref="ShapeMismatchException"/> or
/// <see cref="ArgumentException"/> naming the op, the argument, the expected and the actual value.
/// </summary>
public interface IBackend : IDisposable
{
    string Name { get; }
    Device Device { get; }
    IAllocator Allocator { get; }

    /// <summary>Whether this backend implements <paramref name="op"/> for inputs of <paramref name="dtype"/>.</summary>
    bool Supports(Op op, DType dtype);

    /// <summary>Waits for all queued work (no-op on the CPU).</summary>
    void Synchronize();

    // ---- creation and movement ----------------------------------------------------------------------
    Tensor Empty(ReadOnlySpan<int> shape, DType dtype = DType.F32);
    /// <summary>A new tensor filled with <paramref name="value"/> (converted to <paramref name="dtype"/>).</summary>
    Tensor Full(ReadOnlySpan<int> shape, float value, DType dtype = DType.F32);
    Tensor Zeros(ReadOnlySpan<int> shape, DType dtype = DType.F32) => Full(shape, 0f, dtype);
    /// <summary>A copy of <paramref name="x"/> on this backend's device (from any device).</summary>
    Tensor Copy(Tensor x);
    /// <summary>Element-wise conversion to <paramref name="dtype"/> (float→bf16 rounds to nearest even; float→int truncates).</summary>
    Tensor Cast(Tensor x, DType dtype);

    // ---- GEMM -----------------------------------------------------------------------------------------
    /// <summary>
    /// Batched matrix product. a: [..., M, K]; b: [..., K, N] (or [..., N, K] when <paramref name="transposeB"/>).
    /// Batch dimensions broadcast (b may be 2-D). Result [..., M, N] = alpha·a·b. F32 only.
    /// </summary>
    Tensor MatMul(Tensor a, Tensor b, bool transposeB = false, float alpha = 1f);

    /// <summary>
    /// y = x·Wᵀ + bias. x: [..., in] F32; weight: [out, in] F32, BF16 or F16 (accumulation in F32);
    /// bias: [out] (any float dtype) or null. Result [..., out] F32.
    /// </summary>
    Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null);

    // ---- element-wise (F32, NumPy broadcasting) -------------------------------------------------------
    Tensor Add(Tensor a, Tensor b);
    Tensor Sub(Tensor a, Tensor b);
    Tensor Mul(Tensor a, Tensor b);
    Tensor Div(Tensor a, Tensor b);
    /// <summary>alpha·a + beta·b, same shapes (classifier-free guidance, scheduler updates).</summary>
    Tensor Axpby(float alpha, Tensor a, float beta, Tensor b);
    /// <summary>scale·x + bias.</summary>
    Tensor Scale(Tensor x, float scale, float bias = 0f);
    /// <summary>x·(1 + scale) + shift; scale and shift broadcast to x (adaptive LayerNorm modulation).</summary>
    Tensor Modulate(Tensor x, Tensor scale, Tensor shift);
    /// <summary>
    /// x + y·gate; gate broadcasts (gated residual). This is already the DiT's fused gated-residual op (one pass,
    /// fma(y, gate, x) on the CPU): there is no separate GatedResidual op.
    /// </summary>
    Tensor AddGated(Tensor x, Tensor y, Tensor gate);
    Tensor Clamp(Tensor x, float min, float max);

    // ---- activations and normalisation (F32; statistics in at least F32) ----------------------------
    Tensor Gelu(Tensor x, GeluApproximation approximation = GeluApproximation.None);
    Tensor Silu(Tensor x);
    /// <summary>Softmax over the last dimension.</summary>
    Tensor Softmax(Tensor x);
    /// <summary>LayerNorm over the last dimension; weight/bias [C] or null (no affine). Biased variance.</summary>
    Tensor LayerNorm(Tensor x, Tensor? weight, Tensor? bias, float eps);
    /// <summary>
    /// Fused adaptive LayerNorm (DiT adaLN): LayerNorm(x, no affine, eps)·(1 + scale) + shift over the last
    /// dimension. x [..., C] F32, or BF16 (widened exactly to F32 first); scale and shift F32 broadcast to x, per
    /// sample [B, 1, C] or per token [B, N, C]. Result F32 of x's shape. The default composes
    /// <see cref="Cast"/>, <see cref="LayerNorm"/> and <see cref="Modulate"/> and is the reference: an override
    /// (one pass per row) matches it to F32 rounding (relative L2 ≤ 1e-6).
    /// </summary>
    Tensor LayerNormModulate(Tensor x, Tensor scale, Tensor shift, float eps) => FusedOps.LayerNormModulate(this, x, scale, shift, eps);
    /// <summary>x·rsqrt(mean(x²) + eps)·weight over the last dimension; weight [C] or null.</summary>
    Tensor RmsNorm(Tensor x, Tensor? weight, float eps);
    /// <summary>
    /// Wan VAE's RMS_norm over dimension 1 of [N, C, ...]: x / max(‖x‖₂, eps) · sqrt(C) · gamma + bias,
    /// gamma/bias of C elements (shape [C] or [C,1,1(,1)]) or null.
    /// </summary>
    Tensor RmsNormChannels(Tensor x, Tensor? gamma, Tensor? bias, float eps = 1e-12f);

    // ---- convolutions and resampling ---------------------------------------------------------------
    /// <summary>
    /// x [N, C, H, W], weight [O, C, kH, kW] (F32/BF16/F16), bias [O] or null. Zero padding given per side
    /// (top, bottom, left, right). Result [N, O, H', W'].
    /// </summary>
    Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, (int H, int W) stride, (int Top, int Bottom, int Left, int Right) padding);
    /// <summary>
    /// x [N, C, T, H, W], weight [O, C, kT, kH, kW], bias [O] or null. Zero padding per side; a causal
    /// convolution pads only the front of T. Result [N, O, T', H', W'].
    /// </summary>
    Tensor Conv3d(Tensor x, Tensor weight, Tensor? bias, (int T, int H, int W) stride,
        (int Front, int Back, int Top, int Bottom, int Left, int Right) padding);
    /// <summary>Nearest-neighbour 2× upsampling of the last two dimensions: [..., H, W] → [..., 2H, 2W].</summary>
    Tensor UpsampleNearest2x(Tensor x);

    // ---- attention and positional encoding ----------------------------------------------------------
    /// <summary>
    /// softmax(q·kᵀ·scale + mask)·v. q [B, H, Nq, D], k and v [B, H, Nk, D] (v may have its own Dv);
    /// mask: additive F32 broadcastable to [B, H, Nq, Nk], or null. Memory O(N·D): tiled online softmax.
    /// A query row whose scores are all −∞ gives 0, as PyTorch's scaled_dot_product_attention (plain softmax
    /// would give NaN); a finite mask such as float.MinValue (T5) gives the ordinary softmax.
    /// </summary>
    Tensor Attention(Tensor q, Tensor k, Tensor v, Tensor? mask, float scale);
    /// <summary>
    /// Rotary embedding on interleaved pairs. x [B, N, H, D]; cos and sin [N, D/2], one value per pair:
    /// out[2i] = x[2i]·cos[i] − x[2i+1]·sin[i]; out[2i+1] = x[2i]·sin[i] + x[2i+1]·cos[i].
    /// </summary>
    Tensor ApplyRope(Tensor x, Tensor cos, Tensor sin);
    /// <summary>Rows of weight [V, D] (any float dtype) gathered by ids (I32/I64, any shape) → [..., D] F32. Out-of-range ids throw.</summary>
    Tensor Embedding(Tensor weight, Tensor ids);

    // ---- layout --------------------------------------------------------------------------------------
    Tensor Concat(IReadOnlyList<Tensor> tensors, int dim);
    /// <summary>A copy of entries [start, start+length) along dim (any dimension, any dtype).</summary>
    Tensor Slice(Tensor x, int dim, int start, int length);
    Tensor[] Split(Tensor x, ReadOnlySpan<int> sizes, int dim);
    /// <summary>A contiguous copy with dimensions reordered: result dim i = x dim dims[i] (any dtype).</summary>
    Tensor Permute(Tensor x, ReadOnlySpan<int> dims);

    // ---- reductions (F32; accumulation in F64 on the CPU) --------------------------------------------
    Tensor Sum(Tensor x, int dim, bool keepDim = false);
    Tensor Mean(Tensor x, int dim, bool keepDim = false);
}
