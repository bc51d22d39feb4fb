#!/usr/bin/env python3
"""PyTorch timings on the shapes `fastvideo bench kernels` uses, for ratios (scripts/gpu-check.sh, docs/GPU.md).

Same method as the C# bench: CUDA events around each run, warm-up first, the median of many runs, inputs rotated
over enough sets that one pass exceeds 4x the L2 cache (at most 8 sets), random inputs. Writes a TSV with the
columns kind, shape, median_ms, tflops; `shape` is spelled exactly as the C# bench spells it so rows can be joined.
"""
import argparse
import statistics
import sys

L, DIM, HEADS, HD, FFN = 32760, 1536, 12, 128, 8960
WARMUP, RUNS, MAX_SETS = 5, 50, 8


def bench(torch, make_set, fn, set_bytes):
    l2 = torch.cuda.get_device_properties(0).L2_cache_size
    sets_n = max(1, min(MAX_SETS, -(-4 * l2 // max(1, set_bytes))))
    sets = [make_set(i) for i in range(sets_n)]
    for i in range(WARMUP):
        fn(sets[i % sets_n])
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for i in range(RUNS):
        start.record()
        fn(sets[i % sets_n])
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    del sets
    torch.cuda.empty_cache()
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    try:
        import torch
        import torch.nn.functional as F
    except ImportError as e:
        print(f"gpu_torch_ref: no PyTorch ({e})")
        return 1
    if not torch.cuda.is_available():
        print("gpu_torch_ref: PyTorch sees no GPU")
        return 1
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = "cuda"
    print(f"torch {torch.__version__} on {torch.cuda.get_device_name(0)}")
    rows = []

    def gemm(dtype, m, n, k, label):
        def make(i):
            g = torch.Generator(device=dev).manual_seed(i)
            return (torch.randn(m, k, device=dev, generator=g).to(dtype), torch.randn(n, k, device=dev, generator=g).to(dtype))
        ms = bench(torch, make, lambda s: torch.matmul(s[0], s[1].t()), (m * k + n * k) * (2 if dtype == torch.bfloat16 else 4))
        rows.append((label, f"{m}x{k}·({n}x{k})ᵀ", ms, 2.0 * m * n * k / (ms * 1e-3) / 1e12))

    gemm(torch.bfloat16, 8192, 8192, 8192, "torch.matmul bf16")
    gemm(torch.bfloat16, L, DIM, DIM, "torch.matmul bf16")
    gemm(torch.bfloat16, L, FFN, DIM, "torch.matmul bf16")
    gemm(torch.float32, 4096, 4096, 4096, "torch.matmul f32 (no tf32)")

    def sdpa(b, h, nq, nk):
        def make(i):
            g = torch.Generator(device=dev).manual_seed(i)
            return tuple(torch.randn(b, h, n, HD, device=dev, generator=g, dtype=torch.bfloat16) for n in (nq, nk, nk))
        ms = bench(torch, make, lambda s: F.scaled_dot_product_attention(*s), (b * h * (nq + 2 * nk) * HD) * 2)
        rows.append(("F.scaled_dot_product_attention bf16", f"b{b} h{h} q{nq} k{nk} d{HD}", ms, 4.0 * b * h * nq * nk * HD / (ms * 1e-3) / 1e12))

    sdpa(1, HEADS, L, L)
    sdpa(1, 40, L, L)
    sdpa(1, HEADS, L, 512)

    with open(args.out, "w") as f:
        f.write("kind\tshape\tmedian_ms\ttflops\n")
        for kind, shape, ms, tf in rows:
            f.write(f"{kind}\t{shape}\t{ms:.4f}\t{tf:.2f}\n")
            print(f"  {kind:38} {shape:34} {ms:9.3f} ms {tf:7.1f} TFLOP/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
