#!/usr/bin/env bash
# Installs the Debian 12 packages ocspcache needs to build, run and test.
# Idempotent and quiet: prints nothing and touches nothing when all are there.
# Usage: scripts/install-deps.sh [build|test|bench]   (default: test)
#   build  compile and run the daemon
#   test   build + the test suite (which includes the bench/run.sh smoke run,
#          hence nginx and wrk)
#   bench  test + what bench/run.sh --profile uses (perf)
set -euo pipefail

build_pkgs=(
  build-essential cmake pkg-config
  libevent-dev libssl-dev libhiredis-dev prometheus-cpp-dev libtomlplusplus-dev
  libhttp-parser-dev libabsl-dev
  libsystemd-dev     # sd_notify for the unit's Type=notify
  openssl iproute2   # the demo: make-test-pki.sh and its responder, ss(8)
)
test_pkgs=(
  googletest libgtest-dev libbenchmark-dev
  ninja-build        # scripts/test.sh builds with Ninja: objects compile while libraries link
  curl               # GET client in integration tests
  prometheus         # promtool (rules, check metrics) and a real Prometheus in alert tests
  python3            # packaging checks (runbooks, Grafana dashboard); json.tool on /status
  nginx wrk          # the bench-smoke test runs bench/run.sh --quick
  redis-server redis-tools redis-sentinel  # the Redis backend's tests run real servers
  haproxy            # the stapling tests run a real HAProxy 2.6 on the .ocsp files
  apache2            # packaging/examples/apache-stapling.conf, loaded by a real Apache 2.4
  lintian dpkg-dev file  # the .deb test: cpack (dpkg-shlibdeps; file finds ELF files), lintian
  systemd            # systemd-analyze verify/security on the unit
  man-db             # man --warnings on the man page
)
bench_pkgs=(
  linux-perf         # bench/run.sh --profile
)

mode=${1:-test}
want=("${build_pkgs[@]}")
case $mode in
  build) ;;
  test) want+=("${test_pkgs[@]}") ;;
  bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *)
    echo "usage: $0 [build|test|bench]" >&2
    exit 2
    ;;
esac

missing=()
for p in "${want[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

sudo=()
((EUID == 0)) || sudo=(sudo)
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# nginx, apache2, haproxy, redis-server and prometheus would each start a
# system service on install, and the first two both want port 80: on a
# machine that lets packages start services, the second one's postinst
# fails and so does the install. The tests run their own servers on
# loopback ports, so no service is started (policy-rc.d, honoured by
# invoke-rc.d and deb-systemd-invoke), unless the machine has its own policy.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\n# install-deps.sh: no service starts while it installs\nexit 101\n' |
    "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 755 "$policy"
  trap '"${sudo[@]}" rm -f "$policy"' EXIT
fi
"${sudo[@]}" apt-get update -qq >/dev/null
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
