using FastVideo.Interop;
using FastVideo.Tensors;

namespace FastVideo.Cuda;

/// <summary>
/// One row-major (strided-batched) GEMM: D[b] (M×N) = alpha·A[b] (M×K)·B[b] (K×N, or stored N×K when
/// <see cref="TransposeB"/>) (+ bias[N] broadcast over rows). Strides are in elements between batch entries;
/// leading dimensions (elements between rows) default to packed rows (0): K for A, N (or K when transposed) for B, N for D.
/// </summary>
public readonly record struct GemmShape(int M, int N, int K, int Batch = 1, bool TransposeB = false, long StrideA = 0, long StrideB = 0,
    long StrideD = 0, long LdA = 0, long LdB = 0, long LdD = 0)
{
    public long LeadA => LdA > 0 ? LdA : K;
    public long LeadB => LdB > 0 ? LdB : TransposeB ? K : N;
    public long LeadD => LdD > 0 ? LdD : N;
}

/// <summary>
/// Row-major GEMMs on cuBLASLt, with one cached plan (descriptors + the heuristic's algorithm) per distinct
/// problem: shape, element types, compute type, bias, and the pointers' alignment class.
/// cuBLASLt is column-major, so the row-major product D = A·B is issued as Dᵀ = Bᵀ·Aᵀ: a row-major X (r×c) is
/// the column-major Xᵀ (c×r) with leading dimension c, so the buffers go in unchanged and only the roles of A
/// and B swap; the bias epilogue adds per row of the column-major D, i.e. per output feature N.
/// Not thread-safe by itself: the backend serialises calls (one stream).
/// </summary>
public sealed class CublasLtGemm : IDisposable
{
    /// <summary>Workspace cuBLASLt may use per call (32 MiB, NVIDIA's recommendation for Hopper).</summary>
    public const long WorkspaceBytes = 32L << 20;

    private readonly CudaDevice _device;
    private readonly IAllocator _allocator;
    private readonly Dictionary<PlanKey, Plan> _plans = new();
    private CublasLtHandle? _handle;
    private nint _workspace;
    private long _workspaceCapacity;

    public CublasLtGemm(CudaDevice device, IAllocator allocator)
    {
        _device = device;
        _allocator = allocator;
    }

    /// <summary>Number of distinct problems planned so far (each asked the heuristic once).</summary>
    public int PlanCount => _plans.Count;

    private long _matmulCalls;

    /// <summary>cublasLtMatmul calls queued so far (GEMMs, linear layers and the GEMMs of convolutions and attention).</summary>
    public long MatmulCalls => Interlocked.Read(ref _matmulCalls);

    private readonly record struct PlanKey(CudaDataType AB, CudaDataType D, CublasComputeType Compute, GemmShape Shape, bool Bias, int AlignA, int AlignB, int AlignD);

    private sealed class Plan(CublasLtMatmulDesc desc, CublasLtMatrixLayout a, CublasLtMatrixLayout b, CublasLtMatrixLayout d,
        CublasLtPreference preference, CublasLtHeuristicResult heuristic) : IDisposable
    {
        public CublasLtMatmulDesc Desc { get; } = desc;
        public CublasLtMatrixLayout A { get; } = a;
        public CublasLtMatrixLayout B { get; } = b;
        public CublasLtMatrixLayout D { get; } = d;
        public CublasLtHeuristicResult Heuristic { get; } = heuristic;

        public void Dispose()
        {
            Desc.Dispose();
            A.Dispose();
            B.Dispose();
            D.Dispose();
            preference.Dispose();
        }
    }

    /// <summary>Largest power of two (≤ 256) dividing the address: the alignment cuBLASLt may assume.</summary>
    public static int AlignmentOf(nint pointer)
    {
        if (pointer == 0) return 256;
        int a = 1 << System.Numerics.BitOperations.TrailingZeroCount((ulong)pointer);
        return Math.Min(a, 256);
    }

    /// <summary>
    /// The alignment cuBLASLt may assume for one operand: that of its base address and, for a batched operand,
    /// that of its batch stride in bytes too, since entry b starts at base + b·stride. (An attention GEMM over
    /// [17, 33] F32 score blocks has a 2 244-byte stride: entry 1 is only 4-byte aligned although the base is
    /// 256-byte aligned.) A smaller value only excludes kernels; a larger one can pick a kernel that faults.
    /// </summary>
    public static int OperandAlignment(nint pointer, long batchStrideElements, int batch, int elementBytes)
    {
        int a = AlignmentOf(pointer);
        if (batch > 1) a = Math.Min(a, AlignmentOf((nint)(batchStrideElements * elementBytes)));
        return a;
    }

    /// <summary>Bytes of one element of a cuBLASLt data type used here.</summary>
    public static int ElementBytes(CudaDataType type) => type == CudaDataType.R32F ? 4 : 2;

    /// <summary>
    /// Queues D = alpha·A·op(B) (+ bias) on the device's stream. <paramref name="abType"/> is the type of A and
    /// B, <paramref name="dType"/> of D; <paramref name="bias"/> (0 for none) has D's type, length N.
    /// </summary>
    public void Run(CudaDataType abType, CudaDataType dType, CublasComputeType compute, GemmShape s, nint a, nint b, nint d, nint bias, float alpha)
    {
        if (s.M <= 0 || s.N <= 0 || s.K <= 0 || s.Batch <= 0)
            throw new ArgumentException($"GEMM needs positive sizes, got M={s.M} N={s.N} K={s.K} batch={s.Batch}");
        _device.MakeCurrent();
        var handle = _handle ??= CublasLtHandle.Create(_device.Context);
        EnsureWorkspace();
        int ab = ElementBytes(abType), db = ElementBytes(dType);
        var key = new PlanKey(abType, dType, compute, s, bias != 0, OperandAlignment(a, s.StrideA, s.Batch, ab),
            OperandAlignment(b, s.StrideB, s.Batch, ab), OperandAlignment(d, s.StrideD, s.Batch, db));
        if (!_plans.TryGetValue(key, out var plan))
        {
            plan = CreatePlan(handle, key);
            _plans[key] = plan;
        }
        if (bias != 0) plan.Desc.SetBiasPointer(bias);
        // cuBLAS "A" is our B, cuBLAS "B" is our A (see the class summary); C = D with beta = 0.
        CublasLt.Matmul(handle, plan.Desc, alpha, b, plan.A, a, plan.B, 0f, d, plan.D, d, plan.D, plan.Heuristic.Algo,
            _workspace, _workspaceCapacity, _device.Stream, Describe(key));
        Interlocked.Increment(ref _matmulCalls);
    }

    private void EnsureWorkspace()
    {
        if (_workspace != 0) return;
        _workspace = _allocator.Allocate(WorkspaceBytes, out _workspaceCapacity);
    }

    private Plan CreatePlan(CublasLtHandle handle, PlanKey key)
    {
        var s = key.Shape;
        var desc = CublasLtMatmulDesc.Create(key.Compute, CudaDataType.R32F);
        CublasLtMatrixLayout? la = null, lb = null, ld = null;
        CublasLtPreference? pref = null;
        try
        {
            desc.SetTranspose(s.TransposeB, false);
            if (key.Bias) desc.SetEpilogue(CublasLtEpilogue.Bias);
            // cuBLAS A := our B. Not transposed: row-major K×N = column-major N×K (ld N). Transposed: stored N×K
            // row-major = column-major K×N (ld K), used with op T.
            la = s.TransposeB
                ? CublasLtMatrixLayout.Create(key.AB, s.K, s.N, s.LeadB, s.Batch, s.StrideB)
                : CublasLtMatrixLayout.Create(key.AB, s.N, s.K, s.LeadB, s.Batch, s.StrideB);
            // cuBLAS B := our A, row-major M×K = column-major K×M (ld K).
            lb = CublasLtMatrixLayout.Create(key.AB, s.K, s.M, s.LeadA, s.Batch, s.StrideA);
            // D row-major M×N = column-major N×M (ld N).
            ld = CublasLtMatrixLayout.Create(key.D, s.N, s.M, s.LeadD, s.Batch, s.StrideD);
            pref = CublasLtPreference.Create(WorkspaceBytes);
            pref.SetMinAlignment(key.AlignB, key.AlignA, key.AlignD, key.AlignD);
            var h = CublasLt.Heuristic(handle, desc, la, lb, ld, ld, pref, Describe(key));
            return new Plan(desc, la, lb, ld, pref, h);
        }
        catch
        {
            desc.Dispose();
            la?.Dispose();
            lb?.Dispose();
            ld?.Dispose();
            pref?.Dispose();
            throw;
        }
    }

    private static string Describe(PlanKey k) =>
        $"row-major [{k.Shape.Batch}×] {k.Shape.M}×{k.Shape.K} · {(k.Shape.TransposeB ? $"({k.Shape.N}×{k.Shape.K})ᵀ" : $"{k.Shape.K}×{k.Shape.N}")}" +
        $" → {k.D}, inputs {k.AB}, compute {k.Compute}{(k.Bias ? ", bias" : "")}, alignment {k.AlignA}/{k.AlignB}/{k.AlignD}";

    public void Dispose()
    {
        foreach (var p in _plans.Values) p.Dispose();
        _plans.Clear();
        if (_workspace != 0)
        {
            _allocator.Free(_workspace, _workspaceCapacity);
            _workspace = 0;
        }
        _handle?.Dispose();
        _handle = null;
    }
}
