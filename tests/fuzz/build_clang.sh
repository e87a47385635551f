#!/bin/sh
# Builds every fuzz driver with clang and libFuzzer, under ASan and UBSan,
# with the whole project instrumented for coverage (the front-end driver
# needs most of it: worker, connection, store, fetcher, validation). The
# binaries land in BUILD_DIR/tests/<driver> (default build/fuzz-clang).
# Usage: tests/fuzz/build_clang.sh [BUILD_DIR] [JOBS]
#
# Warnings are not errors here: clang warns where g++ does not (e.g.
# -Wunused-private-field), and the g++ builds are the ones that enforce
# -Werror. This build exists to find bugs.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/fuzz-clang}
jobs=${2:-2}
CC=clang CXX=clang++ cmake -S "$root" -B "$build" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link" \
  -DOCSPCACHE_SANITIZE=ON -DOCSPCACHE_LIBFUZZER=ON -DOCSPCACHE_BUILD_BENCH=OFF \
  -DOCSPCACHE_WERROR=OFF
cmake --build "$build" -j"$jobs" --target \
  frontend_fuzz request_decode_fuzz get_target_fuzz response_validate_fuzz
