// lab_attention.cu — validates and times flash_attn_fwd.cu (mma.sync) and, when built with -DFV_LAB_HOPPER
// for sm_90a, flash_attn_hopper.cu (wgmma) on the same cases, against a double-precision reference computed
// from the 16-bit-rounded inputs: odd lengths, key padding (including an empty batch), no keys (nk = 0: rows
// with no valid key give 0, the IBackend.Attention contract), [B, N, H, D] strides,
// LSE. The large timed case validates a sample of query rows. Tolerance: relative L2 ≤ 1e-2 (16-bit
// operands; METHOD.md). Build/run: run_lab.sh.
#include "../attention/flash_attn_fwd.cu"
#ifdef FV_LAB_HOPPER
#include "../attention/flash_attn_hopper.cu"
#endif
#include "lab_common.cuh"

typedef void (*AttnKernel)(const FvAttentionParams);

struct AttnImpl
{
    const char* name;
    AttnKernel k[2][2]; // [f16?][d128?]
    int block_m, threads;
    bool hopper;
};

static const AttnImpl kImpls[] = {
    {"flash_attn_fwd", {{fv_flash_attn_fwd_bf16_d64, fv_flash_attn_fwd_bf16_d128}, {fv_flash_attn_fwd_f16_d64, fv_flash_attn_fwd_f16_d128}}, 64, 128, false},
#ifdef FV_LAB_HOPPER
    {"flash_attn_hopper", {{fv_flash_attn_hopper_bf16_d64, fv_flash_attn_hopper_bf16_d128}, {fv_flash_attn_hopper_f16_d64, fv_flash_attn_hopper_f16_d128}}, 128, 384, true},
#endif
};

static int hopper_smem(int D) { return 2 * D * (128 + 2 * 2 * 64) + 1024; }

/// q, k, v host values (already rounded) in [B, H, N, D] logical order, stored with the given layout.
static void attn_case(LabRng& rng, const AttnImpl& impl, LabType t, int B, int H, int nq, int nk, int D, std::vector<int> kv_lens,
    bool bnhd, bool time, int sample_rows = 0)
{
    if (time && lab_emulated()) return; // Wan-sized timing cases need the GPU
    const bool f16 = t == LAB_F16;
    const long long qn = (long long)B * H * nq * D, kn = (long long)B * H * nk * D;
    auto q = lab_round(rng.normals(qn), t), k = lab_round(rng.normals(kn), t), v = lab_round(rng.normals(kn), t);
    DevBuf dq = lab_upload(q, t), dk = lab_upload(k, t), dv = lab_upload(v, t), dout(qn * 2), dlse((long long)B * H * nq * 4), dlens(B * 4);
    FvAttentionParams p{};
    p.q = dq.p; p.k = dk.p; p.v = dv.p; p.o = dout.p; p.lse = dlse.as<float>();
    if (!kv_lens.empty()) { dlens.upload(kv_lens.data(), B * 4); p.kv_lens = dlens.as<int>(); }
    // Element (b, h, n, d) of a tensor with sequence length L lives at b·sb + h·sh + n·sn + d.
    auto set = [&](long long& sb, long long& sh, long long& sn, int L) {
        if (bnhd) { sn = (long long)H * D; sh = D; sb = (long long)L * H * D; }
        else { sn = D; sh = (long long)L * D; sb = (long long)H * L * D; }
    };
    set(p.q_stride_b, p.q_stride_h, p.q_stride_n, nq);
    set(p.k_stride_b, p.k_stride_h, p.k_stride_n, nk);
    set(p.v_stride_b, p.v_stride_h, p.v_stride_n, nk);
    set(p.o_stride_b, p.o_stride_h, p.o_stride_n, nq);
    p.batch = B; p.heads = H; p.nq = nq; p.nk = nk; p.scale = 1.f / std::sqrt((float)D);
    auto at = [&](const std::vector<float>& x, int L, int b, int h, int n, int d) {
        long long sb, sh, sn;
        set(sb, sh, sn, L);
        return (double)x[b * sb + h * sh + n * sn + d];
    };

    AttnKernel kern = impl.k[f16][D == 128];
    const int smem = impl.hopper ? hopper_smem(D) : 0;
    if (impl.hopper) CK(cudaFuncSetAttribute((const void*)kern, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
    dim3 grid((nq + impl.block_m - 1) / impl.block_m, H, B), block(impl.threads);
    dout.poison(); dlse.poison();
    LAB_LAUNCH(kern, grid, block, smem, p);
    CK_LAUNCH();
    auto got = lab_decode(dout.download(), t);
    auto got_lse = dlse.download_f32();

    // Reference over all rows, or a deterministic sample of (b, h, i) rows for the large case.
    std::vector<double> ref, ref_lse;
    std::vector<float> cmp, cmp_lse;
    std::vector<double> s(nk);
    long long total_rows = (long long)B * H * nq;
    long long rows = sample_rows > 0 ? sample_rows : total_rows;
    for (long long rr = 0; rr < rows; rr++)
    {
        long long row = sample_rows > 0 ? (rr * 7919 + 13) % total_rows : rr;
        int b = (int)(row / ((long long)H * nq)), h = (int)(row / nq % H), i = (int)(row % nq);
        int len = kv_lens.empty() ? nk : std::max(0, std::min(nk, kv_lens[b]));
        double mx = -INFINITY;
        for (int j = 0; j < len; j++)
        {
            double acc = 0;
            for (int d = 0; d < D; d++) acc += at(q, nq, b, h, i, d) * at(k, nk, b, h, j, d);
            s[j] = acc * p.scale;
            mx = std::max(mx, s[j]);
        }
        double l = 0;
        for (int j = 0; j < len; j++) { s[j] = std::exp(s[j] - mx); l += s[j]; }
        for (int d = 0; d < D; d++)
        {
            double o = 0;
            for (int j = 0; j < len; j++) o += s[j] * at(v, nk, b, h, j, d);
            ref.push_back(len > 0 ? o / l : 0.0);
            long long sb, sh, sn;
            set(sb, sh, sn, nq);
            cmp.push_back(got[b * sb + h * sh + (long long)i * sn + d]);
        }
        ref_lse.push_back(len > 0 ? mx + std::log(l) : -INFINITY);
        cmp_lse.push_back(got_lse[((long long)b * H + h) * nq + i]);
    }
    std::string name = std::string(impl.name) + "_" + lab_type_name(t) + "_d" + std::to_string(D);
    char shape[96];
    std::snprintf(shape, sizeof shape, "B%d H%d %dx%d%s%s", B, H, nq, nk, kv_lens.empty() ? "" : " pad", bnhd ? " bnhd" : "");
    auto c = lab_compare(name.c_str(), ref, cmp, 1e-2);
    auto cl = lab_compare((name + " lse").c_str(), ref_lse, cmp_lse, 1e-4);
    c.pass = c.pass && cl.pass;
    double ms = time ? lab_time_ms([&] { LAB_LAUNCH(kern, grid, block, smem, p); }, 10) : -1;
    double flops = 4.0 * B * H * (double)nq * nk * D;
    lab_add(name, shape, c, ms, 0, flops);
}

int main()
{
    LabRng rng(7);
    std::printf("lab_attention\n");
    for (const auto& impl : kImpls)
        for (LabType t : {LAB_BF16, LAB_F16})
            for (int D : {64, 128})
            {
                attn_case(rng, impl, t, 2, 3, 77, 130, D, {}, false, false);
                attn_case(rng, impl, t, 2, 2, 130, 77, D, {77, 45}, false, false);
                attn_case(rng, impl, t, 3, 1, 64, 64, D, {64, 0, 1}, false, false);
                attn_case(rng, impl, t, 1, 2, 70, 0, D, {}, false, false); // no keys at all: every row gives 0
                attn_case(rng, impl, t, 1, 1, 1, 1, D, {}, false, false);
                attn_case(rng, impl, t, 2, 3, 100, 129, D, {}, true, false);
            }
    for (const auto& impl : kImpls)
    {
        attn_case(rng, impl, LAB_BF16, 1, 12, 32760, 32760, 128, {}, false, true, 48);
        attn_case(rng, impl, LAB_BF16, 2, 12, 8192, 8192, 64, {}, false, true, 48);
        attn_case(rng, impl, LAB_F16, 1, 12, 32760, 32760, 128, {}, false, true, 48);
    }
    return lab_report("lab_attention");
}
