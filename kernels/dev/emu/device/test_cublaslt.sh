#!/usr/bin/env bash
# Builds and runs the stand-in cuBLASLt's tests (test_cublaslt.cpp + cublaslt_emu.cpp, plain host pointers), once
# optimised and once with AddressSanitizer + UBSan, and checks that the shared library exports exactly the cuBLASLt
# entry points CublasLtNative.cs imports. Usage: test_cublaslt.sh [out-dir]   (default: a temporary directory)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$(mktemp -d)}"
mkdir -p "$out"
cxx="${CXX:-clang++-14}"
flags=(-std=c++17 -Wall -Wextra -Werror -pthread)

"$cxx" "${flags[@]}" -O2 "$here/test_cublaslt.cpp" "$here/cublaslt_emu.cpp" -ldl -o "$out/test_cublaslt"
"$out/test_cublaslt"

# Sanitizers: with g++ (clang-14's runtimes are often not installed); skipped when neither links.
san="${SANCXX:-g++}"
if echo 'int main(){}' | "$san" -x c++ -fsanitize=address,undefined - -o "$out/san_probe" 2>/dev/null; then
    "$san" "${flags[@]}" -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
        "$here/test_cublaslt.cpp" "$here/cublaslt_emu.cpp" -ldl -o "$out/test_cublaslt_asan"
    echo -n "with ASan+UBSan ($san): "
    FVEMU_BLAS_THREADS=2 "$out/test_cublaslt_asan" | tail -n 1
else
    echo "ASan+UBSan: skipped ($san cannot link the sanitizer runtimes)"
fi

# The library alone: it must link without the driver (weak hooks) and export only the cublasLt* API.
"$cxx" "${flags[@]}" -O2 -fPIC -shared -fvisibility=hidden -Wl,-soname,libcublasLt.so.13 "$here/cublaslt_emu.cpp" -ldl \
    -o "$out/libcublasLt.so.13"
want="cublasLtCreate cublasLtDestroy cublasLtGetVersion cublasLtMatmul cublasLtMatmulAlgoGetHeuristic cublasLtMatmulDescCreate
cublasLtMatmulDescDestroy cublasLtMatmulDescSetAttribute cublasLtMatmulPreferenceCreate cublasLtMatmulPreferenceDestroy
cublasLtMatmulPreferenceSetAttribute cublasLtMatrixLayoutCreate cublasLtMatrixLayoutDestroy cublasLtMatrixLayoutSetAttribute"
got="$(nm -D --defined-only "$out/libcublasLt.so.13" | awk '{print $3}' | sort | tr '\n' ' ' | sed 's/ $//')"
want="$(echo $want | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
if [[ "$got" != "$want" ]]; then
    echo "exports differ:"; echo "  got:  $got"; echo "  want: $want"; exit 1
fi
# Every function CublasLtNative.cs imports is exported.
missing=0
for f in $(grep -o 'partial [a-z]* cublasLt[A-Za-z]*' "$here/../../../../interop/FastVideo.Interop/CublasLtNative.cs" | awk '{print $3}'); do
    [[ " $got " == *" $f "* ]] || { echo "not exported: $f"; missing=1; }
done
[[ $missing == 0 ]] || exit 1
echo "exports: OK (14 cublasLt* symbols, as CublasLtNative.cs imports)"

# Finding the driver hooks: none loaded → NOT_INITIALIZED; a libcuda.so.1 already loaded → found by dlsym;
# libcublasLt linked against libcuda.so.1 (as build-cuda-emulator.sh links it) → bound by the loader.
mkdir -p "$out/drv" "$out/linked"
"$cxx" "${flags[@]}" -O2 -fPIC -shared -fvisibility=hidden -DFAKE_DRIVER -Wl,-soname,libcuda.so.1 "$here/test_cublaslt_link.cpp" \
    -o "$out/drv/libcuda.so.1"
"$cxx" "${flags[@]}" -O2 "$here/test_cublaslt_link.cpp" -ldl -o "$out/link_probe"
"$out/link_probe" "$out/libcublasLt.so.13" 1
"$out/link_probe" "$out/libcublasLt.so.13" 0 "$out/drv/libcuda.so.1"
"$cxx" "${flags[@]}" -O2 -fPIC -shared -fvisibility=hidden -Wl,-soname,libcublasLt.so.13 "$here/cublaslt_emu.cpp" \
    -L"$out/drv" -l:libcuda.so.1 -Wl,-rpath,'$ORIGIN/../drv' -ldl -o "$out/linked/libcublasLt.so.13"
"$out/link_probe" "$out/linked/libcublasLt.so.13" 0
echo "driver hooks: OK (absent → NOT_INITIALIZED, loaded libcuda.so.1 → dlsym, linked → loader)"
