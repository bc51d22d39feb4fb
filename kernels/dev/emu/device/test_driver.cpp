// test_driver.cpp — tests the stand-in libcuda.so.1 (driver.cpp) through dlopen, as the managed side uses it.
// Usage: test_driver <path/libcuda.so.1> [fatbin_dir]   (scripts/build-cuda-emulator.sh --test runs it)
// Memory cap for the OOM case: it sets FASTVIDEO_CUDA_EMULATOR_MEMORY=256 MiB before loading the library.
// Prints one line per failed check and "N passed, N failed"; exits 1 on any failure.
#include <dlfcn.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

static int g_pass = 0, g_fail = 0;
#define EXPECT(cond, ...)                                          \
    do                                                             \
    {                                                              \
        if (cond) g_pass++;                                        \
        else                                                       \
        {                                                          \
            g_fail++;                                              \
            std::printf("FAIL %s:%d: %s — ", __FILE__, __LINE__, #cond); \
            std::printf(__VA_ARGS__);                              \
            std::printf("\n");                                     \
        }                                                          \
    } while (0)
#define EXPECT_RC(expr, want) \
    do { int _rc = (expr); EXPECT(_rc == (want), "%s returned %d, expected %d", #expr, _rc, (int)(want)); } while (0)

static void* g_lib;
template <typename F> static F sym(const char* name)
{
    void* p = dlsym(g_lib, name);
    if (!p)
    {
        std::printf("FAIL: missing export %s\n", name);
        g_fail++;
    }
    return (F)p;
}
#define FN(name, ...) auto name = sym<CUresult (*)(__VA_ARGS__)>(#name)

struct Memcpy2D
{
    size_t srcXInBytes, srcY;
    int srcMemoryType;
    const void* srcHost;
    CUdeviceptr srcDevice;
    void* srcArray;
    size_t srcPitch;
    size_t dstXInBytes, dstY;
    int dstMemoryType;
    void* dstHost;
    CUdeviceptr dstDevice;
    void* dstArray;
    size_t dstPitch;
    size_t WidthInBytes, Height;
};

struct FvRmsNormParams // kernels/norm/rmsnorm.cu (56 bytes)
{
    void* y;
    const void* x;
    const float* weight;
    long long rows, x_row_stride, y_row_stride;
    int cols;
    float eps;
};
static_assert(sizeof(FvRmsNormParams) == 56, "mirrors kernels/norm/rmsnorm.cu");

int main(int argc, char** argv)
{
    if (argc < 2)
    {
        std::fprintf(stderr, "usage: test_driver <libcuda.so.1> [fatbin_dir]\n");
        return 2;
    }
    setenv("FASTVIDEO_CUDA_EMULATOR_MEMORY", "268435456", 1);
    g_lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!g_lib)
    {
        std::printf("FAIL: dlopen: %s\n0 passed, 1 failed\n", dlerror());
        return 1;
    }
    const std::string fatbins = argc > 2 ? argv[2] : "build/kernels";

    FN(cuInit, unsigned);
    FN(cuDriverGetVersion, int*);
    FN(cuGetErrorName, int, const char**);
    FN(cuGetErrorString, int, const char**);
    FN(cuDeviceGetCount, int*);
    FN(cuDeviceGet, int*, int);
    FN(cuDeviceGetName, char*, int, int);
    FN(cuDeviceGetAttribute, int*, int, int);
    FN(cuDeviceTotalMem_v2, size_t*, int);
    FN(cuDevicePrimaryCtxRetain, void**, int);
    FN(cuDevicePrimaryCtxRelease_v2, int);
    FN(cuCtxSetCurrent, void*);
    FN(cuCtxGetCurrent, void**);
    FN(cuCtxSynchronize);
    FN(cuStreamCreate, void**, unsigned);
    FN(cuStreamDestroy_v2, void*);
    FN(cuStreamSynchronize, void*);
    FN(cuEventCreate, void**, unsigned);
    FN(cuEventDestroy_v2, void*);
    FN(cuEventRecord, void*, void*);
    FN(cuEventSynchronize, void*);
    FN(cuEventElapsedTime, float*, void*, void*);
    FN(cuMemAlloc_v2, CUdeviceptr*, size_t);
    FN(cuMemFree_v2, CUdeviceptr);
    FN(cuMemAllocAsync, CUdeviceptr*, size_t, void*);
    FN(cuMemFreeAsync, CUdeviceptr, void*);
    FN(cuDeviceGetDefaultMemPool, void**, int);
    FN(cuMemPoolSetAttribute, void*, int, void*);
    FN(cuMemPoolGetAttribute, void*, int, void*);
    FN(cuMemPoolTrimTo, void*, size_t);
    FN(cuMemGetInfo_v2, size_t*, size_t*);
    FN(cuMemcpyHtoD_v2, CUdeviceptr, const void*, size_t);
    FN(cuMemcpyDtoH_v2, void*, CUdeviceptr, size_t);
    FN(cuMemcpyDtoD_v2, CUdeviceptr, CUdeviceptr, size_t);
    FN(cuMemcpyHtoDAsync_v2, CUdeviceptr, const void*, size_t, void*);
    FN(cuMemcpyDtoHAsync_v2, void*, CUdeviceptr, size_t, void*);
    FN(cuMemcpyDtoDAsync_v2, CUdeviceptr, CUdeviceptr, size_t, void*);
    FN(cuMemcpy2DAsync_v2, const Memcpy2D*, void*);
    FN(cuMemsetD8Async, CUdeviceptr, unsigned char, size_t, void*);
    FN(cuMemsetD16Async, CUdeviceptr, unsigned short, size_t, void*);
    FN(cuMemsetD32Async, CUdeviceptr, unsigned, size_t, void*);
    FN(cuMemsetD2D32Async, CUdeviceptr, size_t, unsigned, size_t, size_t, void*);
    FN(cuModuleLoadData, void**, const void*);
    FN(cuModuleLoadDataEx, void**, const void*, unsigned, int*, void**);
    FN(cuModuleUnload, void*);
    FN(cuModuleGetFunction, void**, void*, const char*);
    FN(cuFuncGetAttribute, int*, int, void*);
    FN(cuFuncSetAttribute, void*, int, int);
    FN(cuLaunchKernel, void*, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, void*, void**, void**);
    auto launch_counts = sym<int (*)(char*, int)>("fvemu_kernel_launch_counts");
    auto device_ptr = sym<void* (*)(uint64_t, size_t, int*)>("fvemu_device_ptr");
    if (g_fail) { std::printf("%d passed, %d failed\n", g_pass, g_fail); return 1; }

    // ---- before cuInit ----
    int v = 0;
    EXPECT_RC(cuDriverGetVersion(&v), 0);
    EXPECT(v >= 12000, "version %d", v);
    EXPECT_RC(cuDeviceGetCount(&v), 3);
    const char* s = nullptr;
    EXPECT_RC(cuGetErrorName(700, &s), 0);
    EXPECT(s && !std::strcmp(s, "CUDA_ERROR_ILLEGAL_ADDRESS"), "%s", s ? s : "null");
    EXPECT_RC(cuGetErrorString(2, &s), 0);
    EXPECT(s && !std::strcmp(s, "out of memory"), "%s", s ? s : "null");
    EXPECT_RC(cuGetErrorName(12345, &s), 1);
    EXPECT_RC(cuInit(1), 1);
    EXPECT_RC(cuInit(0), 0);

    // ---- device ----
    EXPECT_RC(cuDeviceGetCount(&v), 0);
    EXPECT(v == 1, "count %d", v);
    int dev = -1;
    EXPECT_RC(cuDeviceGet(&dev, 1), 101);
    EXPECT_RC(cuDeviceGet(&dev, 0), 0);
    char name[256];
    EXPECT_RC(cuDeviceGetName(name, sizeof name, dev), 0);
    EXPECT(std::strstr(name, "FastVideo CPU emulator (sm_") != nullptr, "%s", name);
    EXPECT_RC(cuDeviceGetName(name, 0, dev), 1);
    int a = 0;
    EXPECT_RC(cuDeviceGetAttribute(&a, 75, 0), 0);
    EXPECT(a == 8 || a == 9, "major %d", a);
    EXPECT_RC(cuDeviceGetAttribute(&a, 1, 0), 0);
    EXPECT(a == 1024, "max threads %d", a);
    EXPECT_RC(cuDeviceGetAttribute(&a, 10, 0), 0);
    EXPECT(a == 32, "warp %d", a);
    EXPECT_RC(cuDeviceGetAttribute(&a, 8, 0), 0);
    EXPECT(a == 49152, "smem per block %d", a);
    EXPECT_RC(cuDeviceGetAttribute(&a, 97, 0), 0);
    EXPECT(a == 163 * 1024 || a == 227 * 1024, "optin %d", a);
    const int optin = a;
    EXPECT_RC(cuDeviceGetAttribute(&a, 115, 0), 0);
    EXPECT(a == 1, "pools %d", a);
    EXPECT_RC(cuDeviceGetAttribute(&a, 1000, 0), 1);
    EXPECT_RC(cuDeviceGetAttribute(&a, 1, 3), 101);
    size_t total = 0;
    EXPECT_RC(cuDeviceTotalMem_v2(&total, 0), 0);
    EXPECT(total == 268435456, "total %zu", total);

    // ---- context ----
    CUdeviceptr p = 0;
    EXPECT_RC(cuMemAlloc_v2(&p, 16), 201); // no current context
    void* ctx = nullptr;
    EXPECT_RC(cuDevicePrimaryCtxRetain(&ctx, 0), 0);
    EXPECT_RC(cuCtxSetCurrent((void*)0x1234), 201);
    EXPECT_RC(cuCtxSetCurrent(ctx), 0);
    void* cur = nullptr;
    EXPECT_RC(cuCtxGetCurrent(&cur), 0);
    EXPECT(cur == ctx, "current");

    // ---- memory: alloc, poison, info, copies with bounds checks ----
    size_t fr = 0, tot = 0;
    EXPECT_RC(cuMemGetInfo_v2(&fr, &tot), 0);
    const size_t free0 = fr;
    EXPECT_RC(cuMemAlloc_v2(&p, 0), 1);
    EXPECT_RC(cuMemAlloc_v2(nullptr, 16), 1);
    EXPECT_RC(cuMemAlloc_v2(&p, 1000), 0);
    EXPECT_RC(cuMemGetInfo_v2(&fr, &tot), 0);
    EXPECT(fr == free0 - 1024, "free %zu -> %zu", free0, fr);
    std::vector<unsigned char> h(1000, 0);
    EXPECT_RC(cuMemcpyDtoH_v2(h.data(), p, 1000), 0);
    bool poisoned = true;
    for (unsigned char c : h) poisoned &= c == 0xFF;
    EXPECT(poisoned, "new memory is 0xFF");
    for (int i = 0; i < 1000; i++) h[i] = (unsigned char)i;
    EXPECT_RC(cuMemcpyHtoD_v2(p, h.data(), 1000), 0);
    EXPECT_RC(cuMemcpyHtoD_v2(p, h.data(), 1001), 1);       // one byte past the end
    EXPECT_RC(cuMemcpyHtoD_v2(p + 500, h.data(), 501), 1);
    EXPECT_RC(cuMemcpyHtoD_v2(0x1000, h.data(), 4), 1);     // not an allocation
    EXPECT_RC(cuMemcpyDtoH_v2(h.data(), p - 4, 8), 1);      // before the start
    std::vector<unsigned char> back(1000, 0);
    EXPECT_RC(cuMemcpyDtoH_v2(back.data(), p, 1000), 0);
    EXPECT(back == h, "round trip");
    EXPECT(device_ptr(p + 10, 990, nullptr) == (void*)(uintptr_t)(p + 10), "fvemu_device_ptr in range");
    int err = 0;
    EXPECT(device_ptr(p + 10, 991, &err) == nullptr && err == 1, "fvemu_device_ptr out of range");
    CUdeviceptr q = 0;
    EXPECT_RC(cuMemAlloc_v2(&q, 1000), 0);
    EXPECT_RC(cuMemcpyDtoD_v2(q, p, 1000), 0);
    EXPECT_RC(cuCtxSynchronize(), 0);
    std::fill(back.begin(), back.end(), 0);
    EXPECT_RC(cuMemcpyDtoH_v2(back.data(), q, 1000), 0);
    EXPECT(back == h, "dtod");
    EXPECT_RC(cuMemcpyDtoD_v2(q, p, 1001), 1);

    // ---- streams: async order, memsets, 2D, events ----
    void* st = nullptr;
    EXPECT_RC(cuStreamCreate(&st, 1), 0);
    EXPECT_RC(cuStreamCreate(&st, 8), 1);
    EXPECT_RC(cuStreamCreate(&st, 1), 0);
    EXPECT_RC(cuMemsetD32Async(q, 0x3f800000u, 250, st), 0);
    EXPECT_RC(cuMemsetD32Async(q + 2, 1, 2, st), 1);        // misaligned
    EXPECT_RC(cuMemsetD32Async(q, 1, 251, st), 1);          // past the end
    EXPECT_RC(cuMemsetD16Async(q, 0x4000, 10, st), 0);
    EXPECT_RC(cuMemsetD8Async(q, 7, 4, st), 0);
    std::vector<float> f(250, 0.f);
    EXPECT_RC(cuMemcpyDtoHAsync_v2(f.data(), q, 1000, st), 0);
    EXPECT_RC(cuStreamSynchronize(st), 0);
    unsigned w0, w3;
    std::memcpy(&w0, &f[0], 4);
    std::memcpy(&w3, &f[3], 4);
    EXPECT(w0 == 0x07070707u && w3 == 0x40004000u && f[5] == 1.0f && f[249] == 1.0f, "ordered fills: %08x %08x %g", w0, w3, f[5]);
    // Async really is async: a long queue followed by a DtoH; the host sees the result only after sync.
    CUdeviceptr big = 0;
    const size_t bigN = 64 << 20;
    EXPECT_RC(cuMemAllocAsync(&big, bigN, st), 0);
    for (int i = 0; i < 8; i++) EXPECT_RC(cuMemsetD8Async(big, (unsigned char)i, bigN, st), 0);
    int flag = -1;
    EXPECT_RC(cuMemsetD8Async(q, 0x55, 4, st), 0);
    EXPECT_RC(cuMemcpyDtoHAsync_v2(&flag, q, 4, st), 0);
    const bool raced = flag == -1;
    EXPECT_RC(cuStreamSynchronize(st), 0);
    EXPECT(raced, "DtoHAsync completed before the stream ran (work ran at enqueue time)");
    EXPECT(flag == 0x55555555, "flag %08x", flag);
    // Events and elapsed time
    void *e0 = nullptr, *e1 = nullptr;
    EXPECT_RC(cuEventCreate(&e0, 0), 0);
    EXPECT_RC(cuEventCreate(&e1, 0), 0);
    float ms = -1;
    EXPECT_RC(cuEventElapsedTime(&ms, e0, e1), 400);        // never recorded
    EXPECT_RC(cuEventRecord(e0, st), 0);
    for (int i = 0; i < 4; i++) EXPECT_RC(cuMemsetD8Async(big, 1, bigN, st), 0);
    EXPECT_RC(cuEventRecord(e1, st), 0);
    EXPECT_RC(cuEventSynchronize(e1), 0);
    EXPECT_RC(cuEventElapsedTime(&ms, e0, e1), 0);
    EXPECT(ms > 0 && ms < 60000, "elapsed %g ms", ms);
    EXPECT_RC(cuEventRecord((void*)0x42, st), 400);
    EXPECT_RC(cuStreamSynchronize((void*)0x42), 400);
    // 2D copy: 3 rows of 8 bytes, pitches 16 -> 8
    CUdeviceptr src2 = 0, dst2 = 0;
    EXPECT_RC(cuMemAlloc_v2(&src2, 48), 0);
    EXPECT_RC(cuMemAlloc_v2(&dst2, 24), 0);
    unsigned char rows[48];
    for (int i = 0; i < 48; i++) rows[i] = (unsigned char)i;
    EXPECT_RC(cuMemcpyHtoDAsync_v2(src2, rows, 48, st), 0);
    Memcpy2D c{};
    c.srcMemoryType = 2; c.srcDevice = src2; c.srcPitch = 16;
    c.dstMemoryType = 2; c.dstDevice = dst2; c.dstPitch = 8;
    c.WidthInBytes = 8; c.Height = 3;
    EXPECT_RC(cuMemcpy2DAsync_v2(&c, st), 0);
    unsigned char out2[24] = {};
    EXPECT_RC(cuMemcpyDtoHAsync_v2(out2, dst2, 24, st), 0);
    EXPECT_RC(cuStreamSynchronize(st), 0);
    EXPECT(out2[0] == 0 && out2[8] == 16 && out2[23] == 39, "2D copy %d %d %d", out2[0], out2[8], out2[23]);
    c.Height = 4; // the 4th destination row is out of bounds
    EXPECT_RC(cuMemcpy2DAsync_v2(&c, st), 1);
    EXPECT_RC(cuMemsetD2D32Async(src2, 8, 0xAABBCCDDu, 1, 6, st), 0);
    EXPECT_RC(cuMemsetD2D32Async(src2, 8, 1, 1, 7, st), 1);
    EXPECT_RC(cuStreamSynchronize(st), 0);

    // ---- pool ----
    void* pool = nullptr;
    EXPECT_RC(cuDeviceGetDefaultMemPool(&pool, 0), 0);
    uint64_t thr = 1 << 20, used = 0, reserved = 0;
    EXPECT_RC(cuMemPoolSetAttribute(pool, 4, &thr), 0);
    EXPECT_RC(cuMemPoolGetAttribute(pool, 7, &used), 0);
    EXPECT_RC(cuMemPoolGetAttribute(pool, 5, &reserved), 0);
    EXPECT(used == bigN && reserved >= used, "pool used %llu reserved %llu", (unsigned long long)used, (unsigned long long)reserved);
    EXPECT_RC(cuMemPoolSetAttribute(pool, 7, &thr), 1);
    EXPECT_RC(cuMemFreeAsync(big, st), 0);
    EXPECT_RC(cuMemFreeAsync(big, st), 1);                  // double free
    EXPECT_RC(cuMemsetD8Async(big, 0, 16, st), 1);          // use after (stream-ordered) free
    EXPECT_RC(cuStreamSynchronize(st), 0);
    EXPECT_RC(cuMemPoolGetAttribute(pool, 7, &used), 0);
    EXPECT(used == 0, "pool used after free %llu", (unsigned long long)used);
    EXPECT_RC(cuMemPoolTrimTo(pool, 0), 0);
    EXPECT_RC(cuMemPoolTrimTo((void*)0x99, 0), 400);

    // ---- free errors and OOM ----
    EXPECT_RC(cuMemFree_v2(q), 0);
    EXPECT_RC(cuMemFree_v2(q), 1);                          // double free
    EXPECT_RC(cuMemFree_v2(p + 8), 1);                      // not the start of an allocation
    EXPECT_RC(cuMemcpyDtoH_v2(h.data(), q, 4), 1);          // use after free
    CUdeviceptr huge = 0;
    EXPECT_RC(cuMemAlloc_v2(&huge, 300u << 20), 2);         // above the 256 MiB cap
    std::vector<CUdeviceptr> chunks;
    int rc = 0;
    for (int i = 0; i < 64 && rc == 0; i++)
    {
        CUdeviceptr c32 = 0;
        rc = cuMemAlloc_v2(&c32, 32u << 20);
        if (rc == 0) chunks.push_back(c32);
    }
    EXPECT(rc == 2 && chunks.size() == 7, "OOM after %zu chunks of 32 MiB, rc %d", chunks.size(), rc);
    for (auto c32 : chunks) cuMemFree_v2(c32);

    // ---- modules ----
    void* mod = nullptr;
    const char garbage[] = "\x01\x02\x03garbage\xff\xfe";
    EXPECT_RC(cuModuleLoadData(&mod, garbage), 200);
    EXPECT_RC(cuModuleLoadData(&mod, "hello, not ptx"), 218);
    char log[256] = {};
    int opts[2] = {5, 6};
    void* vals[2] = {log, (void*)(uintptr_t)sizeof log};
    EXPECT_RC(cuModuleLoadDataEx(&mod, "hello, not ptx", 2, opts, vals), 218);
    EXPECT(log[0] != 0, "JIT log written");
    const char* ptx = ".version 7.8\n.target sm_80\n.address_size 64\n.visible .entry fv_rmsnorm_f32(\n.param .align 8 .b8 p[56]\n)\n{\nret;\n}\n";
    EXPECT_RC(cuModuleLoadData(&mod, ptx), 0);
    void* fn = nullptr;
    EXPECT_RC(cuModuleGetFunction(&fn, mod, "fv_rmsnorm_f32"), 0);
    EXPECT_RC(cuModuleGetFunction(&fn, mod, "fv_rmsnorm_bf16"), 500); // compiled in, but not in this image
    EXPECT_RC(cuModuleUnload(mod), 0);
    EXPECT_RC(cuModuleUnload(mod), 400);

    std::ifstream fb(fatbins + "/rmsnorm.fatbin", std::ios::binary);
    if (!fb)
        std::printf("note: %s/rmsnorm.fatbin not found; fatbin cases skipped\n", fatbins.c_str());
    else
    {
        std::vector<char> image((std::istreambuf_iterator<char>(fb)), std::istreambuf_iterator<char>());
        EXPECT_RC(cuModuleLoadData(&mod, image.data()), 0);
        EXPECT_RC(cuModuleGetFunction(&fn, mod, "fv_rmsnorm_f32"), 0);
        void* missing = nullptr;
        EXPECT_RC(cuModuleGetFunction(&missing, mod, "fv_no_such_kernel"), 500);
        EXPECT_RC(cuModuleGetFunction(&missing, mod, "fv_layernorm_f32"), 500); // another module's kernel
        EXPECT_RC(cuFuncGetAttribute(&a, 8, fn), 0);
        EXPECT(a <= 48 * 1024 && a > 0, "default max dynamic smem %d", a);
        EXPECT_RC(cuFuncGetAttribute(&a, 0, fn), 0);
        EXPECT(a == 1024, "max threads %d", a);
        EXPECT_RC(cuFuncGetAttribute(&a, 99, fn), 1);
        EXPECT_RC(cuFuncGetAttribute(&a, 0, (void*)0x77), 400);

        const int rows_n = 5, cols = 100;
        std::vector<float> x(rows_n * cols), wgt(cols), y(rows_n * cols, 0.f);
        for (int i = 0; i < rows_n * cols; i++) x[i] = std::sin(0.37f * i) * 3.f;
        for (int i = 0; i < cols; i++) wgt[i] = 0.5f + 0.01f * i;
        CUdeviceptr dx, dy, dw;
        EXPECT_RC(cuMemAlloc_v2(&dx, x.size() * 4), 0);
        EXPECT_RC(cuMemAlloc_v2(&dy, y.size() * 4), 0);
        EXPECT_RC(cuMemAlloc_v2(&dw, wgt.size() * 4), 0);
        EXPECT_RC(cuMemcpyHtoDAsync_v2(dx, x.data(), x.size() * 4, st), 0);
        EXPECT_RC(cuMemcpyHtoDAsync_v2(dw, wgt.data(), wgt.size() * 4, st), 0);
        FvRmsNormParams prm{};
        prm.y = (void*)(uintptr_t)dy; prm.x = (void*)(uintptr_t)dx; prm.weight = (const float*)(uintptr_t)dw;
        prm.rows = rows_n; prm.cols = cols; prm.y_row_stride = cols; prm.x_row_stride = cols; prm.eps = 1e-6f;
        void* arg = &prm;
        EXPECT_RC(cuLaunchKernel(fn, rows_n, 1, 1, 32, 1, 1, 0, st, &arg, nullptr), 0);
        prm.eps = 123.f; // the launch copied the struct
        EXPECT_RC(cuMemcpyDtoHAsync_v2(y.data(), dy, y.size() * 4, st), 0);
        EXPECT_RC(cuStreamSynchronize(st), 0);
        double err2 = 0, ref2 = 0;
        for (int r = 0; r < rows_n; r++)
        {
            double ss = 0;
            for (int i = 0; i < cols; i++) ss += (double)x[r * cols + i] * x[r * cols + i];
            float rs = (float)(1.0 / std::sqrt(ss / cols + 1e-6));
            for (int i = 0; i < cols; i++)
            {
                double ref = x[r * cols + i] * rs * wgt[i], d = y[r * cols + i] - ref;
                err2 += d * d;
                ref2 += ref * ref;
            }
        }
        EXPECT(std::sqrt(err2 / ref2) < 1e-5, "rmsnorm rel L2 %g", std::sqrt(err2 / ref2));
        char counts[512] = {};
        launch_counts(counts, sizeof counts);
        EXPECT(std::strstr(counts, "fv_rmsnorm_f32 1") != nullptr, "launch counts: %s", counts);

        // launch configuration checks
        EXPECT_RC(cuLaunchKernel(fn, 0, 1, 1, 32, 1, 1, 0, st, &arg, nullptr), 1);
        EXPECT_RC(cuLaunchKernel(fn, 1, 65536, 1, 32, 1, 1, 0, st, &arg, nullptr), 1);
        EXPECT_RC(cuLaunchKernel(fn, 1, 1, 1, 1025, 1, 1, 0, st, &arg, nullptr), 1);
        EXPECT_RC(cuLaunchKernel(fn, 1, 1, 1, 32, 32, 2, 0, st, &arg, nullptr), 1);
        EXPECT_RC(cuLaunchKernel(fn, 1, 1, 1, 1, 1, 65, 0, st, &arg, nullptr), 1);
        EXPECT_RC(cuLaunchKernel(fn, 1, 1, 1, 32, 1, 1, 0, st, nullptr, nullptr), 1);
        EXPECT_RC(cuLaunchKernel(fn, 1, 1, 1, 32, 1, 1, 64 * 1024, st, &arg, nullptr), 1); // unopted > 48 KiB
        EXPECT_RC(cuFuncSetAttribute(fn, 8, optin + 1), 1);
        EXPECT_RC(cuFuncSetAttribute(fn, 8, 64 * 1024), 0);
        EXPECT_RC(cuFuncGetAttribute(&a, 8, fn), 0);
        EXPECT(a == 64 * 1024, "raised max dynamic smem %d", a);
        EXPECT_RC(cuLaunchKernel(fn, 1, 1, 1, 32, 1, 1, 64 * 1024, st, &arg, nullptr), 0);
        EXPECT_RC(cuStreamSynchronize(st), 0);
        cuMemFree_v2(dx);
        cuMemFree_v2(dy);
        cuMemFree_v2(dw);
        EXPECT_RC(cuModuleUnload(mod), 0);
    }

    // ---- guard-zone corruption (last: the error is sticky) ----
    {
        CUdeviceptr g = 0;
        EXPECT_RC(cuMemAlloc_v2(&g, 100), 0);
        ((unsigned char*)(uintptr_t)g)[100] = 0; // a write one past the end, as a faulty kernel would
        EXPECT_RC(cuMemFree_v2(g), 700);
        EXPECT_RC(cuMemAlloc_v2(&g, 100), 0);
        ((unsigned char*)(uintptr_t)g)[-1] = 0;
        EXPECT_RC(cuStreamSynchronize(st), 700);
        EXPECT_RC(cuCtxSynchronize(), 700);                 // sticky
        EXPECT_RC(cuMemsetD8Async(p, 0, 4, st), 700);
    }
    EXPECT_RC(cuStreamDestroy_v2(st), 0);
    EXPECT_RC(cuStreamDestroy_v2(st), 400);
    EXPECT_RC(cuEventDestroy_v2(e0), 0);
    EXPECT_RC(cuEventDestroy_v2(e0), 400);
    EXPECT_RC(cuDevicePrimaryCtxRelease_v2(0), 0);

    std::printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
