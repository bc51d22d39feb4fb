#!/usr/bin/env bash
# Validates every kernel on the CPU, no GPU and no nvcc needed: compiles the lab (kernels/dev/lab_*.cu) as host
# C++ with the emulator (emu/fv_emu.h: CUDA threads as fibers, barriers, warp shuffles, ldmatrix, mma.sync) and
# runs the validation cases (the Wan-sized timing cases are skipped). Exits non-zero if any case fails.
# Covers the Hopper kernel too (wgmma/mbarrier emulated per the PTX ISA). Shared memory starts each block as NaN
# bytes, thread order varies per block and misaligned vector accesses abort (see emu/fv_emu.h). Not covered:
# timing, memory-model races. Usage: kernels/dev/run_emu.sh [out_dir]
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${1:-build/emu}
mkdir -p "$out"
cxx=${CXX_EMU:-$(command -v clang++-14 || command -v clang++ || command -v g++)}
status=0
for lab in ${LABS:-norm qkv attention elementwise}; do
  extra=(); [ "$lab" = attention ] && extra=(-DFV_LAB_HOPPER) # the Hopper kernel too (emulated wgmma)
  # -fsanitize=alignment in trap mode (no sanitizer runtime needed): a vector access through a misaligned pointer
  # (a GPU "misaligned address" fault) stops the run with SIGILL (exit code 132).
  if ! "$cxx" -std=c++17 -O2 -x c++ -DFV_EMULATE "${extra[@]}" -include kernels/dev/emu/fv_emu.h -Ikernels/common \
      -fsanitize=alignment -fsanitize-undefined-trap-on-error \
      -Wall -Werror -Wno-unused-function -Wno-unknown-warning-option -Wno-pass-failed \
      -o "$out/emu_$lab" "kernels/dev/lab_$lab.cu" >"$out/emu_build_$lab.log" 2>&1; then
    echo "emulated lab_$lab: build failed"; cat "$out/emu_build_$lab.log"; status=1; continue
  fi
  start=$(date +%s)
  "$out/emu_$lab" >"$out/emu_$lab.log" 2>&1
  rc=$?
  [ "$rc" -eq 132 ] && echo "emulated lab_$lab: SIGILL, the alignment trap: a misaligned vector access (see the last case in $out/emu_$lab.log)"
  grep -E "MISMATCH|^\s+\[" "$out/emu_$lab.log" | head -n 20
  echo "emulated $(tail -n 1 "$out/emu_$lab.log") ($(( $(date +%s) - start )) s)"
  [ "$rc" -ne 0 ] && status=1
done
exit $status
