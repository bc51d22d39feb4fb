#!/usr/bin/env bash
# Builds and runs the kernel lab on the local GPU with the local nvcc: every lab validates each kernel against
# a double-precision CPU reference (NaN-poisoned outputs, odd sizes), then times the Wan-sized cases with CUDA
# events (median, L2 flushed). Prints each lab's table; exits non-zero if any check failed.
# Usage: kernels/dev/run_lab.sh [out_dir]   (default build/lab; logs land there too)
# Env: NVCC (default nvcc), LABS (default "norm qkv attention elementwise"), ARCH (default: the GPU's, e.g. 90),
#      WERROR (default 1).
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${1:-build/lab}
mkdir -p "$out"
nvcc=${NVCC:-nvcc}
arch=${ARCH:-$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n 1 | tr -d '.')}
if [ -z "$arch" ]; then echo "no GPU found (nvidia-smi) and ARCH not set" >&2; exit 2; fi
ver=$("$nvcc" --version | sed -n 's/.*release \([0-9]*\)\.\([0-9]*\).*/\1\2/p')
host=()
if command -v clang++-14 >/dev/null && [ "${ver:-0}" -lt 120 ]; then host=(-ccbin clang++-14); fi
flags=(-std=c++17 -O3 -lineinfo -Ikernels/common "${host[@]}")
# Warnings are errors as in CMake; WERROR=0 lets a newer nvcc's new warnings through for a measurement run.
[ "${WERROR:-1}" = 1 ] && flags+=(-Werror all-warnings)
echo "nvcc $("$nvcc" --version | tail -n 1), GPU sm_$arch"

status=0
for lab in ${LABS:-norm qkv attention elementwise}; do
  extra=(-gencode "arch=compute_$arch,code=sm_$arch")
  [ "$lab" = attention ] && extra+=(--use_fast_math)
  # The Hopper kernel joins the attention lab on sm_90 with nvcc >= 12 (wgmma needs the sm_90a target).
  if [ "$lab" = attention ] && [ "$arch" = 90 ] && [ "${ver:-0}" -ge 120 ]; then
    extra=(-gencode "arch=compute_90a,code=sm_90a" --use_fast_math -DFV_LAB_HOPPER)
  fi
  echo "== building lab_$lab"
  if ! "$nvcc" "${flags[@]}" "${extra[@]}" -Xptxas -v -o "$out/lab_$lab" "kernels/dev/lab_$lab.cu" >"$out/build_$lab.log" 2>&1; then
    cat "$out/build_$lab.log"; status=1; continue
  fi
  grep -E "spill|Used" "$out/build_$lab.log" | sed 's/^/   /' | sort | uniq -c | sort -rn | head -n 6
  echo "== running lab_$lab"
  "$out/lab_$lab" 2>&1 | tee "$out/lab_$lab.log" | grep -E "MISMATCH|^\s+\[" | head -n 40
  rc=${PIPESTATUS[0]}
  if [ "$rc" -ne 0 ]; then
    status=1
    grep -q "^== lab_" "$out/lab_$lab.log" || { echo "lab_$lab exited with $rc:"; tail -n 5 "$out/lab_$lab.log"; }
  fi
done
echo
for lab in ${LABS:-norm qkv attention elementwise}; do
  [ -f "$out/lab_$lab.log" ] && sed -n '/^== lab_/,$p' "$out/lab_$lab.log"
done
exit $status
