// driver.cpp — a stand-in libcuda.so.1: the CUDA driver API entry points FastVideo.Interop (CuNative.cs) imports,
// implemented over a CPU-emulated device. Kernels are the engine's own .cu sources compiled as host C++ with the
// fiber emulator (kernels/dev/emu/fv_emu.h) and registered by name (kernel_tu.cpp); cuModuleGetFunction finds a
// kernel only when the loaded image (fatbin, cubin ELF or PTX) really contains it AND it is compiled in here.
//
// Device: one, "FastVideo CPU emulator (sm_80)" (sm_90 with FASTVIDEO_CUDA_EMULATOR_SM=90).
// Memory: host allocations, the device address is the host address; every copy/memset range is checked against
//   the live allocations (CUDA_ERROR_INVALID_VALUE otherwise). New memory is 0xFF bytes (NaN); 256-byte guard
//   zones before and after each allocation are checked on free, after every kernel and at every synchronising
//   call (CUDA_ERROR_ILLEGAL_ADDRESS, sticky, with a line on stderr naming the allocation). Capacity:
//   FASTVIDEO_CUDA_EMULATOR_MEMORY bytes (default 4 GiB).
// Streams: in-order queues, one worker thread each (the legacy NULL stream too); kernels run one at a time
//   process-wide. Asynchronous failures are sticky, as on a GPU.
// See fvemu_device.h for the C API the other stand-ins use.
#include "fvemu_device.h"
#include "fvemu_kernels.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#define FV_API extern "C" __attribute__((visibility("default")))

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;

enum
{
    CUDA_SUCCESS = 0, CUDA_ERROR_INVALID_VALUE = 1, CUDA_ERROR_OUT_OF_MEMORY = 2, CUDA_ERROR_NOT_INITIALIZED = 3,
    CUDA_ERROR_INVALID_DEVICE = 101, CUDA_ERROR_INVALID_IMAGE = 200, CUDA_ERROR_INVALID_CONTEXT = 201,
    CUDA_ERROR_NO_BINARY_FOR_GPU = 209, CUDA_ERROR_INVALID_PTX = 218, CUDA_ERROR_INVALID_HANDLE = 400,
    CUDA_ERROR_NOT_FOUND = 500, CUDA_ERROR_NOT_READY = 600, CUDA_ERROR_ILLEGAL_ADDRESS = 700,
    CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701, CUDA_ERROR_NOT_SUPPORTED = 801,
};

// ---- error names -------------------------------------------------------------------------------------------

namespace
{
struct ErrorText { int code; const char* name; const char* text; };
const ErrorText kErrors[] = {
    {0, "CUDA_SUCCESS", "no error"},
    {1, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {3, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {4, "CUDA_ERROR_DEINITIALIZED", "driver shutting down"},
    {5, "CUDA_ERROR_PROFILER_DISABLED", "profiler disabled while using external profiling tool"},
    {34, "CUDA_ERROR_STUB_LIBRARY", "CUDA driver is a stub library"},
    {35, "CUDA_ERROR_INSUFFICIENT_DRIVER", "CUDA driver version is insufficient for CUDA runtime version"},
    {46, "CUDA_ERROR_DEVICE_UNAVAILABLE", "CUDA-capable device(s) is/are busy or unavailable"},
    {100, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"},
    {101, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {102, "CUDA_ERROR_DEVICE_NOT_LICENSED", "device doesn't have valid Grid license"},
    {200, "CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"},
    {201, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"},
    {202, "CUDA_ERROR_CONTEXT_ALREADY_CURRENT", "context already current"},
    {205, "CUDA_ERROR_MAP_FAILED", "mapping of buffer object failed"},
    {206, "CUDA_ERROR_UNMAP_FAILED", "unmapping of buffer object failed"},
    {209, "CUDA_ERROR_NO_BINARY_FOR_GPU", "no kernel image is available for execution on the device"},
    {214, "CUDA_ERROR_ECC_UNCORRECTABLE", "uncorrectable ECC error encountered"},
    {215, "CUDA_ERROR_UNSUPPORTED_LIMIT", "limit is not supported on this architecture"},
    {216, "CUDA_ERROR_CONTEXT_ALREADY_IN_USE", "exclusive-thread device already in use by a different thread"},
    {217, "CUDA_ERROR_PEER_ACCESS_UNSUPPORTED", "peer access is not supported between these two devices"},
    {218, "CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"},
    {219, "CUDA_ERROR_INVALID_GRAPHICS_CONTEXT", "invalid OpenGL or DirectX context"},
    {220, "CUDA_ERROR_NVLINK_UNCORRECTABLE", "uncorrectable NVLink error detected during the execution"},
    {221, "CUDA_ERROR_JIT_COMPILER_NOT_FOUND", "PTX JIT compiler library not found"},
    {222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION", "the provided PTX was compiled with an unsupported toolchain."},
    {223, "CUDA_ERROR_JIT_COMPILATION_DISABLED", "PTX JIT compilation was disabled"},
    {300, "CUDA_ERROR_INVALID_SOURCE", "device kernel image is invalid"},
    {301, "CUDA_ERROR_FILE_NOT_FOUND", "file not found"},
    {302, "CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND", "shared object symbol not found"},
    {303, "CUDA_ERROR_SHARED_OBJECT_INIT_FAILED", "shared object initialization failed"},
    {304, "CUDA_ERROR_OPERATING_SYSTEM", "OS call failed or operation not supported on this OS"},
    {400, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"},
    {401, "CUDA_ERROR_ILLEGAL_STATE", "the operation cannot be performed in the present state"},
    {500, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {600, "CUDA_ERROR_NOT_READY", "device not ready"},
    {700, "CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"},
    {701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "too many resources requested for launch"},
    {702, "CUDA_ERROR_LAUNCH_TIMEOUT", "the launch timed out and was terminated"},
    {703, "CUDA_ERROR_LAUNCH_INCOMPATIBLE_TEXTURING", "launch uses incompatible texturing mode"},
    {704, "CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED", "peer access is already enabled"},
    {705, "CUDA_ERROR_PEER_ACCESS_NOT_ENABLED", "peer access has not been enabled"},
    {708, "CUDA_ERROR_PRIMARY_CONTEXT_ACTIVE", "cannot set while device is active in this process"},
    {709, "CUDA_ERROR_CONTEXT_IS_DESTROYED", "context is destroyed"},
    {710, "CUDA_ERROR_ASSERT", "device-side assert triggered"},
    {711, "CUDA_ERROR_TOO_MANY_PEERS", "peer mapping resources exhausted"},
    {712, "CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED", "part or all of the requested memory range is already mapped"},
    {713, "CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED", "pointer does not correspond to a registered memory region"},
    {714, "CUDA_ERROR_HARDWARE_STACK_ERROR", "hardware stack error"},
    {715, "CUDA_ERROR_ILLEGAL_INSTRUCTION", "an illegal instruction was encountered"},
    {716, "CUDA_ERROR_MISALIGNED_ADDRESS", "misaligned address"},
    {717, "CUDA_ERROR_INVALID_ADDRESS_SPACE", "operation not supported on global/shared address space"},
    {718, "CUDA_ERROR_INVALID_PC", "invalid program counter"},
    {719, "CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"},
    {720, "CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE", "too many blocks in cooperative launch"},
    {800, "CUDA_ERROR_NOT_PERMITTED", "operation not permitted"},
    {801, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported"},
    {802, "CUDA_ERROR_SYSTEM_NOT_READY", "system not yet initialized"},
    {803, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH", "system has unsupported display driver / cuda driver combination"},
    {804, "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE", "forward compatibility was attempted on non supported HW"},
    {900, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED", "operation not permitted when stream is capturing"},
    {909, "CUDA_ERROR_TIMEOUT", "wait operation timed out"},
    {999, "CUDA_ERROR_UNKNOWN", "unknown error"},
};
const ErrorText* find_error(int code)
{
    for (const auto& e : kErrors)
        if (e.code == code) return &e;
    return nullptr;
}
} // namespace

FV_API CUresult cuGetErrorName(CUresult error, const char** str)
{
    if (!str) return CUDA_ERROR_INVALID_VALUE;
    const ErrorText* e = find_error(error);
    *str = e ? e->name : nullptr;
    return e ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

FV_API CUresult cuGetErrorString(CUresult error, const char** str)
{
    if (!str) return CUDA_ERROR_INVALID_VALUE;
    const ErrorText* e = find_error(error);
    *str = e ? e->text : nullptr;
    return e ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

// ---- global state ----------------------------------------------------------------------------------------

namespace
{
constexpr size_t kGuard = 256, kAlign = 256;
constexpr unsigned char kGuardByte = 0xA5;

struct Stream;
struct Allocation
{
    uint64_t base = 0;
    size_t size = 0, rounded = 0;
    unsigned char* raw = nullptr;
    bool pooled = false, pending_free = false;
    uint64_t serial = 0;
};

struct Task
{
    std::function<int()> run;
};

struct Stream
{
    std::mutex m;
    std::condition_variable cv, idle;
    std::deque<Task> queue;
    uint64_t enqueued = 0, completed = 0;
    bool stop = false, running = false;
    unsigned flags = 0;
    std::thread worker;
};

struct Event
{
    unsigned flags = 0;
    uint64_t recorded_gen = 0, completed_gen = 0;
    bool ever_recorded = false;
    std::chrono::steady_clock::time_point time;
};

struct KernelEntry
{
    std::string name;
    size_t param_bytes = 0, max_dynamic = 0;
    fvemu_launcher launch = nullptr;
};

struct Module
{
    std::set<std::string> names;               // entry points present in the image
    std::map<std::string, int> static_smem;    // .nv.shared.<name> sizes from the chosen cubin
    bool names_unknown = false;                // only compressed code: names cannot be read
};

struct Function
{
    Module* module = nullptr;
    const KernelEntry* kernel = nullptr;
    int static_smem = 0;
    int max_dynamic = 0;
    int carveout = -1;
};

struct Pool
{
    uint64_t release_threshold = 0, reserved_high = 0, used_high = 0;
    int reuse_follow = 1, reuse_opportunistic = 1, reuse_internal = 1;
};

struct Context
{
    int refcount = 0;
    bool active = false;
};

struct State
{
    std::mutex m; // guards everything below except the stream internals
    std::condition_variable events_cv;
    std::atomic<bool> initialized{false};
    int sm = 80;
    size_t capacity = 4ull << 30, used = 0, pool_used = 0;
    uint64_t alloc_serial = 0;
    std::map<uint64_t, Allocation> allocs; // by base address
    std::set<Stream*> streams;
    std::set<Event*> events;
    std::set<Module*> modules;
    std::set<Function*> functions;
    Stream* legacy = nullptr;
    Pool pool;
    Context ctx;
    std::atomic<int> sticky{0};
    std::mutex counts_m;
    std::map<std::string, uint64_t> counts;
};

State& S()
{
    static State* s = new State(); // never destroyed: workers may still run at exit
    return *s;
}

std::map<std::string, KernelEntry>& kernel_registry()
{
    static auto* r = new std::map<std::string, KernelEntry>();
    return *r;
}

std::mutex& kernel_mutex()
{
    static auto* m = new std::mutex();
    return *m;
}

thread_local Context* t_current = nullptr;

void log_error(const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    std::fprintf(stderr, "fvemu: ");
    std::vfprintf(stderr, fmt, ap);
    std::fputc('\n', stderr);
    va_end(ap);
}

CUresult need_init() { return S().initialized ? CUDA_SUCCESS : CUDA_ERROR_NOT_INITIALIZED; }

CUresult need_context()
{
    if (!S().initialized) return CUDA_ERROR_NOT_INITIALIZED;
    if (!t_current || !t_current->active) return CUDA_ERROR_INVALID_CONTEXT;
    return CUDA_SUCCESS;
}

#define FV_CHECK(expr)                  \
    do                                  \
    {                                   \
        CUresult _r = (expr);           \
        if (_r != CUDA_SUCCESS) return _r; \
    } while (0)

void set_sticky(int code)
{
    int expected = 0;
    S().sticky.compare_exchange_strong(expected, code);
}

// ---- guard zones -------------------------------------------------------------------------------------------

bool guards_intact(const Allocation& a)
{
    const unsigned char* before = a.raw;
    const unsigned char* after = a.raw + kGuard + a.size;
    const size_t after_len = a.rounded - a.size + kGuard;
    for (size_t i = 0; i < kGuard; i++)
        if (before[i] != kGuardByte) return false;
    for (size_t i = 0; i < after_len; i++)
        if (after[i] != kGuardByte) return false;
    return true;
}

void report_guard(const Allocation& a, const char* when)
{
    log_error("CUDA_ERROR_ILLEGAL_ADDRESS: guard zone of allocation #%llu (0x%llx, %zu bytes) overwritten (found %s)",
        (unsigned long long)a.serial, (unsigned long long)a.base, a.size, when);
}

/// Checks every live allocation's guards (caller holds S().m). Returns ILLEGAL_ADDRESS (and makes it sticky) on damage.
CUresult check_all_guards_locked(const char* when)
{
    CUresult r = CUDA_SUCCESS;
    for (auto& kv : S().allocs)
        if (!guards_intact(kv.second))
        {
            report_guard(kv.second, when);
            // Repair so that the same damage is reported once.
            std::memset(kv.second.raw, kGuardByte, kGuard);
            std::memset(kv.second.raw + kGuard + kv.second.size, kGuardByte, kv.second.rounded - kv.second.size + kGuard);
            r = CUDA_ERROR_ILLEGAL_ADDRESS;
        }
    if (r) set_sticky(r);
    return r;
}

CUresult check_all_guards(const char* when)
{
    std::lock_guard<std::mutex> g(S().m);
    return check_all_guards_locked(when);
}

/// The allocation holding [p, p + bytes) (bytes 0: p itself), or null (caller holds S().m).
Allocation* find_range_locked(uint64_t p, size_t bytes)
{
    auto& allocs = S().allocs;
    auto it = allocs.upper_bound(p);
    if (it == allocs.begin()) return nullptr;
    --it;
    Allocation& a = it->second;
    if (a.pending_free) return nullptr;
    if (p < a.base || p >= a.base + a.size) return nullptr;
    if (bytes > a.base + a.size - p) return nullptr;
    return &a;
}

bool device_range_ok(uint64_t p, size_t bytes)
{
    std::lock_guard<std::mutex> g(S().m);
    return find_range_locked(p, bytes) != nullptr;
}

// ---- streams ---------------------------------------------------------------------------------------------

void stream_worker(Stream* s)
{
    std::unique_lock<std::mutex> lk(s->m);
    for (;;)
    {
        s->cv.wait(lk, [&] { return s->stop || !s->queue.empty(); });
        if (s->queue.empty() && s->stop) return;
        Task t = std::move(s->queue.front());
        s->queue.pop_front();
        s->running = true;
        lk.unlock();
        int r = CUDA_SUCCESS;
        // After a fault the context is unusable, as on a GPU: queued work is dropped.
        if (S().sticky.load() == 0) r = t.run();
        if (r != CUDA_SUCCESS) set_sticky(r);
        lk.lock();
        s->running = false;
        s->completed++;
        s->idle.notify_all();
        S().events_cv.notify_all();
    }
}

Stream* new_stream(unsigned flags)
{
    auto* s = new Stream();
    s->flags = flags;
    s->worker = std::thread(stream_worker, s);
    return s;
}

void stream_wait(Stream* s)
{
    std::unique_lock<std::mutex> lk(s->m);
    const uint64_t target = s->enqueued;
    s->idle.wait(lk, [&] { return s->completed >= target; });
}

void enqueue(Stream* s, std::function<int()> f)
{
    std::lock_guard<std::mutex> lk(s->m);
    s->queue.push_back(Task{std::move(f)});
    s->enqueued++;
    s->cv.notify_one();
}

/// Resolves a CUstream: 0 (legacy) and 2 (CU_STREAM_PER_THREAD) are the default stream.
CUresult resolve_stream(void* h, Stream** out)
{
    if (h == nullptr || (uintptr_t)h == 1 || (uintptr_t)h == 2)
    {
        *out = S().legacy;
        return CUDA_SUCCESS;
    }
    std::lock_guard<std::mutex> g(S().m);
    if (!S().streams.count((Stream*)h)) return CUDA_ERROR_INVALID_HANDLE;
    *out = (Stream*)h;
    return CUDA_SUCCESS;
}

std::vector<Stream*> all_streams()
{
    std::lock_guard<std::mutex> g(S().m);
    std::vector<Stream*> v(S().streams.begin(), S().streams.end());
    v.push_back(S().legacy);
    return v;
}

void wait_all_streams()
{
    for (Stream* s : all_streams()) stream_wait(s);
}

size_t round_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

CUresult allocate(size_t bytes, bool pooled, uint64_t* out)
{
    if (bytes == 0) return CUDA_ERROR_INVALID_VALUE;
    const size_t rounded = round_up(bytes);
    if (rounded < bytes) return CUDA_ERROR_OUT_OF_MEMORY;
    {
        std::lock_guard<std::mutex> g(S().m);
        if (rounded > S().capacity - S().used) return CUDA_ERROR_OUT_OF_MEMORY;
        S().used += rounded; // reserve before the (slow) poisoning
    }
    auto* raw = (unsigned char*)std::aligned_alloc(kAlign, kGuard + rounded + kGuard);
    if (!raw)
    {
        std::lock_guard<std::mutex> g(S().m);
        S().used -= rounded;
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    std::memset(raw, kGuardByte, kGuard);
    std::memset(raw + kGuard, 0xFF, bytes);
    std::memset(raw + kGuard + bytes, kGuardByte, rounded - bytes + kGuard);
    Allocation a;
    a.raw = raw;
    a.base = (uint64_t)(uintptr_t)(raw + kGuard);
    a.size = bytes;
    a.rounded = rounded;
    a.pooled = pooled;
    std::lock_guard<std::mutex> g(S().m);
    a.serial = ++S().alloc_serial;
    if (pooled)
    {
        S().pool_used += rounded;
        S().pool.used_high = std::max<uint64_t>(S().pool.used_high, S().pool_used);
        S().pool.reserved_high = std::max<uint64_t>(S().pool.reserved_high, S().pool_used);
    }
    S().allocs[a.base] = a;
    *out = a.base;
    return CUDA_SUCCESS;
}

/// Releases an allocation already validated (caller holds S().m). Checks its guards first.
CUresult release_locked(std::map<uint64_t, Allocation>::iterator it)
{
    Allocation a = it->second;
    S().allocs.erase(it);
    CUresult r = CUDA_SUCCESS;
    if (!guards_intact(a))
    {
        report_guard(a, "when it was freed");
        r = CUDA_ERROR_ILLEGAL_ADDRESS;
        set_sticky(r);
    }
    S().used -= a.rounded;
    if (a.pooled) S().pool_used -= a.rounded;
    std::free(a.raw);
    return r;
}

CUresult sync_result(CUresult guard)
{
    int st = S().sticky.load();
    if (st) return st;
    return guard;
}
} // namespace

// ---- exported helpers for the other stand-ins ---------------------------------------------------------------

FV_API void* fvemu_device_ptr(uint64_t dptr, size_t bytes, int* error)
{
    if (!S().initialized)
    {
        if (error) *error = CUDA_ERROR_NOT_INITIALIZED;
        return nullptr;
    }
    if (!device_range_ok(dptr, bytes))
    {
        if (error) *error = CUDA_ERROR_INVALID_VALUE;
        return nullptr;
    }
    if (error) *error = CUDA_SUCCESS;
    return (void*)(uintptr_t)dptr;
}

FV_API int fvemu_stream_enqueue_c(void* stream, int (*fn)(void*), void* arg)
{
    FV_CHECK(need_context());
    if (!fn) return CUDA_ERROR_INVALID_VALUE;
    if (int st = S().sticky.load()) return st;
    Stream* s;
    FV_CHECK(resolve_stream(stream, &s));
    enqueue(s, [fn, arg] { return fn(arg); });
    return CUDA_SUCCESS;
}

// The hook the cuBLASLt stand-in binds to (by name, from libcuda.so.1): work without a result of its own.
FV_API int fvemu_stream_enqueue(void* stream, void (*fn)(void*), void* arg)
{
    FV_CHECK(need_context());
    if (!fn) return CUDA_ERROR_INVALID_VALUE;
    if (int st = S().sticky.load()) return st;
    Stream* s;
    FV_CHECK(resolve_stream(stream, &s));
    enqueue(s, [fn, arg] { fn(arg); return (int)CUDA_SUCCESS; });
    return CUDA_SUCCESS;
}

FV_API void fvemu_kernel_lock(void) { kernel_mutex().lock(); }
FV_API void fvemu_kernel_unlock(void) { kernel_mutex().unlock(); }

FV_API void fvemu_count_launch(const char* name)
{
    std::lock_guard<std::mutex> g(S().counts_m);
    S().counts[name ? name : "?"]++;
}

FV_API int fvemu_kernel_launch_counts(char* buf, int size)
{
    std::string out;
    {
        std::lock_guard<std::mutex> g(S().counts_m);
        for (auto& kv : S().counts) out += kv.first + " " + std::to_string(kv.second) + "\n";
    }
    if (buf && size > 0)
    {
        size_t n = std::min(out.size(), (size_t)size - 1);
        std::memcpy(buf, out.data(), n);
        buf[n] = 0;
    }
    return (int)out.size();
}

FV_API void fvemu_reset_launch_counts(void)
{
    std::lock_guard<std::mutex> g(S().counts_m);
    S().counts.clear();
}

extern "C" void fvemu_register_kernel(const char* name, size_t param_bytes, fvemu_launcher launch, size_t max_dynamic_smem)
{
    KernelEntry e;
    e.name = name;
    e.param_bytes = param_bytes;
    e.launch = launch;
    e.max_dynamic = max_dynamic_smem;
    kernel_registry()[name] = e;
}

// ---- initialisation, device ----------------------------------------------------------------------------------

namespace
{
int optin_smem() { return S().sm >= 90 ? 227 * 1024 : 163 * 1024; }
} // namespace

FV_API CUresult cuInit(unsigned flags)
{
    if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
    static std::once_flag once;
    std::call_once(once, [] {
        State& s = S();
        if (const char* sm = std::getenv("FASTVIDEO_CUDA_EMULATOR_SM")) s.sm = std::atoi(sm) >= 90 ? 90 : 80;
        if (const char* mem = std::getenv("FASTVIDEO_CUDA_EMULATOR_MEMORY"))
        {
            unsigned long long v = std::strtoull(mem, nullptr, 0);
            if (v > 0) s.capacity = (size_t)v;
        }
        s.legacy = new_stream(0);
        s.initialized = true;
    });
    return CUDA_SUCCESS;
}

FV_API CUresult cuDriverGetVersion(int* version)
{
    if (!version) return CUDA_ERROR_INVALID_VALUE;
    *version = 12040;
    return CUDA_SUCCESS;
}

FV_API CUresult cuDeviceGetCount(int* count)
{
    FV_CHECK(need_init());
    if (!count) return CUDA_ERROR_INVALID_VALUE;
    *count = 1;
    return CUDA_SUCCESS;
}

FV_API CUresult cuDeviceGet(CUdevice* device, int ordinal)
{
    FV_CHECK(need_init());
    if (!device) return CUDA_ERROR_INVALID_VALUE;
    if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
    *device = 0;
    return CUDA_SUCCESS;
}

FV_API CUresult cuDeviceGetName(char* name, int length, CUdevice device)
{
    FV_CHECK(need_init());
    if (!name || length <= 0) return CUDA_ERROR_INVALID_VALUE;
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    std::snprintf(name, (size_t)length, "FastVideo CPU emulator (sm_%d)", S().sm);
    return CUDA_SUCCESS;
}

FV_API CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice device)
{
    FV_CHECK(need_init());
    if (!bytes) return CUDA_ERROR_INVALID_VALUE;
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    *bytes = S().capacity;
    return CUDA_SUCCESS;
}

FV_API CUresult cuDeviceGetAttribute(int* value, int attribute, CUdevice device)
{
    FV_CHECK(need_init());
    if (!value) return CUDA_ERROR_INVALID_VALUE;
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    const bool h = S().sm >= 90;
    int v = 0;
    switch (attribute)
    {
    case 1: v = 1024; break;                         // MAX_THREADS_PER_BLOCK
    case 2: v = 1024; break;                         // MAX_BLOCK_DIM_X
    case 3: v = 1024; break;                         // MAX_BLOCK_DIM_Y
    case 4: v = 64; break;                           // MAX_BLOCK_DIM_Z
    case 5: v = 2147483647; break;                   // MAX_GRID_DIM_X
    case 6: v = 65535; break;                        // MAX_GRID_DIM_Y
    case 7: v = 65535; break;                        // MAX_GRID_DIM_Z
    case 8: v = 48 * 1024; break;                    // MAX_SHARED_MEMORY_PER_BLOCK
    case 9: v = 65536; break;                        // TOTAL_CONSTANT_MEMORY
    case 10: v = 32; break;                          // WARP_SIZE
    case 11: v = 2147483647; break;                  // MAX_PITCH
    case 12: v = 65536; break;                       // MAX_REGISTERS_PER_BLOCK
    case 13: v = h ? 1980000 : 1410000; break;       // CLOCK_RATE (kHz)
    case 14: v = 512; break;                         // TEXTURE_ALIGNMENT
    case 15: v = 1; break;                           // GPU_OVERLAP
    case 16: v = 8; break;                           // MULTIPROCESSOR_COUNT
    case 17: v = 0; break;                           // KERNEL_EXEC_TIMEOUT
    case 18: v = 0; break;                           // INTEGRATED
    case 19: v = 1; break;                           // CAN_MAP_HOST_MEMORY
    case 20: v = 0; break;                           // COMPUTE_MODE (default)
    case 30: v = 512; break;                         // SURFACE_ALIGNMENT
    case 31: v = 1; break;                           // CONCURRENT_KERNELS
    case 32: v = 0; break;                           // ECC_ENABLED
    case 36: v = h ? 2619000 : 1215000; break;       // MEMORY_CLOCK_RATE (kHz)
    case 37: v = 5120; break;                        // GLOBAL_MEMORY_BUS_WIDTH
    case 38: v = h ? 50 * 1024 * 1024 : 40 * 1024 * 1024; break; // L2_CACHE_SIZE
    case 39: v = 2048; break;                        // MAX_THREADS_PER_MULTIPROCESSOR
    case 40: v = 2; break;                           // ASYNC_ENGINE_COUNT
    case 41: v = 1; break;                           // UNIFIED_ADDRESSING
    case 75: v = S().sm / 10; break;                 // COMPUTE_CAPABILITY_MAJOR
    case 76: v = 0; break;                           // COMPUTE_CAPABILITY_MINOR
    case 78: v = 1; break;                           // STREAM_PRIORITIES_SUPPORTED
    case 79: v = 1; break;                           // GLOBAL_L1_CACHE_SUPPORTED
    case 80: v = 1; break;                           // LOCAL_L1_CACHE_SUPPORTED
    case 81: v = h ? 228 * 1024 : 164 * 1024; break; // MAX_SHARED_MEMORY_PER_MULTIPROCESSOR
    case 82: v = 65536; break;                       // MAX_REGISTERS_PER_MULTIPROCESSOR
    case 83: v = 1; break;                           // MANAGED_MEMORY
    case 84: v = 0; break;                           // MULTI_GPU_BOARD
    case 86: v = 2; break;                           // SINGLE_TO_DOUBLE_PRECISION_PERF_RATIO
    case 88: v = 1; break;                           // CONCURRENT_MANAGED_ACCESS
    case 95: v = 1; break;                           // COOPERATIVE_LAUNCH
    case 97: v = optin_smem(); break;                // MAX_SHARED_MEMORY_PER_BLOCK_OPTIN
    case 106: v = 32; break;                         // MAX_BLOCKS_PER_MULTIPROCESSOR
    case 111: v = 1024; break;                       // RESERVED_SHARED_MEMORY_PER_BLOCK
    case 115: v = 1; break;                          // MEMORY_POOLS_SUPPORTED
    case 120: v = h ? 1 : 0; break;                  // CLUSTER_LAUNCH
    default:
        if (attribute < 1 || attribute > 140) return CUDA_ERROR_INVALID_VALUE; // beyond CU_DEVICE_ATTRIBUTE_MAX
        v = 0; // texture/surface limits, PCI ids, ...: not meaningful here
    }
    *value = v;
    return CUDA_SUCCESS;
}

// ---- contexts --------------------------------------------------------------------------------------------

FV_API CUresult cuDevicePrimaryCtxRetain(void** ctx, CUdevice device)
{
    FV_CHECK(need_init());
    if (!ctx) return CUDA_ERROR_INVALID_VALUE;
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    std::lock_guard<std::mutex> g(S().m);
    S().ctx.refcount++;
    S().ctx.active = true;
    *ctx = &S().ctx;
    return CUDA_SUCCESS;
}

FV_API CUresult cuDevicePrimaryCtxRelease_v2(CUdevice device)
{
    FV_CHECK(need_init());
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    std::lock_guard<std::mutex> g(S().m);
    if (S().ctx.refcount <= 0) return CUDA_ERROR_INVALID_CONTEXT;
    if (--S().ctx.refcount == 0) S().ctx.active = false; // memory and handles stay (the process is ending)
    return CUDA_SUCCESS;
}

FV_API CUresult cuCtxSetCurrent(void* ctx)
{
    FV_CHECK(need_init());
    if (ctx == nullptr)
    {
        t_current = nullptr;
        return CUDA_SUCCESS;
    }
    if (ctx != &S().ctx) return CUDA_ERROR_INVALID_CONTEXT;
    t_current = (Context*)ctx;
    return CUDA_SUCCESS;
}

FV_API CUresult cuCtxGetCurrent(void** ctx)
{
    FV_CHECK(need_init());
    if (!ctx) return CUDA_ERROR_INVALID_VALUE;
    *ctx = t_current;
    return CUDA_SUCCESS;
}

FV_API CUresult cuCtxSynchronize()
{
    FV_CHECK(need_context());
    wait_all_streams();
    return sync_result(check_all_guards("at cuCtxSynchronize"));
}

// ---- streams and events --------------------------------------------------------------------------------------

FV_API CUresult cuStreamCreate(void** stream, unsigned flags)
{
    FV_CHECK(need_context());
    if (!stream || (flags & ~1u)) return CUDA_ERROR_INVALID_VALUE;
    Stream* s = new_stream(flags);
    std::lock_guard<std::mutex> g(S().m);
    S().streams.insert(s);
    *stream = s;
    return CUDA_SUCCESS;
}

FV_API CUresult cuStreamDestroy_v2(void* stream)
{
    FV_CHECK(need_context());
    {
        std::lock_guard<std::mutex> g(S().m);
        if (!S().streams.erase((Stream*)stream)) return CUDA_ERROR_INVALID_HANDLE;
    }
    // Like the driver: returns at once; queued work still runs, then the stream's resources go.
    Stream* s = (Stream*)stream;
    std::thread([s] {
        {
            std::lock_guard<std::mutex> lk(s->m);
            s->stop = true;
            s->cv.notify_all();
        }
        s->worker.join();
        delete s;
    }).detach();
    return CUDA_SUCCESS;
}

FV_API CUresult cuStreamSynchronize(void* stream)
{
    FV_CHECK(need_context());
    Stream* s;
    FV_CHECK(resolve_stream(stream, &s));
    stream_wait(s);
    return sync_result(check_all_guards("at cuStreamSynchronize"));
}

FV_API CUresult cuStreamQuery(void* stream)
{
    FV_CHECK(need_context());
    Stream* s;
    FV_CHECK(resolve_stream(stream, &s));
    std::lock_guard<std::mutex> lk(s->m);
    if (int st = S().sticky.load()) return st;
    return s->completed >= s->enqueued ? CUDA_SUCCESS : CUDA_ERROR_NOT_READY;
}

FV_API CUresult cuEventCreate(void** evt, unsigned flags)
{
    FV_CHECK(need_context());
    if (!evt || (flags & ~0xFu)) return CUDA_ERROR_INVALID_VALUE;
    auto* e = new Event();
    e->flags = flags;
    std::lock_guard<std::mutex> g(S().m);
    S().events.insert(e);
    *evt = e;
    return CUDA_SUCCESS;
}

FV_API CUresult cuEventDestroy_v2(void* evt)
{
    FV_CHECK(need_context());
    std::lock_guard<std::mutex> g(S().m);
    if (!S().events.erase((Event*)evt)) return CUDA_ERROR_INVALID_HANDLE;
    // Pending records still write to it: keep the (small) object alive.
    return CUDA_SUCCESS;
}

FV_API CUresult cuEventRecord(void* evt, void* stream)
{
    FV_CHECK(need_context());
    Stream* s;
    FV_CHECK(resolve_stream(stream, &s));
    Event* e = (Event*)evt;
    uint64_t gen;
    {
        std::lock_guard<std::mutex> g(S().m);
        if (!S().events.count(e)) return CUDA_ERROR_INVALID_HANDLE;
        gen = ++e->recorded_gen;
        e->ever_recorded = true;
    }
    enqueue(s, [e, gen] {
        std::lock_guard<std::mutex> g(S().m);
        e->time = std::chrono::steady_clock::now();
        e->completed_gen = std::max(e->completed_gen, gen);
        S().events_cv.notify_all();
        return CUDA_SUCCESS;
    });
    return CUDA_SUCCESS;
}

FV_API CUresult cuEventQuery(void* evt)
{
    FV_CHECK(need_context());
    std::lock_guard<std::mutex> g(S().m);
    Event* e = (Event*)evt;
    if (!S().events.count(e)) return CUDA_ERROR_INVALID_HANDLE;
    return e->completed_gen >= e->recorded_gen ? CUDA_SUCCESS : CUDA_ERROR_NOT_READY;
}

FV_API CUresult cuEventSynchronize(void* evt)
{
    FV_CHECK(need_context());
    Event* e = (Event*)evt;
    {
        std::unique_lock<std::mutex> g(S().m);
        if (!S().events.count(e)) return CUDA_ERROR_INVALID_HANDLE;
        const uint64_t target = e->recorded_gen;
        // A stream whose worker drops work after a fault still completes the record (it counts as done).
        S().events_cv.wait(g, [&] { return e->completed_gen >= target || S().sticky.load() != 0; });
    }
    return sync_result(CUDA_SUCCESS);
}

FV_API CUresult cuEventElapsedTime(float* ms, void* start, void* end)
{
    FV_CHECK(need_context());
    if (!ms) return CUDA_ERROR_INVALID_VALUE;
    std::lock_guard<std::mutex> g(S().m);
    Event *a = (Event*)start, *b = (Event*)end;
    if (!S().events.count(a) || !S().events.count(b)) return CUDA_ERROR_INVALID_HANDLE;
    if ((a->flags & 2) || (b->flags & 2)) return CUDA_ERROR_INVALID_HANDLE; // CU_EVENT_DISABLE_TIMING
    if (!a->ever_recorded || !b->ever_recorded) return CUDA_ERROR_INVALID_HANDLE;
    if (a->completed_gen < a->recorded_gen || b->completed_gen < b->recorded_gen) return CUDA_ERROR_NOT_READY;
    *ms = std::chrono::duration<float, std::milli>(b->time - a->time).count();
    return CUDA_SUCCESS;
}

// ---- memory ------------------------------------------------------------------------------------------------

FV_API CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t bytes)
{
    FV_CHECK(need_context());
    if (!p) return CUDA_ERROR_INVALID_VALUE;
    uint64_t a;
    FV_CHECK(allocate(bytes, false, &a));
    *p = a;
    return CUDA_SUCCESS;
}

FV_API CUresult cuMemFree_v2(CUdeviceptr p)
{
    FV_CHECK(need_context());
    if (p == 0) return CUDA_SUCCESS;
    {
        std::lock_guard<std::mutex> g(S().m);
        auto it = S().allocs.find(p);
        if (it == S().allocs.end() || it->second.pending_free)
        {
            log_error("cuMemFree of 0x%llx: not a live allocation (double free, or not from cuMemAlloc)", (unsigned long long)p);
            return CUDA_ERROR_INVALID_VALUE;
        }
        it->second.pending_free = true; // no new work may use it
    }
    wait_all_streams(); // cuMemFree synchronises: work already queued may still use the memory
    std::lock_guard<std::mutex> g(S().m);
    return release_locked(S().allocs.find(p));
}

FV_API CUresult cuMemAllocAsync(CUdeviceptr* p, size_t bytes, void* stream)
{
    FV_CHECK(need_context());
    if (!p) return CUDA_ERROR_INVALID_VALUE;
    Stream* s;
    FV_CHECK(resolve_stream(stream, &s));
    uint64_t a;
    FV_CHECK(allocate(bytes, true, &a)); // fresh memory: nothing earlier in the stream can touch it
    *p = a;
    return CUDA_SUCCESS;
}

FV_API CUresult cuMemFreeAsync(CUdeviceptr p, void* stream)
{
    FV_CHECK(need_context());
    Stream* s;
    FV_CHECK(resolve_stream(stream, &s));
    {
        std::lock_guard<std::mutex> g(S().m);
        auto it = S().allocs.find(p);
        if (p == 0 || it == S().allocs.end() || it->second.pending_free)
        {
            log_error("cuMemFreeAsync of 0x%llx: not a live allocation (double free, or not from cuMemAlloc)", (unsigned long long)p);
            return CUDA_ERROR_INVALID_VALUE;
        }
        it->second.pending_free = true;
    }
    enqueue(s, [p] {
        std::lock_guard<std::mutex> g(S().m);
        auto it = S().allocs.find(p);
        return it == S().allocs.end() ? CUDA_SUCCESS : release_locked(it);
    });
    return CUDA_SUCCESS;
}

FV_API CUresult cuDeviceGetDefaultMemPool(void** pool, CUdevice device)
{
    FV_CHECK(need_init());
    if (!pool) return CUDA_ERROR_INVALID_VALUE;
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    *pool = &S().pool;
    return CUDA_SUCCESS;
}

FV_API CUresult cuMemPoolSetAttribute(void* pool, int attribute, void* value)
{
    FV_CHECK(need_init());
    if (pool != &S().pool) return CUDA_ERROR_INVALID_HANDLE;
    if (!value) return CUDA_ERROR_INVALID_VALUE;
    std::lock_guard<std::mutex> g(S().m);
    Pool& P = S().pool;
    switch (attribute)
    {
    case 1: P.reuse_follow = *(int*)value; return CUDA_SUCCESS;        // REUSE_FOLLOW_EVENT_DEPENDENCIES
    case 2: P.reuse_opportunistic = *(int*)value; return CUDA_SUCCESS; // REUSE_ALLOW_OPPORTUNISTIC
    case 3: P.reuse_internal = *(int*)value; return CUDA_SUCCESS;      // REUSE_ALLOW_INTERNAL_DEPENDENCIES
    case 4: P.release_threshold = *(uint64_t*)value; return CUDA_SUCCESS; // RELEASE_THRESHOLD
    case 6: // RESERVED_MEM_HIGH: may only be reset to 0
        if (*(uint64_t*)value != 0) return CUDA_ERROR_INVALID_VALUE;
        P.reserved_high = S().pool_used;
        return CUDA_SUCCESS;
    case 8: // USED_MEM_HIGH
        if (*(uint64_t*)value != 0) return CUDA_ERROR_INVALID_VALUE;
        P.used_high = S().pool_used;
        return CUDA_SUCCESS;
    default: return CUDA_ERROR_INVALID_VALUE; // 5, 7 are read-only
    }
}

FV_API CUresult cuMemPoolGetAttribute(void* pool, int attribute, void* value)
{
    FV_CHECK(need_init());
    if (pool != &S().pool) return CUDA_ERROR_INVALID_HANDLE;
    if (!value) return CUDA_ERROR_INVALID_VALUE;
    std::lock_guard<std::mutex> g(S().m);
    Pool& P = S().pool;
    switch (attribute)
    {
    case 1: *(int*)value = P.reuse_follow; return CUDA_SUCCESS;
    case 2: *(int*)value = P.reuse_opportunistic; return CUDA_SUCCESS;
    case 3: *(int*)value = P.reuse_internal; return CUDA_SUCCESS;
    case 4: *(uint64_t*)value = P.release_threshold; return CUDA_SUCCESS;
    case 5: *(uint64_t*)value = S().pool_used; return CUDA_SUCCESS; // RESERVED_MEM_CURRENT (no caching here)
    case 6: *(uint64_t*)value = P.reserved_high; return CUDA_SUCCESS;
    case 7: *(uint64_t*)value = S().pool_used; return CUDA_SUCCESS; // USED_MEM_CURRENT
    case 8: *(uint64_t*)value = P.used_high; return CUDA_SUCCESS;
    default: return CUDA_ERROR_INVALID_VALUE;
    }
}

FV_API CUresult cuMemPoolTrimTo(void* pool, size_t)
{
    FV_CHECK(need_init());
    if (pool != &S().pool) return CUDA_ERROR_INVALID_HANDLE;
    return CUDA_SUCCESS; // freed pool memory goes back at once: nothing cached to trim
}

FV_API CUresult cuMemGetInfo_v2(size_t* free_bytes, size_t* total)
{
    FV_CHECK(need_context());
    if (!free_bytes || !total) return CUDA_ERROR_INVALID_VALUE;
    std::lock_guard<std::mutex> g(S().m);
    *total = S().capacity;
    *free_bytes = S().capacity - S().used;
    return CUDA_SUCCESS;
}

// ---- copies and fills ------------------------------------------------------------------------------------

namespace
{
CUresult check_dev(CUdeviceptr p, size_t bytes, const char* call, const char* what)
{
    if (device_range_ok(p, bytes)) return CUDA_SUCCESS;
    log_error("%s: %s range 0x%llx + %zu bytes is not inside one live allocation", call, what, (unsigned long long)p, bytes);
    return CUDA_ERROR_INVALID_VALUE;
}

CUresult begin_async(void* stream, Stream** s)
{
    FV_CHECK(need_context());
    if (int st = S().sticky.load()) return st;
    return resolve_stream(stream, s);
}

/// Runs f on the legacy stream and waits for it (the synchronous copies).
CUresult run_sync(std::function<int()> f)
{
    Stream* s = S().legacy;
    enqueue(s, std::move(f));
    stream_wait(s);
    return sync_result(CUDA_SUCCESS);
}
} // namespace

FV_API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t bytes, void* stream)
{
    Stream* s;
    FV_CHECK(begin_async(stream, &s));
    if (bytes == 0) return CUDA_SUCCESS;
    if (!src) return CUDA_ERROR_INVALID_VALUE;
    FV_CHECK(check_dev(dst, bytes, "cuMemcpyHtoDAsync", "destination"));
    // Pageable source: staged now, so the caller may reuse it at once (as the driver does).
    auto staged = std::make_shared<std::vector<unsigned char>>((const unsigned char*)src, (const unsigned char*)src + bytes);
    enqueue(s, [dst, staged] {
        std::memcpy((void*)(uintptr_t)dst, staged->data(), staged->size());
        return CUDA_SUCCESS;
    });
    return CUDA_SUCCESS;
}

FV_API CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t bytes, void* stream)
{
    Stream* s;
    FV_CHECK(begin_async(stream, &s));
    if (bytes == 0) return CUDA_SUCCESS;
    if (!dst) return CUDA_ERROR_INVALID_VALUE;
    FV_CHECK(check_dev(src, bytes, "cuMemcpyDtoHAsync", "source"));
    enqueue(s, [dst, src, bytes] {
        std::memcpy(dst, (const void*)(uintptr_t)src, bytes);
        return CUDA_SUCCESS;
    });
    return CUDA_SUCCESS;
}

FV_API CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes, void* stream)
{
    Stream* s;
    FV_CHECK(begin_async(stream, &s));
    if (bytes == 0) return CUDA_SUCCESS;
    FV_CHECK(check_dev(dst, bytes, "cuMemcpyDtoDAsync", "destination"));
    FV_CHECK(check_dev(src, bytes, "cuMemcpyDtoDAsync", "source"));
    enqueue(s, [dst, src, bytes] {
        std::memmove((void*)(uintptr_t)dst, (const void*)(uintptr_t)src, bytes);
        return CUDA_SUCCESS;
    });
    return CUDA_SUCCESS;
}

FV_API CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t bytes)
{
    FV_CHECK(need_context());
    if (int st = S().sticky.load()) return st;
    if (bytes == 0) return CUDA_SUCCESS;
    if (!src) return CUDA_ERROR_INVALID_VALUE;
    FV_CHECK(check_dev(dst, bytes, "cuMemcpyHtoD", "destination"));
    return run_sync([dst, src, bytes] {
        std::memcpy((void*)(uintptr_t)dst, src, bytes);
        return CUDA_SUCCESS;
    });
}

FV_API CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t bytes)
{
    FV_CHECK(need_context());
    if (int st = S().sticky.load()) return st;
    if (bytes == 0) return CUDA_SUCCESS;
    if (!dst) return CUDA_ERROR_INVALID_VALUE;
    FV_CHECK(check_dev(src, bytes, "cuMemcpyDtoH", "source"));
    return run_sync([dst, src, bytes] {
        std::memcpy(dst, (const void*)(uintptr_t)src, bytes);
        return CUDA_SUCCESS;
    });
}

FV_API CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes)
{
    FV_CHECK(need_context());
    if (int st = S().sticky.load()) return st;
    if (bytes == 0) return CUDA_SUCCESS;
    FV_CHECK(check_dev(dst, bytes, "cuMemcpyDtoD", "destination"));
    FV_CHECK(check_dev(src, bytes, "cuMemcpyDtoD", "source"));
    // Device-to-device copies are asynchronous with respect to the host (driver API docs).
    enqueue(S().legacy, [dst, src, bytes] {
        std::memmove((void*)(uintptr_t)dst, (const void*)(uintptr_t)src, bytes);
        return CUDA_SUCCESS;
    });
    return CUDA_SUCCESS;
}

struct CUDA_MEMCPY2D_st
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

FV_API CUresult cuMemcpy2DAsync_v2(const CUDA_MEMCPY2D_st* c, void* stream)
{
    Stream* s;
    FV_CHECK(begin_async(stream, &s));
    if (!c) return CUDA_ERROR_INVALID_VALUE;
    const size_t w = c->WidthInBytes, h = c->Height;
    if (w == 0 || h == 0) return CUDA_SUCCESS;
    if (h > 1 && (c->srcPitch < w + c->srcXInBytes || c->dstPitch < w + c->dstXInBytes)) return CUDA_ERROR_INVALID_VALUE;
    auto side = [&](int type, const void* host, CUdeviceptr dev, size_t x, size_t y, size_t pitch, const char* what,
                    unsigned char** out) -> CUresult {
        const size_t offset = y * pitch + x, span = (h - 1) * pitch + w;
        if (type == 4) type = device_range_ok(dev, 0) ? 2 : 1; // CU_MEMORYTYPE_UNIFIED
        if (type == 1) // host
        {
            if (!host) return CUDA_ERROR_INVALID_VALUE;
            *out = (unsigned char*)host + offset;
            return CUDA_SUCCESS;
        }
        if (type == 2) // device
        {
            FV_CHECK(check_dev(dev + offset, span, "cuMemcpy2DAsync", what));
            *out = (unsigned char*)(uintptr_t)(dev + offset);
            return CUDA_SUCCESS;
        }
        return CUDA_ERROR_INVALID_VALUE; // arrays: not emulated
    };
    unsigned char *src, *dst;
    FV_CHECK(side(c->srcMemoryType, c->srcHost, c->srcDevice, c->srcXInBytes, c->srcY, c->srcPitch, "source", &src));
    FV_CHECK(side(c->dstMemoryType, c->dstHost, c->dstDevice, c->dstXInBytes, c->dstY, c->dstPitch, "destination", &dst));
    const size_t sp = c->srcPitch, dp = c->dstPitch;
    std::shared_ptr<std::vector<unsigned char>> staged;
    if (c->srcMemoryType == 1)
    {
        staged = std::make_shared<std::vector<unsigned char>>(w * h);
        for (size_t r = 0; r < h; r++) std::memcpy(staged->data() + r * w, src + r * sp, w);
    }
    enqueue(s, [=] {
        for (size_t r = 0; r < h; r++)
            std::memmove(dst + r * dp, staged ? staged->data() + r * w : src + r * sp, w);
        return CUDA_SUCCESS;
    });
    return CUDA_SUCCESS;
}

namespace
{
template <typename T> CUresult memset_async(const char* call, CUdeviceptr dst, T value, size_t count, void* stream)
{
    Stream* s;
    FV_CHECK(begin_async(stream, &s));
    if (count == 0) return CUDA_SUCCESS;
    if (dst % sizeof(T)) return CUDA_ERROR_INVALID_VALUE;
    if (count > SIZE_MAX / sizeof(T)) return CUDA_ERROR_INVALID_VALUE;
    FV_CHECK(check_dev(dst, count * sizeof(T), call, "destination"));
    enqueue(s, [dst, value, count] {
        T* p = (T*)(uintptr_t)dst;
        if (sizeof(T) == 1) std::memset(p, (int)value, count);
        else std::fill(p, p + count, value);
        return CUDA_SUCCESS;
    });
    return CUDA_SUCCESS;
}
} // namespace

FV_API CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char v, size_t n, void* stream) { return memset_async<uint8_t>("cuMemsetD8Async", dst, v, n, stream); }
FV_API CUresult cuMemsetD16Async(CUdeviceptr dst, unsigned short v, size_t n, void* stream) { return memset_async<uint16_t>("cuMemsetD16Async", dst, v, n, stream); }
FV_API CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned v, size_t n, void* stream) { return memset_async<uint32_t>("cuMemsetD32Async", dst, v, n, stream); }

FV_API CUresult cuMemsetD2D32Async(CUdeviceptr dst, size_t pitch, unsigned value, size_t width, size_t height, void* stream)
{
    Stream* s;
    FV_CHECK(begin_async(stream, &s));
    if (width == 0 || height == 0) return CUDA_SUCCESS;
    if (dst % 4 || (height > 1 && pitch < width * 4)) return CUDA_ERROR_INVALID_VALUE;
    FV_CHECK(check_dev(dst, (height - 1) * pitch + width * 4, "cuMemsetD2D32Async", "destination"));
    enqueue(s, [=] {
        for (size_t r = 0; r < height; r++)
        {
            uint32_t* p = (uint32_t*)(uintptr_t)(dst + r * pitch);
            std::fill(p, p + width, value);
        }
        return CUDA_SUCCESS;
    });
    return CUDA_SUCCESS;
}

// ---- modules ---------------------------------------------------------------------------------------------

namespace
{
/// Reads the kernels of a CUDA ELF: sections ".text.<name>" and the static shared memory ".nv.shared.<name>".
bool parse_elf(const unsigned char* d, size_t n, Module& m, int* arch)
{
    if (n < 64 || std::memcmp(d, "\x7f" "ELF", 4) != 0 || d[4] != 2) return false;
    uint16_t machine;
    std::memcpy(&machine, d + 18, 2);
    if (machine != 190) return false; // EM_CUDA
    uint32_t flags;
    std::memcpy(&flags, d + 48, 4);
    int a = (int)(flags & 0xff);
    if (a < 20 || a > 130) a = (int)((flags >> 8) & 0xff);
    *arch = a;
    uint64_t shoff;
    uint16_t shentsize, shnum, shstrndx;
    std::memcpy(&shoff, d + 40, 8);
    std::memcpy(&shentsize, d + 58, 2);
    std::memcpy(&shnum, d + 60, 2);
    std::memcpy(&shstrndx, d + 62, 2);
    if (shentsize < 64 || shstrndx >= shnum || shoff > n || (uint64_t)shnum * shentsize > n - shoff) return false;
    auto sec = [&](int i) { return d + shoff + (size_t)i * shentsize; };
    uint64_t stroff, strsize;
    std::memcpy(&stroff, sec(shstrndx) + 24, 8);
    std::memcpy(&strsize, sec(shstrndx) + 32, 8);
    if (stroff > n || strsize > n - stroff) return false;
    for (int i = 0; i < shnum; i++)
    {
        uint32_t name;
        uint64_t size;
        std::memcpy(&name, sec(i), 4);
        std::memcpy(&size, sec(i) + 32, 8);
        if (name >= strsize) continue;
        const char* s = (const char*)d + stroff + name;
        const size_t maxlen = strsize - name;
        std::string sn(s, strnlen(s, maxlen));
        if (sn.rfind(".text.", 0) == 0) m.names.insert(sn.substr(6));
        else if (sn.rfind(".nv.shared.", 0) == 0 && sn.rfind(".nv.shared.reserved", 0) != 0) m.static_smem[sn.substr(11)] = (int)size;
    }
    return true;
}

/// PTX: ".entry <name>" lines; the target must not be newer than the device.
CUresult parse_ptx(const char* text, size_t n, Module& m, std::string& log)
{
    std::string t(text, n);
    if (t.find(".version") == std::string::npos || t.find(".target") == std::string::npos)
    {
        log = "ptxas fatal   : Unexpected end of file or no .version/.target directive (not PTX)";
        return CUDA_ERROR_INVALID_PTX;
    }
    size_t tp = t.find(".target");
    int target = 0;
    std::sscanf(t.c_str() + tp, ".target sm_%d", &target);
    if (target > S().sm)
    {
        log = "ptxas fatal   : SM version specified by .target is higher than default SM version assumed";
        return CUDA_ERROR_INVALID_PTX;
    }
    for (size_t p = t.find(".entry"); p != std::string::npos; p = t.find(".entry", p + 6))
    {
        size_t q = p + 6;
        while (q < t.size() && (t[q] == ' ' || t[q] == '\t')) q++;
        size_t e = q;
        while (e < t.size() && (std::isalnum((unsigned char)t[e]) || t[e] == '_' || t[e] == '$')) e++;
        if (e > q) m.names.insert(t.substr(q, e - q));
    }
    return CUDA_SUCCESS;
}

/// Whether code for sm_<arch> runs on this device: a cubin needs the same major and a minor not above the
/// device's (sm_90a: exactly 9.0); PTX JIT-compiles for any target not newer than the device.
bool cubin_fits(int arch) { return arch / 10 == S().sm / 10 && arch % 10 <= S().sm % 10; }

CUresult load_image(const void* image, Module& m, std::string& log)
{
    const unsigned char* d = (const unsigned char*)image;
    uint32_t magic;
    std::memcpy(&magic, d, 4);
    if (magic == 0x466243b1u) // __fatBinC_Wrapper_t: { int magic, version; const void* data; void* filename }
    {
        const void* inner;
        std::memcpy(&inner, d + 8, sizeof(inner));
        if (!inner) return CUDA_ERROR_INVALID_IMAGE;
        return load_image(inner, m, log);
    }
    if (magic == 0xBA55ED50u) // fatbin: header { u32 magic; u16 version; u16 header_size; u64 size } + entries
    {
        uint16_t hs;
        uint64_t total;
        std::memcpy(&hs, d + 6, 2);
        std::memcpy(&total, d + 8, 8);
        if (hs < 16 || total > (1ull << 32)) return CUDA_ERROR_INVALID_IMAGE;
        size_t off = hs, end = hs + total;
        bool any_usable = false, best_set = false;
        int best_arch = -1;
        Module best;
        while (off + 32 <= end)
        {
            // entry { u16 kind (1 PTX, 2 ELF); u16 ?; u32 header_size; u64 payload_size; u32 compressed_size;
            //         u32 ?; u32 version; u32 arch; u32 name_offset; u32 name_size; u64 flags (0x2000 compressed) ... }
            uint16_t kind;
            uint32_t ehs, arch;
            uint64_t size, flags = 0;
            std::memcpy(&kind, d + off, 2);
            std::memcpy(&ehs, d + off + 4, 4);
            std::memcpy(&size, d + off + 8, 8);
            std::memcpy(&arch, d + off + 28, 4);
            if (ehs >= 48) std::memcpy(&flags, d + off + 40, 8);
            if (ehs < 32 || size > end - off - ehs) return CUDA_ERROR_INVALID_IMAGE;
            const unsigned char* payload = d + off + ehs;
            const bool compressed = (flags & 0x2000) != 0;
            if (kind == 2 && cubin_fits((int)arch))
            {
                any_usable = true;
                if (!compressed && (int)arch > best_arch)
                {
                    Module em;
                    int earch;
                    if (!parse_elf(payload, size, em, &earch)) return CUDA_ERROR_INVALID_IMAGE;
                    best = em;
                    best_arch = (int)arch;
                    best_set = true;
                }
            }
            else if (kind == 1 && (int)arch <= S().sm)
            {
                any_usable = true;
                if (!compressed && !best_set)
                {
                    Module pm;
                    const char* text = (const char*)payload;
                    if (parse_ptx(text, strnlen(text, size), pm, log) == CUDA_SUCCESS)
                        for (auto& nm : pm.names) m.names.insert(nm);
                }
            }
            off += ehs + size;
        }
        if (!any_usable) return CUDA_ERROR_NO_BINARY_FOR_GPU;
        if (best_set)
        {
            m.names = best.names;
            m.static_smem = best.static_smem;
        }
        else if (m.names.empty())
            m.names_unknown = true; // only compressed code fits: its names cannot be read here
        return CUDA_SUCCESS;
    }
    if (std::memcmp(d, "\x7f" "ELF", 4) == 0)
    {
        int arch = 0;
        if (!parse_elf(d, 1u << 30, m, &arch)) return CUDA_ERROR_INVALID_IMAGE;
        if (!cubin_fits(arch)) return CUDA_ERROR_NO_BINARY_FOR_GPU;
        return CUDA_SUCCESS;
    }
    // Text: PTX (NUL-terminated). Anything else is not an image.
    size_t n = 0;
    bool text = true;
    for (; d[n] && n < (64u << 20); n++)
        if (!(d[n] >= 0x20 || d[n] == '\n' || d[n] == '\r' || d[n] == '\t')) { text = false; break; }
    if (!text || n == 0) return CUDA_ERROR_INVALID_IMAGE;
    return parse_ptx((const char*)d, n, m, log);
}
} // namespace

FV_API CUresult cuModuleLoadDataEx(void** module, const void* image, unsigned num_options, int* options, void** values)
{
    FV_CHECK(need_context());
    if (!module || !image || (num_options && (!options || !values))) return CUDA_ERROR_INVALID_VALUE;
    char* log_buf = nullptr;
    size_t log_size = 0;
    for (unsigned i = 0; i < num_options; i++)
    {
        if (options[i] == 5) log_buf = (char*)values[i];                  // CU_JIT_ERROR_LOG_BUFFER
        if (options[i] == 6) log_size = (size_t)(uintptr_t)values[i];    // CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES
    }
    auto* m = new Module();
    std::string log;
    CUresult r = load_image(image, *m, log);
    if (log_buf && log_size)
    {
        std::snprintf(log_buf, log_size, "%s", r == CUDA_SUCCESS ? "" : log.c_str());
    }
    if (r != CUDA_SUCCESS)
    {
        delete m;
        return r;
    }
    std::lock_guard<std::mutex> g(S().m);
    S().modules.insert(m);
    *module = m;
    return CUDA_SUCCESS;
}

FV_API CUresult cuModuleLoadData(void** module, const void* image) { return cuModuleLoadDataEx(module, image, 0, nullptr, nullptr); }

FV_API CUresult cuModuleUnload(void* module)
{
    FV_CHECK(need_context());
    std::lock_guard<std::mutex> g(S().m);
    if (!S().modules.erase((Module*)module)) return CUDA_ERROR_INVALID_HANDLE;
    for (auto it = S().functions.begin(); it != S().functions.end();)
        if ((*it)->module == module) it = S().functions.erase(it); // handles become invalid (objects leaked: queued launches)
        else ++it;
    return CUDA_SUCCESS;
}

FV_API CUresult cuModuleGetFunction(void** function, void* module, const char* name)
{
    FV_CHECK(need_context());
    if (!function || !name) return CUDA_ERROR_INVALID_VALUE;
    std::lock_guard<std::mutex> g(S().m);
    Module* m = (Module*)module;
    if (!S().modules.count(m)) return CUDA_ERROR_INVALID_HANDLE;
    if (!m->names_unknown && !m->names.count(name)) return CUDA_ERROR_NOT_FOUND;
    auto& reg = kernel_registry();
    auto k = reg.find(name);
    if (k == reg.end())
    {
        log_error("cuModuleGetFunction: %s is in the image but not compiled into the emulator", name);
        return CUDA_ERROR_NOT_FOUND;
    }
    // One handle per (module, name), as the driver returns.
    for (Function* f : S().functions)
        if (f->module == m && f->kernel == &k->second)
        {
            *function = f;
            return CUDA_SUCCESS;
        }
    auto* f = new Function();
    f->module = m;
    f->kernel = &k->second;
    auto s = m->static_smem.find(name);
    f->static_smem = s == m->static_smem.end() ? 0 : s->second;
    f->max_dynamic = 48 * 1024 - f->static_smem;
    S().functions.insert(f);
    *function = f;
    return CUDA_SUCCESS;
}

FV_API CUresult cuFuncGetAttribute(int* value, int attribute, void* function)
{
    FV_CHECK(need_context());
    if (!value) return CUDA_ERROR_INVALID_VALUE;
    std::lock_guard<std::mutex> g(S().m);
    Function* f = (Function*)function;
    if (!S().functions.count(f)) return CUDA_ERROR_INVALID_HANDLE;
    switch (attribute)
    {
    case 0: *value = 1024; break;                 // MAX_THREADS_PER_BLOCK
    case 1: *value = f->static_smem; break;       // SHARED_SIZE_BYTES (static)
    case 2: *value = 0; break;                    // CONST_SIZE_BYTES
    case 3: *value = 0; break;                    // LOCAL_SIZE_BYTES
    case 4: *value = 32; break;                   // NUM_REGS (not known: a plausible count)
    case 5: *value = S().sm; break;               // PTX_VERSION
    case 6: *value = S().sm; break;               // BINARY_VERSION
    case 7: *value = 0; break;                    // CACHE_MODE_CA
    case 8: *value = f->max_dynamic; break;       // MAX_DYNAMIC_SHARED_SIZE_BYTES
    case 9: *value = f->carveout; break;          // PREFERRED_SHARED_MEMORY_CARVEOUT
    default: return CUDA_ERROR_INVALID_VALUE;
    }
    return CUDA_SUCCESS;
}

FV_API CUresult cuFuncSetAttribute(void* function, int attribute, int value)
{
    FV_CHECK(need_context());
    std::lock_guard<std::mutex> g(S().m);
    Function* f = (Function*)function;
    if (!S().functions.count(f)) return CUDA_ERROR_INVALID_HANDLE;
    switch (attribute)
    {
    case 8:
        if (value < 0 || value > optin_smem() - f->static_smem) return CUDA_ERROR_INVALID_VALUE;
        f->max_dynamic = value;
        return CUDA_SUCCESS;
    case 9:
        if (value < -1 || value > 100) return CUDA_ERROR_INVALID_VALUE;
        f->carveout = value;
        return CUDA_SUCCESS;
    default: return CUDA_ERROR_INVALID_VALUE;
    }
}

FV_API CUresult cuLaunchKernel(void* function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
    unsigned shared, void* stream, void** params, void** extra)
{
    FV_CHECK(need_context());
    if (int st = S().sticky.load()) return st;
    Stream* s;
    FV_CHECK(resolve_stream(stream, &s));
    const KernelEntry* k;
    {
        std::lock_guard<std::mutex> g(S().m);
        Function* f = (Function*)function;
        if (!S().functions.count(f)) return CUDA_ERROR_INVALID_HANDLE;
        k = f->kernel;
        if (shared > (unsigned)f->max_dynamic) return CUDA_ERROR_INVALID_VALUE;
    }
    if (gx == 0 || gy == 0 || gz == 0 || gx > 2147483647u || gy > 65535 || gz > 65535) return CUDA_ERROR_INVALID_VALUE;
    if (bx == 0 || by == 0 || bz == 0 || bx > 1024 || by > 1024 || bz > 64) return CUDA_ERROR_INVALID_VALUE;
    if ((uint64_t)bx * by * bz > 1024) return CUDA_ERROR_INVALID_VALUE;
    if (shared > k->max_dynamic) return CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES; // beyond the emulator's buffer
    // The argument bytes: kernelParams[0] is the one struct (the engine's ABI), or the extra buffer.
    const void* arg = nullptr;
    size_t arg_size = k->param_bytes;
    if (params && extra) return CUDA_ERROR_INVALID_VALUE;
    if (params)
    {
        arg = params[0];
    }
    else if (extra)
    {
        // CU_LAUNCH_PARAM_BUFFER_POINTER (1), CU_LAUNCH_PARAM_BUFFER_SIZE (2), CU_LAUNCH_PARAM_END (0)
        size_t given = 0;
        for (int i = 0; extra[i] != nullptr; i += 2)
        {
            if ((uintptr_t)extra[i] == 1) arg = extra[i + 1];
            else if ((uintptr_t)extra[i] == 2) given = *(size_t*)extra[i + 1];
            else return CUDA_ERROR_INVALID_VALUE;
        }
        if (given < arg_size) return CUDA_ERROR_INVALID_VALUE;
    }
    if (!arg) return CUDA_ERROR_INVALID_VALUE;
    auto bytes = std::make_shared<std::vector<unsigned char>>((const unsigned char*)arg, (const unsigned char*)arg + arg_size);
    const std::array<unsigned, 6> dims = {gx, gy, gz, bx, by, bz};
    enqueue(s, [k, bytes, dims, shared] {
        {
            std::lock_guard<std::mutex> lk(kernel_mutex());
            k->launch(bytes->data(), dims.data(), dims.data() + 3, shared);
        }
        fvemu_count_launch(k->name.c_str());
        std::lock_guard<std::mutex> g(S().m);
        char when[300];
        std::snprintf(when, sizeof when, "after kernel %s", k->name.c_str());
        return check_all_guards_locked(when);
    });
    return CUDA_SUCCESS;
}
