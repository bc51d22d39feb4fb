// cublaslt_emu.cpp — a stand-in libcublasLt for the emulated CUDA device (kernels/dev/emu/device/): the cuBLASLt
// entry points that interop/FastVideo.Interop/CublasLtNative.cs imports, computed on the CPU. C++17, no CUDA
// headers: the enums below carry the numeric values of cublasLt.h / cublas_api.h / library_types.h.
//
// What it needs from the driver stand-in (libcuda.so.1 of the emulator), both extern "C":
//
//   void* fvemu_device_ptr(uint64_t dptr, size_t bytes, int* error);
//       The host address backing the device range [dptr, dptr + bytes), or nullptr with *error set to a CUresult
//       (e.g. 700 CUDA_ERROR_ILLEGAL_ADDRESS) when the range is not inside one live allocation, or when the context
//       already holds a sticky error (then that error). bytes > 0 always (this file never asks for an empty range).
//       If the driver models an out-of-bounds access as a kernel fault, it records the sticky error itself; this
//       library only turns the failure into CUBLAS_STATUS_EXECUTION_FAILED.
//
//   int fvemu_stream_enqueue(void* stream, void (*fn)(void*), void* arg);
//       Queues fn(arg) on the stream (a CUstream; 0 = the default stream), ordered after the work already queued
//       there and before work queued later (kernels, copies, events). Returns 0 (CUDA_SUCCESS) when queued: fn is
//       then called exactly once, on any thread, possibly before this returns. Any other value is a CUresult: fn
//       is never called and arg still belongs to the caller (which frees it).
//
// The two are declared weak: linked into libcublasLt.so.13 with libcuda.so.1 as a DT_NEEDED library, the loader
// binds them; otherwise they are looked up in an already loaded libcuda.so.1 (dlopen RTLD_NOLOAD); if neither
// works, cublasLtCreate returns CUBLAS_STATUS_NOT_INITIALIZED. A standalone test defines both itself (plain host
// pointers, see test_cublaslt.cpp). Build the library with -fvisibility=hidden: only the cublasLt* functions below
// are exported.
//
// Semantics (cuBLASLt documentation): D = epilogue(alpha·op(A)·op(B) + beta·C + bias), op(A) m×k, op(B) k×n, C and
// D m×n; column-major (ORDER_COL, ld = distance between columns) or ORDER_ROW (ld = distance between rows);
// strided batches (BATCH_COUNT equal on A, B, C, D; STRIDED_BATCH_OFFSET in elements, 0 = the same matrix for every
// entry); bias of length m (one value per row of D, broadcast over the columns), BIAS_BATCH_STRIDE per batch entry.
// Numerics: inputs converted exactly to the accumulator type (float for the 32F compute types, double for 64F);
// each dot product accumulates k in a fixed order (8 interleaved partial sums, p mod 8, combined pairwise), then
// alpha·acc (+ beta·C, C not read when beta == 0) (+ bias) (activation) in the accumulator type, rounded once to D's
// type (round to nearest even, NaN kept, overflow to ±inf). alpha == 0 skips the product (BLAS: A and B are not
// read then, so NaN in them does not propagate). FAST_TF32/FAST_16F/FAST_16BF compute types permit, not require,
// reduced precision: computed in full FP32 here. C may be D (same layout required, as cuBLASLt).
// Every device pointer is translated over the exact byte range its layout touches (all batch entries), at call
// time; host-mode alpha/beta are read at call time, device-mode ones when the work runs. The work itself runs on
// the stream. Large products (m·n·k ≥ 2^21) split the rows of D over pthreads (FVEMU_BLAS_THREADS, default: the
// online CPUs); every output element is computed the same way whatever the split, so results do not depend on it.
// Tests: test_cublaslt.sh (test_cublaslt.cpp, test_cublaslt_link.cpp).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <memory>
#include <mutex>
#include <new>
#include <pthread.h>
#include <unistd.h>
#include <unordered_set>
#include <vector>

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

extern "C" void* fvemu_device_ptr(uint64_t dptr, size_t bytes, int* error) __attribute__((weak));
extern "C" int fvemu_stream_enqueue(void* stream, void (*fn)(void*), void* arg) __attribute__((weak));

#define FVBLAS_API extern "C" __attribute__((visibility("default")))

#ifndef FVEMU_CUBLASLT_VERSION
#define FVEMU_CUBLASLT_VERSION 130000 // 13.0.0, as major·10000 + minor·100 + patch
#endif

namespace
{
// Containers over types of this file's anonymous namespace only (a local allocator and hash): their template
// instantiations then have internal linkage, so the library exports nothing but the cublasLt* functions even
// without a version script (libstdc++ gives its own instantiations default visibility).
template <class T> struct LocalAlloc
{
    using value_type = T;
    LocalAlloc() = default;
    template <class U> LocalAlloc(const LocalAlloc<U>&) {}
    T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
    void deallocate(T* p, size_t) { ::operator delete(p); }
    template <class U> bool operator==(const LocalAlloc<U>&) const { return true; }
    template <class U> bool operator!=(const LocalAlloc<U>&) const { return false; }
};
template <class T> using Vec = std::vector<T, LocalAlloc<T>>;
struct PtrHash
{
    size_t operator()(const void* p) const { return std::hash<const void*>()(p); }
};

// cublasStatus_t
enum : int
{
    SUCCESS = 0, NOT_INITIALIZED = 1, ALLOC_FAILED = 3, INVALID_VALUE = 7, ARCH_MISMATCH = 8, MAPPING_ERROR = 11,
    EXECUTION_FAILED = 13, INTERNAL_ERROR = 14, NOT_SUPPORTED = 15,
};
// cudaDataType_t
enum : int { R_32F = 0, R_64F = 1, R_16F = 2, R_16BF = 14 };
// cublasComputeType_t
enum : int
{
    COMPUTE_16F = 64, COMPUTE_16F_PEDANTIC = 65, COMPUTE_32F = 68, COMPUTE_32F_PEDANTIC = 69, COMPUTE_64F = 70,
    COMPUTE_64F_PEDANTIC = 71, COMPUTE_32I = 72, COMPUTE_32I_PEDANTIC = 73, COMPUTE_32F_FAST_16F = 74,
    COMPUTE_32F_FAST_16BF = 75, COMPUTE_32F_FAST_TF32 = 77,
};
// cublasOperation_t (CUBLAS_OP_C = 2 is OP_T for real types; 3 = CUBLAS_OP_CONJG is not valid for GEMM)
enum : int { OP_N = 0, OP_T = 1, OP_C = 2 };
// cublasLtOrder_t
enum : int { ORDER_COL = 0, ORDER_ROW = 1, ORDER_COL32 = 2, ORDER_COL4_4R2_8C = 3, ORDER_COL32_2R_4R4 = 4 };
// cublasLtPointerMode_t
enum : int { PTR_HOST = 0, PTR_DEVICE = 1, PTR_DEVICE_VECTOR = 2, PTR_ALPHA_VEC_BETA_ZERO = 3, PTR_ALPHA_VEC_BETA_HOST = 4 };
// cublasLtEpilogue_t
enum : uint32_t { EPI_DEFAULT = 1, EPI_RELU = 2, EPI_BIAS = 4, EPI_RELU_BIAS = 6, EPI_GELU = 32, EPI_GELU_BIAS = 36 };
// cublasLtMatmulDescAttributes_t
enum : int
{
    D_COMPUTE_TYPE = 0, D_SCALE_TYPE = 1, D_POINTER_MODE = 2, D_TRANSA = 3, D_TRANSB = 4, D_TRANSC = 5, D_FILL_MODE = 6,
    D_EPILOGUE = 7, D_BIAS_POINTER = 8, D_BIAS_BATCH_STRIDE = 10, D_AUX_POINTER = 11, D_AUX_LD = 12,
    D_AUX_BATCH_STRIDE = 13, D_ALPHA_VECTOR_BATCH_STRIDE = 14, D_SM_COUNT_TARGET = 15, D_A_SCALE_POINTER = 17,
    D_B_SCALE_POINTER = 18, D_C_SCALE_POINTER = 19, D_D_SCALE_POINTER = 20, D_AMAX_D_POINTER = 21,
    D_AUX_DATA_TYPE = 22, D_AUX_SCALE_POINTER = 23, D_AUX_AMAX_POINTER = 24, D_FAST_ACCUM = 25, D_BIAS_DATA_TYPE = 26,
};
// cublasLtMatrixLayoutAttribute_t
enum : int { L_TYPE = 0, L_ORDER = 1, L_ROWS = 2, L_COLS = 3, L_LD = 4, L_BATCH_COUNT = 5, L_BATCH_STRIDE = 6, L_PLANE_OFFSET = 7 };
// cublasLtMatmulPreferenceAttributes_t
enum : int
{
    P_SEARCH_MODE = 0, P_MAX_WORKSPACE_BYTES = 1, P_REDUCTION_SCHEME_MASK = 3, P_MIN_ALIGNMENT_A = 5,
    P_MIN_ALIGNMENT_B = 6, P_MIN_ALIGNMENT_C = 7, P_MIN_ALIGNMENT_D = 8, P_MAX_WAVES_COUNT = 9,
    P_POINTER_MODE_MASK = 10, P_EPILOGUE_MASK = 11, P_IMPL_MASK = 12, P_SM_COUNT_TARGET = 13,
};

// ---- objects: plain structs, tracked in a registry so that a destroyed or foreign handle is detected ----

struct Handle
{
    int unused = 0;
};

struct MatmulDesc
{
    int32_t compute = COMPUTE_32F, scale = R_32F, pointerMode = PTR_HOST, transA = OP_N, transB = OP_N, transC = OP_N;
    int32_t fillMode = 2; // CUBLAS_FILL_MODE_FULL
    uint32_t epilogue = EPI_DEFAULT;
    uint64_t bias = 0; // device pointer (void*)
    int64_t biasBatchStride = 0;
    uint64_t aux = 0;
    int64_t auxLd = 0, auxBatchStride = 0, alphaVectorBatchStride = 0;
    int32_t smCountTarget = 0;
    uint64_t aScale = 0, bScale = 0, cScale = 0, dScale = 0, amaxD = 0, auxScale = 0, auxAmax = 0;
    int32_t auxType = -1;
    int8_t fastAccum = 0;
    int32_t biasType = -1; // -1: D's type
};

struct Layout
{
    uint32_t type = R_32F;
    int32_t order = ORDER_COL;
    uint64_t rows = 0, cols = 0;
    int64_t ld = 0;
    int32_t batch = 1;
    int64_t stride = 0;
    int64_t planeOffset = 0;
};

struct Preference
{
    uint32_t searchMode = 0;
    uint64_t maxWorkspace = 0;
    uint32_t reductionMask = 0xFFFFFFFFu;
    uint32_t align[4] = {256, 256, 256, 256};
    float maxWaves = 0;
    uint32_t pointerModeMask = 0, epilogueMask = EPI_DEFAULT;
    uint64_t implMask = ~0ull;
    int32_t smCountTarget = 0;
};

std::mutex g_lock;
std::unordered_set<const void*, PtrHash, std::equal_to<const void*>, LocalAlloc<const void*>> g_live; // every live Handle, MatmulDesc, Layout, Preference

template <class T> int create(T** out)
{
    if (!out) return INVALID_VALUE;
    T* p = new (std::nothrow) T();
    if (!p) return ALLOC_FAILED;
    std::lock_guard<std::mutex> g(g_lock);
    g_live.insert(p);
    *out = p;
    return SUCCESS;
}

bool alive(const void* p)
{
    if (!p) return false;
    std::lock_guard<std::mutex> g(g_lock);
    return g_live.count(p) != 0;
}

template <class T> int destroy(T* p, int unknownStatus)
{
    if (!p) return SUCCESS;
    {
        std::lock_guard<std::mutex> g(g_lock);
        if (!g_live.erase(p)) return unknownStatus;
    }
    delete p;
    return SUCCESS;
}

// Copies an attribute value whose storage is exactly sizeof(field) bytes.
template <class F> int setField(F& field, const void* buf, size_t size)
{
    if (!buf || size != sizeof(F)) return INVALID_VALUE;
    std::memcpy(&field, buf, sizeof(F));
    return SUCCESS;
}

// ---- the driver hooks ----

using DevicePtrFn = void* (*)(uint64_t, size_t, int*);
using EnqueueFn = int (*)(void*, void (*)(void*), void*);
DevicePtrFn g_devicePtr = nullptr;
EnqueueFn g_enqueue = nullptr;

bool resolveHooks()
{
    std::lock_guard<std::mutex> g(g_lock);
    if (g_devicePtr && g_enqueue) return true;
    if (&fvemu_device_ptr && &fvemu_stream_enqueue)
    {
        g_devicePtr = fvemu_device_ptr;
        g_enqueue = fvemu_stream_enqueue;
        return true;
    }
    void* lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (!lib) return false;
    auto dp = reinterpret_cast<DevicePtrFn>(dlsym(lib, "fvemu_device_ptr"));
    auto eq = reinterpret_cast<EnqueueFn>(dlsym(lib, "fvemu_stream_enqueue"));
    if (!dp || !eq) return false;
    g_devicePtr = dp;
    g_enqueue = eq;
    return true;
}

// ---- element conversions ----

inline float bitsToFloat(uint32_t u)
{
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
inline uint32_t floatToBits(float f)
{
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

inline float bf16ToFloat(uint16_t h) { return bitsToFloat(uint32_t(h) << 16); }

inline float f16ToFloat(uint16_t h)
{
    uint32_t sign = uint32_t(h & 0x8000) << 16, exp = (h >> 10) & 0x1F, man = h & 0x3FF;
    if (exp == 0x1F) return bitsToFloat(sign | 0x7F800000u | (man << 13)); // inf, NaN (payload kept)
    if (exp == 0)
    {
        // ±0 or subnormal: man·2^-24, exact in float
        float v = float(man) * 0x1p-24f;
        return sign ? -v : v;
    }
    return bitsToFloat(sign | ((exp + 112) << 23) | (man << 13));
}

inline uint16_t floatToBf16(float f)
{
    uint32_t u = floatToBits(f);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return uint16_t((u >> 16) | 0x0040); // NaN: quiet, sign and top payload kept
    u += 0x7FFFu + ((u >> 16) & 1);                                           // round to nearest even (overflow → inf)
    return uint16_t(u >> 16);
}

inline uint16_t floatToF16(float f)
{
    uint32_t u = floatToBits(f);
    uint16_t sign = uint16_t((u >> 16) & 0x8000);
    uint32_t a = u & 0x7FFFFFFFu;
    if (a > 0x7F800000u) return uint16_t(sign | 0x7E00 | ((a >> 13) & 0x3FF)); // NaN, quiet
    if (a >= 0x477FF000u) return uint16_t(sign | 0x7C00);                    // ≥ 65520 (and inf): inf
    int e = int(a >> 23) - 127;
    if (e >= -14)
    {
        // normal: drop 13 mantissa bits with round to nearest even; a carry moves into the exponent correctly
        uint32_t r = a + 0xFFFu + ((a >> 13) & 1);
        return uint16_t(sign | (((r >> 23) - 112) << 10 | ((r >> 13) & 0x3FF)));
    }
    if (e < -25) return sign; // below half the smallest subnormal (2^-25): ±0
    // subnormal: value = m·2^(e-23) with m the 24-bit significand; result = round(m·2^(e-23) / 2^-24) = m >> (-e-1)
    uint32_t m = (a & 0x7FFFFFu) | 0x800000u;
    int shift = -e - 1; // 14..24
    uint32_t q = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1))) ++q; // q may reach 0x400: the smallest normal, as it should
    return uint16_t(sign | q);
}

int elementBytes(int type)
{
    switch (type)
    {
    case R_32F: return 4;
    case R_64F: return 8;
    case R_16F:
    case R_16BF: return 2;
    default: return 0;
    }
}

template <class Acc> inline Acc load(const void* base, int64_t index, int type)
{
    switch (type)
    {
    case R_32F: return Acc(static_cast<const float*>(base)[index]);
    case R_64F: return Acc(static_cast<const double*>(base)[index]);
    case R_16F: return Acc(f16ToFloat(static_cast<const uint16_t*>(base)[index]));
    default: return Acc(bf16ToFloat(static_cast<const uint16_t*>(base)[index]));
    }
}

template <class Acc> inline void store(void* base, int64_t index, int type, Acc v)
{
    switch (type)
    {
    case R_32F: static_cast<float*>(base)[index] = float(v); break;
    case R_64F: static_cast<double*>(base)[index] = double(v); break;
    case R_16F: static_cast<uint16_t*>(base)[index] = floatToF16(float(v)); break;
    default: static_cast<uint16_t*>(base)[index] = floatToBf16(float(v)); break;
    }
}

// ---- the validated problem ----

struct Operand
{
    int type = R_32F, order = ORDER_COL;
    int64_t rows = 0, cols = 0, ld = 0, stride = 0;
    // element offset of (row r, col c) of one batch entry
    int64_t at(int64_t r, int64_t c) const { return order == ORDER_COL ? r + c * ld : r * ld + c; }
};

struct Problem
{
    int compute = COMPUTE_32F, pointerMode = PTR_HOST;
    bool transA = false, transB = false;
    int64_t m = 0, n = 0, k = 0;
    int batch = 1;
    Operand a, b, c, d;
    uint32_t epilogue = EPI_DEFAULT;
    bool hasBias = false;
    int biasType = R_32F;
    int64_t biasStride = 0;
    bool f64 = false; // double accumulator and scale
};

bool computeIsKnown(int c)
{
    switch (c)
    {
    case COMPUTE_16F: case COMPUTE_16F_PEDANTIC: case COMPUTE_32F: case COMPUTE_32F_PEDANTIC: case COMPUTE_64F:
    case COMPUTE_64F_PEDANTIC: case COMPUTE_32I: case COMPUTE_32I_PEDANTIC: case COMPUTE_32F_FAST_16F:
    case COMPUTE_32F_FAST_16BF: case COMPUTE_32F_FAST_TF32: return true;
    default: return false;
    }
}

// The supported (compute, scale, A/B, C/D) combinations of the cuBLASLt type table, restricted to real types.
bool typesSupported(int compute, int scale, int ab, int cd, bool& f64)
{
    f64 = false;
    switch (compute)
    {
    case COMPUTE_32F:
    case COMPUTE_32F_PEDANTIC:
        if (scale != R_32F) return false;
        if (ab == R_32F) return cd == R_32F;
        if (ab == R_16F) return cd == R_16F || cd == R_32F;
        if (ab == R_16BF) return cd == R_16BF || cd == R_32F;
        return false;
    case COMPUTE_32F_FAST_16F:
    case COMPUTE_32F_FAST_16BF:
    case COMPUTE_32F_FAST_TF32: return scale == R_32F && ab == R_32F && cd == R_32F;
    case COMPUTE_64F:
    case COMPUTE_64F_PEDANTIC:
        f64 = true;
        return scale == R_64F && ab == R_64F && cd == R_64F;
    default: return false; // 16F and 32I compute: not emulated
    }
}

int toOperand(const Layout& l, Operand& o)
{
    if (l.order != ORDER_COL && l.order != ORDER_ROW)
        return (l.order >= ORDER_COL32 && l.order <= ORDER_COL32_2R_4R4) ? NOT_SUPPORTED : INVALID_VALUE;
    if (l.planeOffset != 0) return NOT_SUPPORTED; // planar complex only
    if (l.rows > uint64_t(INT32_MAX) || l.cols > uint64_t(INT32_MAX)) return NOT_SUPPORTED;
    if (l.batch < 1 || l.ld < 0 || l.stride < 0) return INVALID_VALUE;
    o.type = int(l.type);
    o.order = l.order;
    o.rows = int64_t(l.rows);
    o.cols = int64_t(l.cols);
    o.ld = l.ld;
    o.stride = l.stride;
    int64_t minLd = l.order == ORDER_COL ? o.rows : o.cols;
    if (o.ld < minLd || (o.ld == 0 && o.rows > 0 && o.cols > 0)) return INVALID_VALUE;
    return SUCCESS;
}

// Checks the descriptors the way cublasLtMatmul does: INVALID_VALUE for impossible or conflicting arguments,
// NOT_SUPPORTED for valid configurations this implementation (like the library) does not run.
int validate(const MatmulDesc& op, const Layout& la, const Layout& lb, const Layout& lc, const Layout& ld, Problem& p)
{
    if (!computeIsKnown(op.compute)) return INVALID_VALUE;
    auto validOp = [](int t) { return t == OP_N || t == OP_T || t == OP_C; };
    if (!validOp(op.transA) || !validOp(op.transB) || !validOp(op.transC)) return INVALID_VALUE;
    if (op.transC != OP_N) return NOT_SUPPORTED; // "currently only CUBLAS_OP_N is supported"
    if (op.pointerMode < PTR_HOST || op.pointerMode > PTR_ALPHA_VEC_BETA_HOST) return INVALID_VALUE;
    if (op.pointerMode != PTR_HOST && op.pointerMode != PTR_DEVICE) return NOT_SUPPORTED;
    switch (op.epilogue)
    {
    case EPI_DEFAULT: case EPI_RELU: case EPI_BIAS: case EPI_RELU_BIAS: case EPI_GELU: case EPI_GELU_BIAS: break;
    default: return NOT_SUPPORTED; // aux outputs, gradients
    }
    if (op.aScale || op.bScale || op.cScale || op.dScale || op.amaxD) return NOT_SUPPORTED; // FP8 scaling
    if (la.type != lb.type || lc.type != ld.type) return NOT_SUPPORTED;
    if (!typesSupported(op.compute, op.scale, int(la.type), int(ld.type), p.f64)) return NOT_SUPPORTED;
    int s;
    if ((s = toOperand(la, p.a)) || (s = toOperand(lb, p.b)) || (s = toOperand(lc, p.c)) || (s = toOperand(ld, p.d))) return s;
    p.compute = op.compute;
    p.pointerMode = op.pointerMode;
    p.transA = op.transA != OP_N;
    p.transB = op.transB != OP_N;
    p.m = p.transA ? p.a.cols : p.a.rows;
    p.k = p.transA ? p.a.rows : p.a.cols;
    int64_t kb = p.transB ? p.b.cols : p.b.rows;
    p.n = p.transB ? p.b.rows : p.b.cols;
    if (kb != p.k) return INVALID_VALUE;
    if (p.c.rows != p.m || p.c.cols != p.n || p.d.rows != p.m || p.d.cols != p.n) return INVALID_VALUE;
    if (la.batch != ld.batch || lb.batch != ld.batch || lc.batch != ld.batch) return INVALID_VALUE;
    p.batch = ld.batch;
    p.epilogue = op.epilogue;
    p.hasBias = op.epilogue == EPI_BIAS || op.epilogue == EPI_RELU_BIAS || op.epilogue == EPI_GELU_BIAS;
    if (p.hasBias)
    {
        p.biasType = op.biasType == -1 ? int(ld.type) : op.biasType;
        if (p.biasType != int(ld.type) && !(p.biasType == R_32F && !p.f64)) return NOT_SUPPORTED;
        if (op.biasBatchStride < 0) return INVALID_VALUE;
        p.biasStride = op.biasBatchStride;
    }
    return SUCCESS;
}

// Bytes a batched operand touches from its base: (batch-1)·stride + the span of one entry; 0 when empty.
// false when it does not fit in 63 bits.
bool spanBytes(const Operand& o, int batch, uint64_t& bytes)
{
    bytes = 0;
    if (o.rows == 0 || o.cols == 0) return true;
    unsigned __int128 one = o.order == ORDER_COL ? (unsigned __int128)(o.cols - 1) * uint64_t(o.ld) + uint64_t(o.rows)
                                                 : (unsigned __int128)(o.rows - 1) * uint64_t(o.ld) + uint64_t(o.cols);
    unsigned __int128 elems = (unsigned __int128)(batch - 1) * uint64_t(o.stride) + one;
    unsigned __int128 b = elems * unsigned(elementBytes(o.type));
    if (b > (unsigned __int128)INT64_MAX) return false;
    bytes = uint64_t(b);
    return true;
}

// The alignment an algorithm was chosen for, carried in cublasLtMatmulAlgo_t.
struct Algo
{
    uint64_t magic;
    uint32_t align[4]; // A, B, C, D bytes
    uint64_t pad[5];
};
static_assert(sizeof(Algo) == 64, "cublasLtMatmulAlgo_t is 64 bytes");
constexpr uint64_t kAlgoMagic = 0x4656454D55424C41ull; // "FVEMUBLA"

struct HeuristicResult
{
    Algo algo;
    size_t workspaceSize;
    int state;
    float wavesCount;
    int reserved[4];
};
static_assert(sizeof(HeuristicResult) == 96, "cublasLtMatmulHeuristicResult_t is 96 bytes");

bool isPow2(uint32_t v) { return v && !(v & (v - 1)); }

// ---- the work ----

struct Job
{
    Problem p;
    const void *a = nullptr, *b = nullptr, *c = nullptr, *bias = nullptr;
    void* d = nullptr;
    double alpha = 0, beta = 0;                      // host pointer mode: the values at call time
    const void *alphaDev = nullptr, *betaDev = nullptr; // device pointer mode: read when the work runs
};

inline float gelu(float x) { return 0.5f * x * (1.0f + std::tanh(0.7978845608028654f * (x + 0.044715f * x * x * x))); }
inline double gelu(double x) { return 0.5 * x * (1.0 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))); }

template <class Acc> inline Acc dot(const Acc* x, const Acc* y, int64_t k)
{
    Acc lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t p = 0;
    for (; p + 8 <= k; p += 8)
        for (int l = 0; l < 8; ++l) lane[l] += x[p + l] * y[p + l];
    for (int l = 0; p < k; ++p, ++l) lane[l] += x[p] * y[p];
    return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

int workerCount(const Problem& p)
{
    double work = double(p.m) * double(p.n) * double(std::max<int64_t>(p.k, 1));
    if (work < double(1 << 21)) return 1;
    long hw = sysconf(_SC_NPROCESSORS_ONLN);
    int t = hw > 0 ? int(hw) : 1;
    if (const char* env = std::getenv("FVEMU_BLAS_THREADS")) t = std::max(1, std::atoi(env));
    t = std::min(t, 64);
    return int(std::min<int64_t>(t, std::max<int64_t>(1, p.m / 4)));
}

template <class Acc> void runBatch(const Job& j, int e, Acc alpha, Acc beta)
{
    const Problem& p = j.p;
    const int64_t m = p.m, n = p.n, k = p.k;
    const char* A = static_cast<const char*>(j.a) + e * p.a.stride * elementBytes(p.a.type);
    const char* B = static_cast<const char*>(j.b) + e * p.b.stride * elementBytes(p.b.type);
    const char* C = j.c ? static_cast<const char*>(j.c) + e * p.c.stride * elementBytes(p.c.type) : nullptr;
    char* D = static_cast<char*>(j.d) + e * p.d.stride * elementBytes(p.d.type);
    const char* bias = p.hasBias ? static_cast<const char*>(j.bias) + e * p.biasStride * elementBytes(p.biasType) : nullptr;
    bool product = alpha != Acc(0) && k > 0;

    // op(B) packed as n rows of k (column j of op(B) contiguous); shared by every worker.
    Vec<Acc> bp;
    if (product)
    {
        bp.resize(size_t(n) * size_t(k));
        for (int64_t col = 0; col < n; ++col)
            for (int64_t q = 0; q < k; ++q)
                bp[size_t(col * k + q)] = load<Acc>(B, p.transB ? p.b.at(col, q) : p.b.at(q, col), p.b.type);
    }

    auto rows = [&](int64_t r0, int64_t r1) {
        Vec<Acc> ap(product ? size_t(k) : 0);
        for (int64_t i = r0; i < r1; ++i)
        {
            if (product)
                for (int64_t q = 0; q < k; ++q) ap[size_t(q)] = load<Acc>(A, p.transA ? p.a.at(q, i) : p.a.at(i, q), p.a.type);
            Acc bi = bias ? load<Acc>(bias, i, p.biasType) : Acc(0);
            for (int64_t col = 0; col < n; ++col)
            {
                Acc v = alpha * (product ? dot(ap.data(), bp.data() + size_t(col * k), k) : Acc(0));
                if (beta != Acc(0)) v = v + beta * load<Acc>(C, p.c.at(i, col), p.c.type);
                if (bias) v = v + bi;
                if (p.epilogue == EPI_RELU || p.epilogue == EPI_RELU_BIAS) v = v > Acc(0) ? v : (v != v ? v : Acc(0));
                else if (p.epilogue == EPI_GELU || p.epilogue == EPI_GELU_BIAS) v = gelu(v);
                store<Acc>(D, p.d.at(i, col), p.d.type, v);
            }
        }
    };

    int t = workerCount(p);
    if (t <= 1)
    {
        rows(0, m);
        return;
    }
    // Plain pthreads (std::thread would export libstdc++ instantiations with g++). Each worker owns whole rows of
    // D, so the result does not depend on the worker count; a worker that cannot start runs on this thread.
    struct Part
    {
        decltype(rows)* fn;
        int64_t r0, r1;
        pthread_t th;
        bool started;
    };
    Vec<Part> parts(static_cast<size_t>(t));
    int64_t per = (m + t - 1) / t;
    for (int w = 0; w < t; ++w)
        parts[size_t(w)] = Part{&rows, std::min(m, w * per), std::min(m, (w + 1) * per), pthread_t(), false};
    auto body = [](void* arg) -> void* {
        auto* pt = static_cast<Part*>(arg);
        (*pt->fn)(pt->r0, pt->r1);
        return nullptr;
    };
    for (int w = 1; w < t; ++w)
        if (parts[size_t(w)].r0 < parts[size_t(w)].r1)
            parts[size_t(w)].started = pthread_create(&parts[size_t(w)].th, nullptr, body, &parts[size_t(w)]) == 0;
    rows(parts[0].r0, parts[0].r1);
    for (int w = 1; w < t; ++w)
    {
        Part& pt = parts[size_t(w)];
        if (pt.started) pthread_join(pt.th, nullptr);
        else if (pt.r0 < pt.r1) rows(pt.r0, pt.r1);
    }
}

template <class Acc> void runJob(const Job& j)
{
    Acc alpha, beta;
    if (j.p.pointerMode == PTR_DEVICE)
    {
        alpha = *static_cast<const Acc*>(j.alphaDev);
        beta = *static_cast<const Acc*>(j.betaDev);
    }
    else
    {
        alpha = Acc(j.alpha);
        beta = Acc(j.beta);
    }
    for (int e = 0; e < j.p.batch; ++e) runBatch<Acc>(j, e, alpha, beta);
}

void runJobThunk(void* arg)
{
    Job* j = static_cast<Job*>(arg);
    if (j->p.f64) runJob<double>(*j);
    else runJob<float>(*j);
    delete j;
}

// Device range → host pointer; false (status EXECUTION_FAILED) when the driver rejects it.
bool translate(uint64_t dptr, uint64_t bytes, const void*& host)
{
    host = nullptr;
    if (bytes == 0) return true;
    int err = 0;
    void* h = g_devicePtr(dptr, size_t(bytes), &err);
    if (!h) return false;
    host = h;
    return true;
}

bool operandAligned(uint64_t ptr, const Operand& o, int batch, uint32_t align)
{
    if (align <= 1) return true;
    if (ptr % align) return false;
    if (batch > 1 && (uint64_t(o.stride) * unsigned(elementBytes(o.type))) % align) return false;
    return true;
}
} // namespace

// ---- exported API ----

FVBLAS_API int cublasLtCreate(void** handle)
{
    if (!handle) return INVALID_VALUE;
    if (!resolveHooks()) return NOT_INITIALIZED;
    return create(reinterpret_cast<Handle**>(handle));
}

FVBLAS_API int cublasLtDestroy(void* handle)
{
    if (!handle) return NOT_INITIALIZED;
    return destroy(static_cast<Handle*>(handle), NOT_INITIALIZED);
}

FVBLAS_API size_t cublasLtGetVersion() { return FVEMU_CUBLASLT_VERSION; }

FVBLAS_API int cublasLtMatmulDescCreate(void** desc, int computeType, int scaleType)
{
    if (!desc) return INVALID_VALUE;
    MatmulDesc* d = nullptr;
    int s = create(&d);
    if (s) return s;
    d->compute = computeType;
    d->scale = scaleType;
    *desc = d;
    return SUCCESS;
}

FVBLAS_API int cublasLtMatmulDescDestroy(void* desc) { return destroy(static_cast<MatmulDesc*>(desc), INVALID_VALUE); }

FVBLAS_API int cublasLtMatmulDescSetAttribute(void* desc, int attr, const void* buf, size_t size)
{
    if (!alive(desc)) return INVALID_VALUE;
    auto& d = *static_cast<MatmulDesc*>(desc);
    switch (attr)
    {
    case D_COMPUTE_TYPE: return setField(d.compute, buf, size);
    case D_SCALE_TYPE: return setField(d.scale, buf, size);
    case D_POINTER_MODE: return setField(d.pointerMode, buf, size);
    case D_TRANSA: return setField(d.transA, buf, size);
    case D_TRANSB: return setField(d.transB, buf, size);
    case D_TRANSC: return setField(d.transC, buf, size);
    case D_FILL_MODE: return setField(d.fillMode, buf, size);
    case D_EPILOGUE: return setField(d.epilogue, buf, size);
    case D_BIAS_POINTER: return setField(d.bias, buf, size);
    case D_BIAS_BATCH_STRIDE: return setField(d.biasBatchStride, buf, size);
    case D_AUX_POINTER: return setField(d.aux, buf, size);
    case D_AUX_LD: return setField(d.auxLd, buf, size);
    case D_AUX_BATCH_STRIDE: return setField(d.auxBatchStride, buf, size);
    case D_ALPHA_VECTOR_BATCH_STRIDE: return setField(d.alphaVectorBatchStride, buf, size);
    case D_SM_COUNT_TARGET: return setField(d.smCountTarget, buf, size);
    case D_A_SCALE_POINTER: return setField(d.aScale, buf, size);
    case D_B_SCALE_POINTER: return setField(d.bScale, buf, size);
    case D_C_SCALE_POINTER: return setField(d.cScale, buf, size);
    case D_D_SCALE_POINTER: return setField(d.dScale, buf, size);
    case D_AMAX_D_POINTER: return setField(d.amaxD, buf, size);
    case D_AUX_DATA_TYPE: return setField(d.auxType, buf, size);
    case D_AUX_SCALE_POINTER: return setField(d.auxScale, buf, size);
    case D_AUX_AMAX_POINTER: return setField(d.auxAmax, buf, size);
    case D_FAST_ACCUM: return setField(d.fastAccum, buf, size);
    case D_BIAS_DATA_TYPE: return setField(d.biasType, buf, size);
    default: return INVALID_VALUE;
    }
}

FVBLAS_API int cublasLtMatrixLayoutCreate(void** layout, int type, uint64_t rows, uint64_t cols, int64_t ld)
{
    if (!layout) return INVALID_VALUE;
    Layout* l = nullptr;
    int s = create(&l);
    if (s) return s;
    l->type = uint32_t(type);
    l->rows = rows;
    l->cols = cols;
    l->ld = ld;
    *layout = l;
    return SUCCESS;
}

FVBLAS_API int cublasLtMatrixLayoutDestroy(void* layout) { return destroy(static_cast<Layout*>(layout), INVALID_VALUE); }

FVBLAS_API int cublasLtMatrixLayoutSetAttribute(void* layout, int attr, const void* buf, size_t size)
{
    if (!alive(layout)) return INVALID_VALUE;
    auto& l = *static_cast<Layout*>(layout);
    switch (attr)
    {
    case L_TYPE: return setField(l.type, buf, size);
    case L_ORDER: return setField(l.order, buf, size);
    case L_ROWS: return setField(l.rows, buf, size);
    case L_COLS: return setField(l.cols, buf, size);
    case L_LD: return setField(l.ld, buf, size);
    case L_BATCH_COUNT: return setField(l.batch, buf, size);
    case L_BATCH_STRIDE: return setField(l.stride, buf, size);
    case L_PLANE_OFFSET: return setField(l.planeOffset, buf, size);
    default: return INVALID_VALUE;
    }
}

FVBLAS_API int cublasLtMatmulPreferenceCreate(void** pref) { return create(reinterpret_cast<Preference**>(pref)); }

FVBLAS_API int cublasLtMatmulPreferenceDestroy(void* pref) { return destroy(static_cast<Preference*>(pref), INVALID_VALUE); }

FVBLAS_API int cublasLtMatmulPreferenceSetAttribute(void* pref, int attr, const void* buf, size_t size)
{
    if (!alive(pref)) return INVALID_VALUE;
    auto& p = *static_cast<Preference*>(pref);
    switch (attr)
    {
    case P_SEARCH_MODE: return setField(p.searchMode, buf, size);
    case P_MAX_WORKSPACE_BYTES: return setField(p.maxWorkspace, buf, size);
    case P_REDUCTION_SCHEME_MASK: return setField(p.reductionMask, buf, size);
    case P_MIN_ALIGNMENT_A:
    case P_MIN_ALIGNMENT_B:
    case P_MIN_ALIGNMENT_C:
    case P_MIN_ALIGNMENT_D: return setField(p.align[attr - P_MIN_ALIGNMENT_A], buf, size);
    case P_MAX_WAVES_COUNT: return setField(p.maxWaves, buf, size);
    case P_POINTER_MODE_MASK: return setField(p.pointerModeMask, buf, size);
    case P_EPILOGUE_MASK: return setField(p.epilogueMask, buf, size);
    case P_IMPL_MASK: return setField(p.implMask, buf, size);
    case P_SM_COUNT_TARGET: return setField(p.smCountTarget, buf, size);
    default: return INVALID_VALUE;
    }
}

FVBLAS_API int cublasLtMatmulAlgoGetHeuristic(void* handle, void* opDesc, void* aDesc, void* bDesc, void* cDesc, void* dDesc,
    void* pref, int requested, void* results, int* returned)
{
    if (!alive(handle)) return NOT_INITIALIZED;
    if (requested <= 0 || !results || !returned) return INVALID_VALUE;
    *returned = 0;
    if (!alive(opDesc) || !alive(aDesc) || !alive(bDesc) || !alive(cDesc) || !alive(dDesc) || !alive(pref)) return INVALID_VALUE;
    Problem p;
    int s = validate(*static_cast<MatmulDesc*>(opDesc), *static_cast<Layout*>(aDesc), *static_cast<Layout*>(bDesc),
        *static_cast<Layout*>(cDesc), *static_cast<Layout*>(dDesc), p);
    if (s) return s;
    const Preference& pr = *static_cast<Preference*>(pref);
    // An alignment below one element (or not a power of two) leaves no kernel, as in the library.
    const Operand* ops[4] = {&p.a, &p.b, &p.c, &p.d};
    for (int i = 0; i < 4; ++i)
        if (!isPow2(pr.align[i]) || pr.align[i] < uint32_t(elementBytes(ops[i]->type))) return NOT_SUPPORTED;
    auto* r = static_cast<HeuristicResult*>(results);
    std::memset(r, 0, sizeof(HeuristicResult));
    r->algo.magic = kAlgoMagic;
    for (int i = 0; i < 4; ++i) r->algo.align[i] = pr.align[i];
    r->workspaceSize = 0;
    r->state = SUCCESS;
    r->wavesCount = 1.0f;
    *returned = 1;
    return SUCCESS;
}

FVBLAS_API int cublasLtMatmul(void* handle, void* opDesc, const void* alpha, const void* a, void* aDesc, const void* b,
    void* bDesc, const void* beta, const void* c, void* cDesc, void* d, void* dDesc, const void* algo, void* workspace,
    size_t workspaceBytes, void* stream)
{
    (void)workspace;
    (void)workspaceBytes; // every emulated algorithm needs no workspace
    if (!alive(handle) || !g_devicePtr || !g_enqueue) return NOT_INITIALIZED;
    if (!alive(opDesc) || !alive(aDesc) || !alive(bDesc) || !alive(cDesc) || !alive(dDesc)) return INVALID_VALUE;
    if (!alpha || !beta) return INVALID_VALUE;
    const MatmulDesc& op = *static_cast<MatmulDesc*>(opDesc);
    const Layout &la = *static_cast<Layout*>(aDesc), &lb = *static_cast<Layout*>(bDesc), &lc = *static_cast<Layout*>(cDesc),
                 &ld = *static_cast<Layout*>(dDesc);
    auto job = std::make_unique<Job>();
    Problem& p = job->p;
    int s = validate(op, la, lb, lc, ld, p);
    if (s) return s;
    // In place (C == D) needs C laid out as D.
    if (c == d && c && (lc.type != ld.type || lc.order != ld.order || lc.ld != ld.ld || lc.stride != ld.stride)) return INVALID_VALUE;
    uint64_t pa = uint64_t(uintptr_t(a)), pb = uint64_t(uintptr_t(b)), pc = uint64_t(uintptr_t(c)), pd = uint64_t(uintptr_t(d));
    if (algo)
    {
        const Algo* al = static_cast<const Algo*>(algo);
        if (al->magic != kAlgoMagic) return INVALID_VALUE;
        // The algorithm was chosen for these alignments; pointers (and batch strides) that break them are refused,
        // as the library refuses a kernel that would fault on them.
        if (!operandAligned(pa, p.a, p.batch, al->align[0]) || !operandAligned(pb, p.b, p.batch, al->align[1]) ||
            !operandAligned(pc, p.c, p.batch, al->align[2]) || !operandAligned(pd, p.d, p.batch, al->align[3]))
            return NOT_SUPPORTED;
    }
    if (p.m == 0 || p.n == 0) return SUCCESS;

    const int scaleBytes = p.f64 ? 8 : 4;
    bool readC;
    if (p.pointerMode == PTR_HOST)
    {
        job->alpha = p.f64 ? *static_cast<const double*>(alpha) : double(*static_cast<const float*>(alpha));
        job->beta = p.f64 ? *static_cast<const double*>(beta) : double(*static_cast<const float*>(beta));
        readC = job->beta != 0;
    }
    else
    {
        if (!translate(uint64_t(uintptr_t(alpha)), scaleBytes, job->alphaDev) ||
            !translate(uint64_t(uintptr_t(beta)), scaleBytes, job->betaDev))
            return EXECUTION_FAILED;
        readC = true; // beta not known until the work runs
    }

    uint64_t bytes;
    bool needAB = p.k > 0;
    if (needAB)
    {
        if (!spanBytes(p.a, p.batch, bytes)) return INVALID_VALUE;
        if (!translate(pa, bytes, job->a)) return EXECUTION_FAILED;
        if (!spanBytes(p.b, p.batch, bytes)) return INVALID_VALUE;
        if (!translate(pb, bytes, job->b)) return EXECUTION_FAILED;
    }
    else p.k = 0;
    if (readC)
    {
        if (!spanBytes(p.c, p.batch, bytes)) return INVALID_VALUE;
        if (!translate(pc, bytes, job->c)) return EXECUTION_FAILED;
    }
    if (!spanBytes(p.d, p.batch, bytes)) return INVALID_VALUE;
    const void* dh = nullptr;
    if (!translate(pd, bytes, dh)) return EXECUTION_FAILED;
    job->d = const_cast<void*>(dh);
    if (p.hasBias)
    {
        if (!op.bias) return INVALID_VALUE;
        uint64_t biasBytes = (uint64_t(p.batch - 1) * uint64_t(p.biasStride) + uint64_t(p.m)) * unsigned(elementBytes(p.biasType));
        if (!translate(op.bias, biasBytes, job->bias)) return EXECUTION_FAILED;
    }

    Job* raw = job.release();
    if (g_enqueue(stream, runJobThunk, raw) != 0)
    {
        delete raw;
        return EXECUTION_FAILED;
    }
    return SUCCESS;
}
