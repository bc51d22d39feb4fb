// test_cublaslt.cpp — tests of the stand-in cuBLASLt (cublaslt_emu.cpp) against a double-precision reference,
// compiled together with it (test_cublaslt.sh). This file provides the two driver hooks itself: "device pointers"
// are host pointers, bounds-checked against the buffers the test allocated (each exactly as large as its layout
// needs, so a library reading one element too far fails), and the stream is a queue the test flushes, so ordering
// (alpha read at call time, work deferred) is visible. Prints "N passed, M failed"; exit status 1 on any failure.
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

// ---- the driver hooks (standalone) ----

static std::map<uintptr_t, size_t> g_allocs;
static std::deque<std::pair<void (*)(void*), void*>> g_queue;
static bool g_failEnqueue = false;
static void* g_lastStream = nullptr;

extern "C" void* fvemu_device_ptr(uint64_t dptr, size_t bytes, int* error)
{
    auto it = g_allocs.upper_bound(uintptr_t(dptr));
    if (it != g_allocs.begin())
    {
        --it;
        if (dptr >= it->first && bytes <= it->second && dptr - it->first <= it->second - bytes) return reinterpret_cast<void*>(dptr);
    }
    if (error) *error = 700; // CUDA_ERROR_ILLEGAL_ADDRESS
    return nullptr;
}

extern "C" int fvemu_stream_enqueue(void* stream, void (*fn)(void*), void* arg)
{
    if (g_failEnqueue) return 709; // CUDA_ERROR_CONTEXT_IS_DESTROYED, say
    g_lastStream = stream;
    g_queue.emplace_back(fn, arg);
    return 0;
}

static void flush()
{
    while (!g_queue.empty())
    {
        auto w = g_queue.front();
        g_queue.pop_front();
        w.first(w.second);
    }
}

static void* dalloc(size_t bytes)
{
    size_t alloc = (bytes + 255) / 256 * 256 + 256;
    void* p = std::aligned_alloc(256, alloc);
    std::memset(p, 0xFF, alloc); // NaN-ish garbage
    g_allocs[uintptr_t(p)] = bytes;
    return p;
}
static void dfree(void* p)
{
    g_allocs.erase(uintptr_t(p));
    std::free(p);
}

// ---- the API (as CublasLtNative.cs declares it) ----

extern "C" {
int cublasLtCreate(void** handle);
int cublasLtDestroy(void* handle);
size_t cublasLtGetVersion();
int cublasLtMatmulDescCreate(void** desc, int computeType, int scaleType);
int cublasLtMatmulDescDestroy(void* desc);
int cublasLtMatmulDescSetAttribute(void* desc, int attr, const void* buf, size_t size);
int cublasLtMatrixLayoutCreate(void** layout, int type, uint64_t rows, uint64_t cols, int64_t ld);
int cublasLtMatrixLayoutDestroy(void* layout);
int cublasLtMatrixLayoutSetAttribute(void* layout, int attr, const void* buf, size_t size);
int cublasLtMatmulPreferenceCreate(void** pref);
int cublasLtMatmulPreferenceDestroy(void* pref);
int cublasLtMatmulPreferenceSetAttribute(void* pref, int attr, const void* buf, size_t size);
int cublasLtMatmulAlgoGetHeuristic(void* handle, void* op, void* a, void* b, void* c, void* d, void* pref, int requested,
    void* results, int* returned);
int cublasLtMatmul(void* handle, void* op, const void* alpha, const void* a, void* aDesc, const void* b, void* bDesc,
    const void* beta, const void* c, void* cDesc, void* d, void* dDesc, const void* algo, void* workspace, size_t wsBytes,
    void* stream);
}

enum { R32F = 0, R64F = 1, R16F = 2, R16BF = 14 };
enum { C16F = 64, C32F = 68, C32F_PED = 69, C64F = 70, C32I = 72, CTF32 = 77 };
enum { EPI_DEFAULT = 1, EPI_RELU = 2, EPI_BIAS = 4, EPI_RELU_BIAS = 6, EPI_GELU = 32, EPI_GELU_BIAS = 36 };
enum { S_OK = 0, S_NOT_INIT = 1, S_INVALID = 7, S_EXEC = 13, S_NOT_SUPPORTED = 15 };

struct HeuristicResult
{
    uint64_t algo[8];
    size_t workspaceSize;
    int state;
    float waves;
    int reserved[4];
};

static int g_pass = 0, g_fail = 0;
static void check(bool ok, const std::string& what)
{
    if (ok) ++g_pass;
    else
    {
        ++g_fail;
        if (g_fail <= 60) std::printf("FAIL: %s\n", what.c_str());
    }
}
static std::string S(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
static std::string S(const char* fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return buf;
}

// ---- test-side element conversions (independent of the library's) ----

static double decode(int type, const void* base, int64_t i)
{
    switch (type)
    {
    case R32F: return static_cast<const float*>(base)[i];
    case R64F: return static_cast<const double*>(base)[i];
    case R16BF:
    {
        uint32_t u = uint32_t(static_cast<const uint16_t*>(base)[i]) << 16;
        float f;
        std::memcpy(&f, &u, 4);
        return f;
    }
    default:
    {
        uint16_t h = static_cast<const uint16_t*>(base)[i];
        int e = (h >> 10) & 31, m = h & 1023;
        double v = e == 31 ? (m ? NAN : INFINITY) : e == 0 ? std::ldexp(m, -24) : std::ldexp(1024 + m, e - 25);
        return (h & 0x8000) ? -v : v;
    }
    }
}

// All finite non-negative values of a 16-bit type, ascending, for the nearest-even reference rounding.
static std::vector<std::pair<double, uint16_t>> finiteTable(int type)
{
    std::vector<std::pair<double, uint16_t>> t;
    for (uint32_t h = 0; h < 0x8000; ++h)
    {
        uint16_t x = uint16_t(h);
        double v = decode(type, &x, 0);
        if (std::isfinite(v)) t.emplace_back(v, x);
    }
    return t;
}

// Reference rounding of a double (holding a float) to bf16/f16: nearest, ties to even, overflow to inf.
static uint16_t refRound(int type, double v)
{
    static auto tb = finiteTable(R16BF), th = finiteTable(R16F);
    auto& t = type == R16BF ? tb : th;
    if (std::isnan(v)) return 0x7FFF;
    uint16_t sign = std::signbit(v) ? 0x8000 : 0;
    double a = std::fabs(v);
    double maxv = t.back().first, ulpTop = maxv - t[t.size() - 2].first;
    if (a >= maxv + ulpTop / 2) return uint16_t(sign | (t.back().second + 1)); // inf (max + 1 ulp encoding)
    size_t lo = 0, hi = t.size() - 1;
    while (hi - lo > 1)
    {
        size_t mid = (lo + hi) / 2;
        (t[mid].first <= a ? lo : hi) = mid;
    }
    double dl = a - t[lo].first, dh = t[hi].first - a;
    uint16_t r = dl < dh ? t[lo].second : dh < dl ? t[hi].second : ((t[lo].second & 1) ? t[hi].second : t[lo].second);
    if (a >= maxv) r = t.back().second;
    return uint16_t(sign | r);
}

static int bytesOf(int type) { return type == R32F ? 4 : type == R64F ? 8 : 2; }

static void encode(int type, void* base, int64_t i, double v)
{
    switch (type)
    {
    case R32F: static_cast<float*>(base)[i] = float(v); break;
    case R64F: static_cast<double*>(base)[i] = v; break;
    default: static_cast<uint16_t*>(base)[i] = refRound(type, double(float(v))); break;
    }
}

// ---- a matrix operand as the test lays it out ----

struct Mat
{
    int type = R32F, order = 0; // 0 COL, 1 ROW
    int64_t rows = 0, cols = 0, ld = 0, stride = 0;
    int batch = 1;
    void* data = nullptr;
    int64_t at(int e, int64_t r, int64_t c) const { return e * stride + (order == 0 ? r + c * ld : r * ld + c); }
    int64_t spanElems() const
    {
        if (!rows || !cols) return 0;
        int64_t one = order == 0 ? (cols - 1) * ld + rows : (rows - 1) * ld + cols;
        return (batch - 1) * stride + one;
    }
    double get(int e, int64_t r, int64_t c) const { return decode(type, data, at(e, r, c)); }
};

static std::mt19937_64 g_rng(12345);
static double urand(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(g_rng); }
static int irand(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g_rng); }

// Lays out a rows×cols operand: ld = packed + ldExtra, stride = span + strideExtra (or 0 with broadcast), and
// allocates exactly the bytes it spans; fills it with random values in [-1, 1] (rounded to the type).
static Mat makeMat(int type, int order, int64_t rows, int64_t cols, int batch, int ldExtra, bool broadcast, int strideExtra)
{
    Mat m;
    m.type = type;
    m.order = order;
    m.rows = rows;
    m.cols = cols;
    m.batch = batch;
    m.ld = (order == 0 ? rows : cols) + ldExtra;
    int64_t one = (!rows || !cols) ? 0 : (order == 0 ? (cols - 1) * m.ld + rows : (rows - 1) * m.ld + cols);
    m.stride = broadcast ? 0 : one + strideExtra;
    int64_t n = std::max<int64_t>(1, m.spanElems());
    m.data = dalloc(size_t(n) * bytesOf(type));
    for (int64_t i = 0; i < n; ++i) encode(type, m.data, i, urand(-1, 1));
    return m;
}

static void* layoutOf(const Mat& m)
{
    void* l = nullptr;
    cublasLtMatrixLayoutCreate(&l, m.type, uint64_t(m.rows), uint64_t(m.cols), m.ld);
    int32_t order = m.order;
    cublasLtMatrixLayoutSetAttribute(l, 1, &order, 4);
    if (m.batch > 1)
    {
        int32_t b = m.batch;
        int64_t s = m.stride;
        cublasLtMatrixLayoutSetAttribute(l, 5, &b, 4);
        cublasLtMatrixLayoutSetAttribute(l, 6, &s, 8);
    }
    return l;
}

static void* g_handle = nullptr;

struct Case
{
    int compute = C32F, ab = R32F, cd = R32F;
    bool ta = false, tb = false;
    int64_t m = 1, n = 1, k = 1;
    int batch = 1;
    int orderA = 0, orderB = 0, orderC = 0, orderD = 0;
    int ldA = 0, ldB = 0, ldC = 0, ldD = 0;
    bool bcastA = false, bcastB = false, bcastC = false;
    int strideExtra = 0;
    double alpha = 1, beta = 0;
    uint32_t epilogue = EPI_DEFAULT;
    int biasType = -1; // -1 default (D's type)
    int64_t biasStride = 0;
    bool aliasCD = false;
    bool cNaN = false; // fill C with NaN (beta = 0 must not read it)
    std::string name() const
    {
        return S("compute %d ab %d cd %d %c%c m%lld n%lld k%lld batch %d orders %d%d%d%d ld+ %d/%d/%d/%d bcast %d%d%d alpha %g beta %g epi %u biasT %d biasStride %lld alias %d",
            compute, ab, cd, ta ? 'T' : 'N', tb ? 'T' : 'N', (long long)m, (long long)n, (long long)k, batch, orderA, orderB,
            orderC, orderD, ldA, ldB, ldC, ldD, bcastA, bcastB, bcastC, alpha, beta, epilogue, biasType, (long long)biasStride,
            aliasCD);
    }
};

static double gelu(double x) { return 0.5 * x * (1 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))); }

// Runs one matmul through the API and compares every element of D with the double reference.
static void runCase(const Case& t)
{
    std::string nm = t.name();
    Mat A = makeMat(t.ab, t.orderA, t.ta ? t.k : t.m, t.ta ? t.m : t.k, t.batch, t.ldA, t.bcastA, t.strideExtra);
    Mat B = makeMat(t.ab, t.orderB, t.tb ? t.n : t.k, t.tb ? t.k : t.n, t.batch, t.ldB, t.bcastB, t.strideExtra);
    Mat D = makeMat(t.cd, t.orderD, t.m, t.n, t.batch, t.ldD, false, t.strideExtra);
    Mat C = t.aliasCD ? D : makeMat(t.cd, t.orderC, t.m, t.n, t.batch, t.ldC, t.bcastC, t.strideExtra);
    if (t.cNaN)
        for (int64_t i = 0; i < C.spanElems(); ++i) encode(C.type, C.data, i, NAN);
    // Snapshot C (it may be D) for the reference.
    std::vector<double> cref(size_t(std::max<int64_t>(1, C.spanElems())));
    for (int64_t i = 0; i < C.spanElems(); ++i) cref[size_t(i)] = decode(C.type, C.data, i);
    int bt = t.biasType == -1 ? t.cd : t.biasType;
    bool hasBias = t.epilogue == EPI_BIAS || t.epilogue == EPI_RELU_BIAS || t.epilogue == EPI_GELU_BIAS;
    int64_t biasElems = (t.batch - 1) * t.biasStride + t.m;
    void* bias = nullptr;
    if (hasBias)
    {
        bias = dalloc(size_t(biasElems) * bytesOf(bt));
        for (int64_t i = 0; i < biasElems; ++i) encode(bt, bias, i, urand(-1, 1));
    }

    void* op = nullptr;
    bool f64 = t.compute == C64F;
    cublasLtMatmulDescCreate(&op, t.compute, f64 ? R64F : R32F);
    int32_t ta = t.ta, tb = t.tb;
    cublasLtMatmulDescSetAttribute(op, 3, &ta, 4);
    cublasLtMatmulDescSetAttribute(op, 4, &tb, 4);
    if (t.epilogue != EPI_DEFAULT)
    {
        uint32_t e = t.epilogue;
        cublasLtMatmulDescSetAttribute(op, 7, &e, 4);
    }
    if (hasBias)
    {
        cublasLtMatmulDescSetAttribute(op, 8, &bias, sizeof(void*));
        if (t.biasType != -1)
        {
            int32_t v = t.biasType;
            cublasLtMatmulDescSetAttribute(op, 26, &v, 4);
        }
        if (t.biasStride)
        {
            int64_t v = t.biasStride;
            cublasLtMatmulDescSetAttribute(op, 10, &v, 8);
        }
    }
    void *la = layoutOf(A), *lb = layoutOf(B), *lc = layoutOf(C), *ld = layoutOf(D);
    void* pref = nullptr;
    cublasLtMatmulPreferenceCreate(&pref);
    uint64_t ws = 32u << 20;
    cublasLtMatmulPreferenceSetAttribute(pref, 1, &ws, 8);
    for (int i = 0; i < 4; ++i)
    {
        uint32_t al = uint32_t(bytesOf(i < 2 ? t.ab : t.cd)); // strides and lds are arbitrary: element alignment
        cublasLtMatmulPreferenceSetAttribute(pref, 5 + i, &al, 4);
    }
    HeuristicResult hr;
    int count = -1;
    int s = cublasLtMatmulAlgoGetHeuristic(g_handle, op, la, lb, lc, ld, pref, 1, &hr, &count);
    check(s == S_OK && count == 1 && hr.workspaceSize == 0 && hr.state == 0, "heuristic " + nm + S(" -> %d count %d", s, count));
    float af = float(t.alpha), bf = float(t.beta);
    double ad = t.alpha, bd = t.beta;
    const void* alpha = f64 ? (const void*)&ad : (const void*)&af;
    const void* beta = f64 ? (const void*)&bd : (const void*)&bf;
    s = cublasLtMatmul(g_handle, op, alpha, A.data, la, B.data, lb, beta, C.data, lc, D.data, ld, &hr.algo, nullptr, 0,
        reinterpret_cast<void*>(0x1234));
    check(s == S_OK, "matmul " + nm + S(" -> %d", s));
    check(g_queue.size() == 1 && g_lastStream == reinterpret_cast<void*>(0x1234), "queued on the stream " + nm);
    af = 1234.f; // host-mode scalars are read at call time
    ad = 1234.;
    flush();

    double outEps = t.cd == R16BF ? 0x1p-8 : t.cd == R16F ? 0x1p-11 : 0;
    double accEps = f64 ? 0x1p-52 : 0x1p-24;
    int bad = 0;
    double worst = 0;
    for (int e = 0; e < t.batch; ++e)
        for (int64_t i = 0; i < t.m; ++i)
            for (int64_t j = 0; j < t.n; ++j)
            {
                double sum = 0, mag = 0;
                for (int64_t p = 0; p < t.k; ++p)
                {
                    double a = t.ta ? A.get(t.bcastA ? 0 : e, p, i) : A.get(t.bcastA ? 0 : e, i, p);
                    double b = t.tb ? B.get(t.bcastB ? 0 : e, j, p) : B.get(t.bcastB ? 0 : e, p, j);
                    sum += a * b;
                    mag += std::fabs(a * b);
                }
                double v = float(t.alpha) * sum;
                if (f64) v = t.alpha * sum;
                mag *= std::fabs(t.alpha);
                if (t.beta != 0)
                {
                    double c = cref[size_t(C.at(t.bcastC ? 0 : e, i, j))] * (f64 ? t.beta : double(float(t.beta)));
                    v += c;
                    mag += std::fabs(c);
                }
                if (hasBias)
                {
                    double b = decode(bt, bias, e * t.biasStride + i);
                    v += b;
                    mag += std::fabs(b);
                }
                if (t.epilogue == EPI_RELU || t.epilogue == EPI_RELU_BIAS) v = v > 0 ? v : 0;
                if (t.epilogue == EPI_GELU || t.epilogue == EPI_GELU_BIAS) v = gelu(v);
                double got = D.get(e, i, j);
                double tol = accEps * double(t.k + 8) * mag * 2 + outEps * std::fabs(v) + (f64 ? 1e-300 : 1e-6 * (t.epilogue >= EPI_GELU));
                double err = std::fabs(got - v);
                if (!(err <= tol + 1e-30))
                {
                    if (++bad <= 2)
                        std::printf("  [%d,%lld,%lld] got %.9g want %.9g tol %.3g\n", e, (long long)i, (long long)j, got, v, tol);
                }
                worst = std::max(worst, err);
            }
    check(bad == 0, "values " + nm + S(" (%d bad)", bad));

    cublasLtMatmulPreferenceDestroy(pref);
    cublasLtMatrixLayoutDestroy(la);
    cublasLtMatrixLayoutDestroy(lb);
    cublasLtMatrixLayoutDestroy(lc);
    cublasLtMatrixLayoutDestroy(ld);
    cublasLtMatmulDescDestroy(op);
    dfree(A.data);
    dfree(B.data);
    if (!t.aliasCD) dfree(C.data);
    dfree(D.data);
    if (bias) dfree(bias);
}

static void randomSweep()
{
    const int combos[][3] = {{C32F, R32F, R32F}, {C32F, R16BF, R32F}, {C32F, R16BF, R16BF}, {C32F, R16F, R32F},
        {C32F, R16F, R16F}, {CTF32, R32F, R32F}, {C32F_PED, R16BF, R32F}, {C64F, R64F, R64F}};
    const uint32_t epis[] = {EPI_DEFAULT, EPI_BIAS, EPI_RELU_BIAS, EPI_GELU_BIAS, EPI_GELU, EPI_RELU};
    for (auto& cb : combos)
        for (int tr = 0; tr < 4; ++tr)
            for (int rep = 0; rep < 6; ++rep)
            {
                Case t;
                t.compute = cb[0];
                t.ab = cb[1];
                t.cd = cb[2];
                t.ta = tr & 1;
                t.tb = tr & 2;
                t.m = irand(1, 37) | 1;
                t.n = irand(1, 29) | 1;
                t.k = rep == 0 ? 1 : irand(1, 45);
                t.batch = rep < 2 ? 1 : irand(2, 4);
                t.orderA = irand(0, 1);
                t.orderB = irand(0, 1);
                t.orderC = irand(0, 1);
                t.orderD = irand(0, 1);
                t.ldA = irand(0, 1) * irand(1, 5);
                t.ldB = irand(0, 1) * irand(1, 5);
                t.ldC = irand(0, 1) * irand(1, 5);
                t.ldD = irand(0, 1) * irand(1, 5);
                if (t.batch > 1)
                {
                    t.bcastA = irand(0, 3) == 0;
                    t.bcastB = irand(0, 3) == 0;
                    t.bcastC = irand(0, 3) == 0;
                    t.strideExtra = irand(0, 7);
                }
                t.alpha = rep == 1 ? 1.0 : urand(-2, 2);
                t.beta = irand(0, 1) ? 0.0 : urand(-2, 2);
                t.epilogue = epis[irand(0, 5)];
                if (t.epilogue & (EPI_BIAS)) t.biasType = irand(0, 1) ? -1 : R32F;
                if (t.cd == R64F) t.biasType = -1;
                if (t.batch > 1 && irand(0, 1)) t.biasStride = t.m + irand(0, 3);
                runCase(t);
            }
}

static void specialCases()
{
    Case t;
    // C aliasing D, beta ≠ 0, all types.
    for (int cd : {R32F, R16BF})
    {
        t = Case();
        t.ab = cd;
        t.cd = cd;
        t.m = 19;
        t.n = 23;
        t.k = 31;
        t.batch = 3;
        t.alpha = 0.75;
        t.beta = -1.25;
        t.aliasCD = true;
        t.orderD = 1;
        t.ldD = 3;
        t.epilogue = EPI_BIAS;
        runCase(t);
    }
    // beta = 0: C is not read (NaN in C does not reach D).
    t = Case();
    t.m = 7;
    t.n = 9;
    t.k = 5;
    t.cNaN = true;
    runCase(t);
    // k large enough to use the workers (threads) and all 8 lanes.
    t = Case();
    t.ab = R16BF;
    t.m = 97;
    t.n = 131;
    t.k = 301;
    t.tb = true;
    t.epilogue = EPI_BIAS;
    runCase(t);
    t.ab = R32F;
    t.m = 257;
    t.n = 65;
    t.k = 129;
    t.batch = 2;
    t.beta = 0.5;
    runCase(t);
}

// Exact rounding of the output through alpha (A = B = 1, k = 1: D = round(alpha)).
static void roundingCases()
{
    for (int dt : {R16BF, R16F})
    {
        void* op = nullptr;
        cublasLtMatmulDescCreate(&op, C32F, R32F);
        Mat A = makeMat(dt, 0, 1, 1, 1, 0, false, 0), B = makeMat(dt, 0, 1, 1, 1, 0, false, 0), D = makeMat(dt, 0, 1, 1, 1, 0, false, 0);
        encode(dt, A.data, 0, 1.0);
        encode(dt, B.data, 0, 1.0);
        void *la = layoutOf(A), *lb = layoutOf(B), *ld = layoutOf(D);
        std::vector<float> vals = {0.f, -0.f, 1.f, 1.00390625f /* 1+2^-8: bf16 tie → 1 */, 1.01171875f /* 1+3·2^-8 → 1+2^-6 */,
            65504.f, 65519.99f, 65520.f, -70000.f, 3.4e38f, INFINITY, -INFINITY, 0x1p-24f, 0x1p-25f, 0x1.8p-25f, 0x1p-26f,
            0x1.ffcp-15f, 0x1.ff8p-15f, 6.1e-5f, -0x1p-133f, 1e-40f, 0x1.0008p0f, 0x1.0018p0f, 0x1.fffffep127f};
        for (int i = 0; i < 4000; ++i)
        {
            uint32_t u = uint32_t(g_rng());
            float f;
            std::memcpy(&f, &u, 4);
            if (!std::isnan(f)) vals.push_back(i & 1 ? f : float(std::ldexp(urand(-1, 1), irand(-30, 18))));
        }
        int bad = 0;
        for (float v : vals)
        {
            float beta = 0;
            cublasLtMatmul(g_handle, op, &v, A.data, la, B.data, lb, &beta, D.data, ld, D.data, ld, nullptr, nullptr, 0, nullptr);
            flush();
            uint16_t got = *static_cast<uint16_t*>(D.data), want = refRound(dt, double(v));
            if (got != want && ++bad <= 3) std::printf("  round type %d of %a: got %04x want %04x\n", dt, double(v), got, want);
        }
        check(bad == 0, S("rounding to type %d of %zu values (%d bad)", dt, vals.size(), bad));
        float nan = NAN, beta = 0;
        cublasLtMatmul(g_handle, op, &nan, A.data, la, B.data, lb, &beta, D.data, ld, D.data, ld, nullptr, nullptr, 0, nullptr);
        flush();
        check(std::isnan(D.get(0, 0, 0)), S("NaN kept in type %d", dt));
        cublasLtMatrixLayoutDestroy(la);
        cublasLtMatrixLayoutDestroy(lb);
        cublasLtMatrixLayoutDestroy(ld);
        cublasLtMatmulDescDestroy(op);
        dfree(A.data);
        dfree(B.data);
        dfree(D.data);
    }
}

// The layouts src/FastVideo.Cuda/CublasLtGemm.cs creates for a row-major GemmShape (D = alpha·A·op(B) + bias[N]),
// issued as the column-major Dᵀ = op(B)ᵀ·Aᵀ, checked against a row-major reference.
struct Shape
{
    int M, N, K, batch;
    bool transB;
    int64_t strideA, strideB, strideD, ldA, ldB, ldD;
};

static void managedGemm(int abType, int dType, Shape s, bool withBias, float alpha, const char* what)
{
    int64_t leadA = s.ldA ? s.ldA : s.K, leadB = s.ldB ? s.ldB : (s.transB ? s.K : s.N), leadD = s.ldD ? s.ldD : s.N;
    auto span = [&](int64_t rows, int64_t lead, int64_t cols, int64_t stride) { return (s.batch - 1) * stride + (rows - 1) * lead + cols; };
    int64_t na = span(s.M, leadA, s.K, s.strideA), nb = s.transB ? span(s.N, leadB, s.K, s.strideB) : span(s.K, leadB, s.N, s.strideB),
            nd = span(s.M, leadD, s.N, s.strideD);
    void *a = dalloc(size_t(na) * bytesOf(abType)), *b = dalloc(size_t(nb) * bytesOf(abType)), *d = dalloc(size_t(nd) * bytesOf(dType));
    for (int64_t i = 0; i < na; ++i) encode(abType, a, i, urand(-1, 1));
    for (int64_t i = 0; i < nb; ++i) encode(abType, b, i, urand(-1, 1));
    void* bias = withBias ? dalloc(size_t(s.N) * bytesOf(dType)) : nullptr;
    for (int i = 0; withBias && i < s.N; ++i) encode(dType, bias, i, urand(-1, 1));

    // CreatePlan, line by line.
    void* desc = nullptr;
    cublasLtMatmulDescCreate(&desc, C32F, R32F);
    int32_t tA = s.transB, tB = 0;
    cublasLtMatmulDescSetAttribute(desc, 3, &tA, 4);
    cublasLtMatmulDescSetAttribute(desc, 4, &tB, 4);
    if (withBias)
    {
        int32_t e = EPI_BIAS;
        cublasLtMatmulDescSetAttribute(desc, 7, &e, 4);
    }
    auto mk = [&](int type, int64_t rows, int64_t cols, int64_t ld, int64_t stride) {
        void* l = nullptr;
        cublasLtMatrixLayoutCreate(&l, type, uint64_t(rows), uint64_t(cols), ld);
        if (s.batch > 1)
        {
            int32_t bc = s.batch;
            cublasLtMatrixLayoutSetAttribute(l, 5, &bc, 4);
            cublasLtMatrixLayoutSetAttribute(l, 6, &stride, 8);
        }
        return l;
    };
    void* la = s.transB ? mk(abType, s.K, s.N, leadB, s.strideB) : mk(abType, s.N, s.K, leadB, s.strideB);
    void* lb = mk(abType, s.K, s.M, leadA, s.strideA);
    void* ld = mk(dType, s.N, s.M, leadD, s.strideD);
    void* pref = nullptr;
    cublasLtMatmulPreferenceCreate(&pref);
    uint64_t ws = 32u << 20;
    cublasLtMatmulPreferenceSetAttribute(pref, 1, &ws, 8);
    auto alignOf = [](const void* p, int64_t stride, int batch, int eb) {
        uint64_t v = uint64_t(uintptr_t(p));
        int al = v ? int(std::min<uint64_t>(v & (~v + 1), 256)) : 256;
        if (batch > 1 && stride)
        {
            uint64_t sb = uint64_t(stride * eb);
            al = std::min<int>(al, int(std::min<uint64_t>(sb & (~sb + 1), 256)));
        }
        return al;
    };
    uint32_t al[4] = {uint32_t(alignOf(b, s.strideB, s.batch, bytesOf(abType))), uint32_t(alignOf(a, s.strideA, s.batch, bytesOf(abType))),
        uint32_t(alignOf(d, s.strideD, s.batch, bytesOf(dType))), uint32_t(alignOf(d, s.strideD, s.batch, bytesOf(dType)))};
    for (int i = 0; i < 4; ++i) cublasLtMatmulPreferenceSetAttribute(pref, 5 + i, &al[i], 4);
    HeuristicResult hr;
    int count = 0;
    int st = cublasLtMatmulAlgoGetHeuristic(g_handle, desc, la, lb, ld, ld, pref, 1, &hr, &count);
    check(st == S_OK && count == 1, S("managed %s: heuristic %d count %d", what, st, count));
    if (withBias) cublasLtMatmulDescSetAttribute(desc, 8, &bias, sizeof(void*));
    float beta = 0;
    void* ws_ = dalloc(32u << 20);
    st = cublasLtMatmul(g_handle, desc, &alpha, b, la, a, lb, &beta, d, ld, d, ld, &hr.algo, ws_, 32u << 20, nullptr);
    check(st == S_OK, S("managed %s: matmul %d", what, st));
    flush();
    double outEps = dType == R16BF ? 0x1p-8 : dType == R16F ? 0x1p-11 : 0;
    int bad = 0;
    for (int e = 0; e < s.batch; ++e)
        for (int i = 0; i < s.M; ++i)
            for (int j = 0; j < s.N; ++j)
            {
                double sum = 0, mag = 0;
                for (int p = 0; p < s.K; ++p)
                {
                    double x = decode(abType, a, e * s.strideA + i * leadA + p);
                    double y = s.transB ? decode(abType, b, e * s.strideB + j * leadB + p) : decode(abType, b, e * s.strideB + p * leadB + j);
                    sum += x * y;
                    mag += std::fabs(x * y);
                }
                double v = double(alpha) * sum + (withBias ? decode(dType, bias, j) : 0.0);
                double got = decode(dType, d, e * s.strideD + i * leadD + j);
                double tol = 0x1p-24 * (s.K + 8) * 2 * (mag * std::fabs(alpha) + 1) + outEps * std::fabs(v);
                if (!(std::fabs(got - v) <= tol) && ++bad <= 2) std::printf("  %s [%d,%d,%d] got %.9g want %.9g\n", what, e, i, j, got, v);
            }
    check(bad == 0, S("managed %s: values (%d bad)", what, bad));
    cublasLtMatmulPreferenceDestroy(pref);
    cublasLtMatrixLayoutDestroy(la);
    cublasLtMatrixLayoutDestroy(lb);
    cublasLtMatrixLayoutDestroy(ld);
    cublasLtMatmulDescDestroy(desc);
    dfree(a);
    dfree(b);
    dfree(d);
    dfree(ws_);
    if (bias) dfree(bias);
}

static void managedLayouts()
{
    // CudaBackend.MatMul: one GEMM over batch·M rows; strided batch (M·K, K·N, M·N); with transposeB.
    managedGemm(R32F, R32F, {3 * 5, 7, 9, 1, false, 0, 0, 0, 0, 0, 0}, false, 1.f, "MatMul folded batch");
    managedGemm(R32F, R32F, {5, 7, 9, 3, false, 5 * 9, 9 * 7, 5 * 7, 0, 0, 0}, false, 0.5f, "MatMul strided batch");
    managedGemm(R32F, R32F, {5, 7, 9, 3, true, 5 * 9, 9 * 7, 5 * 7, 0, 0, 0}, false, 1.f, "MatMul strided batch transposeB");
    // Linear: y = x·Wᵀ + bias, F32 / BF16 / F16 weights, F32 output.
    managedGemm(R32F, R32F, {13, 11, 17, 1, true, 0, 0, 0, 0, 0, 0}, true, 1.f, "Linear f32 bias");
    managedGemm(R16BF, R32F, {13, 11, 17, 1, true, 0, 0, 0, 0, 0, 0}, true, 1.f, "Linear bf16 bias");
    managedGemm(R16F, R32F, {13, 11, 17, 1, true, 0, 0, 0, 0, 0, 0}, false, 1.f, "Linear f16");
    // Attention scores: [rows, nk] = q[rows, d] · k[nk, d]ᵀ per entry, q stride nq·d (rows < nq), k stride nk·d.
    {
        int nq = 17, rows = 9, nk = 33, d = 8, ce = 3;
        managedGemm(R32F, R32F, {rows, nk, d, ce, true, (int64_t)nq * d, (int64_t)nk * d, (int64_t)rows * nk, 0, 0, 0}, false, 0.35f,
            "attention scores");
        // Attention output: [rows, dv] = p[rows, nk] · v[nk, dv], output stride nq·dv.
        int dv = 5;
        managedGemm(R32F, R32F, {rows, dv, nk, ce, false, (int64_t)rows * nk, (int64_t)nk * dv, (int64_t)nq * dv, 0, 0, 0}, false, 1.f,
            "attention output");
    }
    // Conv: pointwise W[O, C] · x[C, P]; im2col slab with the output row pitch P (LdD).
    managedGemm(R16BF, R32F, {6, 25, 4, 1, false, 0, 0, 0, 0, 0, 0}, false, 1.f, "conv pointwise bf16");
    managedGemm(R32F, R32F, {6, 10, 27, 1, false, 0, 0, 0, 0, 0, 37}, false, 1.f, "conv im2col slab LdD");
    // KernelBench: bf16 → bf16 output.
    managedGemm(R16BF, R16BF, {9, 15, 21, 1, true, 0, 0, 0, 0, 0, 0}, false, 1.f, "bench bf16 out");
}

// ---- statuses ----

struct Fixture
{
    int ab = R32F, cd = R32F;
    int64_t m = 4, n = 5, k = 3;
    void *op = nullptr, *la = nullptr, *lb = nullptr, *lc = nullptr, *ld = nullptr, *pref = nullptr;
    void *a = nullptr, *b = nullptr, *c = nullptr, *d = nullptr;
    Fixture(int abT = R32F, int cdT = R32F, int compute = C32F, int scale = R32F) : ab(abT), cd(cdT)
    {
        cublasLtMatmulDescCreate(&op, compute, scale);
        cublasLtMatrixLayoutCreate(&la, ab, m, k, m);
        cublasLtMatrixLayoutCreate(&lb, ab, k, n, k);
        cublasLtMatrixLayoutCreate(&lc, cd, m, n, m);
        cublasLtMatrixLayoutCreate(&ld, cd, m, n, m);
        cublasLtMatmulPreferenceCreate(&pref);
        a = dalloc(size_t(m * k * bytesOf(ab)));
        b = dalloc(size_t(k * n * bytesOf(ab)));
        c = dalloc(size_t(m * n * bytesOf(cd)));
        d = dalloc(size_t(m * n * bytesOf(cd)));
    }
    ~Fixture()
    {
        flush();
        cublasLtMatmulDescDestroy(op);
        cublasLtMatrixLayoutDestroy(la);
        cublasLtMatrixLayoutDestroy(lb);
        cublasLtMatrixLayoutDestroy(lc);
        cublasLtMatrixLayoutDestroy(ld);
        cublasLtMatmulPreferenceDestroy(pref);
        dfree(a);
        dfree(b);
        dfree(c);
        dfree(d);
    }
    int heuristic(int* count = nullptr, HeuristicResult* r = nullptr, void* handle = g_handle, int requested = 1)
    {
        HeuristicResult local;
        int cnt = -1;
        int s = cublasLtMatmulAlgoGetHeuristic(handle, op, la, lb, lc, ld, pref, requested, r ? r : &local, &cnt);
        if (count) *count = cnt;
        return s;
    }
    int matmul(const void* algo = nullptr, float beta = 1.f, void* handle = g_handle)
    {
        float alpha = 1.f;
        int s = cublasLtMatmul(handle, op, &alpha, a, la, b, lb, &beta, c, lc, d, ld, algo, nullptr, 0, nullptr);
        flush();
        return s;
    }
};

static void statusCases()
{
    auto expect = [](int got, int want, const std::string& what) { check(got == want, S("%s: got %d want %d", what.c_str(), got, want)); };
    {
        Fixture f;
        int cnt;
        expect(f.heuristic(&cnt), S_OK, "baseline heuristic");
        expect(f.matmul(), S_OK, "baseline matmul");
        expect(f.heuristic(nullptr, nullptr, nullptr), S_NOT_INIT, "heuristic null handle");
        expect(f.matmul(nullptr, 1.f, nullptr), S_NOT_INIT, "matmul null handle");
        expect(f.heuristic(&cnt, nullptr, g_handle, 0), S_INVALID, "heuristic requestedAlgoCount 0");
        float one = 1;
        expect(cublasLtMatmul(g_handle, f.op, nullptr, f.a, f.la, f.b, f.lb, &one, f.c, f.lc, f.d, f.ld, nullptr, nullptr, 0, nullptr),
            S_INVALID, "null alpha");
        expect(cublasLtMatmul(g_handle, f.op, &one, f.a, nullptr, f.b, f.lb, &one, f.c, f.lc, f.d, f.ld, nullptr, nullptr, 0, nullptr),
            S_INVALID, "null Adesc");
        HeuristicResult bogus{};
        expect(f.matmul(&bogus), S_INVALID, "algo not from the heuristic");
    }
    // Attribute sizes and ids.
    {
        Fixture f;
        int32_t v = 1;
        int64_t w = 1;
        expect(cublasLtMatmulDescSetAttribute(f.op, 3, &v, 8), S_INVALID, "TRANSA with 8 bytes");
        expect(cublasLtMatmulDescSetAttribute(f.op, 3, nullptr, 4), S_INVALID, "TRANSA null buffer");
        expect(cublasLtMatmulDescSetAttribute(f.op, 9, &v, 4), S_INVALID, "desc attribute 9 (unknown)");
        expect(cublasLtMatmulDescSetAttribute(f.op, 8, &v, 4), S_INVALID, "BIAS_POINTER with 4 bytes");
        expect(cublasLtMatrixLayoutSetAttribute(f.la, 6, &v, 4), S_INVALID, "STRIDED_BATCH_OFFSET with 4 bytes");
        expect(cublasLtMatrixLayoutSetAttribute(f.la, 5, &w, 8), S_INVALID, "BATCH_COUNT with 8 bytes");
        expect(cublasLtMatrixLayoutSetAttribute(f.la, 42, &v, 4), S_INVALID, "layout attribute 42");
        expect(cublasLtMatmulPreferenceSetAttribute(f.pref, 1, &v, 4), S_INVALID, "MAX_WORKSPACE_BYTES with 4 bytes");
        expect(cublasLtMatmulPreferenceSetAttribute(f.pref, 5, &v, 4), S_OK, "MIN_ALIGNMENT_A_BYTES");
        expect(cublasLtMatmulDescSetAttribute(nullptr, 3, &v, 4), S_INVALID, "set on a null descriptor");
    }
    // Dimension conflicts → INVALID_VALUE (heuristic and matmul).
    auto both = [&](Fixture& f, int want, const std::string& what) {
        int cnt = -1;
        expect(f.heuristic(&cnt), want, what + " (heuristic)");
        check(cnt == 0, what + ": heuristic returned no result");
        expect(f.matmul(), want, what + " (matmul)");
    };
    {
        Fixture f;
        uint64_t cols = 4; // A m×4 but B 3×n
        cublasLtMatrixLayoutSetAttribute(f.la, 3, &cols, 8);
        both(f, S_INVALID, "k mismatch");
    }
    {
        Fixture f;
        int32_t t = 1; // op(A) = Aᵀ: 3×4, k = 4 ≠ 3
        cublasLtMatmulDescSetAttribute(f.op, 3, &t, 4);
        both(f, S_INVALID, "k mismatch through TRANSA");
    }
    {
        Fixture f;
        uint64_t rows = 3;
        cublasLtMatrixLayoutSetAttribute(f.lc, 2, &rows, 8);
        both(f, S_INVALID, "C rows ≠ m");
    }
    {
        Fixture f;
        uint64_t cols = 6;
        cublasLtMatrixLayoutSetAttribute(f.ld, 3, &cols, 8);
        both(f, S_INVALID, "D cols ≠ n");
    }
    {
        Fixture f;
        int64_t ld = 3; // < rows 4
        cublasLtMatrixLayoutSetAttribute(f.la, 4, &ld, 8);
        both(f, S_INVALID, "lda < rows");
    }
    {
        Fixture f;
        int32_t row = 1;
        int64_t ld = 4; // ROW order: ld ≥ cols 5
        cublasLtMatrixLayoutSetAttribute(f.ld, 1, &row, 4);
        cublasLtMatrixLayoutSetAttribute(f.ld, 4, &ld, 8);
        cublasLtMatrixLayoutSetAttribute(f.lc, 1, &row, 4);
        cublasLtMatrixLayoutSetAttribute(f.lc, 4, &ld, 8);
        both(f, S_INVALID, "ROW order ld < cols");
    }
    {
        Fixture f;
        int32_t bc = 2;
        int64_t st = 12;
        cublasLtMatrixLayoutSetAttribute(f.la, 5, &bc, 4);
        cublasLtMatrixLayoutSetAttribute(f.la, 6, &st, 8);
        both(f, S_INVALID, "batch count of A ≠ D's");
    }
    {
        Fixture f;
        int32_t t = 7;
        cublasLtMatmulDescSetAttribute(f.op, 4, &t, 4);
        both(f, S_INVALID, "TRANSB 7");
    }
    // Unsupported combinations → NOT_SUPPORTED.
    {
        Fixture f(R32F, R16BF);
        both(f, S_NOT_SUPPORTED, "f32 inputs, bf16 output");
    }
    {
        Fixture f(R16BF, R16F);
        both(f, S_NOT_SUPPORTED, "bf16 inputs, f16 output");
    }
    {
        Fixture f(R16BF, R32F, CTF32);
        both(f, S_NOT_SUPPORTED, "FAST_TF32 with bf16 inputs");
    }
    {
        Fixture f(R32F, R32F, C32F, R16F);
        both(f, S_NOT_SUPPORTED, "32F compute with 16F scale");
    }
    {
        Fixture f(R16F, R16F, C16F, R16F);
        both(f, S_NOT_SUPPORTED, "16F compute (not emulated)");
    }
    {
        Fixture f;
        uint32_t t = R16BF; // B bf16, A f32
        cublasLtMatrixLayoutSetAttribute(f.lb, 0, &t, 4);
        both(f, S_NOT_SUPPORTED, "A and B of different types");
    }
    {
        Fixture f;
        int32_t o = 2; // COL32
        cublasLtMatrixLayoutSetAttribute(f.la, 1, &o, 4);
        both(f, S_NOT_SUPPORTED, "ORDER_COL32");
    }
    {
        Fixture f;
        uint32_t e = 128 + 2; // RELU_AUX
        cublasLtMatmulDescSetAttribute(f.op, 7, &e, 4);
        both(f, S_NOT_SUPPORTED, "epilogue RELU_AUX");
    }
    {
        Fixture f;
        int32_t bt = R16BF; // bf16 bias with f32 D
        uint32_t e = EPI_BIAS;
        cublasLtMatmulDescSetAttribute(f.op, 7, &e, 4);
        cublasLtMatmulDescSetAttribute(f.op, 26, &bt, 4);
        both(f, S_NOT_SUPPORTED, "bf16 bias with f32 D");
    }
    {
        Fixture f;
        uint32_t al = 2; // below one f32 element
        cublasLtMatmulPreferenceSetAttribute(f.pref, 5, &al, 4);
        int cnt = -1;
        expect(f.heuristic(&cnt), S_NOT_SUPPORTED, "MIN_ALIGNMENT_A 2 for f32");
        check(cnt == 0, "no result for an impossible alignment");
    }
    // Bias epilogue without a bias pointer.
    {
        Fixture f;
        uint32_t e = EPI_BIAS;
        cublasLtMatmulDescSetAttribute(f.op, 7, &e, 4);
        expect(f.heuristic(), S_OK, "bias epilogue heuristic (pointer not needed)");
        expect(f.matmul(), S_INVALID, "bias epilogue, null bias pointer");
    }
    // C == D needs the same layout.
    {
        Fixture f;
        float one = 1;
        void* l2 = nullptr;
        cublasLtMatrixLayoutCreate(&l2, R32F, 4, 5, 4);
        int32_t row = 1;
        int64_t ld = 5;
        cublasLtMatrixLayoutSetAttribute(l2, 1, &row, 4);
        cublasLtMatrixLayoutSetAttribute(l2, 4, &ld, 8);
        expect(cublasLtMatmul(g_handle, f.op, &one, f.a, f.la, f.b, f.lb, &one, f.d, l2, f.d, f.ld, nullptr, nullptr, 0, nullptr),
            S_INVALID, "C == D with another layout");
        expect(cublasLtMatmul(g_handle, f.op, &one, f.a, f.la, f.b, f.lb, &one, f.c, l2, f.d, f.ld, nullptr, nullptr, 0, nullptr), S_OK,
            "C ≠ D with another layout");
        flush();
        cublasLtMatrixLayoutDestroy(l2);
    }
    // Out-of-bounds and unknown device pointers → EXECUTION_FAILED, nothing queued.
    {
        Fixture f;
        float one = 1;
        void* small = dalloc(size_t(4 * 5 * 4 - 4)); // one element short of D
        expect(cublasLtMatmul(g_handle, f.op, &one, f.a, f.la, f.b, f.lb, &one, f.c, f.lc, small, f.ld, nullptr, nullptr, 0, nullptr),
            S_EXEC, "D one element past its allocation");
        check(g_queue.empty(), "nothing queued for a failed call");
        char* mid = static_cast<char*>(f.a) + 4;
        expect(cublasLtMatmul(g_handle, f.op, &one, mid, f.la, f.b, f.lb, &one, f.c, f.lc, f.d, f.ld, nullptr, nullptr, 0, nullptr),
            S_EXEC, "A starting one element in");
        int stackBuf[64];
        expect(cublasLtMatmul(g_handle, f.op, &one, stackBuf, f.la, f.b, f.lb, &one, f.c, f.lc, f.d, f.ld, nullptr, nullptr, 0, nullptr),
            S_EXEC, "A not a device allocation");
        float zero = 0;
        expect(cublasLtMatmul(g_handle, f.op, &one, f.a, f.la, f.b, f.lb, &zero, stackBuf, f.lc, f.d, f.ld, nullptr, nullptr, 0, nullptr),
            S_OK, "beta 0: C not read, so not translated");
        flush();
        int32_t bc = 2;
        int64_t st = 0;
        for (void* l : {f.la, f.lb, f.lc, f.ld}) cublasLtMatrixLayoutSetAttribute(l, 5, &bc, 4);
        for (void* l : {f.la, f.lb, f.lc}) cublasLtMatrixLayoutSetAttribute(l, 6, &st, 8);
        st = 20;
        cublasLtMatrixLayoutSetAttribute(f.ld, 6, &st, 8);
        expect(f.matmul(), S_EXEC, "second batch entry of D past the allocation");
        void* d2 = dalloc(40 * 4);
        expect(cublasLtMatmul(g_handle, f.op, &one, f.a, f.la, f.b, f.lb, &one, f.c, f.lc, d2, f.ld, nullptr, nullptr, 0, nullptr), S_OK,
            "batch 2, stride-0 A/B/C, D exactly 2 entries");
        flush();
        dfree(d2);
        uint32_t e = EPI_BIAS;
        void* bias = dalloc(3 * 4); // m = 4
        cublasLtMatmulDescSetAttribute(f.op, 7, &e, 4);
        cublasLtMatmulDescSetAttribute(f.op, 8, &bias, 8);
        d2 = dalloc(40 * 4);
        expect(cublasLtMatmul(g_handle, f.op, &one, f.a, f.la, f.b, f.lb, &one, f.c, f.lc, d2, f.ld, nullptr, nullptr, 0, nullptr),
            S_EXEC, "bias shorter than m");
        dfree(d2);
        dfree(bias);
        dfree(small);
    }
    // Alignment the algorithm was chosen for.
    {
        Fixture f;
        HeuristicResult r;
        int cnt;
        f.heuristic(&cnt, &r); // default: 256 bytes
        float one = 1;
        void* big = dalloc(64 * 4);
        char* off = static_cast<char*>(big) + 4;
        expect(cublasLtMatmul(g_handle, f.op, &one, f.a, f.la, f.b, f.lb, &one, f.c, f.lc, off, f.ld, &r.algo, nullptr, 0, nullptr),
            S_NOT_SUPPORTED, "D 4-byte aligned with a 256-byte algorithm");
        uint32_t four = 4;
        cublasLtMatmulPreferenceSetAttribute(f.pref, 8, &four, 4);
        f.heuristic(&cnt, &r);
        expect(cublasLtMatmul(g_handle, f.op, &one, f.a, f.la, f.b, f.lb, &one, f.c, f.lc, off, f.ld, &r.algo, nullptr, 0, nullptr),
            S_OK, "D 4-byte aligned with MIN_ALIGNMENT_D 4");
        flush();
        dfree(big);
    }
    // Enqueue failure; destroyed descriptors; create/destroy statuses.
    {
        Fixture f;
        g_failEnqueue = true;
        expect(f.matmul(), S_EXEC, "stream refuses the work");
        g_failEnqueue = false;
        void* l = nullptr;
        cublasLtMatrixLayoutCreate(&l, R32F, 4, 3, 4);
        cublasLtMatrixLayoutDestroy(l);
        float one = 1;
        expect(cublasLtMatmul(g_handle, f.op, &one, f.a, l, f.b, f.lb, &one, f.c, f.lc, f.d, f.ld, nullptr, nullptr, 0, nullptr),
            S_INVALID, "destroyed Adesc");
        expect(cublasLtMatrixLayoutDestroy(nullptr), S_OK, "destroy null layout");
        expect(cublasLtDestroy(nullptr), S_NOT_INIT, "destroy null handle");
        expect(cublasLtCreate(nullptr), S_INVALID, "create into null");
        check(cublasLtGetVersion() >= 110000, "version");
    }
    // Stream order: nothing computed before the work runs; device-mode scalars read when it runs; alpha = 0 skips A·B.
    {
        Fixture f;
        for (int i = 0; i < 12; ++i) static_cast<float*>(f.a)[i] = 1, static_cast<float*>(f.b)[i] = 1;
        for (int i = 0; i < 15; ++i) static_cast<float*>(f.b)[i] = 1;
        for (int i = 0; i < 20; ++i) static_cast<float*>(f.c)[i] = 2, static_cast<float*>(f.d)[i] = -7;
        float alpha = 1, beta = 1;
        cublasLtMatmul(g_handle, f.op, &alpha, f.a, f.la, f.b, f.lb, &beta, f.c, f.lc, f.d, f.ld, nullptr, nullptr, 0, nullptr);
        check(static_cast<float*>(f.d)[0] == -7, "deferred: D untouched before the stream runs");
        flush();
        check(static_cast<float*>(f.d)[19] == 5, S("after the stream: 3 + 2 = %g", static_cast<float*>(f.d)[19]));
        int32_t pm = 1;
        cublasLtMatmulDescSetAttribute(f.op, 2, &pm, 4);
        float* sc = static_cast<float*>(dalloc(8));
        sc[0] = 1;
        sc[1] = 1;
        cublasLtMatmul(g_handle, f.op, sc, f.a, f.la, f.b, f.lb, sc + 1, f.c, f.lc, f.d, f.ld, nullptr, nullptr, 0, nullptr);
        sc[0] = 2;
        sc[1] = 0.5f;
        flush();
        check(static_cast<float*>(f.d)[3] == 7, S("device pointer mode reads scalars when the work runs: %g", static_cast<float*>(f.d)[3]));
        pm = 0;
        cublasLtMatmulDescSetAttribute(f.op, 2, &pm, 4);
        static_cast<float*>(f.a)[0] = NAN;
        alpha = 0;
        cublasLtMatmul(g_handle, f.op, &alpha, f.a, f.la, f.b, f.lb, &beta, f.c, f.lc, f.d, f.ld, nullptr, nullptr, 0, nullptr);
        flush();
        check(static_cast<float*>(f.d)[0] == 2, "alpha 0: D = beta·C, A not read");
        pm = 3; // ALPHA_DEVICE_VECTOR_BETA_ZERO
        cublasLtMatmulDescSetAttribute(f.op, 2, &pm, 4);
        expect(f.heuristic(), S_NOT_SUPPORTED, "alpha vector pointer mode");
        dfree(sc);
    }
}

int main()
{
    if (cublasLtCreate(&g_handle) != 0)
    {
        std::printf("cublasLtCreate failed\n");
        return 1;
    }
    randomSweep();
    specialCases();
    roundingCases();
    managedLayouts();
    statusCases();
    check(cublasLtDestroy(g_handle) == 0, "destroy handle");
    check(cublasLtDestroy(g_handle) == S_NOT_INIT, "destroy handle twice");
    std::printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
