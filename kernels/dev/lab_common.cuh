// lab_common.cuh — host-side helpers for the kernel lab (kernels/dev/lab_*.cu): checked CUDA calls, a seeded
// RNG, host bf16/f16 conversions, device buffers poisoned with NaN before each run, relative-L2 validation
// against double-precision references, event timing (median of repetitions, L2 flushed between them) and
// the result table. Standalone: CUDA runtime only, no .NET. See run_lab.sh.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#ifdef FV_EMULATE
// CPU emulation (emu/fv_emu.h, force-included): validation only, no timing, no Wan-sized cases.
#define LAB_LAUNCH(k, grid, block, smem, ...) fv_emu_launch(k, dim3(grid), dim3(block), (size_t)(smem), __VA_ARGS__)
inline bool lab_emulated() { return true; }
#else
#include <cuda_runtime.h>
#define LAB_LAUNCH(k, grid, block, smem, ...) k<<<grid, block, smem>>>(__VA_ARGS__)
inline bool lab_emulated() { return false; }
#endif

#define CK(call) lab_check((call), #call, __FILE__, __LINE__)
inline void lab_check(cudaError_t e, const char* what, const char* file, int line)
{
    if (e != cudaSuccess)
    {
        std::fprintf(stderr, "%s:%d: %s failed: %s (%s)\n", file, line, what, cudaGetErrorName(e), cudaGetErrorString(e));
        std::exit(2);
    }
}
#define CK_LAUNCH() do { CK(cudaGetLastError()); CK(cudaDeviceSynchronize()); } while (0)

// ---- random numbers ------------------------------------------------------------------------------------

struct LabRng
{
    uint64_t s;
    explicit LabRng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
    uint64_t next() { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; }
    double uniform() { return (next() >> 11) * (1.0 / 9007199254740992.0); }
    float normal()
    {
        double u1 = uniform(), u2 = uniform();
        if (u1 < 1e-300) u1 = 1e-300;
        return (float)(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
    }
    std::vector<float> normals(size_t n, float scale = 1.f, float shift = 0.f)
    {
        std::vector<float> v(n);
        for (auto& x : v) x = normal() * scale + shift;
        return v;
    }
};

// ---- host 16-bit floats --------------------------------------------------------------------------------

inline uint32_t f2u(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float u2f(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

inline uint16_t h_to_bf16(float f)
{
    uint32_t u = f2u(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}
inline float h_from_bf16(uint16_t b) { return u2f((uint32_t)b << 16); }

inline uint16_t h_to_f16(float f)
{
    uint32_t x = f2u(f), sign = (x >> 16) & 0x8000u;
    uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return (uint16_t)(sign | 0x7e00u);
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); // rounds to >= 65520: inf
    if (ax < 0x38800000u) // subnormal half (or zero): scale into the integer range and round to nearest even
    {
        float a = u2f(ax) * 16777216.f; // 2^24: one half subnormal ulp = 2^-24
        uint32_t m = (uint32_t)a;
        float rem = a - (float)m;
        if (rem > 0.5f || (rem == 0.5f && (m & 1u))) m++;
        return (uint16_t)(sign | m);
    }
    uint32_t e = ((ax >> 23) - 112u) << 10, m = (ax >> 13) & 0x3ffu;
    uint32_t h = e | m, rest = ax & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;
    return (uint16_t)(sign | h);
}
inline float h_from_f16(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0) return (sign ? -1.f : 1.f) * (float)m * (1.f / 16777216.f);
    if (e == 31) return u2f(sign | 0x7f800000u | (m << 13));
    return u2f(sign | ((e + 112u) << 23) | (m << 13));
}

enum LabType { LAB_F32, LAB_BF16, LAB_F16 };
inline const char* lab_type_name(LabType t) { return t == LAB_F32 ? "f32" : t == LAB_BF16 ? "bf16" : "f16"; }
inline size_t lab_size(LabType t) { return t == LAB_F32 ? 4 : 2; }

/// Encodes floats as t (rounding to nearest even) into raw bytes.
inline std::vector<uint8_t> lab_encode(const std::vector<float>& v, LabType t)
{
    std::vector<uint8_t> out(v.size() * lab_size(t));
    for (size_t i = 0; i < v.size(); i++)
    {
        if (t == LAB_F32) std::memcpy(&out[4 * i], &v[i], 4);
        else
        {
            uint16_t h = t == LAB_BF16 ? h_to_bf16(v[i]) : h_to_f16(v[i]);
            std::memcpy(&out[2 * i], &h, 2);
        }
    }
    return out;
}
inline std::vector<float> lab_decode(const std::vector<uint8_t>& raw, LabType t)
{
    size_t n = raw.size() / lab_size(t);
    std::vector<float> out(n);
    for (size_t i = 0; i < n; i++)
    {
        if (t == LAB_F32) std::memcpy(&out[i], &raw[4 * i], 4);
        else
        {
            uint16_t h;
            std::memcpy(&h, &raw[2 * i], 2);
            out[i] = t == LAB_BF16 ? h_from_bf16(h) : h_from_f16(h);
        }
    }
    return out;
}
/// The value the kernel actually sees: v rounded to t.
inline std::vector<float> lab_round(const std::vector<float>& v, LabType t) { return lab_decode(lab_encode(v, t), t); }

// ---- device buffers --------------------------------------------------------------------------------------

struct DevBuf
{
    void* p = nullptr;
    size_t bytes = 0;
    DevBuf() = default;
    explicit DevBuf(size_t n) : bytes(n) { CK(cudaMalloc(&p, std::max<size_t>(n, 16))); }
    DevBuf(const DevBuf&) = delete;
    DevBuf& operator=(const DevBuf&) = delete;
    DevBuf(DevBuf&& o) noexcept : p(o.p), bytes(o.bytes) { o.p = nullptr; }
    DevBuf& operator=(DevBuf&& o) noexcept
    {
        std::swap(p, o.p);
        std::swap(bytes, o.bytes);
        return *this;
    }
    ~DevBuf() { if (p) cudaFree(p); }
    void upload(const void* src, size_t n) { CK(cudaMemcpy(p, src, n, cudaMemcpyHostToDevice)); }
    void upload(const std::vector<uint8_t>& v) { upload(v.data(), v.size()); }
    void upload(const std::vector<float>& v) { upload(v.data(), v.size() * 4); }
    /// All bytes 0xFF: NaN for f32/bf16/f16, so an element the kernel never writes fails validation.
    void poison() { CK(cudaMemset(p, 0xFF, bytes)); }
    std::vector<uint8_t> download() const
    {
        std::vector<uint8_t> v(bytes);
        CK(cudaMemcpy(v.data(), p, bytes, cudaMemcpyDeviceToHost));
        return v;
    }
    std::vector<float> download_f32() const
    {
        std::vector<float> v(bytes / 4);
        CK(cudaMemcpy(v.data(), p, bytes, cudaMemcpyDeviceToHost));
        return v;
    }
    template <typename T> T* as() const { return (T*)p; }
};

inline DevBuf lab_upload(const std::vector<float>& v, LabType t)
{
    auto raw = lab_encode(v, t);
    DevBuf b(raw.size());
    b.upload(raw);
    return b;
}

// ---- validation --------------------------------------------------------------------------------------------

struct LabCheck
{
    double rel_l2 = 0, max_abs = 0;
    size_t bad = 0; // NaN/Inf where the reference is finite
    bool pass = false;
};

/// ‖got − ref‖₂ / ‖ref‖₂ with NaN detection; prints the first few mismatches (|d| > tol + |ref|·tol) when it fails.
inline LabCheck lab_compare(const char* what, const std::vector<double>& ref, const std::vector<float>& got, double tol)
{
    LabCheck c;
    double num = 0, den = 0;
    size_t n = std::min(ref.size(), got.size());
    for (size_t i = 0; i < n; i++)
    {
        double r = ref[i], g = got[i];
        bool rfin = std::isfinite(r), gfin = std::isfinite(g);
        if (!rfin)
        {
            if (std::isnan(r) != std::isnan(g) || (!std::isnan(r) && r != g)) c.bad++;
            continue;
        }
        if (!gfin) { c.bad++; continue; }
        num += (g - r) * (g - r);
        den += r * r;
        c.max_abs = std::max(c.max_abs, std::fabs(g - r));
    }
    if (ref.size() != got.size()) c.bad++;
    c.rel_l2 = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
    c.pass = c.bad == 0 && c.rel_l2 <= tol;
    if (!c.pass)
    {
        int shown = 0;
        std::printf("  MISMATCH %s: rel_l2 %.3e (tol %.1e), %zu non-finite\n", what, c.rel_l2, tol, c.bad);
        for (size_t i = 0; i < n && shown < 6; i++)
        {
            double r = ref[i], g = got[i];
            if (!(std::fabs(g - r) <= tol + std::fabs(r) * tol * 10) || std::isnan(g) != std::isnan(r))
            {
                std::printf("    [%zu] ref %.7g got %.7g\n", i, r, g);
                shown++;
            }
        }
    }
    return c;
}

// ---- timing ------------------------------------------------------------------------------------------------

/// Median time in ms of `reps` runs of fn (after 3 warm-ups), each preceded by a write of 2× the L2 size so
/// that inputs come from HBM, not L2.
inline double lab_time_ms(const std::function<void()>& fn, int reps = 20)
{
    if (lab_emulated()) return -1;
    static DevBuf flush;
    static size_t flush_bytes = 0;
    if (flush_bytes == 0)
    {
        int dev = 0, l2 = 0;
        CK(cudaGetDevice(&dev));
        CK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, dev));
        flush_bytes = std::max<size_t>((size_t)l2 * 2, 1 << 20);
        flush = DevBuf(flush_bytes);
    }
    for (int i = 0; i < 3; i++) fn();
    CK_LAUNCH();
    cudaEvent_t a, b;
    CK(cudaEventCreate(&a));
    CK(cudaEventCreate(&b));
    std::vector<float> ms;
    for (int i = 0; i < reps; i++)
    {
        CK(cudaMemsetAsync(flush.p, i & 0xff, flush_bytes));
        CK(cudaEventRecord(a));
        fn();
        CK(cudaEventRecord(b));
        CK(cudaEventSynchronize(b));
        CK(cudaGetLastError());
        float t = 0;
        CK(cudaEventElapsedTime(&t, a, b));
        ms.push_back(t);
    }
    CK(cudaEventDestroy(a));
    CK(cudaEventDestroy(b));
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

// ---- result table ---------------------------------------------------------------------------------------------

struct LabRow
{
    std::string kernel, shape;
    LabCheck check;
    double ms = -1, gbps = -1, tflops = -1;
};
inline std::vector<LabRow>& lab_rows()
{
    static std::vector<LabRow> rows;
    return rows;
}
inline void lab_add(const std::string& kernel, const std::string& shape, const LabCheck& c, double ms = -1, double bytes = 0, double flops = 0)
{
    LabRow r{kernel, shape, c, ms, -1, -1};
    if (ms > 0 && bytes > 0) r.gbps = bytes / (ms * 1e-3) / 1e9;
    if (ms > 0 && flops > 0) r.tflops = flops / (ms * 1e-3) / 1e12;
    lab_rows().push_back(r);
    std::printf("  %-34s %-28s %s rel_l2 %.2e%s\n", kernel.c_str(), shape.c_str(), c.pass ? "ok  " : "FAIL", c.rel_l2,
        ms > 0 ? (" " + std::to_string(ms * 1e3) + " us").c_str() : "");
}
/// Prints the table; returns the process exit code (1 if any row failed).
inline int lab_report(const char* title)
{
    int failed = 0;
    std::printf("\n== %s\n%-34s %-28s %-5s %-9s %-10s %-8s %-8s\n", title, "kernel", "shape", "check", "rel_l2", "time_us", "GB/s", "TFLOP/s");
    for (auto& r : lab_rows())
    {
        failed += r.check.pass ? 0 : 1;
        char t[32] = "-", g[32] = "-", f[32] = "-";
        if (r.ms > 0) std::snprintf(t, sizeof t, "%.1f", r.ms * 1e3);
        if (r.gbps > 0) std::snprintf(g, sizeof g, "%.0f", r.gbps);
        if (r.tflops > 0) std::snprintf(f, sizeof f, "%.1f", r.tflops);
        std::printf("%-34s %-28s %-5s %-9.2e %-10s %-8s %-8s\n", r.kernel.c_str(), r.shape.c_str(), r.check.pass ? "ok" : "FAIL", r.check.rel_l2, t, g, f);
    }
    std::printf("%s: %zu rows, %d failed\n", title, lab_rows().size(), failed);
    return failed ? 1 : 0;
}

inline unsigned lab_grid_stride_blocks(long long n, int per_thread = 1)
{
    long long per = 256LL * per_thread;
    return (unsigned)std::min<long long>(std::max<long long>((n + per - 1) / per, 1), 1 << 20);
}
inline unsigned lab_row_threads(long long cols, int vec)
{
    long long t = (cols + vec - 1) / vec;
    return (unsigned)std::min<long long>(std::max<long long>((t + 31) / 32 * 32, 32), 256);
}
