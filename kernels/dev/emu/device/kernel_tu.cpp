// kernel_tu.cpp — one kernel source (.cu) compiled as host C++ for the stand-in libcuda (driver.cpp), with its
// extern "C" entry points registered by name. scripts/build-cuda-emulator.sh compiles this file once per .cu:
//   -include kernels/dev/emu/fv_emu.h -DFV_EMULATE -DFV_EMU_TU_LOCAL -DFV_EMU_SMEM_SECTION=fv_smem_<stem>
//   -DFVEMU_KERNEL_SOURCE='"<path>.cu"' -DFVEMU_KERNEL_NAMES='"<stem>.names.inc"'
// The names file holds one FVEMU_KERNEL(fv_name) line per entry point (found by preprocessing the source).
// Each source gets its own TU: sources may share static helper names and shared-memory symbols, and the
// emulator's globals are TU-local (FV_EMU_TU_LOCAL), each bound to this TU's own shared-memory section.
#include "fvemu_kernels.h"

// The kernel source goes in an anonymous namespace too: the inline helpers of kernels/common (fv_block_sum, ...)
// use the TU-local emulator state (threadIdx is fv_emu_cur->tid), so their copies in different TUs must not
// merge at link time (they would run against another TU's state and shared-memory section). The sources include
// nothing but kernels/common headers, so this is safe; the extern "C" entry points are found from this TU only.
namespace
{
#include FVEMU_KERNEL_SOURCE
} // namespace

namespace
{
template <class T> struct fvemu_param_of;
template <class P> struct fvemu_param_of<void (*)(P)> { using type = P; }; // top-level const is not part of the type

template <auto K> void fvemu_thunk(const void* params, const unsigned* g, const unsigned* b, size_t dynamic_smem)
{
    using P = typename fvemu_param_of<decltype(K)>::type;
    P p;
    std::memcpy((void*)&p, params, sizeof(P));
    fv_emu_launch(K, dim3(g[0], g[1], g[2]), dim3(b[0], b[1], b[2]), dynamic_smem, p);
}

#define FVEMU_KERNEL(name) \
    fvemu_register_kernel(#name, sizeof(fvemu_param_of<decltype(&name)>::type), &fvemu_thunk<&name>, FV_EMU_DYNAMIC_SMEM_BYTES);

struct FvemuRegistrar
{
    FvemuRegistrar()
    {
#include FVEMU_KERNEL_NAMES
    }
} fvemu_registrar;
} // namespace
