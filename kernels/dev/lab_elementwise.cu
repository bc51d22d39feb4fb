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
