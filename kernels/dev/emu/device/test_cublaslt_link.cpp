// test_cublaslt_link.cpp — how the stand-in cuBLASLt finds the driver hooks (run by test_cublaslt.sh):
//   FAKE_DRIVER: built as a fake libcuda.so.1 exporting fvemu_device_ptr / fvemu_stream_enqueue (identity, immediate).
//   otherwise:   a program that dlopens libcublasLt.so.13 from argv[1] and expects cublasLtCreate to return argv[2];
//                with argv[3] given, it first dlopens that libcuda.so.1 (the RTLD_NOLOAD lookup path), then runs a
//                1×1×1 matmul through it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>

#ifdef FAKE_DRIVER
static int g_calls = 0;
extern "C" __attribute__((visibility("default"))) void* fvemu_device_ptr(uint64_t dptr, size_t, int* error)
{
    ++g_calls;
    if (!dptr && error) *error = 1;
    return reinterpret_cast<void*>(dptr);
}
extern "C" __attribute__((visibility("default"))) int fvemu_stream_enqueue(void*, void (*fn)(void*), void* arg)
{
    fn(arg);
    return 0;
}
extern "C" __attribute__((visibility("default"))) int fake_driver_calls() { return g_calls; }
#else
int main(int argc, char** argv)
{
    if (argc < 3) return 2;
    void* drv = nullptr;
    if (argc > 3 && !(drv = dlopen(argv[3], RTLD_NOW | RTLD_LOCAL)))
    {
        std::printf("dlopen %s: %s\n", argv[3], dlerror());
        return 1;
    }
    void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib)
    {
        std::printf("dlopen %s: %s\n", argv[1], dlerror());
        return 1;
    }
    using Create = int (*)(void**);
    auto create = reinterpret_cast<Create>(dlsym(lib, "cublasLtCreate"));
    void* h = nullptr;
    int s = create(&h);
    if (s != std::atoi(argv[2]))
    {
        std::printf("cublasLtCreate returned %d, expected %s\n", s, argv[2]);
        return 1;
    }
    if (s != 0) return 0;
    using DescCreate = int (*)(void**, int, int);
    using LayoutCreate = int (*)(void**, int, uint64_t, uint64_t, int64_t);
    using Matmul = int (*)(void*, void*, const void*, const void*, void*, const void*, void*, const void*, const void*, void*,
        void*, void*, const void*, void*, size_t, void*);
    void *op = nullptr, *l = nullptr;
    reinterpret_cast<DescCreate>(dlsym(lib, "cublasLtMatmulDescCreate"))(&op, 68, 0);
    reinterpret_cast<LayoutCreate>(dlsym(lib, "cublasLtMatrixLayoutCreate"))(&l, 0, 1, 1, 1);
    float a = 3, b = 5, d = 0, alpha = 1, beta = 0;
    s = reinterpret_cast<Matmul>(dlsym(lib, "cublasLtMatmul"))(h, op, &alpha, &a, l, &b, l, &beta, &d, l, &d, l, nullptr, nullptr, 0, nullptr);
    int calls = drv ? reinterpret_cast<int (*)()>(dlsym(drv, "fake_driver_calls"))() : -1;
    if (s != 0 || d != 15 || (drv && calls < 3))
    {
        std::printf("matmul through the driver hooks: status %d, d = %g, driver calls %d\n", s, d, calls);
        return 1;
    }
    return 0;
}
#endif
