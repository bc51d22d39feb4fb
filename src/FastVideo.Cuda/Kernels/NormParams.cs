using System.Runtime.InteropServices;

namespace FastVideo.Cuda.Kernels;

/// <summary>
/// Mirror of <c>FvRmsNormParams</c> (kernels/norm/rmsnorm.cu): y[r, c] = x[r, c]·rs_r·weight[c],
/// rs_r = 1/sqrt(mean_c x² + eps). Strides in elements; weight F32 [cols] or 0 (no scaling).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct RmsNormParams
{
    public nint Y;
    public nint X;
    public nint Weight;
    public long Rows;
    public long XRowStride;
    public long YRowStride;
    public int Cols;
    public float Eps;
}

/// <summary>
/// Mirror of <c>FvLayerNormParams</c> (kernels/norm/layernorm_modulate.cu):
/// t = (x − μ)·rstd (·weight + bias when given); y = fma(t, 1 + scale[m(r)], shift[m(r)]) when scale is given,
/// m(r) = (r / RowsPerGroup)·ModGroupStride + (r % RowsPerGroup)·ModRowStride (+ c). All params F32 or 0.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct LayerNormParams
{
    public nint Y;
    public nint X;
    public nint Weight;
    public nint Bias;
    public nint Scale;
    public nint Shift;
    public long Rows;
    public long XRowStride;
    public long YRowStride;
    public long ModGroupStride;
    public long ModRowStride;
    public int Cols;
    public int RowsPerGroup;
    public float Eps;
    public int Reserved;
}

/// <summary>
/// Mirror of <c>FvGatedResidualParams</c> (kernels/norm/layernorm_modulate.cu):
/// out[r, c] = fma(y[r, c], gate[m(r) + c], x[r, c]) (gate 0: x + y); out may alias x.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct GatedResidualParams
{
    public nint Out;
    public nint X;
    public nint Y;
    public nint Gate;
    public long Rows;
    public long XRowStride;
    public long YRowStride;
    public long OutRowStride;
    public long GateGroupStride;
    public long GateRowStride;
    public int Cols;
    public int RowsPerGroup;
}

/// <summary>
/// Mirror of <c>FvQkvNormRopeParams</c> (kernels/qkv/qkv_norm_rope.cu): qkv [B·N, 3·H·D] (row stride
/// QkvRowStride) → q, k, v [B, H, N, D]; RMSNorm of q and k over H·D when ApplyNorm ≠ 0 (weights F32 [H·D] or 0),
/// interleaved RoPE with Cos/Sin F32 [N, D/2] (0: none).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct QkvNormRopeParams
{
    public nint QOut;
    public nint KOut;
    public nint VOut;
    public nint Qkv;
    public nint QWeight;
    public nint KWeight;
    public nint Cos;
    public nint Sin;
    public long QkvRowStride;
    public int Batch;
    public int Tokens;
    public int Heads;
    public int HeadDim;
    public float Eps;
    public int ApplyNorm;
}
