using System.Runtime.InteropServices;

namespace FastVideo.Interop;

/// <summary>cudaDataType_t values (library_types.h) for the matrix element types this engine uses.</summary>
public enum CudaDataType { R32F = 0, R16F = 2, R16BF = 14 }

/// <summary>cublasComputeType_t values (cublas_api.h).</summary>
public enum CublasComputeType
{
    /// <summary>FP32 accumulation; FP32 inputs stay FP32 (no TF32 rounding).</summary>
    F32 = 68,
    /// <summary>FP32 accumulation, FP32 inputs rounded to TF32 on the tensor cores.</summary>
    F32FastTf32 = 77,
}

/// <summary>cublasLtEpilogue_t values used here.</summary>
public enum CublasLtEpilogue { Default = 1, Bias = 4, Gelu = 32, GeluBias = 36 }

/// <summary>cublasLtMatmulAlgo_t: 64 opaque bytes chosen by the heuristic.</summary>
[StructLayout(LayoutKind.Sequential, Size = 64)]
public unsafe struct CublasLtMatmulAlgo
{
    private fixed ulong _data[8];
}

/// <summary>cublasLtMatmulHeuristicResult_t (96 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 96)]
public struct CublasLtHeuristicResult
{
    [FieldOffset(0)] public CublasLtMatmulAlgo Algo;
    [FieldOffset(64)] public nuint WorkspaceSize;
    [FieldOffset(72)] public int State;
    [FieldOffset(76)] public float WavesCount;
}

/// <summary>A cuBLASLt library handle, bound to the context it was created in.</summary>
public sealed unsafe class CublasLtHandle : CudaContextBoundHandle
{
    private CublasLtHandle(CudaContext context) : base(context) { }

    /// <summary>Creates a handle in <paramref name="context"/> (current on this thread).</summary>
    public static CublasLtHandle Create(CudaContext context)
    {
        nint raw;
        CublasLt.Check(CublasLtNative.cublasLtCreate(&raw), "cublasLtCreate");
        var h = new CublasLtHandle(context);
        h.Set(raw);
        return h;
    }

    protected override void Destroy(nint raw) => CublasLtNative.cublasLtDestroy(raw);
}

/// <summary>Base of the cuBLASLt host-side descriptors (no context needed to destroy them).</summary>
public abstract class CublasLtDescriptor : SafeHandle
{
    protected CublasLtDescriptor() : base(0, ownsHandle: true) { }
    public override bool IsInvalid => handle == 0;
    public nint Raw => handle;
    internal void Set(nint raw) => SetHandle(raw);
}

/// <summary>cublasLtMatmulDesc_t: compute type, transposes, epilogue and bias of one matmul.</summary>
public sealed unsafe class CublasLtMatmulDesc : CublasLtDescriptor
{
    // cublasLtMatmulDescAttributes_t values.
    private const int AttrTransA = 3, AttrTransB = 4, AttrEpilogue = 7, AttrBiasPointer = 8, AttrBiasDataType = 26;

    public static CublasLtMatmulDesc Create(CublasComputeType compute, CudaDataType scale)
    {
        nint raw;
        CublasLt.Check(CublasLtNative.cublasLtMatmulDescCreate(&raw, (int)compute, (int)scale), "cublasLtMatmulDescCreate", $"{compute}, scale {scale}");
        var d = new CublasLtMatmulDesc();
        d.Set(raw);
        return d;
    }

    private void SetInt(int attribute, int value, string what) =>
        CublasLt.Check(CublasLtNative.cublasLtMatmulDescSetAttribute(Raw, attribute, &value, sizeof(int)), "cublasLtMatmulDescSetAttribute", what);

    /// <summary>Whether cuBLAS's A and B are transposed (cublasOperation_t: N = 0, T = 1).</summary>
    public void SetTranspose(bool a, bool b)
    {
        SetInt(AttrTransA, a ? 1 : 0, "TRANSA");
        SetInt(AttrTransB, b ? 1 : 0, "TRANSB");
    }

    public void SetEpilogue(CublasLtEpilogue epilogue) => SetInt(AttrEpilogue, (int)epilogue, $"EPILOGUE {epilogue}");

    /// <summary>The bias vector (one value per row of D in cuBLAS's column-major view); device pointer.</summary>
    public void SetBiasPointer(nint bias) =>
        CublasLt.Check(CublasLtNative.cublasLtMatmulDescSetAttribute(Raw, AttrBiasPointer, &bias, (nuint)sizeof(nint)),
            "cublasLtMatmulDescSetAttribute", "BIAS_POINTER");

    /// <summary>The bias element type when it differs from the default (D's type for FP32 outputs).</summary>
    public void SetBiasDataType(CudaDataType type) => SetInt(AttrBiasDataType, (int)type, $"BIAS_DATA_TYPE {type}");

    protected override bool ReleaseHandle()
    {
        try { CublasLtNative.cublasLtMatmulDescDestroy(handle); } catch { }
        return true;
    }
}

/// <summary>cublasLtMatrixLayout_t: a column-major matrix (rows, cols, leading dimension), optionally strided-batched.</summary>
public sealed unsafe class CublasLtMatrixLayout : CublasLtDescriptor
{
    private const int AttrBatchCount = 5, AttrStridedBatchOffset = 6;

    public static CublasLtMatrixLayout Create(CudaDataType type, long rows, long cols, long ld, int batch = 1, long batchStride = 0)
    {
        nint raw;
        CublasLt.Check(CublasLtNative.cublasLtMatrixLayoutCreate(&raw, (int)type, (ulong)rows, (ulong)cols, ld),
            "cublasLtMatrixLayoutCreate", $"{type} {rows}x{cols} ld {ld}");
        var l = new CublasLtMatrixLayout();
        l.Set(raw);
        if (batch > 1)
        {
            CublasLt.Check(CublasLtNative.cublasLtMatrixLayoutSetAttribute(raw, AttrBatchCount, &batch, sizeof(int)), "cublasLtMatrixLayoutSetAttribute", "BATCH_COUNT");
            CublasLt.Check(CublasLtNative.cublasLtMatrixLayoutSetAttribute(raw, AttrStridedBatchOffset, &batchStride, sizeof(long)),
                "cublasLtMatrixLayoutSetAttribute", "STRIDED_BATCH_OFFSET");
        }
        return l;
    }

    protected override bool ReleaseHandle()
    {
        try { CublasLtNative.cublasLtMatrixLayoutDestroy(handle); } catch { }
        return true;
    }
}

/// <summary>cublasLtMatmulPreference_t: the search limits for the heuristic (workspace size).</summary>
public sealed unsafe class CublasLtPreference : CublasLtDescriptor
{
    private const int AttrMaxWorkspaceBytes = 1, AttrMinAlignmentA = 5;

    public static CublasLtPreference Create(long maxWorkspaceBytes)
    {
        nint raw;
        CublasLt.Check(CublasLtNative.cublasLtMatmulPreferenceCreate(&raw), "cublasLtMatmulPreferenceCreate");
        var p = new CublasLtPreference();
        p.Set(raw);
        ulong ws = (ulong)maxWorkspaceBytes;
        CublasLt.Check(CublasLtNative.cublasLtMatmulPreferenceSetAttribute(raw, AttrMaxWorkspaceBytes, &ws, sizeof(ulong)),
            "cublasLtMatmulPreferenceSetAttribute", "MAX_WORKSPACE_BYTES");
        return p;
    }

    /// <summary>
    /// Tells the heuristic how the A, B, C and D pointers are aligned (bytes, powers of two up to 256). Without it
    /// cuBLASLt assumes 256-byte alignment and may pick a kernel that faults on a tensor view at an odd offset.
    /// </summary>
    public void SetMinAlignment(int a, int b, int c, int d)
    {
        Span<uint> v = [(uint)a, (uint)b, (uint)c, (uint)d];
        for (int i = 0; i < 4; i++)
        {
            uint x = v[i];
            CublasLt.Check(CublasLtNative.cublasLtMatmulPreferenceSetAttribute(Raw, AttrMinAlignmentA + i, &x, sizeof(uint)),
                "cublasLtMatmulPreferenceSetAttribute", $"MIN_ALIGNMENT_{"ABCD"[i]}_BYTES = {x}");
        }
    }

    protected override bool ReleaseHandle()
    {
        try { CublasLtNative.cublasLtMatmulPreferenceDestroy(handle); } catch { }
        return true;
    }
}

/// <summary>Checked cuBLASLt calls.</summary>
public static unsafe class CublasLt
{
    /// <summary>cuBLASLt's version (e.g. 130001 for 13.0.1), or false with the reason when it is not loadable.</summary>
    public static bool TryGetVersion(out long version, out string reason)
    {
        version = 0;
        try
        {
            if (CudaLibraries.Load(CudaLibrary.CublasLt, out _) == 0)
            {
                reason = CudaLibraries.NotFoundReason(CudaLibrary.CublasLt);
                return false;
            }
            version = (long)CublasLtNative.cublasLtGetVersion();
            reason = "";
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            reason = $"cuBLASLt unusable: {e.Message}";
            return false;
        }
    }

    internal static void Check(int status, string call, string? context = null)
    {
        if (status != 0) throw CudaException.Cublas(call, status, context);
    }

    /// <summary>The heuristic's best algorithm for the described matmul, or throws (CUBLAS_STATUS_NOT_SUPPORTED) naming the shapes.</summary>
    public static CublasLtHeuristicResult Heuristic(CublasLtHandle handle, CublasLtMatmulDesc op, CublasLtMatrixLayout a, CublasLtMatrixLayout b,
        CublasLtMatrixLayout c, CublasLtMatrixLayout d, CublasLtPreference preference, string context)
    {
        CublasLtHeuristicResult result;
        int count = 0;
        Check(CublasLtNative.cublasLtMatmulAlgoGetHeuristic(handle.Raw, op.Raw, a.Raw, b.Raw, c.Raw, d.Raw, preference.Raw, 1, &result, &count),
            "cublasLtMatmulAlgoGetHeuristic", context);
        if (count == 0) throw CudaException.Cublas("cublasLtMatmulAlgoGetHeuristic", 15, $"no algorithm for {context}");
        return result;
    }

    /// <summary>D = alpha·op(A)·op(B) + beta·C (+ epilogue), queued on <paramref name="stream"/>; alpha and beta are FP32.</summary>
    public static void Matmul(CublasLtHandle handle, CublasLtMatmulDesc op, float alpha, nint a, CublasLtMatrixLayout aDesc, nint b,
        CublasLtMatrixLayout bDesc, float beta, nint c, CublasLtMatrixLayout cDesc, nint d, CublasLtMatrixLayout dDesc,
        in CublasLtMatmulAlgo algo, nint workspace, long workspaceBytes, CudaStream stream, string context)
    {
        CublasLtMatmulAlgo algoCopy = algo;
        Check(CublasLtNative.cublasLtMatmul(handle.Raw, op.Raw, &alpha, a, aDesc.Raw, b, bDesc.Raw, &beta, c, cDesc.Raw, d, dDesc.Raw,
            &algoCopy, workspace, (nuint)workspaceBytes, stream.Raw), "cublasLtMatmul", context);
    }
}
