using FastVideo.Backends;
using FastVideo.Tensors;

namespace FastVideo.Cuda;

public sealed partial class CudaBackend : IComputePathCounter
{
    private readonly Dictionary<(string Op, string Path), long> _paths = new();
    private readonly List<(string Op, string Path)> _pathOrder = [];

    /// <summary><see cref="Precision.Bf16"/> with <see cref="CudaBackendOptions.MixedPrecision"/>, else <see cref="Precision.Fp32"/>.</summary>
    public Precision ComputePrecision => Options.MixedPrecision ? Precision.Bf16 : Precision.Fp32;

    /// <summary>
    /// The implementation path each Attention, Linear, Conv and MatMul call took so far (e.g. attention "flash
    /// mma.sync bf16 d128", linear "cuBLASLt bf16 in, f32 accumulate"), with counts, in first-use order.
    /// </summary>
    public IReadOnlyList<ComputePathCount> ComputePathCounts
    {
        get
        {
            lock (_paths) return [.. _pathOrder.Select(k => new ComputePathCount(k.Op, k.Path, _paths[k]))];
        }
    }

    /// <summary>Counts one call of <paramref name="op"/> on <paramref name="path"/> (a dictionary increment).</summary>
    internal void CountPath(string op, string path)
    {
        lock (_paths)
        {
            var key = (op, path);
            if (_paths.TryGetValue(key, out long n)) _paths[key] = n + 1;
            else
            {
                _paths[key] = 1;
                _pathOrder.Add(key);
            }
        }
    }

    /// <summary>The attention path name: the flash kernel with its type and head dim, or the F32 GEMM + softmax path.</summary>
    internal static string AttentionPathName(bool flash, bool hopper, int d, bool masked) =>
        flash ? $"flash {(hopper ? "wgmma" : "mma.sync")} bf16 d{d}" : masked ? "cuBLASLt f32 + mask + softmax f32" : "cuBLASLt f32 + softmax f32";

    /// <summary>The GEMM path name of a Linear or Conv: 16-bit inputs with FP32 accumulation (mixed), or FP32 (16-bit weights widened).</summary>
    internal static string GemmPathName(bool mixed, DType weight, string prefix = "") =>
        prefix + (mixed ? $"cuBLASLt {DTypeName(weight)} in, f32 accumulate"
            : weight == DType.F32 ? "cuBLASLt f32" : $"cuBLASLt f32 ({DTypeName(weight)} weights widened)");

    private static string DTypeName(DType t) => t switch { DType.BF16 => "bf16", DType.F16 => "f16", _ => "f32" };
}
