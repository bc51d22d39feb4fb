// lab_elementwise.cu — validates (and times the bandwidth-bound ones at a Wan-sized tensor) the element-wise
// family: activations, broadcast ops, casts/fill, softmax/reductions, layout (permute, copy rows,
// patchify/unpatchify, upsample, embedding) and im2col, each against a double-precision CPU reference.
#include "../elementwise/activations.cu"
#include "../elementwise/broadcast.cu"
#include "../elementwise/convert.cu"
#include "../elementwise/reduce.cu"
#include "../elementwise/layout.cu"
#include "../elementwise/im2col.cu"
#include "lab_common.cuh"

static const long long kBig = 32760LL * 1536; // a Wan 1.3B activation [1, 32760, 1536]

typedef void (*UnaryK)(const FvUnaryParams);

static void unary_case(LabRng& rng, const char* name, UnaryK k, LabType t, long long n, float a, float b,
    double (*f)(double, double, double), bool time, long long offset = 0)
{
    if (time && lab_emulated()) return; // Wan-sized timing cases need the GPU
    auto x = lab_round(rng.normals(n + offset, 3.f), t);
    DevBuf dx = lab_upload(x, t), dy((n + offset) * lab_size(t));
    // offset > 0 starts both buffers off 16-byte alignment: the scalar path.
    FvUnaryParams p{(char*)dy.p + offset * lab_size(t), (const char*)dx.p + offset * lab_size(t), n, a, b};
    std::vector<double> ref(n);
    for (long long i = 0; i < n; i++) ref[i] = f(x[offset + i], a, b);
    dy.poison();
    LAB_LAUNCH(k, lab_grid_stride_blocks(n, 4), 256, 0, p);
    CK_LAUNCH();
    auto got = lab_decode(dy.download(), t);
    got.erase(got.begin(), got.begin() + offset);
    auto c = lab_compare(name, ref, got, t == LAB_F32 ? 1e-5 : 1e-2);
    double ms = time ? lab_time_ms([&] { LAB_LAUNCH(k, lab_grid_stride_blocks(n, 4), 256, 0, p); }) : -1;
    lab_add(name, std::to_string(n) + (offset ? " unaligned" : ""), c, ms, 2.0 * n * lab_size(t));
}

static double gelu_erf(double x, double, double) { return 0.5 * x * std::erfc(-x / std::sqrt(2.0)); }
static double gelu_tanh(double x, double, double) { return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))); }
static double silu(double x, double, double) { return x / (1 + std::exp(-x)); }
static double scale(double x, double a, double b) { return x * a + b; }
static double clampf(double x, double a, double b) { return std::min(std::max(x, a), b); }

static void broadcast_cases(LabRng& rng)
{
    // [B, N, C] ∘ [C] (rank 2 after collapsing) and modulate [B, N, C] with [B, 1, C] (rank 3).
    const int B = 2, N = 37, C = 129;
    auto a = rng.normals(B * N * C), bvec = rng.normals(C), sc = rng.normals(B * C), sh = rng.normals(B * C);
    DevBuf da(a.size() * 4), db(bvec.size() * 4), dsc(sc.size() * 4), dsh(sh.size() * 4), dy(a.size() * 4);
    da.upload(a); db.upload(bvec); dsc.upload(sc); dsh.upload(sh);
    const char* names[] = {"add_f32", "sub_f32", "mul_f32", "div_f32"};
    void (*ks[])(const FvBroadcastParams) = {fv_add_f32, fv_sub_f32, fv_mul_f32, fv_div_f32};
    for (int op = 0; op < 4; op++)
    {
        FvBroadcastParams p{};
        p.out = dy.p; p.in0 = da.p; p.in1 = db.p; p.numel = (long long)B * N * C; p.rank = 2;
        p.shape[0] = B * N; p.shape[1] = C; p.stride0[0] = C; p.stride0[1] = 1; p.stride1[0] = 0; p.stride1[1] = 1;
        std::vector<double> ref(a.size());
        for (size_t i = 0; i < a.size(); i++)
        {
            double x = a[i], y = bvec[i % C];
            ref[i] = op == 0 ? x + y : op == 1 ? x - y : op == 2 ? x * y : x / y;
        }
        dy.poison();
        LAB_LAUNCH(ks[op], lab_grid_stride_blocks(p.numel), 256, 0, p);
        CK_LAUNCH();
        lab_add(names[op], "[74,129] o [129]", lab_compare(names[op], ref, dy.download_f32(), 1e-5));
    }
    FvBroadcastParams p{};
    p.out = dy.p; p.in0 = da.p; p.in1 = dsc.p; p.in2 = dsh.p; p.numel = (long long)B * N * C; p.rank = 3;
    p.shape[0] = B; p.shape[1] = N; p.shape[2] = C;
    p.stride0[0] = (long long)N * C; p.stride0[1] = C; p.stride0[2] = 1;
    p.stride1[0] = C; p.stride1[1] = 0; p.stride1[2] = 1;
    p.stride2[0] = C; p.stride2[1] = 0; p.stride2[2] = 1;
    std::vector<double> ref(a.size()), ref2(a.size());
    for (int b = 0; b < B; b++)
        for (int n = 0; n < N; n++)
            for (int c = 0; c < C; c++)
            {
                size_t i = ((size_t)b * N + n) * C + c;
                ref[i] = a[i] * (1.0 + sc[b * C + c]) + sh[b * C + c];
                ref2[i] = a[i] + (double)sc[b * C + c] * sh[b * C + c];
            }
    dy.poison();
    LAB_LAUNCH(fv_modulate_f32, lab_grid_stride_blocks(p.numel), 256, 0, p);
    CK_LAUNCH();
    lab_add("modulate_f32", "[2,37,129] [2,1,129]", lab_compare("modulate_f32", ref, dy.download_f32(), 1e-5));
    dy.poison();
    LAB_LAUNCH(fv_add_gated_f32, lab_grid_stride_blocks(p.numel), 256, 0, p);
    CK_LAUNCH();
    lab_add("add_gated_f32", "[2,37,129] [2,1,129]", lab_compare("add_gated_f32", ref2, dy.download_f32(), 1e-5));

    // Contiguous binaries and axpby, timed at the Wan size.
    const long long n = lab_emulated() ? 4099 : kBig;
    auto x = rng.normals(n), y = rng.normals(n);
    DevBuf dx(n * 4), dyy(n * 4), dout(n * 4);
    dx.upload(x); dyy.upload(y);
    FvBinaryParams q{dout.p, dx.p, dyy.p, n, 0.7f, -1.3f};
    std::vector<double> r(n);
    for (long long i = 0; i < n; i++) r[i] = 0.7 * x[i] - 1.3 * y[i];
    dout.poison();
    LAB_LAUNCH(fv_axpby_f32, lab_grid_stride_blocks(n, 4), 256, 0, q);
    CK_LAUNCH();
    auto c = lab_compare("axpby_f32", r, dout.download_f32(), 1e-5);
    lab_add("axpby_f32", std::to_string(n), c, lab_time_ms([&] { LAB_LAUNCH(fv_axpby_f32, lab_grid_stride_blocks(n, 4), 256, 0, q); }), 12.0 * n);
    for (long long i = 0; i < n; i++) r[i] = (double)x[i] * y[i];
    dout.poison();
    LAB_LAUNCH(fv_mul_f32_contig, lab_grid_stride_blocks(n, 4), 256, 0, q);
    CK_LAUNCH();
    lab_add("mul_f32_contig", std::to_string(n), lab_compare("mul_f32_contig", r, dout.download_f32(), 1e-5));
}

// ---- fv_cast_any: every pair of the 7 dtypes against the CPU twin's rules (CpuCast.cs), written out here in
// double / int64 arithmetic. Integer outputs are compared byte for byte, float outputs exactly (NaN = NaN).

static const int kDtSize[7] = {4, 2, 2, 4, 8, 1, 1}; // F32, F16, BF16, I32, I64, U8, Bool
static const char* kDtName[7] = {"f32", "f16", "bf16", "i32", "i64", "u8", "bool"};

/// Source values as stored bytes: edge cases (rounding ties, type limits, ±inf, NaN, subnormals) then random ones.
static std::vector<uint8_t> cast_source(LabRng& rng, int dt, long long n)
{
    std::vector<uint8_t> raw(n * kDtSize[dt]);
    if (dt <= FV_DT_BF16)
    {
        std::vector<float> v = {0.f, -0.f, 0.4f, -0.6f, 1.5f, -2.5f, 2.5f, 127.9f, 128.f, 255.5f, 256.f, 300.7f, -129.3f, 65504.f,
            65520.f, 1e5f, 3e9f, -3e9f, 2147483520.f, 2147483648.f, -2147483648.f, -2147483904.f, 1e19f, -1e19f, 9.2233715e18f,
            9.2233720e18f, -9.2233720e18f, INFINITY, -INFINITY, NAN, 1e-40f, -7.f};
        while ((long long)v.size() < n) v.push_back(rng.normal() * 1000.f);
        v.resize(n);
        auto enc = lab_encode(v, dt == FV_DT_F32 ? LAB_F32 : dt == FV_DT_F16 ? LAB_F16 : LAB_BF16);
        std::memcpy(raw.data(), enc.data(), raw.size());
        return raw;
    }
    std::vector<long long> v;
    if (dt == FV_DT_U8) for (int i = 0; i < 256; i++) v.push_back(i);
    else if (dt == FV_DT_BOOL) for (int i = 0; i < 8; i++) v.push_back(i & 1);
    else
    {
        v = {0, 1, -1, 255, 256, -129, 300, 16777217, 16777219, 2147483647, -2147483647 - 1, 123456789};
        if (dt == FV_DT_I64)
            for (long long w : {(1LL << 40) + 1, -((1LL << 53) + 1), (1LL << 62) + 12345, 4294967296LL + 7, -4294967295LL,
                     9223372036854775807LL, -9223372036854775807LL - 1, 9007199254740993LL})
                v.push_back(w);
    }
    while ((long long)v.size() < n)
    {
        long long r = (long long)(rng.next() >> 1);
        v.push_back(dt == FV_DT_U8 ? r & 255 : dt == FV_DT_BOOL ? r & 1 : dt == FV_DT_I32 ? (long long)(int32_t)(uint32_t)r : r - (1LL << 62));
    }
    for (long long i = 0; i < n; i++)
    {
        long long w = v[i];
        if (dt == FV_DT_I32) { int32_t x = (int32_t)w; std::memcpy(&raw[4 * i], &x, 4); }
        else if (dt == FV_DT_I64) std::memcpy(&raw[8 * i], &w, 8);
        else raw[i] = (uint8_t)w;
    }
    return raw;
}

/// One element converted by CpuCast's rules: the expected stored bytes.
static void cast_ref(const uint8_t* src, int from, uint8_t* dst, int to)
{
    bool is_float = from <= FV_DT_BF16;
    double f = 0;
    long long w = 0;
    if (from == FV_DT_F32) { float x; std::memcpy(&x, src, 4); f = x; }
    else if (from == FV_DT_F16 || from == FV_DT_BF16) { uint16_t h; std::memcpy(&h, src, 2); f = from == FV_DT_F16 ? h_from_f16(h) : h_from_bf16(h); }
    else if (from == FV_DT_I32) { int32_t x; std::memcpy(&x, src, 4); w = x; }
    else if (from == FV_DT_I64) std::memcpy(&w, src, 8);
    else w = src[0];
    auto sat = [](double d, double lo, double hi) -> long long {
        if (std::isnan(d)) return 0;
        if (d >= hi) return hi >= 9e18 ? 9223372036854775807LL : (long long)hi - 1;
        if (d <= lo) return lo <= -9e18 ? -9223372036854775807LL - 1 : (long long)lo;
        return (long long)std::trunc(d);
    };
    float asf = is_float ? (float)f : (float)w; // (float)int64: one rounding to nearest even
    switch (to)
    {
    case FV_DT_F32: std::memcpy(dst, &asf, 4); break;
    case FV_DT_F16: { uint16_t h = h_to_f16(asf); std::memcpy(dst, &h, 2); break; }
    case FV_DT_BF16: { uint16_t h = h_to_bf16(asf); std::memcpy(dst, &h, 2); break; }
    case FV_DT_I32:
    {
        int32_t x = is_float ? (int32_t)sat(f, -2147483648.0, 2147483648.0) : (int32_t)(uint32_t)(uint64_t)w;
        std::memcpy(dst, &x, 4);
        break;
    }
    case FV_DT_I64:
    {
        long long x = is_float ? sat(f, -9223372036854775808.0, 9223372036854775808.0) : w;
        std::memcpy(dst, &x, 8);
        break;
    }
    case FV_DT_U8: dst[0] = is_float ? (uint8_t)(uint32_t)(int32_t)sat(f, -2147483648.0, 2147483648.0) : (uint8_t)(uint64_t)w; break;
    default: dst[0] = is_float ? (f != 0 ? 1 : 0) : (w != 0 ? 1 : 0); break; // NaN != 0
    }
}

static void cast_any_cases(LabRng& rng)
{
    const long long n = 301;
    for (int from = 0; from < 7; from++)
    {
        auto src = cast_source(rng, from, n);
        DevBuf dx(src.size());
        dx.upload(src);
        for (int to = 0; to < 7; to++)
        {
            DevBuf dy(n * kDtSize[to]);
            FvCastParams p{dy.p, dx.p, n, from, to};
            dy.poison();
            LAB_LAUNCH(fv_cast_any, lab_grid_stride_blocks(n), 256, 0, p);
            CK_LAUNCH();
            auto got = dy.download();
            std::vector<uint8_t> want(got.size());
            for (long long i = 0; i < n; i++) cast_ref(&src[i * kDtSize[from]], from, &want[i * kDtSize[to]], to);
            LabCheck c;
            c.pass = true;
            std::string name = std::string("cast_any ") + kDtName[from] + "→" + kDtName[to];
            for (long long i = 0; i < n; i++)
            {
                const uint8_t *g = &got[i * kDtSize[to]], *w = &want[i * kDtSize[to]];
                bool same = std::memcmp(g, w, kDtSize[to]) == 0;
                if (!same && to <= FV_DT_BF16) // floats: any NaN matches any NaN (the payloads differ by design)
                {
                    double gv = to == FV_DT_F32 ? (double)u2f(g[0] | g[1] << 8 | g[2] << 16 | (uint32_t)g[3] << 24)
                        : to == FV_DT_F16 ? h_from_f16((uint16_t)(g[0] | g[1] << 8)) : h_from_bf16((uint16_t)(g[0] | g[1] << 8));
                    double wv = to == FV_DT_F32 ? (double)u2f(w[0] | w[1] << 8 | w[2] << 16 | (uint32_t)w[3] << 24)
                        : to == FV_DT_F16 ? h_from_f16((uint16_t)(w[0] | w[1] << 8)) : h_from_bf16((uint16_t)(w[0] | w[1] << 8));
                    same = std::isnan(gv) && std::isnan(wv);
                }
                if (!same)
                {
                    if (c.bad < 6)
                    {
                        std::printf("  MISMATCH %s [%lld]: got", name.c_str(), i);
                        for (int b = 0; b < kDtSize[to]; b++) std::printf(" %02x", g[b]);
                        std::printf(", want");
                        for (int b = 0; b < kDtSize[to]; b++) std::printf(" %02x", w[b]);
                        std::printf("\n");
                    }
                    c.bad++;
                    c.pass = false;
                }
            }
            lab_add(name, std::to_string(n) + " (bytes)", c);
        }
    }
}

static void cast_cases(LabRng& rng)
{
    const LabType ts[] = {LAB_F32, LAB_BF16, LAB_F16};
    void (*ks[3][3])(const FvUnaryParams) = {{nullptr, fv_cast_f32_bf16, fv_cast_f32_f16}, {fv_cast_bf16_f32, nullptr, fv_cast_bf16_f16}, {fv_cast_f16_f32, fv_cast_f16_bf16, nullptr}};
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++)
        {
            if (a == b) continue;
            const long long n = 1003;
            auto x = lab_round(rng.normals(n, 100.f), ts[a]);
            auto expect = lab_round(x, ts[b]); // one rounding from the exact source value
            std::vector<double> ref(expect.begin(), expect.end());
            DevBuf dx = lab_upload(x, ts[a]), dy(n * lab_size(ts[b]));
            FvUnaryParams p{dy.p, dx.p, n, 0, 0};
            dy.poison();
            LAB_LAUNCH(ks[a][b], lab_grid_stride_blocks(n, 8), 256, 0, p);
            CK_LAUNCH();
            std::string name = std::string("cast_") + lab_type_name(ts[a]) + "_" + lab_type_name(ts[b]);
            auto got = lab_decode(dy.download(), ts[b]);
            LabCheck c = lab_compare(name.c_str(), ref, got, 0.0);
            lab_add(name, "1003 (exact)", c);
        }
    cast_any_cases(rng);
    const long long n = 777;
    DevBuf dy(n * 2);
    FvFillParams p{dy.p, n, 0x3F80, 2, 0};
    dy.poison();
    LAB_LAUNCH(fv_fill, lab_grid_stride_blocks(n), 256, 0, p);
    CK_LAUNCH();
    lab_add("fill", "777 x bf16 1.0", lab_compare("fill", std::vector<double>(n, 1.0), lab_decode(dy.download(), LAB_BF16), 0.0));
}

static void reduce_cases(LabRng& rng)
{
    for (int cols : {1, 7, 1000, 4096})
    {
        const long long rows = 33;
        auto x = rng.normals(rows * cols, 4.f);
        DevBuf dx(x.size() * 4), dy(x.size() * 4);
        dx.upload(x);
        FvSoftmaxParams p{dy.p, dx.p, rows, cols, 0};
        std::vector<double> ref(x.size());
        for (long long r = 0; r < rows; r++)
        {
            double mx = -INFINITY, s = 0;
            for (int c = 0; c < cols; c++) mx = std::max(mx, (double)x[r * cols + c]);
            for (int c = 0; c < cols; c++) s += std::exp(x[r * cols + c] - mx);
            for (int c = 0; c < cols; c++) ref[r * cols + c] = std::exp(x[r * cols + c] - mx) / s;
        }
        dy.poison();
        LAB_LAUNCH(fv_softmax_f32, rows, lab_row_threads(cols, 4), 0, p);
        CK_LAUNCH();
        lab_add("softmax_f32", "33x" + std::to_string(cols), lab_compare("softmax_f32", ref, dy.download_f32(), 1e-5));
    }
    // Masked rows: row 1 all −inf, row 3 half −inf, row 4 holds a NaN. zero_masked_rows = 0: row 1 is NaN (plain
    // softmax); = 1: row 1 is 0 (attention's rule). The other rows are the ordinary softmax either way.
    for (int zero = 0; zero < 2; zero++)
        for (int cols : {37, 600})
        {
            const long long rows = 6;
            auto x = rng.normals(rows * cols, 4.f);
            for (int c = 0; c < cols; c++) x[1 * cols + c] = -INFINITY;
            for (int c = 0; c < cols; c += 2) x[3 * cols + c] = -INFINITY;
            x[4 * cols + cols / 2] = NAN;
            DevBuf dx(x.size() * 4), dy(x.size() * 4);
            dx.upload(x);
            FvSoftmaxParams p{dy.p, dx.p, rows, cols, zero};
            std::vector<double> ref(x.size());
            for (long long r = 0; r < rows; r++)
            {
                double mx = -INFINITY, s = 0;
                bool nan = false;
                for (int c = 0; c < cols; c++) { nan |= std::isnan(x[r * cols + c]); mx = std::max(mx, (double)x[r * cols + c]); }
                for (int c = 0; c < cols; c++) s += std::exp(x[r * cols + c] - mx);
                for (int c = 0; c < cols; c++)
                    ref[r * cols + c] = nan ? NAN : mx == -INFINITY ? (zero ? 0.0 : NAN) : std::exp(x[r * cols + c] - mx) / s;
            }
            dy.poison();
            LAB_LAUNCH(fv_softmax_f32, rows, lab_row_threads(cols, 4), 0, p);
            CK_LAUNCH();
            lab_add("softmax_f32", "6x" + std::to_string(cols) + (zero ? " masked rows → 0" : " masked rows → NaN"),
                lab_compare("softmax_f32", ref, dy.download_f32(), 1e-5));
        }
    for (auto dims : std::vector<std::vector<long long>>{{3, 1000, 1}, {4, 17, 129}, {1, 5, 1}, {2, 1, 7}})
    {
        long long outer = dims[0], len = dims[1], inner = dims[2];
        auto x = rng.normals(outer * len * inner, 1.f, 3.f);
        DevBuf dx(x.size() * 4), dy(outer * inner * 4);
        dx.upload(x);
        for (int mean = 0; mean < 2; mean++)
        {
            FvReduceParams p{dy.p, dx.p, outer, len, inner, mean, 0};
            std::vector<double> ref(outer * inner, 0.0);
            for (long long o = 0; o < outer; o++)
                for (long long l = 0; l < len; l++)
                    for (long long i = 0; i < inner; i++) ref[o * inner + i] += x[(o * len + l) * inner + i];
            if (mean) for (auto& r : ref) r /= len;
            dy.poison();
            if (inner == 1) LAB_LAUNCH(fv_reduce_rows_f32, outer, 256, 0, p);
            else LAB_LAUNCH(fv_reduce_cols_f32, lab_grid_stride_blocks(outer * inner), 256, 0, p);
            CK_LAUNCH();
            std::string name = inner == 1 ? "reduce_rows_f32" : "reduce_cols_f32";
            lab_add(name, std::to_string(outer) + "x" + std::to_string(len) + "x" + std::to_string(inner) + (mean ? " mean" : " sum"),
                lab_compare(name.c_str(), ref, dy.download_f32(), 1e-6));
        }
    }
}

static void layout_cases(LabRng& rng)
{
    { // permute [2, 3, 5, 7] → dims (2, 0, 3, 1), 4-byte elements
        long long s[4] = {2, 3, 5, 7}, perm[4] = {2, 0, 3, 1};
        long long st[4] = {105, 35, 7, 1};
        auto x = rng.normals(210);
        DevBuf dx(840), dy(840);
        dx.upload(x);
        FvPermuteParams p{};
        p.y = dy.p; p.x = dx.p; p.numel = 210; p.rank = 4;
        for (int d = 0; d < 4; d++) { p.shape[d] = s[perm[d]]; p.in_stride[d] = st[perm[d]]; }
        std::vector<double> ref(210);
        long long o = 0;
        for (long long a = 0; a < 5; a++) for (long long b = 0; b < 2; b++) for (long long c = 0; c < 7; c++) for (long long d = 0; d < 3; d++)
            ref[o++] = x[b * 105 + d * 35 + a * 7 + c];
        dy.poison();
        LAB_LAUNCH(fv_permute_b4, lab_grid_stride_blocks(210), 256, 0, p);
        CK_LAUNCH();
        lab_add("permute_b4", "[2,3,5,7]->(2,0,3,1)", lab_compare("permute_b4", ref, dy.download_f32(), 0.0));
    }
    { // copy rows: slice columns [3, 3+50) of a [37, 61] f32 matrix (unaligned: 4-byte units) and a 16-byte-aligned case
        for (int start : {3, 4})
        {
            auto x = rng.normals(37 * 64);
            DevBuf dx(x.size() * 4), dy(37 * 52 * 4);
            dx.upload(x);
            FvCopyRowsParams p{dy.p, (const char*)dx.p + start * 4, 37, 52 * 4, 64 * 4, 52 * 4};
            std::vector<double> ref(37 * 52);
            for (int r = 0; r < 37; r++) for (int c = 0; c < 52; c++) ref[r * 52 + c] = x[r * 64 + start + c];
            dy.poison();
            LAB_LAUNCH(fv_copy_rows, lab_grid_stride_blocks(37 * 52), 256, 0, p);
            CK_LAUNCH();
            lab_add("copy_rows", start == 3 ? "slice 37x52 (4B units)" : "slice 37x52 (16B units)", lab_compare("copy_rows", ref, dy.download_f32(), 0.0));
        }
    }
    { // patchify then unpatchify (Wan 1×2×2): [B, C, T, H, W] → [B, L, C·4] → back (with the unpatchify inner order)
        const int B = 2, C = 3, T = 3, H = 6, W = 10, pt = 1, ph = 2, pw = 2;
        const long long n = (long long)B * C * T * H * W;
        auto x = rng.normals(n);
        DevBuf dx(n * 4), dy(n * 4), dz(n * 4);
        dx.upload(x);
        FvPatchParams p{dy.p, dx.p, n, B, C, T, H, W, pt, ph, pw};
        std::vector<double> ref(n), back(n);
        const int f = T / pt, h = H / ph, w = W / pw;
        const long long K = (long long)C * pt * ph * pw;
        for (int b = 0; b < B; b++) for (int c = 0; c < C; c++) for (int t = 0; t < T; t++) for (int i = 0; i < H; i++) for (int j = 0; j < W; j++)
        {
            long long l = ((long long)(t / pt) * h + i / ph) * w + j / pw;
            long long k = (((long long)c * pt + t % pt) * ph + i % ph) * pw + j % pw;
            double v = x[(((long long)(b * C + c) * T + t) * H + i) * W + j];
            ref[((long long)b * f * h * w + l) * K + k] = v;
        }
        dy.poison();
        LAB_LAUNCH(fv_patchify_b4, lab_grid_stride_blocks(n), 256, 0, p);
        CK_LAUNCH();
        lab_add("patchify_b4", "[2,3,3,6,10] p122", lab_compare("patchify_b4", ref, dy.download_f32(), 0.0));
        // Unpatchify input: [B, L, (kt, kh, kw, c)]; y[b, c, t, i, j] = x[b, l, ((kt·ph + kh)·pw + kw)·C + c].
        auto u = rng.normals(n);
        dx.upload(u);
        for (int b = 0; b < B; b++) for (int c = 0; c < C; c++) for (int t = 0; t < T; t++) for (int i = 0; i < H; i++) for (int j = 0; j < W; j++)
        {
            long long l = ((long long)(t / pt) * h + i / ph) * w + j / pw;
            long long k = (((long long)(t % pt) * ph + i % ph) * pw + j % pw) * C + c;
            back[(((long long)(b * C + c) * T + t) * H + i) * W + j] = u[((long long)b * f * h * w + l) * K + k];
        }
        FvPatchParams q{dz.p, dx.p, n, B, C, T, H, W, pt, ph, pw};
        dz.poison();
        LAB_LAUNCH(fv_unpatchify_b4, lab_grid_stride_blocks(n), 256, 0, q);
        CK_LAUNCH();
        lab_add("unpatchify_b4", "[2,3,3,6,10] p122", lab_compare("unpatchify_b4", back, dz.download_f32(), 0.0));
    }
    { // nearest 2× upsample, 16-bit elements
        const long long planes = 6, H = 5, W = 7;
        auto x = lab_round(rng.normals(planes * H * W), LAB_BF16);
        DevBuf dx = lab_upload(x, LAB_BF16), dy(planes * 4 * H * W * 2);
        FvUpsampleParams p{dy.p, dx.p, planes, (int)H, (int)W};
        std::vector<double> ref(planes * 4 * H * W);
        for (long long pl = 0; pl < planes; pl++) for (long long i = 0; i < 2 * H; i++) for (long long j = 0; j < 2 * W; j++)
            ref[(pl * 2 * H + i) * 2 * W + j] = x[(pl * H + i / 2) * W + j / 2];
        dy.poison();
        LAB_LAUNCH(fv_upsample_nearest2x_b2, lab_grid_stride_blocks(planes * 4 * H * W), 256, 0, p);
        CK_LAUNCH();
        lab_add("upsample_nearest2x_b2", "[6,5,7]", lab_compare("upsample_nearest2x_b2", ref, lab_decode(dy.download(), LAB_BF16), 0.0));
    }
    { // embedding: bf16 weight, i64 ids, one bad id → NaN row + error flag
        const int V = 50, D = 24;
        const long long count = 9;
        auto w = lab_round(rng.normals(V * D), LAB_BF16);
        std::vector<long long> ids = {0, 49, 7, 7, 13, 2, 48, 1, 50};
        DevBuf dw = lab_upload(w, LAB_BF16), di(ids.size() * 8), dy(count * D * 4), de(4);
        di.upload(ids.data(), ids.size() * 8);
        CK(cudaMemset(de.p, 0, 4));
        FvEmbeddingParams p{dy.p, dw.p, di.p, de.as<int>(), count, V, D, FV_DT_BF16, FV_DT_I64};
        std::vector<double> ref(count * D);
        for (long long k = 0; k < count; k++)
            for (int d = 0; d < D; d++) ref[k * D + d] = ids[k] < V ? (double)w[ids[k] * D + d] : NAN;
        dy.poison();
        LAB_LAUNCH(fv_embedding_f32, lab_grid_stride_blocks(count * D), 256, 0, p);
        CK_LAUNCH();
        auto c = lab_compare("embedding_f32", ref, dy.download_f32(), 0.0);
        int err = 0;
        CK(cudaMemcpy(&err, de.p, 4, cudaMemcpyDeviceToHost));
        c.pass = c.pass && err == 1;
        lab_add("embedding_f32", "bf16 [50,24] i64 x9 (1 bad)", c);
    }
}

static void im2col_case(LabRng& rng, int C, int T, int H, int W, int kt, int kh, int kw, int st, int sh, int sw, int pf, int pb, int ptop, int pbot, int pl, int pr, int r0, int rows_req)
{
    const int To = (T + pf + pb - kt) / st + 1, Ho = (H + ptop + pbot - kh) / sh + 1, Wo = (W + pl + pr - kw) / sw + 1;
    const int rows = std::min(rows_req, To * Ho - r0);
    auto x = rng.normals((long long)C * T * H * W);
    const long long K = (long long)C * kt * kh * kw, cols = (long long)rows * Wo;
    DevBuf dx(x.size() * 4), dc(K * cols * 4);
    dx.upload(x);
    FvIm2ColParams p{dc.p, dx.p, C, T, H, W, kt, kh, kw, st, sh, sw, pf, ptop, pl, To, Ho, Wo, r0, rows};
    std::vector<double> ref(K * cols);
    for (long long k = 0; k < K; k++)
        for (long long j = 0; j < cols; j++)
        {
            int a = (int)(k % kw), b = (int)(k / kw % kh), d = (int)(k / kw / kh % kt), c = (int)(k / kw / kh / kt);
            int r = r0 + (int)(j / Wo), wo = (int)(j % Wo), to = r / Ho, ho = r % Ho;
            int ti = to * st - pf + d, hi = ho * sh - ptop + b, wi = wo * sw - pl + a;
            bool in = ti >= 0 && ti < T && hi >= 0 && hi < H && wi >= 0 && wi < W;
            ref[k * cols + j] = in ? x[(((long long)c * T + ti) * H + hi) * W + wi] : 0.0;
        }
    dc.poison();
    LAB_LAUNCH(fv_im2col_f32, lab_grid_stride_blocks(K * cols), 256, 0, p);
    CK_LAUNCH();
    char shape[96];
    std::snprintf(shape, sizeof shape, "C%d %dx%dx%d k%d%d%d s%d%d%d r%d+%d", C, T, H, W, kt, kh, kw, st, sh, sw, r0, rows);
    lab_add("im2col_f32", shape, lab_compare("im2col_f32", ref, dc.download_f32(), 0.0));
}

int main()
{
    LabRng rng(2024);
    std::printf("lab_elementwise\n");
    unary_case(rng, "gelu_erf_f32", fv_gelu_erf_f32, LAB_F32, 1027, 0, 0, gelu_erf, false);
    unary_case(rng, "gelu_erf_f32", fv_gelu_erf_f32, LAB_F32, 1027, 0, 0, gelu_erf, false, 1);
    unary_case(rng, "gelu_tanh_f32", fv_gelu_tanh_f32, LAB_F32, 1027, 0, 0, gelu_tanh, false);
    unary_case(rng, "silu_f32", fv_silu_f32, LAB_F32, 1027, 0, 0, silu, false);
    unary_case(rng, "gelu_erf_bf16", fv_gelu_erf_bf16, LAB_BF16, 1031, 0, 0, gelu_erf, false);
    unary_case(rng, "gelu_tanh_bf16", fv_gelu_tanh_bf16, LAB_BF16, 1031, 0, 0, gelu_tanh, false, 3);
    unary_case(rng, "silu_bf16", fv_silu_bf16, LAB_BF16, 1031, 0, 0, silu, false);
    unary_case(rng, "scale_f32", fv_scale_f32, LAB_F32, 999, 0.37f, -2.f, scale, false);
    unary_case(rng, "clamp_f32", fv_clamp_f32, LAB_F32, 999, -1.f, 2.5f, clampf, false);
    unary_case(rng, "gelu_tanh_f32", fv_gelu_tanh_f32, LAB_F32, kBig * 4, 0, 0, gelu_tanh, true);
    unary_case(rng, "silu_bf16", fv_silu_bf16, LAB_BF16, kBig * 4, 0, 0, silu, true);
    broadcast_cases(rng);
    cast_cases(rng);
    reduce_cases(rng);
    layout_cases(rng);
    im2col_case(rng, 3, 1, 9, 11, 1, 3, 3, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1 << 30);   // conv2d 3×3 pad 1
    im2col_case(rng, 2, 1, 10, 9, 1, 3, 3, 1, 2, 2, 0, 0, 0, 1, 0, 1, 0, 1 << 30);   // conv2d stride 2, asymmetric pad
    im2col_case(rng, 2, 5, 6, 7, 3, 3, 3, 1, 1, 1, 2, 0, 1, 1, 1, 1, 0, 1 << 30);    // causal conv3d (front pad 2)
    im2col_case(rng, 2, 5, 6, 7, 3, 3, 3, 1, 1, 1, 2, 0, 1, 1, 1, 1, 7, 11);         // a slab of output rows
    return lab_report("lab_elementwise");
}
