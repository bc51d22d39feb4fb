// lab_qkv.cu — validates and times qkv_norm_rope.cu (and the standalone rope.cu) against a double-precision
// reference of the unfused chain: RMSNorm over H·D, interleaved RoPE, permute to [B, H, N, D].
#include "../qkv/qkv_norm_rope.cu"
#include "../elementwise/rope.cu"
#include "lab_common.cuh"

static void qkv_case(LabRng& rng, int B, int N, int H, int D, LabType tin, LabType tout, bool norm, bool rope, bool weights, bool time)
{
    if (time && lab_emulated()) return; // Wan-sized timing cases need the GPU
    const long long HD = (long long)H * D, rows = (long long)B * N, stride = 3 * HD;
    auto qkv = lab_round(rng.normals(rows * stride, 1.5f, 0.1f), tin);
    auto wq = rng.normals(HD, 0.3f, 1.f), wk = rng.normals(HD, 0.3f, 1.f);
    std::vector<float> cs(N * (D / 2)), sn(N * (D / 2));
    for (size_t i = 0; i < cs.size(); i++)
    {
        double th = rng.uniform() * 6.283185307179586 * 4;
        cs[i] = (float)std::cos(th);
        sn[i] = (float)std::sin(th);
    }
    DevBuf dqkv = lab_upload(qkv, tin), dwq(HD * 4), dwk(HD * 4), dc(cs.size() * 4), ds(sn.size() * 4);
    dwq.upload(wq); dwk.upload(wk); dc.upload(cs); ds.upload(sn);
    const size_t out_bytes = rows * HD * lab_size(tout);
    DevBuf dq(out_bytes), dk(out_bytes), dv(out_bytes);
    FvQkvNormRopeParams p{dq.p, dk.p, dv.p, dqkv.p, weights ? dwq.as<float>() : nullptr, weights ? dwk.as<float>() : nullptr,
        rope ? dc.as<float>() : nullptr, rope ? ds.as<float>() : nullptr, stride, B, N, H, D, 1e-6f, norm ? 1 : 0};

    std::vector<double> rq(rows * HD), rk(rows * HD), rv(rows * HD);
    for (long long t = 0; t < rows; t++)
    {
        long long b = t / N, n = t % N;
        for (int which = 0; which < 3; which++)
        {
            const float* x = &qkv[t * stride + which * HD];
            double rs = 1;
            if (norm && which < 2)
            {
                double ss = 0;
                for (long long c = 0; c < HD; c++) ss += (double)x[c] * x[c];
                rs = 1.0 / std::sqrt(ss / HD + 1e-6);
            }
            auto& out = which == 0 ? rq : which == 1 ? rk : rv;
            for (int h = 0; h < H; h++)
                for (int i = 0; i < D / 2; i++)
                {
                    long long c = (long long)h * D + 2 * i;
                    double a0 = x[c], a1 = x[c + 1];
                    if (which < 2 && norm)
                    {
                        const auto& w = which == 0 ? wq : wk;
                        a0 *= rs * (weights ? w[c] : 1.0);
                        a1 *= rs * (weights ? w[c + 1] : 1.0);
                    }
                    double o0 = a0, o1 = a1;
                    if (which < 2 && rope)
                    {
                        double cc = cs[n * (D / 2) + i], ss = sn[n * (D / 2) + i];
                        o0 = a0 * cc - a1 * ss;
                        o1 = a0 * ss + a1 * cc;
                    }
                    long long o = ((b * H + h) * N + n) * D + 2 * i;
                    out[o] = o0;
                    out[o + 1] = o1;
                }
        }
    }
    auto kern = tin == LAB_F32 ? (tout == LAB_F32 ? fv_qkv_norm_rope_f32_f32 : tout == LAB_BF16 ? fv_qkv_norm_rope_f32_bf16 : fv_qkv_norm_rope_f32_f16)
                               : tin == LAB_BF16 ? fv_qkv_norm_rope_bf16_bf16 : fv_qkv_norm_rope_f16_f16;
    dim3 grid((unsigned)std::min<long long>(rows, 1 << 20)), block(256);
    dq.poison(); dk.poison(); dv.poison();
    LAB_LAUNCH(kern, grid, block, 0, p);
    CK_LAUNCH();
    std::string name = std::string("qkv_norm_rope_") + lab_type_name(tin) + "_" + lab_type_name(tout);
    char shape[96];
    std::snprintf(shape, sizeof shape, "B%d N%d H%d D%d%s%s%s", B, N, H, D, norm ? " n" : "", rope ? " r" : "", weights ? " w" : "");
    double tol = tout == LAB_F32 ? 1e-5 : 1e-2;
    auto c1 = lab_compare((name + " q").c_str(), rq, lab_decode(dq.download(), tout), tol);
    auto c2 = lab_compare((name + " k").c_str(), rk, lab_decode(dk.download(), tout), tol);
    auto c3 = lab_compare((name + " v").c_str(), rv, lab_decode(dv.download(), tout), tol);
    LabCheck c = c1;
    c.rel_l2 = std::max({c1.rel_l2, c2.rel_l2, c3.rel_l2});
    c.pass = c1.pass && c2.pass && c3.pass;
    double ms = time ? lab_time_ms([&] { LAB_LAUNCH(kern, grid, block, 0, p); }) : -1;
    lab_add(name, shape, c, ms, (double)rows * 3 * HD * (lab_size(tin) + lab_size(tout)));
}

static void rope_case(LabRng& rng, int B, int N, int H, int D, bool time)
{
    if (time && lab_emulated()) return; // Wan-sized timing cases need the GPU
    long long rows = (long long)B * N, n = rows * H * D;
    auto x = rng.normals(n);
    std::vector<float> cs(N * (D / 2)), sn(N * (D / 2));
    for (size_t i = 0; i < cs.size(); i++) { double th = rng.uniform() * 20; cs[i] = (float)std::cos(th); sn[i] = (float)std::sin(th); }
    DevBuf dx(n * 4), dy(n * 4), dc(cs.size() * 4), ds(sn.size() * 4);
    dx.upload(x); dc.upload(cs); ds.upload(sn);
    FvRopeParams p{dy.p, dx.p, dc.as<float>(), ds.as<float>(), rows, N, H, D, 0};
    std::vector<double> ref(n);
    for (long long r = 0; r < rows; r++)
        for (int h = 0; h < H; h++)
            for (int i = 0; i < D / 2; i++)
            {
                long long o = (r * H + h) * D + 2 * i, t = (r % N) * (D / 2) + i;
                ref[o] = (double)x[o] * cs[t] - (double)x[o + 1] * sn[t];
                ref[o + 1] = (double)x[o] * sn[t] + (double)x[o + 1] * cs[t];
            }
    dim3 grid(lab_grid_stride_blocks(n / 2)), block(256);
    dy.poison();
    LAB_LAUNCH(fv_rope_f32, grid, block, 0, p);
    CK_LAUNCH();
    auto c = lab_compare("rope_f32", ref, dy.download_f32(), 1e-5);
    double ms = time ? lab_time_ms([&] { LAB_LAUNCH(fv_rope_f32, grid, block, 0, p); }) : -1;
    lab_add("rope_f32", "B" + std::to_string(B) + " N" + std::to_string(N) + " H" + std::to_string(H) + " D" + std::to_string(D), c, ms, (double)n * 8);
}

int main()
{
    LabRng rng(99);
    std::printf("lab_qkv\n");
    qkv_case(rng, 2, 37, 3, 64, LAB_F32, LAB_F32, true, true, true, false);
    qkv_case(rng, 1, 5, 2, 6, LAB_F32, LAB_F32, true, true, true, false);   // D % 4 != 0: scalar path
    qkv_case(rng, 2, 19, 2, 128, LAB_F32, LAB_BF16, true, true, true, false);
    qkv_case(rng, 1, 23, 3, 128, LAB_F32, LAB_F16, true, true, false, false);
    qkv_case(rng, 2, 17, 4, 64, LAB_BF16, LAB_BF16, true, true, true, false);
    qkv_case(rng, 1, 9, 2, 128, LAB_F16, LAB_F16, false, true, false, false);
    qkv_case(rng, 1, 9, 2, 64, LAB_F32, LAB_F32, true, false, true, false);
    qkv_case(rng, 1, 1, 1, 2, LAB_F32, LAB_F32, true, true, true, false);
    qkv_case(rng, 1, 32760, 12, 128, LAB_F32, LAB_BF16, true, true, true, true);
    qkv_case(rng, 1, 32760, 12, 128, LAB_BF16, LAB_BF16, true, true, true, true);
    rope_case(rng, 2, 13, 3, 10, false);
    rope_case(rng, 1, 32760, 12, 128, true);
    return lab_report("lab_qkv");
}
