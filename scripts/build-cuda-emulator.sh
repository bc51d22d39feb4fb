#!/usr/bin/env bash
# Builds the stand-in CUDA libraries of the CPU-emulated device into build/cuda-emulator/ (no GPU, no nvcc):
#   libcuda.so.1 (+ libcuda.so)   the driver API FastVideo.Interop imports (kernels/dev/emu/device/driver.cpp),
#                                 with every kernel source compiled as host C++ over the emulator (fv_emu.h)
#   libcublasLt.so.13 (+ .12, .11, .so)  when kernels/dev/emu/device/cublaslt_emu.cpp exists
#   test_driver                   the driver's own test program (kernels/dev/emu/device/test_driver.cpp)
# Usage: scripts/build-cuda-emulator.sh [--test]   (--test also runs test_driver)
# The last line of stdout is the output folder's absolute path (use it as LD_LIBRARY_PATH).
# Env: CXX (default clang++-14, else clang++, else g++), JOBS (parallel compiles, default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=$root/build/cuda-emulator
obj=$out/obj
dev=kernels/dev/emu/device
mkdir -p "$obj"
cxx=${CXX:-$(command -v clang++-14 || command -v clang++ || command -v g++)}
jobs=${JOBS:-$(nproc)}
run_test=0
for a in "$@"; do
  case "$a" in
    --test) run_test=1 ;;
    *) echo "unknown argument: $a" >&2; exit 2 ;;
  esac
done

common=(-std=c++17 -O2 -fPIC -pthread -fvisibility=hidden)
emu=(-x c++ -DFV_EMULATE -DFV_EMU_TU_LOCAL -DFV_EMU_DYNAMIC_SMEM_BYTES=$((227 * 1024)) -include kernels/dev/emu/fv_emu.h -Ikernels/common)

# One TU per kernel source: entry-point names from the preprocessed source (extern "C" void fv_*), then the
# source and its registrations compiled together (kernel_tu.cpp).
build_kernel() {
  local src=$1 stem
  stem=$(basename "$src" .cu)
  local names=$obj/$stem.names.inc
  "$cxx" "${common[@]}" "${emu[@]}" -E "$src" 2>"$obj/$stem.log" \
    | grep -oE 'extern "C" +void +fv_[A-Za-z0-9_]+' | awk '{print "FVEMU_KERNEL(" $NF ")"}' | sort -u >"$names"
  if [ ! -s "$names" ]; then echo "no entry points found in $src" >&2; return 1; fi
  if ! "$cxx" "${common[@]}" "${emu[@]}" -DFV_EMU_SMEM_SECTION="fv_smem_$stem" \
      -DFVEMU_KERNEL_SOURCE="\"$root/$src\"" -DFVEMU_KERNEL_NAMES="\"$names\"" -I"$dev" \
      -c "$dev/kernel_tu.cpp" -o "$obj/$stem.o" >>"$obj/$stem.log" 2>&1; then
    echo "build of $src failed:" >&2; cat "$obj/$stem.log" >&2; return 1
  fi
}




sources=$(ls kernels/norm/*.cu kernels/qkv/*.cu kernels/elementwise/*.cu kernels/attention/*.cu)
pids=()
status=0
# The driver itself alongside the kernels.
("$cxx" "${common[@]}" -Wall -Wextra -Wno-unused-parameter -I"$dev" -c "$dev/driver.cpp" -o "$obj/driver.o") &
pids+=($!)
running=1
for src in $sources; do
  build_kernel "$src" &
  pids+=($!)
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
done
for _ in $(seq "$running"); do wait -n || status=1; done
if [ "$status" -ne 0 ]; then echo "build failed" >&2; exit 1; fi

objs=("$obj/driver.o")
for src in $sources; do objs+=("$obj/$(basename "$src" .cu).o"); done
# Exports: the driver API (cu*) and the emulator's own C API (fvemu_*), nothing else.
printf '{ global: cu*; fvemu_*; local: *; };\n' >"$obj/exports.map"
"$cxx" "${common[@]}" -shared -Wl,-soname,libcuda.so.1 -Wl,--no-undefined -Wl,--version-script="$obj/exports.map" -o "$out/libcuda.so.1" "${objs[@]}"
ln -sf libcuda.so.1 "$out/libcuda.so"

if [ -f "$dev/cublaslt_emu.cpp" ]; then
  "$cxx" "${common[@]}" -I"$dev" -shared -Wl,-soname,libcublasLt.so.13 -o "$out/libcublasLt.so.13" "$dev/cublaslt_emu.cpp" \
    -L"$out" -l:libcuda.so.1 -Wl,-rpath,'$ORIGIN'
  for v in 12 11; do ln -sf libcublasLt.so.13 "$out/libcublasLt.so.$v"; done
  ln -sf libcublasLt.so.13 "$out/libcublasLt.so"
fi

"$cxx" -std=c++17 -O1 -pthread -I"$dev" -o "$out/test_driver" "$dev/test_driver.cpp" -ldl
if [ "$run_test" -eq 1 ]; then
  "$out/test_driver" "$out/libcuda.so.1" "$root/build/kernels" >&2
fi
echo "$out"
