using FastVideo.Backends;
using FastVideo.Cuda.Kernels;
using FastVideo.Interop;
using FastVideo.Tensors;
using M = FastVideo.Cuda.Kernels.KernelCatalog.Modules;

namespace FastVideo.Cuda;

public sealed partial class CudaBackend
{
    private bool? _cublasLt;

    /// <summary>The kernel modules each op needs (beyond the driver's copies and fills); cuBLASLt for the GEMM ops.</summary>
    public static IReadOnlyList<string> RequiredModules(Op op, DType dtype) => op switch
    {
        Op.Copy or Op.Fill or Op.Slice or Op.Concat => [],
        Op.Cast => [M.Convert],
        Op.MatMul => [],
        Op.Linear => dtype == DType.F32 ? [M.Broadcast] : [M.Convert, M.Broadcast],
        Op.Add or Op.Sub or Op.Mul or Op.Div => [M.Broadcast, M.Activations],
        Op.Axpby or Op.Scale or Op.Clamp or Op.Gelu or Op.Silu => [M.Activations],
        Op.Modulate or Op.AddGated => [M.Broadcast],
        Op.Softmax or Op.Sum or Op.Mean => [M.Reduce],
        Op.LayerNorm => [M.LayerNormModulate, M.Convert],
        Op.LayerNormModulate => dtype == DType.F32 ? [M.LayerNormModulate, M.Broadcast] : [M.LayerNormModulate, M.Broadcast, M.Convert],
        Op.RmsNorm => [M.RmsNorm, M.Convert],
        Op.RmsNormChannels => [M.RmsNorm, M.Layout, M.Broadcast, M.Convert],
        Op.Conv2d or Op.Conv3d => [M.Im2Col, M.Broadcast, M.Convert],
        Op.UpsampleNearest2x or Op.Permute or Op.Embedding => [M.Layout],
        Op.Rope => [M.Rope],
        Op.Attention => [M.Reduce, M.Broadcast, M.Convert],
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "unknown op"),
    };

    /// <summary>Whether cuBLASLt loads (the GEMM ops need it).</summary>
    public bool HasCublasLt => _cublasLt ??= CublasLt.TryGetVersion(out _, out _);

    /// <summary>
    /// The dtypes each op takes (as the CPU backend), and only where every kernel module it needs is present
    /// (as a source or a fatbin) and, for GEMM ops, cuBLASLt loads.
    /// </summary>
    public bool Supports(Op op, DType dtype)
    {
        bool types = op switch
        {
            Op.Copy or Op.Slice or Op.Permute or Op.Concat or Op.Fill or Op.Cast => true,
            Op.Embedding => dtype is DType.I32 or DType.I64 || dtype.IsFloat(),
            Op.Linear or Op.Conv2d or Op.Conv3d => dtype.IsFloat(),
            Op.LayerNormModulate => dtype is DType.F32 or DType.BF16,
            _ => dtype == DType.F32,
        };
        if (!types) return false;
        if (op is Op.Permute && dtype.Size() is not (1 or 2 or 4 or 8)) return false;
        if (op is Op.MatMul or Op.Linear or Op.Conv2d or Op.Conv3d or Op.Attention && !HasCublasLt) return false;
        return RequiredModules(op, dtype).All(HasModule);
    }
}
