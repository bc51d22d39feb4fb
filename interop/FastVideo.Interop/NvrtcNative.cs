using System.Runtime.InteropServices;

namespace FastVideo.Interop;

/// <summary>NVRTC (nvrtc.h), one declaration per function; nvrtcResult as int, nvrtcProgram as nint.</summary>
internal static unsafe partial class NvrtcNative
{
    private const string Lib = CudaLibraries.NvrtcImport;

    static NvrtcNative() => CudaLibraries.EnsureRegistered();

    [LibraryImport(Lib)] internal static partial int nvrtcVersion(int* major, int* minor);
    [LibraryImport(Lib)] internal static partial int nvrtcGetNumSupportedArchs(int* count);
    [LibraryImport(Lib)] internal static partial int nvrtcGetSupportedArchs(int* archs);
    [LibraryImport(Lib)]
    internal static partial int nvrtcCreateProgram(nint* program, byte* source, byte* name, int numHeaders, byte** headers, byte** includeNames);
    [LibraryImport(Lib)] internal static partial int nvrtcDestroyProgram(nint* program);
    [LibraryImport(Lib)] internal static partial int nvrtcCompileProgram(nint program, int numOptions, byte** options);
    [LibraryImport(Lib)] internal static partial int nvrtcGetPTXSize(nint program, nuint* size);
    [LibraryImport(Lib)] internal static partial int nvrtcGetPTX(nint program, byte* ptx);
    [LibraryImport(Lib)] internal static partial int nvrtcGetCUBINSize(nint program, nuint* size);
    [LibraryImport(Lib)] internal static partial int nvrtcGetCUBIN(nint program, byte* cubin);
    [LibraryImport(Lib)] internal static partial int nvrtcGetProgramLogSize(nint program, nuint* size);
    [LibraryImport(Lib)] internal static partial int nvrtcGetProgramLog(nint program, byte* log);
}
