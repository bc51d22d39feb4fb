using System.Runtime.InteropServices;

namespace FastVideo.Interop;

/// <summary>
/// The CUDA driver API (cuda.h), one declaration per function. CUresult is returned as int; handles
/// (CUcontext, CUstream, CUevent, CUmodule, CUfunction, CUmemoryPool) and CUdeviceptr as nint; CUdevice as int.
/// Entry points carry their versioned symbol names (<c>_v2</c>) where cuda.h maps the plain name to one.
/// Every call goes through a checked wrapper (<see cref="CudaDriver"/>); nothing outside this assembly sees these.
/// </summary>
internal static unsafe partial class CuNative
{
    private const string Lib = CudaLibraries.DriverImport;

    static CuNative() => CudaLibraries.EnsureRegistered();

    // ---- initialisation, errors, devices -------------------------------------------------------------------
    [LibraryImport(Lib)] internal static partial int cuInit(uint flags);
    [LibraryImport(Lib)] internal static partial int cuDriverGetVersion(int* version);
    [LibraryImport(Lib)] internal static partial int cuGetErrorName(int error, byte** name);
    [LibraryImport(Lib)] internal static partial int cuGetErrorString(int error, byte** text);
    [LibraryImport(Lib)] internal static partial int cuDeviceGetCount(int* count);
    [LibraryImport(Lib)] internal static partial int cuDeviceGet(int* device, int ordinal);
    [LibraryImport(Lib)] internal static partial int cuDeviceGetName(byte* name, int length, int device);
    [LibraryImport(Lib)] internal static partial int cuDeviceGetAttribute(int* value, int attribute, int device);
    [LibraryImport(Lib, EntryPoint = "cuDeviceTotalMem_v2")] internal static partial int cuDeviceTotalMem(nuint* bytes, int device);

    // ---- contexts ----------------------------------------------------------------------------------------
    [LibraryImport(Lib)] internal static partial int cuDevicePrimaryCtxRetain(nint* context, int device);
    [LibraryImport(Lib, EntryPoint = "cuDevicePrimaryCtxRelease_v2")] internal static partial int cuDevicePrimaryCtxRelease(int device);
    [LibraryImport(Lib)] internal static partial int cuCtxSetCurrent(nint context);
    [LibraryImport(Lib)] internal static partial int cuCtxGetCurrent(nint* context);
    [LibraryImport(Lib)] internal static partial int cuCtxSynchronize();

    // ---- streams and events ------------------------------------------------------------------------------
    [LibraryImport(Lib)] internal static partial int cuStreamCreate(nint* stream, uint flags);
    [LibraryImport(Lib, EntryPoint = "cuStreamDestroy_v2")] internal static partial int cuStreamDestroy(nint stream);
    [LibraryImport(Lib)] internal static partial int cuStreamSynchronize(nint stream);
    [LibraryImport(Lib)] internal static partial int cuEventCreate(nint* evt, uint flags);
    [LibraryImport(Lib, EntryPoint = "cuEventDestroy_v2")] internal static partial int cuEventDestroy(nint evt);
    [LibraryImport(Lib)] internal static partial int cuEventRecord(nint evt, nint stream);
    [LibraryImport(Lib)] internal static partial int cuEventSynchronize(nint evt);
    [LibraryImport(Lib)] internal static partial int cuEventElapsedTime(float* milliseconds, nint start, nint end);

    // ---- memory ------------------------------------------------------------------------------------------
    [LibraryImport(Lib, EntryPoint = "cuMemAlloc_v2")] internal static partial int cuMemAlloc(nint* pointer, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemFree_v2")] internal static partial int cuMemFree(nint pointer);
    [LibraryImport(Lib)] internal static partial int cuMemAllocAsync(nint* pointer, nuint bytes, nint stream);
    [LibraryImport(Lib)] internal static partial int cuMemFreeAsync(nint pointer, nint stream);
    [LibraryImport(Lib)] internal static partial int cuDeviceGetDefaultMemPool(nint* pool, int device);
    [LibraryImport(Lib)] internal static partial int cuMemPoolSetAttribute(nint pool, int attribute, void* value);
    [LibraryImport(Lib)] internal static partial int cuMemPoolGetAttribute(nint pool, int attribute, void* value);
    [LibraryImport(Lib)] internal static partial int cuMemPoolTrimTo(nint pool, nuint minBytesToKeep);
    [LibraryImport(Lib, EntryPoint = "cuMemGetInfo_v2")] internal static partial int cuMemGetInfo(nuint* free, nuint* total);

    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoD_v2")] internal static partial int cuMemcpyHtoD(nint destination, void* source, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoH_v2")] internal static partial int cuMemcpyDtoH(void* destination, nint source, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoD_v2")] internal static partial int cuMemcpyDtoD(nint destination, nint source, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoDAsync_v2")] internal static partial int cuMemcpyHtoDAsync(nint destination, void* source, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoHAsync_v2")] internal static partial int cuMemcpyDtoHAsync(void* destination, nint source, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoDAsync_v2")] internal static partial int cuMemcpyDtoDAsync(nint destination, nint source, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpy2DAsync_v2")] internal static partial int cuMemcpy2DAsync(CudaMemcpy2D* copy, nint stream);
    [LibraryImport(Lib)] internal static partial int cuMemsetD8Async(nint destination, byte value, nuint count, nint stream);
    [LibraryImport(Lib)] internal static partial int cuMemsetD16Async(nint destination, ushort value, nuint count, nint stream);
    [LibraryImport(Lib)] internal static partial int cuMemsetD32Async(nint destination, uint value, nuint count, nint stream);
    [LibraryImport(Lib)] internal static partial int cuMemsetD2D32Async(nint destination, nuint pitch, uint value, nuint width, nuint height, nint stream);

    // ---- modules and launches ----------------------------------------------------------------------------
    [LibraryImport(Lib)] internal static partial int cuModuleLoadData(nint* module, void* image);
    [LibraryImport(Lib)] internal static partial int cuModuleLoadDataEx(nint* module, void* image, uint numOptions, int* options, void** optionValues);
    [LibraryImport(Lib)] internal static partial int cuModuleUnload(nint module);
    [LibraryImport(Lib)] internal static partial int cuModuleGetFunction(nint* function, nint module, byte* name);
    [LibraryImport(Lib)] internal static partial int cuFuncGetAttribute(int* value, int attribute, nint function);
    [LibraryImport(Lib)] internal static partial int cuFuncSetAttribute(nint function, int attribute, int value);
    [LibraryImport(Lib)]
    internal static partial int cuLaunchKernel(nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedMemBytes, nint stream, void** kernelParams, void** extra);
}

/// <summary>CUDA_MEMCPY2D (cuda.h), the argument of <c>cuMemcpy2DAsync</c>. Pitches and X offsets in bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CudaMemcpy2D
{
    public nuint SrcXInBytes, SrcY;
    public int SrcMemoryType;
    public nint SrcHost, SrcDevice, SrcArray;
    public nuint SrcPitch;
    public nuint DstXInBytes, DstY;
    public int DstMemoryType;
    public nint DstHost, DstDevice, DstArray;
    public nuint DstPitch;
    public nuint WidthInBytes, Height;

    public const int MemoryTypeHost = 1, MemoryTypeDevice = 2;
}
