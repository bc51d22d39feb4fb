#!/usr/bin/env python3
"""One table from the outputs of scripts/gpu-check.sh: self-test summary, every timed kernel, and the PyTorch ratio
where PyTorch ran the same shape (ratio = PyTorch time / ours: above 1 means ours is faster)."""
import argparse
import csv
import os


def read(path):
    if not path or not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--selftest")
    ap.add_argument("--bench")
    ap.add_argument("--torch")
    ap.add_argument("--out")
    a = ap.parse_args()
    lines = []
    st = read(a.selftest)
    if st:
        by = {}
        for r in st:
            by[r["status"]] = by.get(r["status"], 0) + 1
        lines.append("self-test: " + ", ".join(f"{v} {k}" for k, v in sorted(by.items())))
        for r in st:
            if r["status"] not in ("ok", "unsupp"):
                lines.append(f"  {r['status']:8} {r['case']}  rel L2 {r['rel_l2']}  {r['note']}")
    torch_rows = {}
    for r in read(a.torch):
        torch_rows.setdefault(r["shape"], r)
    bench = read(a.bench)
    if bench:
        lines.append("")
        lines.append(f"{'kernel':36} {'shape':34} {'ms':>9} {'TFLOP/s':>8} {'GB/s':>7} {'torch ms':>9} {'torch/ours':>10}")
        for r in bench:
            t = torch_rows.get(r["shape"])
            ms = float(r["median_ms"])
            tf = float(r["tflops"])
            tms = f"{float(t['median_ms']):9.3f}" if t else f"{'-':>9}"
            ratio = f"{float(t['median_ms']) / ms:10.2f}" if t and ms > 0 else f"{'-':>10}"
            lines.append(f"{r['kernel'][:36]:36} {r['shape'][:34]:34} {ms:9.3f} {tf if tf > 0 else 0:8.1f} {float(r['gbs']):7.0f} {tms} {ratio}")
    text = "\n".join(lines)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
