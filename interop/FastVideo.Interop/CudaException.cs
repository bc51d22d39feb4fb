namespace FastVideo.Interop;

/// <summary>
/// A CUDA call failed. The message reads <c>call failed: ERROR_NAME (description)</c> followed by any context
/// the caller added (shapes, kernel name, compile log); <see cref="Call"/>, <see cref="ErrorName"/> and
/// <see cref="Code"/> carry the same facts for code that wants to branch on them.
/// </summary>
public sealed class CudaException : Exception
{
    /// <summary>The library whose call failed.</summary>
    public CudaLibrary Library { get; }
    /// <summary>The native function that failed, e.g. <c>cuMemAlloc</c>.</summary>
    public string Call { get; }
    /// <summary>The library's own numeric status (CUresult, nvrtcResult, cublasStatus_t).</summary>
    public int Code { get; }
    /// <summary>The status's symbolic name, e.g. <c>CUDA_ERROR_OUT_OF_MEMORY</c>.</summary>
    public string ErrorName { get; }

    public CudaException(CudaLibrary library, string call, int code, string errorName, string description, string? context = null)
        : base(Format(call, errorName, description, context))
    {
        Library = library;
        Call = call;
        Code = code;
        ErrorName = errorName;
    }

    private static string Format(string call, string errorName, string description, string? context)
    {
        var msg = string.IsNullOrEmpty(description) || description == errorName
            ? $"{call} failed: {errorName}"
            : $"{call} failed: {errorName} ({description})";
        return string.IsNullOrEmpty(context) ? msg : $"{msg}: {context}";
    }

    /// <summary>A driver-API failure, named through <see cref="CudaErrors.DriverName"/>.</summary>
    public static CudaException Driver(string call, int code, string? context = null) =>
        new(CudaLibrary.Driver, call, code, CudaErrors.DriverName(code), CudaErrors.DriverDescription(code), context);

    /// <summary>An NVRTC failure.</summary>
    public static CudaException Nvrtc(string call, int code, string? context = null) =>
        new(CudaLibrary.Nvrtc, call, code, CudaErrors.NvrtcName(code), "", context);

    /// <summary>A cuBLASLt failure.</summary>
    public static CudaException Cublas(string call, int code, string? context = null) =>
        new(CudaLibrary.CublasLt, call, code, CudaErrors.CublasName(code), CudaErrors.CublasDescription(code), context);
}
