using System.Runtime.InteropServices;

namespace FastVideo.Interop;

/// <summary>cuBLASLt (cublasLt.h), one declaration per function; cublasStatus_t as int, handles and descriptors as nint.</summary>
internal static unsafe partial class CublasLtNative
{
    private const string Lib = CudaLibraries.CublasLtImport;

    static CublasLtNative() => CudaLibraries.EnsureRegistered();

    [LibraryImport(Lib)] internal static partial int cublasLtCreate(nint* handle);
    [LibraryImport(Lib)] internal static partial int cublasLtDestroy(nint handle);
    [LibraryImport(Lib)] internal static partial nuint cublasLtGetVersion();
    [LibraryImport(Lib)] internal static partial int cublasLtMatmulDescCreate(nint* desc, int computeType, int scaleType);
    [LibraryImport(Lib)] internal static partial int cublasLtMatmulDescDestroy(nint desc);
    [LibraryImport(Lib)] internal static partial int cublasLtMatmulDescSetAttribute(nint desc, int attribute, void* value, nuint size);
    [LibraryImport(Lib)] internal static partial int cublasLtMatrixLayoutCreate(nint* layout, int type, ulong rows, ulong cols, long ld);
    [LibraryImport(Lib)] internal static partial int cublasLtMatrixLayoutDestroy(nint layout);
    [LibraryImport(Lib)] internal static partial int cublasLtMatrixLayoutSetAttribute(nint layout, int attribute, void* value, nuint size);
    [LibraryImport(Lib)] internal static partial int cublasLtMatmulPreferenceCreate(nint* preference);
    [LibraryImport(Lib)] internal static partial int cublasLtMatmulPreferenceDestroy(nint preference);
    [LibraryImport(Lib)] internal static partial int cublasLtMatmulPreferenceSetAttribute(nint preference, int attribute, void* value, nuint size);
    [LibraryImport(Lib)]
    internal static partial int cublasLtMatmulAlgoGetHeuristic(nint handle, nint operation, nint aDesc, nint bDesc, nint cDesc, nint dDesc,
        nint preference, int requestedCount, CublasLtHeuristicResult* results, int* returnedCount);
    [LibraryImport(Lib)]
    internal static partial int cublasLtMatmul(nint handle, nint operation, void* alpha, nint a, nint aDesc, nint b, nint bDesc, void* beta,
        nint c, nint cDesc, nint d, nint dDesc, CublasLtMatmulAlgo* algo, nint workspace, nuint workspaceBytes, nint stream);
}
