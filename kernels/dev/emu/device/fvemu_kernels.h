// fvemu_kernels.h — internal: how each kernel TU (kernel_tu.cpp) registers its entry points with driver.cpp.
#pragma once
#include <stddef.h>

/// Runs the kernel over grid g[3] × block b[3] with dynamic_smem bytes; params points at the parameter struct.
typedef void (*fvemu_launcher)(const void* params, const unsigned* g, const unsigned* b, size_t dynamic_smem);

extern "C" void fvemu_register_kernel(const char* name, size_t param_bytes, fvemu_launcher launch, size_t max_dynamic_smem);
