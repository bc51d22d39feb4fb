#!/usr/bin/env bash
# Validates every kernel on the CPU, no GPU and no nvcc needed: compiles the lab (kernels/dev/lab_*.cu) as host
# C++ with the emulator (emu/fv_emu.h: CUDA threads as fibers, barriers, warp shuffles, ldmatrix, mma.sync) and
# runs the validation cases (the Wan-sized timing cases are skipped). Exits non-zero if any case fails.
# Covers the Hopper kernel too (wgmma/mbarrier emulated per the PTX ISA). Not covered: timing, races. Usage: kernels/dev/run_emu.sh [out_dir]
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${1:-build/emu}
mkdir -p "$out"
cxx=${CXX_EMU:-$(command -v clang++-14 || command -v clang++ || command -v g++)}
status=0
for lab in ${LABS:-norm qkv attention elementwise}; do
  extra=(); [ "$lab" = attention ] && extra=(-DFV_LAB_HOPPER) # the Hopper kernel too (emulated wgmma)
  if ! "$cxx" -std=c++17 -O2 -x c++ -DFV_EMULATE "${extra[@]}" -include kernels/dev/emu/fv_emu.h -Ikernels/common \
      -Wall -Werror -Wno-unused-function -Wno-unknown-warning-option -Wno-pass-failed \
      -o "$out/emu_$lab" "kernels/dev/lab_$lab.cu" >"$out/emu_build_$lab.log" 2>&1; then
    echo "emulated lab_$lab: build failed"; cat "$out/emu_build_$lab.log"; status=1; continue
  fi
  start=$(date +%s)
  "$out/emu_$lab" >"$out/emu_$lab.log" 2>&1
  rc=$?
  grep -E "MISMATCH|^\s+\[" "$out/emu_$lab.log" | head -n 20
  echo "emulated $(tail -n 1 "$out/emu_$lab.log") ($(( $(date +%s) - start )) s)"
  [ "$rc" -ne 0 ] && status=1
done
exit $status
