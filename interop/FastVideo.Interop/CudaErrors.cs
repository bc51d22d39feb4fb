using System.Runtime.InteropServices;

namespace FastVideo.Interop;

/// <summary>
/// Names for the status codes of the driver, NVRTC and cuBLASLt. The driver's own cuGetErrorName /
/// cuGetErrorString are asked first (they know codes newer than this table); the table answers when the
/// driver is not loadable, and a code nobody knows becomes <c>CUDA_ERROR_&lt;code&gt;</c>.
/// </summary>
public static unsafe class CudaErrors
{
    public const int Success = 0;
    public const int OutOfMemory = 2;
    public const int NoDevice = 100;
    public const int InvalidImage = 200;
    public const int NoBinaryForGpu = 209;
    public const int InvalidPtx = 218;
    public const int UnsupportedPtxVersion = 222;
    public const int NotReady = 600;

    private static readonly Dictionary<int, (string Name, string Text)> s_driver = new()
    {
        [0] = ("CUDA_SUCCESS", "no error"),
        [1] = ("CUDA_ERROR_INVALID_VALUE", "invalid argument"),
        [2] = ("CUDA_ERROR_OUT_OF_MEMORY", "out of memory"),
        [3] = ("CUDA_ERROR_NOT_INITIALIZED", "initialization error"),
        [4] = ("CUDA_ERROR_DEINITIALIZED", "driver shutting down"),
        [34] = ("CUDA_ERROR_STUB_LIBRARY", "CUDA driver is a stub library"),
        [35] = ("CUDA_ERROR_INSUFFICIENT_DRIVER", "CUDA driver version is insufficient for CUDA runtime version"),
        [46] = ("CUDA_ERROR_DEVICE_UNAVAILABLE", "CUDA-capable device(s) is/are busy or unavailable"),
        [100] = ("CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"),
        [101] = ("CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"),
        [200] = ("CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"),
        [201] = ("CUDA_ERROR_INVALID_CONTEXT", "invalid device context"),
        [209] = ("CUDA_ERROR_NO_BINARY_FOR_GPU", "no kernel image is available for execution on the device"),
        [218] = ("CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"),
        [221] = ("CUDA_ERROR_JIT_COMPILER_NOT_FOUND", "PTX JIT compiler library not found"),
        [222] = ("CUDA_ERROR_UNSUPPORTED_PTX_VERSION", "the provided PTX was compiled with an unsupported toolchain"),
        [300] = ("CUDA_ERROR_INVALID_SOURCE", "device kernel image is invalid"),
        [400] = ("CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"),
        [500] = ("CUDA_ERROR_NOT_FOUND", "named symbol not found"),
        [600] = ("CUDA_ERROR_NOT_READY", "device not ready"),
        [700] = ("CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"),
        [701] = ("CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "too many resources requested for launch"),
        [702] = ("CUDA_ERROR_LAUNCH_TIMEOUT", "the launch timed out and was terminated"),
        [709] = ("CUDA_ERROR_CONTEXT_IS_DESTROYED", "context is destroyed"),
        [710] = ("CUDA_ERROR_ASSERT", "device-side assert triggered"),
        [715] = ("CUDA_ERROR_ILLEGAL_INSTRUCTION", "an illegal instruction was encountered"),
        [716] = ("CUDA_ERROR_MISALIGNED_ADDRESS", "misaligned address"),
        [719] = ("CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"),
        [800] = ("CUDA_ERROR_NOT_PERMITTED", "operation not permitted"),
        [801] = ("CUDA_ERROR_NOT_SUPPORTED", "operation not supported"),
        [803] = ("CUDA_ERROR_SYSTEM_DRIVER_MISMATCH", "system has unsupported display driver / cuda driver combination"),
        [999] = ("CUDA_ERROR_UNKNOWN", "unknown error"),
    };

    private static readonly string[] s_nvrtc =
    [
        "NVRTC_SUCCESS", "NVRTC_ERROR_OUT_OF_MEMORY", "NVRTC_ERROR_PROGRAM_CREATION_FAILURE", "NVRTC_ERROR_INVALID_INPUT",
        "NVRTC_ERROR_INVALID_PROGRAM", "NVRTC_ERROR_INVALID_OPTION", "NVRTC_ERROR_COMPILATION",
        "NVRTC_ERROR_BUILTIN_OPERATION_FAILURE", "NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION",
        "NVRTC_ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION", "NVRTC_ERROR_NAME_EXPRESSION_NOT_VALID", "NVRTC_ERROR_INTERNAL_ERROR",
    ];

    private static readonly Dictionary<int, (string Name, string Text)> s_cublas = new()
    {
        [0] = ("CUBLAS_STATUS_SUCCESS", "success"),
        [1] = ("CUBLAS_STATUS_NOT_INITIALIZED", "the library was not initialized"),
        [3] = ("CUBLAS_STATUS_ALLOC_FAILED", "resource allocation failed"),
        [7] = ("CUBLAS_STATUS_INVALID_VALUE", "an invalid value was passed"),
        [8] = ("CUBLAS_STATUS_ARCH_MISMATCH", "the device does not support the operation"),
        [11] = ("CUBLAS_STATUS_MAPPING_ERROR", "access to GPU memory space failed"),
        [13] = ("CUBLAS_STATUS_EXECUTION_FAILED", "the GPU program failed to execute"),
        [14] = ("CUBLAS_STATUS_INTERNAL_ERROR", "an internal operation failed"),
        [15] = ("CUBLAS_STATUS_NOT_SUPPORTED", "the requested functionality is not supported"),
        [16] = ("CUBLAS_STATUS_LICENSE_ERROR", "license error"),
    };

    /// <summary>The CUresult's symbolic name, e.g. <c>CUDA_ERROR_OUT_OF_MEMORY</c>.</summary>
    public static string DriverName(int code)
    {
        if (TryDriverString(code, name: true) is { } s) return s;
        return s_driver.TryGetValue(code, out var e) ? e.Name : $"CUDA_ERROR_{code}";
    }

    /// <summary>The driver's description of a CUresult (empty when unknown).</summary>
    public static string DriverDescription(int code)
    {
        if (TryDriverString(code, name: false) is { } s) return s;
        return s_driver.TryGetValue(code, out var e) ? e.Text : "";
    }

    /// <summary>The table's name only, without asking the driver (for tests and for use before loading).</summary>
    public static string KnownDriverName(int code) => s_driver.TryGetValue(code, out var e) ? e.Name : $"CUDA_ERROR_{code}";

    public static string NvrtcName(int code) => code >= 0 && code < s_nvrtc.Length ? s_nvrtc[code] : $"NVRTC_ERROR_{code}";

    public static string CublasName(int code) => s_cublas.TryGetValue(code, out var e) ? e.Name : $"CUBLAS_STATUS_{code}";

    public static string CublasDescription(int code) => s_cublas.TryGetValue(code, out var e) ? e.Text : "";

    private static string? TryDriverString(int code, bool name)
    {
        if (CudaLibraries.Load(CudaLibrary.Driver, out _) == 0) return null;
        try
        {
            byte* p = null;
            int r = name ? CuNative.cuGetErrorName(code, &p) : CuNative.cuGetErrorString(code, &p);
            return r == 0 && p != null ? Marshal.PtrToStringUTF8((nint)p) : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }
}
