#!/usr/bin/env bash
# README command 2 (and all that .ci/run does): install what is missing,
# build with warnings as errors, run the whole suite; then build again with
# ASan+UBSan and run the whole suite again.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
scripts/install-deps.sh test
jobs=${OCSPCACHE_JOBS:-2}

run_suite() {  # build-dir cmake-args...
  local dir=$1
  shift
  # Ninja, unlike CMake's Makefiles, starts a target's objects before the
  # libraries it links are built (2 cores stay busy): about 10% off each
  # build. A build directory made earlier keeps its generator.
  local gen=()
  [[ -f $dir/CMakeCache.txt ]] || gen=(-G Ninja)
  echo "== configure $dir ($*)"
  cmake "${gen[@]}" -S . -B "$dir" -DOCSPCACHE_WERROR=ON "$@" >/dev/null
  echo "== build $dir"
  cmake --build "$dir" -j"$jobs" 2>&1 | grep -vE '^\[ *[0-9]+(%|/[0-9]+)\]|^(make|gmake|ninja)' || true
  cmake --build "$dir" -j"$jobs" >/dev/null  # fail here if the build failed
  echo "== test $dir"
  # One test more than cores: most integration tests wait on sockets and
  # child processes (responders, nginx, Prometheus), not on the CPU.
  (cd "$dir" && ctest --output-on-failure -j"${OCSPCACHE_TEST_JOBS:-$((jobs + 1))}" --timeout 300)
}

run_suite build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite build/asan -DCMAKE_BUILD_TYPE=Debug -DOCSPCACHE_SANITIZE=ON -DOCSPCACHE_BUILD_BENCH=OFF
echo "== all suites passed"
