#!/usr/bin/env bash
# The GPU round trip for a machine without .NET or network (the device tool's GPU machines). Two halves:
#
#   scripts/gpu-check.sh here    On a machine with the .NET 10 SDK: publish the CLI self-contained, single-file,
#                                trimmed for linux-x64 into out/gpu/ (git-ignored) and print the device call.
#   scripts/gpu-check.sh there [--with-lab]
#                                On the GPU machine, from the repository root, with out/gpu carried: build kernels/
#                                with the local nvcc for the local GPU, run `fastvideo selftest --device cuda` and
#                                `fastvideo bench kernels`, then `fastvideo bench dit` (the end-to-end row: a
#                                Wan2.1-1.3B-sized DiT, 480×832×81, 2 bf16 steps), time PyTorch's SDPA and bf16 matmul on the same shapes,
#                                print one table, write everything under $OUT (or out/gpu/results without $OUT).
#                                --with-lab also runs the kernel lab (kernels/dev/run_lab.sh, ≤ 5 minutes more).
#
# docs/GPU.md has the exact device call and how to read the output. Exit code of `there`: 0 when the kernels built
# and every self-test row passed and both benchmarks ran, 1 otherwise (the table is printed either way), 3 when no CUDA device was found.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN_DIR=out/gpu/bin
EXE=$BIN_DIR/FastVideo.Cli

here() {
  set -e
  command -v dotnet >/dev/null || { echo "gpu-check here: the .NET 10 SDK is required" >&2; exit 1; }
  rm -rf "$BIN_DIR"
  mkdir -p "$BIN_DIR"
  echo "== publishing the CLI (self-contained, single file, trimmed, linux-x64) into $BIN_DIR"
  dotnet publish src/FastVideo.Cli -c Release -r linux-x64 --self-contained \
    -p:PublishSingleFile=true -p:PublishTrimmed=true -p:DebugType=none -p:GenerateDocumentationFile=false \
    -o "$BIN_DIR" 2>&1 | tee out/gpu/publish.log | grep -E "warning|error|->" || true
  if grep -qE "warning (IL|CS)[0-9]+" out/gpu/publish.log; then
    echo "gpu-check here: the publish printed trimming or compiler warnings (out/gpu/publish.log)" >&2
    exit 1
  fi
  # The self-test and the benchmark never write media: Magick.NET's native library (≈ 39 MB) stays behind, so
  # the carried folder fits the device tool's 64 MiB with room to spare.
  rm -f "$BIN_DIR"/Magick.Native-*.so "$BIN_DIR"/*.pdb "$BIN_DIR"/*.xml
  [ -x "$EXE" ] || { echo "gpu-check here: $EXE was not produced" >&2; exit 1; }
  "$EXE" info >/dev/null || { echo "gpu-check here: the published binary does not run here" >&2; exit 1; }
  # The trimmed binary's embedded kernel sources, NVRTC binding and soname resolver, checked without a GPU.
  "$EXE" selftest --compile-only compute_80 | tail -1
  case ${PIPESTATUS[0]} in
    0) ;;
    3) echo "   (no NVRTC on this machine: the kernel sources were not compiled here)" ;;
    *) echo "gpu-check here: an embedded kernel source does not compile with NVRTC" >&2; exit 1 ;;
  esac
  echo "== out/gpu: $(du -sh out/gpu | cut -f1) ($(du -b "$EXE" | cut -f1) bytes for the executable)"
  echo "== now call the device tool from this checkout's root:"
  echo "   run(command: 'bash scripts/gpu-check.sh there', carry: ['out/gpu'], timeout_s: 600)"
}

there() {
  local out=${OUT:-$ROOT/out/gpu/results}
  mkdir -p "$out"
  # The device tool brings back at most 8 files from $OUT: the log, the kernel build log and five tables
  # (selftest, bench, dit, torch, summary), lab.log with --with-lab.
  there_body "$out" "${1:-}" 2>&1 | tee "$out/gpu-check.log"
  return "${PIPESTATUS[0]}"
}

there_body() {
  local out=$1 with_lab=$2 tmp
  tmp=$(mktemp -d)
  echo "== gpu-check there: $(date -u +%FT%TZ) on $(hostname)"
  nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not available"
  command -v nvcc >/dev/null && nvcc --version | tail -2
  [ -x "$EXE" ] || { echo "gpu-check there: $EXE missing: run 'scripts/gpu-check.sh here' and carry out/gpu"; return 1; }

  # ---- kernels for this GPU: SASS for its architecture (+ sm_90a for the Hopper flash kernel), PTX for newer.
  local cc
  cc=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '. ')
  cc=${cc:-90}
  local kdir=$ROOT/build/kernels kernels_ok=1 nvcc_bin
  nvcc_bin=$(command -v nvcc || true)
  [ -z "$nvcc_bin" ] && [ -x /usr/local/cuda/bin/nvcc ] && nvcc_bin=/usr/local/cuda/bin/nvcc
  echo "== building kernels/ for sm_$cc into $kdir (nvcc: ${nvcc_bin:-none}; host compiler: ${CUDAHOSTCXX:-default})"
  rm -rf "$kdir" build/gpu-cmake
  if [ -n "$nvcc_bin" ] \
     && cmake -S . -B build/gpu-cmake -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_COMPILER="$nvcc_bin" -DCMAKE_CUDA_ARCHITECTURES="$cc" \
          -DFV_KERNEL_SASS_ARCHS="$cc" -DFV_KERNEL_PTX_ARCH="$cc" -DFV_KERNEL_OUTPUT_DIR="$kdir" > "$out/kernels-build.log" 2>&1 \
     && cmake --build build/gpu-cmake --target fv_kernels -j "$(nproc)" >> "$out/kernels-build.log" 2>&1 \
     && ls "$kdir"/*.fatbin >/dev/null 2>&1; then
    ls -la "$kdir"/*.fatbin | awk '{print "   " $5 "\t" $9}'
  else
    kernels_ok=0
    echo "kernel build FAILED or produced no fatbin (the run falls back to NVRTC on the embedded sources); end of kernels-build.log:"
    tail -30 "$out/kernels-build.log" 2>/dev/null
  fi
  ls "$kdir"/*.fatbin >/dev/null 2>&1 && export FASTVIDEO_KERNEL_DIR=$kdir

  # ---- the managed side
  "$EXE" info
  echo "== fastvideo selftest --device cuda"
  "$EXE" selftest --device cuda --tsv "$out/selftest.tsv"
  local selftest_rc=$?
  if [ $selftest_rc -eq 3 ]; then
    echo "gpu-check there: no CUDA device (selftest exit 3)"
    return 3
  fi
  echo "== fastvideo bench kernels"
  "$EXE" bench kernels --tsv "$out/bench.tsv"
  local bench_rc=$?
  # The end-to-end row: a Wan2.1-1.3B-sized DiT (random weights) at 480×832×81 (32,760 tokens), 2 bf16 step forwards.
  echo "== fastvideo bench dit (Wan2.1-1.3B-sized DiT, 480x832x81, bf16)"
  "$EXE" bench dit --tsv "$out/dit.tsv"
  local dit_rc=$?

  # ---- PyTorch on the same shapes, then one table
  echo "== PyTorch reference timings"
  PYTHONUNBUFFERED=1 python3 scripts/gpu_torch_ref.py --out "$out/torch.tsv" || echo "PyTorch timing failed (see above)"
  python3 scripts/gpu_report.py --selftest "$out/selftest.tsv" --bench "$out/bench.tsv" --torch "$out/torch.tsv" \
    --out "$out/summary.txt" || true
  local lab_rc=0
  if [ "$with_lab" = "--with-lab" ] && [ -x kernels/dev/run_lab.sh ]; then
    echo "== kernel lab (kernels/dev/run_lab.sh: each kernel against double references, Hopper kernel included on sm_90)"
    timeout 300 kernels/dev/run_lab.sh "$tmp/lab" > "$out/lab.log" 2>&1
    lab_rc=$?
    tail -40 "$out/lab.log"
  fi
  rm -rf "$tmp"
  echo "== exit codes: kernels $([ $kernels_ok = 1 ] && echo built || echo FAILED), selftest $selftest_rc, bench $bench_rc, dit $dit_rc, lab $lab_rc; files in $out"
  [ $kernels_ok = 1 ] && [ $selftest_rc -eq 0 ] && [ $bench_rc -eq 0 ] && [ $dit_rc -eq 0 ] && [ $lab_rc -eq 0 ]
}

case "${1:-}" in
  here) here ;;
  there) there "${2:-}" ;;
  *) echo "usage: scripts/gpu-check.sh here|there (see docs/GPU.md)" >&2; exit 2 ;;
esac
