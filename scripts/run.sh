#!/usr/bin/env bash
# README command 1: install what is missing, build, and run ocspcache in the
# foreground on the sample config (memory backend, 127.0.0.1:8080, admin
# 127.0.0.1:9080). The sample config routes the demo issuer, so its
# certificate is created here if absent (scripts/demo.sh starts its responder).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
scripts/install-deps.sh build
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DOCSPCACHE_BUILD_TESTS=OFF \
  -DOCSPCACHE_BUILD_BENCH=OFF >/dev/null
cmake --build build/release -j2 --target ocspcache
[[ -f .demo/pki/intermediate.pem ]] || scripts/make-test-pki.sh .demo/pki >/dev/null
exec build/release/ocspcache --config "${OCSPCACHE_CONFIG:-conf/ocspcache.toml}"
