using FastVideo.Tensors;

namespace FastVideo.Backends.Cpu;

/// <summary>
/// The reference and portable backend: managed SIMD (Vector512/Vector256 with scalar fallback),
/// multithreaded with <see cref="Parallel"/>. Op families live in partial files: Gemm, Elementwise,
/// Norms, Conv, Attention, Layout.
/// </summary>
public sealed partial class CpuBackend : IBackend
{
    public static CpuBackend Default { get; } = new(CpuAllocator.Shared);

    public CpuBackend(IAllocator? allocator = null)
    {
        Allocator = allocator ?? CpuAllocator.Shared;
        if (Allocator.Device.Type != DeviceType.Cpu) throw new ArgumentException("CpuBackend needs a host allocator", nameof(allocator));
    }

    public string Name => "cpu";
    public Device Device => Device.Cpu;
    public IAllocator Allocator { get; }

    /// <summary>Degree of parallelism for ops (defaults to the processor count).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    public void Synchronize() { }

    public void Dispose() { }

    public bool Supports(Op op, DType dtype) => op switch
    {
        Op.Copy or Op.Slice or Op.Permute or Op.Concat or Op.Cast or Op.Fill => true,
        Op.Embedding => dtype is DType.I32 or DType.I64 || dtype.IsFloat(),
        Op.Linear or Op.Conv2d or Op.Conv3d => dtype.IsFloat(),
        Op.LayerNormModulate => dtype is DType.F32 or DType.BF16,
        _ => dtype == DType.F32,
    };

    public Tensor Empty(ReadOnlySpan<int> shape, DType dtype = DType.F32) => Tensor.Empty(Allocator, shape, dtype);

    internal static void Require(bool condition, string op, string message)
    {
        if (!condition) throw new ArgumentException($"{op}: {message}");
    }

    internal static void RequireCpu(Tensor t, string op, string arg)
    {
        if (t.Device.Type != DeviceType.Cpu) throw new ArgumentException($"{op}: {arg} is on {t.Device}, the CPU backend needs host tensors");
    }

    internal static void RequireF32(Tensor t, string op, string arg)
    {
        RequireCpu(t, op, arg);
        if (t.DType != DType.F32) throw new ArgumentException($"{op}: {arg} must be F32, got {t.DType} [{ShapeUtil.Format(t.ShapeSpan)}]");
    }
}
