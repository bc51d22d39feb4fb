// lab_norm.cu — validates and times rmsnorm.cu and layernorm_modulate.cu against double-precision CPU
// references (inputs rounded to the kernel's input type first). Odd sizes exercise the scalar path, aligned
// sizes the 16-byte path; outputs are poisoned with NaN before each run. Build/run: run_lab.sh.
#include "../norm/rmsnorm.cu"
#include "../norm/layernorm_modulate.cu"
#include "lab_common.cuh"

static double tol_for(LabType out) { return out == LAB_F32 ? 1e-5 : 1e-2; }

static void rms_case(LabRng& rng, long long rows, int cols, LabType tin, LabType tout, bool weight, bool time, long long pad = 0)
{
    if (time && lab_emulated()) return; // Wan-sized timing cases need the GPU
    const long long xs = cols + pad, ys = cols + pad;
    auto x = lab_round(rng.normals(rows * xs, 2.f, 0.3f), tin);
    auto w = rng.normals(cols, 0.5f, 1.f);
    DevBuf dx = lab_upload(x, tin), dy(rows * ys * lab_size(tout)), dw(cols * 4);
    dw.upload(w);
    FvRmsNormParams p{dy.p, dx.p, weight ? dw.as<float>() : nullptr, rows, xs, ys, cols, 1e-6f};
    std::vector<double> ref(rows * ys, 0.0);
    for (long long r = 0; r < rows; r++)
    {
        double ss = 0;
        for (int c = 0; c < cols; c++) ss += (double)x[r * xs + c] * x[r * xs + c];
        double rs = 1.0 / std::sqrt(ss / cols + 1e-6);
        for (int c = 0; c < cols; c++) ref[r * ys + c] = x[r * xs + c] * rs * (weight ? w[c] : 1.0);
    }
    auto kern = tin == LAB_F32 ? (tout == LAB_F32 ? fv_rmsnorm_f32 : fv_rmsnorm_f32_bf16) : tin == LAB_BF16 ? fv_rmsnorm_bf16 : fv_rmsnorm_f16;
    dim3 grid((unsigned)std::min<long long>(rows, 1 << 20)), block(lab_row_threads(cols, 16 / (int)lab_size(tin)));
    dy.poison();
    LAB_LAUNCH(kern, grid, block, 0, p);
    CK_LAUNCH();
    auto got = lab_decode(dy.download(), tout);
    for (long long r = 0; r < rows; r++) for (long long c = cols; c < ys; c++) got[r * ys + c] = 0; // padding is not written
    std::string name = std::string("rmsnorm_") + lab_type_name(tin) + (tin != tout ? std::string("_") + lab_type_name(tout) : "");
    std::string shape = std::to_string(rows) + "x" + std::to_string(cols) + (weight ? " w" : "") + (pad ? " pad" : "");
    auto c = lab_compare(name.c_str(), ref, got, tol_for(tout));
    double ms = time ? lab_time_ms([&] { LAB_LAUNCH(kern, grid, block, 0, p); }) : -1;
    lab_add(name, shape, c, ms, (double)rows * cols * (lab_size(tin) + lab_size(tout)));
}

static void ln_case(LabRng& rng, long long rows, int cols, int per_group, bool per_token, LabType tin, LabType tout, bool affine,
    bool modulate, float mean, bool time)
{
    if (time && lab_emulated()) return; // Wan-sized timing cases need the GPU
    auto x = lab_round(rng.normals(rows * cols, 1.5f, mean), tin);
    auto w = rng.normals(cols, 0.3f, 1.f), b = rng.normals(cols, 0.2f);
    long long groups = (rows + per_group - 1) / per_group;
    long long mod_rows = per_token ? rows : groups;
    auto sc = rng.normals(mod_rows * cols, 0.2f), sh = rng.normals(mod_rows * cols, 0.5f);
    DevBuf dx = lab_upload(x, tin), dy(rows * cols * lab_size(tout)), dw(cols * 4), db(cols * 4), dsc(sc.size() * 4), dsh(sh.size() * 4);
    dw.upload(w); db.upload(b); dsc.upload(sc); dsh.upload(sh);
    FvLayerNormParams p{};
    p.y = dy.p; p.x = dx.p;
    p.weight = affine ? dw.as<float>() : nullptr; p.bias = affine ? db.as<float>() : nullptr;
    p.scale = modulate ? dsc.as<float>() : nullptr; p.shift = modulate ? dsh.as<float>() : nullptr;
    p.rows = rows; p.x_row_stride = cols; p.y_row_stride = cols;
    p.rows_per_group = per_group;
    p.mod_group_stride = per_token ? (long long)per_group * cols : cols; p.mod_row_stride = per_token ? cols : 0;
    p.cols = cols; p.eps = 1e-6f;
    std::vector<double> ref(rows * cols);
    for (long long r = 0; r < rows; r++)
    {
        double m = 0, v = 0;
        for (int c = 0; c < cols; c++) m += x[r * cols + c];
        m /= cols;
        for (int c = 0; c < cols; c++) v += (x[r * cols + c] - m) * (x[r * cols + c] - m);
        double rstd = 1.0 / std::sqrt(v / cols + 1e-6);
        long long mo = (r / per_group) * p.mod_group_stride + (r % per_group) * p.mod_row_stride;
        for (int c = 0; c < cols; c++)
        {
            double t = (x[r * cols + c] - m) * rstd;
            if (affine) t = t * w[c] + b[c];
            if (modulate) t = t * (1.0 + sc[mo + c]) + sh[mo + c];
            ref[r * cols + c] = t;
        }
    }
    auto kern = tin == LAB_F32 ? (tout == LAB_F32 ? fv_layernorm_f32 : fv_layernorm_f32_bf16) : tin == LAB_BF16 ? fv_layernorm_bf16 : fv_layernorm_f16;
    dim3 grid((unsigned)std::min<long long>(rows, 1 << 20)), block(lab_row_threads(cols, 16 / (int)lab_size(tin)));
    dy.poison();
    LAB_LAUNCH(kern, grid, block, 0, p);
    CK_LAUNCH();
    std::string name = std::string("layernorm_") + lab_type_name(tin) + (tin != tout ? std::string("_") + lab_type_name(tout) : "");
    std::string shape = std::to_string(rows) + "x" + std::to_string(cols) + (affine ? " aff" : "") + (modulate ? (per_token ? " modtok" : " mod") : "")
        + (mean != 0 ? " mu" + std::to_string((int)mean) : "");
    auto c = lab_compare(name.c_str(), ref, lab_decode(dy.download(), tout), tol_for(tout));
    double ms = time ? lab_time_ms([&] { LAB_LAUNCH(kern, grid, block, 0, p); }) : -1;
    lab_add(name, shape, c, ms, (double)rows * cols * (lab_size(tin) + lab_size(tout)));
}

static void gate_case(LabRng& rng, long long rows, int cols, int per_group, LabType tx, LabType ty, bool time)
{
    if (time && lab_emulated()) return; // Wan-sized timing cases need the GPU
    auto x = lab_round(rng.normals(rows * cols), tx), y = lab_round(rng.normals(rows * cols), ty);
    long long groups = (rows + per_group - 1) / per_group;
    auto g = rng.normals(groups * cols, 0.5f);
    DevBuf dx = lab_upload(x, tx), dy = lab_upload(y, ty), dg(g.size() * 4), dout(rows * cols * lab_size(tx));
    dg.upload(g);
    FvGatedResidualParams p{dout.p, dx.p, dy.p, dg.as<float>(), rows, cols, cols, cols, cols, 0, cols, per_group};
    std::vector<double> ref(rows * cols);
    for (long long r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) ref[r * cols + c] = x[r * cols + c] + (double)y[r * cols + c] * g[(r / per_group) * cols + c];
    auto kern = tx == LAB_F32 ? (ty == LAB_F32 ? fv_residual_gate_f32 : fv_residual_gate_f32_bf16) : fv_residual_gate_bf16;
    dim3 grid((unsigned)std::min<long long>(rows, 1 << 20)), block(lab_row_threads(cols, 4));
    dout.poison();
    LAB_LAUNCH(kern, grid, block, 0, p);
    CK_LAUNCH();
    std::string name = std::string("residual_gate_") + lab_type_name(tx) + (tx != ty ? std::string("_") + lab_type_name(ty) : "");
    auto c = lab_compare(name.c_str(), ref, lab_decode(dout.download(), tx), tol_for(tx));
    double ms = time ? lab_time_ms([&] { LAB_LAUNCH(kern, grid, block, 0, p); }) : -1;
    lab_add(name, std::to_string(rows) + "x" + std::to_string(cols), c, ms, (double)rows * cols * (2 * lab_size(tx) + lab_size(ty)));
}

int main()
{
    LabRng rng(1234);
    std::printf("lab_norm\n");
    for (LabType t : {LAB_F32, LAB_BF16, LAB_F16})
    {
        rms_case(rng, 1, 1, t, t, true, false);
        rms_case(rng, 7, 129, t, t, true, false);
        rms_case(rng, 33, 1536, t, t, false, false);
        rms_case(rng, 5, 5120, t, t, true, false, 8);
    }
    rms_case(rng, 9, 1536, LAB_F32, LAB_BF16, true, false);
    rms_case(rng, 32760, 5120, LAB_F32, LAB_F32, true, true);
    rms_case(rng, 32760, 5120, LAB_BF16, LAB_BF16, true, true);

    for (LabType t : {LAB_F32, LAB_BF16, LAB_F16})
    {
        ln_case(rng, 1, 1, 1, false, t, t, false, false, 0.f, false);
        ln_case(rng, 13, 131, 5, false, t, t, true, true, 0.f, false);
        ln_case(rng, 24, 1536, 8, false, t, t, false, true, 0.f, false);
    }
    ln_case(rng, 24, 1536, 8, true, LAB_F32, LAB_F32, false, true, 0.f, false);
    ln_case(rng, 16, 5120, 4, false, LAB_F32, LAB_BF16, false, true, 0.f, false);
    ln_case(rng, 16, 1536, 16, false, LAB_F32, LAB_F32, true, false, 1000.f, false);
    ln_case(rng, 2 * 16380, 5120, 16380, false, LAB_F32, LAB_F32, false, true, 0.f, true);
    ln_case(rng, 2 * 16380, 5120, 16380, false, LAB_F32, LAB_BF16, false, true, 0.f, true);

    gate_case(rng, 11, 129, 4, LAB_F32, LAB_F32, false);
    gate_case(rng, 16, 1536, 8, LAB_F32, LAB_BF16, false);
    gate_case(rng, 16, 1536, 8, LAB_BF16, LAB_BF16, false);
    gate_case(rng, 32760, 5120, 32760, LAB_F32, LAB_F32, true);
    return lab_report("lab_norm");
}
