#!/usr/bin/env bash
# bench/smoke.sh BUILD_DIR — the CTest `bench-smoke` test: bench/run.sh in
# quick mode against the binaries of BUILD_DIR, then checks that the report
# has every table with numbers in it. Fails (never skips) when a tool is
# missing: scripts/install-deps.sh test installs nginx and wrk.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:?usage: bench/smoke.sh BUILD_DIR}
for tool in nginx wrk; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "bench-smoke: FAIL: '$tool' is not installed; run scripts/install-deps.sh test" >&2
    exit 1
  fi
done
report=$(mktemp /tmp/ocspcache-bench-smoke.XXXXXX.md)
trap 'rm -f "$report"' EXIT
"$root/bench/run.sh" --quick --no-build --build-dir "$build_dir" --out "$report"

fail=0
expect() {  # REGEX DESCRIPTION
  if ! grep -Eq -- "$1" "$report"; then
    echo "bench-smoke: FAIL: the report lacks $2 (/$1/)" >&2
    fail=1
  fi
}
num='[0-9]+'
for T in 1 2; do
  expect "^## Cache hits: $T worker" "the $T-thread hit table"
  for t in ocspcache-get ocspcache-post nginx-proxy-cache nginx-static fixed-response; do
    expect "^\\| $t \\| $num \\| $num \\| $num \\| $num \\|" "a $t row with numbers"
  done
  expect '^\| ocspcache / nginx proxy_cache \| [0-9.]+ ' "the ratio to nginx proxy_cache"
  expect '^\| ocspcache / nginx static \| [0-9.]+ ' "the ratio to nginx static"
  expect '^\| ocspcache / fixed-response \| [0-9.]+ ' "the ratio to the fixed-response server"
done
expect '^\| \*\*added by ocspcache, openssl ocsp\*\* \| -?[0-9]+ ' "the miss-path added latency (openssl ocsp)"
expect '^\| \*\*added by ocspcache, keep-alive responder\*\* \| -?[0-9]+ ' "the miss-path added latency (keep-alive responder)"
expect '^\| connections the responder saw .*\*\*[0-9]+ / [0-9]+\*\*' "the miss storm's connections"
expect '^\| hit p99 idle / during the storm \| [0-9]+ µs / [0-9]+ µs' "the hit p99 during the miss storm"
expect '^\| hit p99 at a fixed [0-9]+ req/s \(open loop\) idle / during the storm \| [0-9]+ µs / [0-9]+ µs' "the open-loop hit p99 during the miss storm"
expect '^\| \*\*misses stalling hits\*\*: p99 during the storm / during the control \| ratio [0-9.]+' "the storm's control run"
expect '^\| upstream requests .*\*\*1\*\*' "exactly one upstream request in the coalescing test"
expect "^\\| 1000 \\| uniform \\| $num \\|" "the uniform scale row"
expect "^\\| 1000 \\| zipf \\| $num \\|" "the Zipf scale row"
expect '^\| 1000 \| [0-9]+ \| [0-9.]+ → [0-9.]+ \| -?[0-9]+ \|' "RSS per entry"
expect "^\\| no-scrape \\| $num \\| $num \\| $num \\|" "the scrape table's baseline row"
expect "^\\| scraping \\| $num \\| $num \\| $num \\|" "the scrape table's scraping row"
expect 'BM_HitPath' "the micro-benchmarks"
if ((fail)); then
  echo "---- report ----" >&2
  cat "$report" >&2
  exit 1
fi
echo "bench-smoke: OK"
