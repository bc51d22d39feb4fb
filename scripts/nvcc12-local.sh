#!/usr/bin/env bash
# A private CUDA 12.4 nvcc for compiling the sm_90a kernels (kernels/attention/flash_attn_hopper.cu: wgmma,
# setmaxnreg) on a machine whose system nvcc is Debian bookworm's CUDA 11.8, which cannot target sm_90a.
# No GPU is needed and nothing here runs a kernel: compiled is not verified (docs/GPU.md says how to run the lab).
#
# What it does (each step is skipped when already done, so the script is idempotent):
#   install  Downloads Debian trixie's non-free CUDA 12.4 packages (.deb files named in the Packages index, their
#            SHA-256 checked against it), unpacks them with `dpkg-deb -x` into $CUDA12_PREFIX (default /opt/cuda12)
#            and relocates nvcc there: Debian's nvcc reads an nvcc.profile beside its binary (a link to
#            /etc/nvcc.profile, the SYSTEM 11.8 one); it is replaced by a copy whose PATH, INCLUDES, LIBRARIES
#            and libdevice all point into the prefix. Never dpkg -i / apt: trixie's packages would upgrade libc.
#            Then compiles a one-line sm_90a kernel with setmaxnreg as a smoke test.
#   hopper   Compiles flash_attn_hopper.cu with the flags kernels/CMakeLists.txt uses (-Werror all-warnings,
#            -Xcompiler -Wall,-Werror, --use_fast_math, -gencode arch=compute_90a,code=sm_90a) plus -Xptxas -v,
#            keeps the intermediates in build/hopper-sm90a/ and prints ptxas's resource usage and the count of
#            HGMMA (wgmma) and USETMAXREG instructions per entry point from `cuobjdump -sass`.
#   kernels  Builds the whole kernels/ tree through CMake with this nvcc (build/cmake-cuda12, fatbins in
#            build/kernels-cuda12), as CI's .ci/kernels does with the system nvcc, then compiles every kernel with
#            NVRTC 12.4 (kernels/dev/nvrtc_check.cpp; the Hopper kernel for compute_90a).
# Usage: scripts/nvcc12-local.sh [install|hopper|kernels|all]   (default: all = install + hopper)
# Env: CUDA12_PREFIX (/opt/cuda12), CUDA12_DEBS (download cache, default $CUDA12_PREFIX.debs),
#      CUDA12_KEEP_LIBS=1 keeps cuBLAS/cuFFT/NPP/… (≈ 2.2 GB that compiling kernels does not need; pruned by default),
#      DEBIAN_MIRROR (http://deb.debian.org/debian), HOSTCXX (clang++-14, as CI).
# Needs: curl, xz, sha256sum, dpkg-deb, clang++-14; write access to the prefix's parent directory.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=${CUDA12_PREFIX:-/opt/cuda12}
debs=${CUDA12_DEBS:-$prefix.debs}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
hostcxx=${HOSTCXX:-clang++-14}
index_url="$mirror/dists/trixie/non-free/binary-amd64/Packages.xz"
# nvcc/cicc/ptxas/fatbinary/cuobjdump + libdevice (toolkit), CUDA headers (dev), libnvvm, and the run-time
# libraries the kernel lab links and NVRTC needs (cudart, nvrtc + builtins).
packages=(nvidia-cuda-toolkit nvidia-cuda-dev libnvvm4 libcudart12 libnvrtc12 libnvrtc-builtins12.4)
toolkit=$prefix/usr/lib/nvidia-cuda-toolkit
nvcc=$prefix/bin/nvcc
stamp=$prefix/.fv-nvcc12-ready

die() { echo "nvcc12-local: error: $*" >&2; exit 1; }
note() { echo "nvcc12-local: $*"; }
need() { command -v "$1" >/dev/null || die "'$1' not found on PATH ($2)"; }

install_toolkit() {
  if [ -f "$stamp" ] && "$nvcc" --version >/dev/null 2>&1; then
    note "CUDA 12 already set up in $prefix ($("$nvcc" --version | tail -n 1))"
    return
  fi
  need curl "apt-get install curl"; need xz "apt-get install xz-utils"; need sha256sum "coreutils"
  need dpkg-deb "the dpkg package"
  mkdir -p "$debs" 2>/dev/null || die "cannot create the download cache $debs (set CUDA12_DEBS)"
  local parent; parent=$(dirname "$prefix")
  [ -w "$parent" ] || die "$parent is not writable: run as root or set CUDA12_PREFIX to a writable path"

  note "reading the package index $index_url"
  curl -fsSL "$index_url" -o "$debs/Packages.xz" || die "cannot download $index_url (network? mirror?)"
  xz -dc "$debs/Packages.xz" >"$debs/Packages" || die "$debs/Packages.xz is not a valid xz file"

  local staging=$prefix.partial
  rm -rf "$staging"; mkdir -p "$staging"
  local pkg
  for pkg in "${packages[@]}"; do
    # One stanza per package; the index lists each (package, version) once for this suite.
    local fields filename sha version
    fields=$(awk -v p="$pkg" '/^Package: /{on=($2==p)} on&&/^(Version|Filename|SHA256): /{print $1, $2}' "$debs/Packages")
    version=$(awk '$1=="Version:"{print $2; exit}' <<<"$fields")
    filename=$(awk '$1=="Filename:"{print $2; exit}' <<<"$fields")
    sha=$(awk '$1=="SHA256:"{print $2; exit}' <<<"$fields")
    [ -n "$filename" ] && [ -n "$sha" ] || die "package $pkg is not in $index_url"
    case "$version" in 12.4.*) ;; *) die "$pkg is at version $version in trixie; this script's relocation was written for 12.4.x (check the nvcc.profile step before widening it)";; esac
    local deb=$debs/$(basename "$filename")
    if [ ! -f "$deb" ] || ! echo "$sha  $deb" | sha256sum -c --quiet - 2>/dev/null; then
      note "downloading $pkg $version"
      curl -fL --retry 3 -sS "$mirror/$filename" -o "$deb.tmp" || die "download of $mirror/$filename failed"
      echo "$sha  $deb.tmp" | sha256sum -c --quiet - || die "SHA-256 mismatch for $deb (index says $sha)"
      mv "$deb.tmp" "$deb"
    fi
    dpkg-deb -x "$deb" "$staging" || die "dpkg-deb -x $deb failed"
  done

  [ -x "$staging/usr/lib/nvidia-cuda-toolkit/bin/nvcc" ] || die "no nvcc in the unpacked packages (layout changed?)"
  [ -f "$staging/usr/include/cuda_runtime.h" ] || die "no cuda_runtime.h in the unpacked packages (layout changed?)"
  if [ "${CUDA12_KEEP_LIBS:-0}" != 1 ]; then
    (cd "$staging/usr/lib/x86_64-linux-gnu" && rm -f libcublas* libcufft* libcusolver* libcusparse* libnpp* libnvjpeg* \
      libcurand* libnvblas* libcuinj* libaccinj* libcupti* libnvperf* libpcsamplingutil* libcheckpoint*)
  fi

  # Relocate. Debian's layout: the real nvcc and cicc in usr/lib/nvidia-cuda-toolkit/bin (nvcc.profile there
  # links to /etc/nvcc.profile), ptxas/fatbinary/cuobjdump/cudafe++ in usr/bin, headers in usr/include,
  # libdevice in usr/lib/nvidia-cuda-toolkit/libdevice. nvcc resolves the profile beside its real binary.
  local tk=$staging/usr/lib/nvidia-cuda-toolkit
  rm -f "$tk/bin/nvcc.profile"
  cat >"$tk/bin/nvcc.profile" <<EOF
# Relocated copy of Debian trixie's /etc/nvcc.profile (CUDA 12.4), written by scripts/nvcc12-local.sh: every
# path points into $prefix, so this nvcc never picks up the system CUDA's headers, libdevice or tools.
NVVMIR_LIBRARY_DIR = $toolkit/libdevice

PATH		+= $toolkit/bin:$prefix/usr/bin:

INCLUDES	+= "-I$prefix/usr/include" \$(_SPACE_)

LIBRARIES	=+ \$(_SPACE_) -L$prefix/usr/lib/x86_64-linux-gnu/stubs -L$prefix/usr/lib/x86_64-linux-gnu
EOF
  cat >"$staging/usr/bin/nvcc" <<EOF
#!/bin/sh
# Written by scripts/nvcc12-local.sh: the relocated CUDA 12.4 nvcc (Debian's wrapper pointed at /usr/lib).
export PATH="$toolkit/bin:$prefix/usr/bin:\$PATH"
exec $toolkit/bin/nvcc "\$@"
EOF
  chmod +x "$staging/usr/bin/nvcc"
  mkdir -p "$staging/bin"
  local t
  for t in nvcc ptxas fatbinary cuobjdump nvdisasm nvlink cudafe++ cu++filt; do ln -sfn "../usr/bin/$t" "$staging/bin/$t"; done

  if [ -e "$prefix" ]; then
    # Replace only an earlier (or half-made) copy of this layout, never an unrelated directory.
    [ -d "$prefix/usr/lib/nvidia-cuda-toolkit" ] || [ -z "$(ls -A "$prefix")" ] \
      || die "$prefix exists and is not a CUDA 12 tree made by this script: move it away or set CUDA12_PREFIX"
    rm -rf "$prefix"
  fi
  mv "$staging" "$prefix"
  smoke_test
  touch "$stamp"
  note "ready: $nvcc ($("$nvcc" --version | tail -n 1))"
  note "the .deb cache $debs ($(du -sh "$debs" | cut -f1)) may be deleted"
}

smoke_test() {
  need "$hostcxx" "the host compiler CI uses; set HOSTCXX to another supported one"
  local dir; dir=$(mktemp -d)
  cat >"$dir/smoke.cu" <<'EOF'
// setmaxnreg exists only on sm_90a; __launch_bounds__ gives ptxas the entry register count it needs.
__global__ void __launch_bounds__(128, 1) smoke(float* x)
{
    asm volatile("setmaxnreg.inc.sync.aligned.u32 240;\n");
    x[threadIdx.x] *= 2.f;
}
EOF
  "$nvcc" -ccbin "$hostcxx" -Werror all-warnings -gencode arch=compute_90a,code=sm_90a -cubin -o "$dir/smoke.cubin" "$dir/smoke.cu" \
    || die "the relocated nvcc cannot compile a trivial sm_90a kernel (see above); $dir kept"
  "$prefix/bin/cuobjdump" -sass "$dir/smoke.cubin" | grep -q USETMAXREG \
    || die "the smoke kernel's SASS has no USETMAXREG; $dir kept"
  rm -rf "$dir"
  note "smoke test passed: sm_90a kernel with setmaxnreg compiled and disassembled"
}

hopper() {
  [ -x "$nvcc" ] || die "$nvcc missing: run '$0 install' first"
  need "$hostcxx" "the host compiler CI uses; set HOSTCXX to another supported one"
  local out=build/hopper-sm90a src=kernels/attention/flash_attn_hopper.cu
  rm -rf "$out"; mkdir -p "$out"
  note "compiling $src for sm_90a (log: $out/ptxas.log)"
  # The flags of kernels/CMakeLists.txt for this file, plus -Xptxas -v and -keep (PTX and cubin stay in $out).
  if ! "$nvcc" -std=c++17 -O3 -Werror all-warnings -Xcompiler -Wall,-Werror -Ikernels/common -ccbin "$hostcxx" \
      --use_fast_math -gencode arch=compute_90a,code=sm_90a -cubin -keep -keep-dir "$out" -Xptxas -v \
      -o "$out/flash_attn_hopper.cubin" "$src" >"$out/ptxas.log" 2>&1; then
    cat "$out/ptxas.log" >&2
    die "$src does not compile with $("$nvcc" --version | tail -n 1)"
  fi
  grep -E "Compiling entry|Used|spill|Potential Performance Loss" "$out/ptxas.log" | sed 's/^ptxas info *: //'
  "$prefix/bin/cuobjdump" -sass "$out/flash_attn_hopper.cubin" >"$out/flash_attn_hopper.sass"
  note "SASS per entry point ($out/flash_attn_hopper.sass):"
  awk '/Function :/{name=$3} /HGMMA/{h[name]++} /USETMAXREG/{r[name]++} /LDL|STL/{l[name]++}
       END{for (n in h) printf "  %-32s %2d HGMMA, %d USETMAXREG, %d local loads/stores\n", n, h[n], r[n], l[n]}' \
    "$out/flash_attn_hopper.sass" | sort
  if ! grep -q HGMMA "$out/flash_attn_hopper.sass"; then die "no HGMMA in the SASS: the wgmma path was not emitted"; fi
  if grep -q "Potential Performance Loss" "$out/ptxas.log"; then die "ptxas reports a performance loss (above)"; fi
}

kernels() {
  [ -x "$nvcc" ] || die "$nvcc missing: run '$0 install' first"
  need cmake "apt-get install cmake"
  need "$hostcxx" "the host compiler CI uses; set HOSTCXX to another supported one"
  # CMake < 3.26 does not pass CMAKE_CUDA_HOST_COMPILER to check_language(CUDA): CUDAHOSTCXX does reach it.
  CUDAHOSTCXX=$(command -v "$hostcxx") cmake -S . -B build/cmake-cuda12 -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CUDA_COMPILER="$nvcc" -DCMAKE_CUDA_HOST_COMPILER="$(command -v "$hostcxx")" -DCMAKE_CUDA_ARCHITECTURES=80 \
    -DFV_KERNEL_OUTPUT_DIR="$PWD/build/kernels-cuda12" >/dev/null || die "CMake configure failed"
  cmake --build build/cmake-cuda12 --target fv_kernels -j "$(nproc 2>/dev/null || echo 2)" || die "kernel build failed"
  ls -l build/kernels-cuda12/*.fatbin
  # NVRTC 12.4 (the managed run-time fallback; flash_attn_hopper.cu needs NVRTC >= 12 for compute_90a). libnvrtc
  # dlopens its builtins library by name, hence LD_LIBRARY_PATH rather than only an rpath.
  local lib=$prefix/usr/lib/x86_64-linux-gnu
  "$hostcxx" -O1 -std=c++17 -I"$prefix/usr/include" -o build/cmake-cuda12/nvrtc_check kernels/dev/nvrtc_check.cpp \
    -L"$lib" -lnvrtc -Wl,-rpath,"$lib" || die "building kernels/dev/nvrtc_check.cpp against NVRTC 12 failed"
  LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" build/cmake-cuda12/nvrtc_check kernels \
    || die "a kernel does not compile with NVRTC 12.4 (above)"
}

case "${1:-all}" in
  install) install_toolkit ;;
  hopper) hopper ;;
  kernels) kernels ;;
  all) install_toolkit; hopper ;;
  *) die "unknown command '$1' (install, hopper, kernels or all)" ;;
esac
