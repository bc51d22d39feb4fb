// fvemu_device.h — what the stand-in libcuda.so.1 (kernels/dev/emu/device/driver.cpp, the CPU-emulated CUDA
// device) exports for the other stand-ins (libcublasLt.so, cublaslt_emu.cpp) and for tests. Link against
// build/cuda-emulator/libcuda.so.1 (or dlsym these names from it).
//
// Device memory: a CUdeviceptr is the host address of the allocation (kernels run on the CPU and dereference the
// pointers in their parameter structs directly), but every access from outside a kernel must be checked against
// the live allocations:
//   void* fvemu_device_ptr(uint64_t dptr, size_t bytes, int* error)
//     The host pointer for [dptr, dptr + bytes) when that range lies inside one live allocation (not freed, not
//     pending a stream-ordered free), else NULL with *error = CUDA_ERROR_INVALID_VALUE (1) (or 3 before cuInit).
//     bytes = 0 checks dptr alone. error may be NULL. Thread-safe; call it when the work is enqueued (the
//     allocation stays valid until the stream has run the work: cuMemFree waits for all streams).
// Streams: in-order queues, each run by its own worker thread; CUstream 0 (legacy) and 2 (per-thread) are the
// default stream. Work enqueued here runs after everything queued on the stream before it:
//   int fvemu_stream_enqueue_c(void* stream, int (*fn)(void* arg), void* arg)
//     Queues fn(arg) on stream (a CUstream). fn returns a CUresult: non-zero becomes the context's sticky error
//     (returned by the next synchronising call, like a faulting kernel). Returns CUDA_SUCCESS, or
//     CUDA_ERROR_INVALID_HANDLE for an unknown stream, CUDA_ERROR_INVALID_CONTEXT without a current context, or the
//     sticky error.
//   int fvemu_stream_enqueue(void* stream, void (*fn)(void* arg), void* arg)
//       The form the cuBLASLt stand-in (cublaslt_emu.cpp) binds to: fn runs exactly once, in stream order; 0 when
//       queued (a non-zero CUresult otherwise, and fn is never called).
//   int fvemu_enqueue(void* stream, std::function<int()> work)   (C++ convenience, inline below)
// Kernels: process-wide serialised (the emulator's shared memory is static). CPU-heavy stand-in work may take the
// same lock to keep the machine's cores for one emulated "SM" at a time:
//   void fvemu_kernel_lock(void); void fvemu_kernel_unlock(void);
// Launch statistics (the managed "--trace-kernels"):
//   int fvemu_kernel_launch_counts(char* buf, int size)
//     Writes "name count\n" lines (kernels launched at least once, sorted by name), NUL-terminated, into buf;
//     returns the bytes needed excluding the NUL (call with size 0 to size the buffer).
//   void fvemu_reset_launch_counts(void)
//   void fvemu_count_launch(const char* name)   (other stand-ins count their calls too, e.g. "cublasLtMatmul")
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#include <functional>
extern "C" {
#endif

void* fvemu_device_ptr(uint64_t dptr, size_t bytes, int* error);
int fvemu_stream_enqueue_c(void* stream, int (*fn)(void* arg), void* arg);
int fvemu_stream_enqueue(void* stream, void (*fn)(void* arg), void* arg);
void fvemu_kernel_lock(void);
void fvemu_kernel_unlock(void);
int fvemu_kernel_launch_counts(char* buf, int size);
void fvemu_reset_launch_counts(void);
void fvemu_count_launch(const char* name);

#ifdef __cplusplus
}

inline int fvemu_enqueue(void* stream, std::function<int()> work)
{
    auto* heap = new std::function<int()>(std::move(work));
    int r = fvemu_stream_enqueue_c(stream, [](void* a) -> int {
        auto* f = static_cast<std::function<int()>*>(a);
        int rc = (*f)();
        delete f;
        return rc;
    }, heap);
    if (r != 0) delete heap;
    return r;
}
#endif
