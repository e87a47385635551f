#!/usr/bin/env bash
# bench/soak.sh — the chaos soak of issue 13. Not in CI, except `--quick`
# (about 30 s of load), the CTest test `soak_quick` (label soak).
#
# One ocspcache (2 worker threads), a real `openssl ocsp` responder and,
# with --backend redis, a redis-server, all on 127.0.0.1 ephemeral ports.
# bench/soak_load.py first fills the cache to cache.max_bytes with misses
# (so the soak runs in the steady state a long-lived proxy lives in: full
# cache, evicting), then warms the "cached set" (CertIDs of good, revoked
# and unknown certificates, SHA-1 and SHA-256), then drives a mixed load:
# GET and POST hits on the cached set (some with a nonce, URL-escaped or
# not), misses (a new serial each time), requests for an issuer not
# configured, and bad input (garbage and truncated DER, bad base64,
# oversized bodies, headers and targets, broken HTTP, PUT, bad chunking,
# clients that hang up mid-request), on keep-alive connections and on a new
# connection per request (HTTP/1.0 and 1.1). Every answer is judged as it
# arrives (HTTP status, Content-Type, OCSP status, the CertID and the
# certificate status in the answer).
#
# Meanwhile, from the end of the warm-up: SIGHUP every 30 s (the config
# alternates metrics.max_series, so every reload changes something),
# the responder `kill -9`ed and restarted on the same port (down 20 s every
# 120 s), and with Redis, redis-server `kill -9`ed and restarted empty (down
# 10 s every 120 s); shorter runs get one scaled cycle. The last 30 s have
# no kill, so the end samples see the steady state. At the end the
# responder is frozen (SIGSTOP, so misses are waiting upstream) and
# ocspcache gets SIGTERM while the load goes on.
#
# Pass criteria (exit 1, saying which failed):
#   - no failed request for a cached CertID, whatever the fault: HTTP 200,
#     application/ocsp-response, successful, the CertID asked, its status;
#   - bad input always answered with a 4xx or an OCSP malformedRequest;
#     misses answered (the certificate's status, or tryLater while the
#     responder is away), never a reset, a 5xx or a hang;
#   - RSS at the end within 10 % of RSS after the warm-up (--quick: 25 %:
#     30 s is too short for the allocator to settle, but a leak of one
#     answer per request, ~1 KiB x 300 req/s, is far above it); not judged
#     for a sanitizer build (ASan's quarantine grows by design);
#   - open descriptors at the end ≤ at the start + 3 (each the least of
#     the samples in a short window, so connections in passing don't count);
#   - ocspcache alive until SIGTERM; then every request wholly sent before
#     SIGTERM answered completely and correctly, requests after it answered
#     or turned away before any byte of an answer (refused connect, or close
#     of a connection with nothing read), never cut mid-answer; exit status
#     0 within the drain (and no sanitizer report in its log).
# Reported: all of the above with RSS and descriptors at start, middle and
# end, and hit/miss p50/p99/max per phase (steady; responder down; responder
# back, from its restart to the first miss answered good again, which waits
# for the circuit breaker's next probe; Redis down; the 2 s after each
# SIGHUP; responder frozen before SIGTERM).
#
# usage: bench/soak.sh [--quick] [--minutes N] [--backend memory|redis]
#                      [--out FILE] [--binary PATH] [--build-dir DIR]
#                      [--rate R] [--threads N] [--no-netns] [--no-rss-check]
#                      [--keep]
#   --quick       30 s of load (4 s warm-up + 24 s soak + the drain), 300 req/s
#   --minutes N   soak length after the 30 s warm-up (default 10); 1000 req/s
#   --backend     memory (default) or redis
#   --out FILE    also write the report as a Markdown section (for bench/RESULTS.md)
#   --binary PATH ocspcache to test (or $OCSPCACHE_BIN); nothing is built then.
#                 Default: DIR/ocspcache of --build-dir (build-rel, as bench/run.sh),
#                 built (Release) if missing
#   --no-netns    by default the soak re-runs itself in a network namespace
#                 of its own (unshare -n, loopback only) when it may, because
#                 `openssl ocsp` binds every address of its port and has no
#                 option to choose one; without one it runs here, and only
#                 127.0.0.1 is ever asked either way
#   --keep        keep the work directory (logs, configs, summary) even on success
# Needs: openssl, python3, ss, curl; redis-server for --backend redis.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
invocation="bench/soak.sh${*:+ $*}"
args=("$@")

quick=0
minutes=10
backend=memory
out=""
bin=${OCSPCACHE_BIN:-}
build_dir=$root/build-rel
rate=""
threads=2
netns=1
rss_check=1
keep=0
while (($#)); do
  case $1 in
    --quick) quick=1 ;;
    --minutes) minutes=$2; shift ;;
    --backend) backend=$2; shift ;;
    --out) out=$2; shift ;;
    --binary) bin=$2; shift ;;
    --build-dir) build_dir=$2; shift ;;
    --rate) rate=$2; shift ;;
    --threads) threads=$2; shift ;;
    --no-netns) netns=0 ;;
    --no-rss-check) rss_check=0 ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/soak.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
die() {
  echo "bench/soak.sh: $*" >&2
  exit 1
}
log() { echo "== $(date +%T) $*" >&2; }
case $backend in memory|redis) ;; *) die "--backend must be memory or redis" ;; esac
if ! [[ $minutes =~ ^[0-9]+$ ]] || ((minutes < 1)); then die "--minutes must be a whole number ≥ 1"; fi
python=${PYTHON3:-python3}
tools=(openssl "$python" ss curl)
[[ $backend == redis ]] && tools+=(redis-server)
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || die "missing $tool (scripts/install-deps.sh test installs it)"
done

# --- a network namespace of our own, when we may have one -----------------
if ((netns)) && [[ -z ${OCSPCACHE_SOAK_NETNS:-} ]]; then
  for how in "-n" "-rn"; do
    if unshare "$how" true 2>/dev/null; then
      exec unshare "$how" -- env OCSPCACHE_SOAK_NETNS=1 bash "$0" "${args[@]}"
    fi
  done
  echo "bench/soak.sh: no network namespace available (unshare -n): running in this one;" \
    "openssl ocsp listens on every address of its port (only 127.0.0.1 is asked)" >&2
fi
in_netns=no
if [[ -n ${OCSPCACHE_SOAK_NETNS:-} ]]; then
  ip link set lo up || die "cannot bring up loopback in the network namespace"
  in_netns=yes
fi

# --- the binary --------------------------------------------------------------
[[ $build_dir = /* ]] || build_dir="$PWD/$build_dir"
if [[ -z $bin ]]; then
  bin=$build_dir/ocspcache
  if [[ ! -x $bin ]]; then
    log "build ocspcache (Release) in $build_dir"
    [[ -f $build_dir/CMakeCache.txt ]] ||
      cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$build_dir" -j"${OCSPCACHE_JOBS:-2}" --target ocspcache >/dev/null
  fi
fi
[[ -x $bin ]] || die "$bin is not an executable"
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$(dirname "$bin")/CMakeCache.txt" 2>/dev/null || true)
sanitized=0
# An ASan build references __asan_init (gcc and clang alike).
if grep -qa '__asan_init' "$bin"; then sanitized=1; fi
build_desc="$("$bin" --version) (git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- src include 2>/dev/null || echo ", src modified")), CMAKE_BUILD_TYPE=${build_type:-?}"
if ((sanitized)); then build_desc+=", ASan+UBSan"; fi

# --- the run's shape -----------------------------------------------------------
if ((quick)); then
  warm=4 duration=24 max_bytes=1MiB cached=64 sample=0.5 fd_window=3
  rss_limit=25
  rss_note="--quick: 24 s is too short for the allocator to settle; a leak of an answer per request would be far above it"
  : "${rate:=300}"
else
  warm=30 duration=$((minutes * 60)) max_bytes=4MiB cached=128 sample=1 fd_window=10
  rss_limit=10 rss_note=""
  : "${rate:=1000}"
fi
if ((sanitized)); then
  rss_check=0
  rss_note="sanitizer build: ASan's quarantine holds freed memory, so RSS says nothing about leaks here (LeakSanitizer at exit does)"
elif ((!rss_check)); then
  rss_note="--no-rss-check"
fi
fd_slack=3
freeze_at=$(awk -v w="$warm" -v d="$duration" 'BEGIN {print w + d - 3}')
term_at=$(awk -v f="$freeze_at" 'BEGIN {print f + 1}')
end_sample_at=$(awk -v f="$freeze_at" 'BEGIN {print f - 0.5}')

# Fault schedule: "OFFSET ACTION" lines, OFFSET in seconds from the load's
# start (warm-up included); faults begin after the warm-up.
schedule() {
  awk -v w="$warm" -v d="$duration" -v redis="$([[ $backend == redis ]] && echo 1 || echo 0)" -v fz="$freeze_at" '
    function ev(t, a) { printf "%.2f %s\n", w + t, a }
    BEGIN {
      if (d >= 150) {
        P = 120; r0 = 10; r1 = 30; q0 = 70; q1 = 80; hup = 30
        n = 0; for (c = 0; c + q1 <= d - 30; c += P) n++
      } else {
        P = d; r0 = 0.08 * d; r1 = 0.25 * d; q0 = 0.40 * d; q1 = 0.50 * d; hup = d / 3; n = 1
      }
      for (k = 0; k < n; k++) {
        c = k * P
        ev(c + r0, "responder_kill"); ev(c + r1, "responder_start")
        if (redis) { ev(c + q0, "redis_kill"); ev(c + q1, "redis_start") }
      }
      for (t = hup; t < d - 5; t += hup) ev(t, "sighup")
      printf "%.2f freeze\n", fz
    }' | sort -g
}

# --- processes: every one we start is tracked and stopped on exit --------------
work=$(mktemp -d /tmp/ocspcache-soak.XXXXXX)
pids=()
cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
    kill -CONT "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  if ((rc != 0 || keep)); then
    echo "bench/soak.sh: logs kept in $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start() {  # NAME CMD... — in the background, output appended to $work/NAME.log; sets $started
  local name=$1
  shift
  "$@" </dev/null >>"$work/$name.log" 2>&1 &
  started=$!
  pids+=("$started")
}
forget() {  # PID: no longer ours to stop
  local i
  for i in "${!pids[@]}"; do
    if [[ ${pids[$i]} == "$1" ]]; then unset 'pids[i]'; fi
  done
  pids=("${pids[@]}")
}
kill9() {  # PID: kill -9 and reap
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  forget "$1"
}

# Ports, and waiting for a server to listen on one (bench/ports.sh).
source "$root/bench/ports.sh"
phase() { echo "$(date +%s.%N) $1" >>"$work/phases.log"; }
sleep_until() {  # EPOCH
  local d
  d=$(awk -v t="$1" -v now="$(date +%s.%N)" 'BEGIN {d = t - now; printf "%.3f", (d > 0 ? d : 0)}')
  sleep "$d"
}

# --- PKI, responder, Redis, ocspcache ---------------------------------------------
log "work directory $work (network namespace of its own: $in_netns)"
"$root/scripts/make-test-pki.sh" "$work/pki" >/dev/null
pki=$work/pki
rport=$(free_port)
start_responder() {
  # -ndays 1: answers valid a day (ocspcache caches only answers with a
  # nextUpdate); serials not in index.txt are answered "unknown".
  start responder openssl ocsp -index "$pki/index.txt" -port "$rport" -CA "$pki/intermediate.pem" \
    -rsigner "$pki/ocsp-signer.pem" -rkey "$pki/ocsp-signer.key" -ndays 1
  responder_pid=$started
  wait_listen "$rport" "$responder_pid" responder 20
}
start_responder

redis_port=""
redis_section=""
if [[ $backend == redis ]]; then
  redis_port=$(free_port)
  start_redis() {
    start redis redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no
    redis_pid=$started
    wait_listen "$redis_port" "$redis_pid" redis 20
  }
  start_redis
  redis_section="[redis]
url = \"redis://127.0.0.1:$redis_port/0\"
timeout = \"250ms\""
fi

oc_port=$(free_port)
oc_admin=$(free_port)
write_config() {  # MAX_SERIES
  cat >"$work/ocspcache.toml.tmp" <<EOF
# Written by bench/soak.sh. Bounds are small on purpose: the cache
# (max_bytes) and the per-certificate series (max_series) are full before
# the soak starts, so the soak runs at them and growth means a leak.
[server]
listen = ["127.0.0.1:$oc_port"]
threads = $threads
drain_timeout = "10s"
[admin]
listen = "127.0.0.1:$oc_admin"
[cache]
backend = "$backend"
max_bytes = "$max_bytes"
$redis_section
[upstream]
timeout = "2s"
deadline = "2s"
[metrics]
max_series = $1
[log]
level = "info"
[[issuer]]
name = "soak"
cert = "$pki/intermediate.pem"
responders = ["http://127.0.0.1:$rport/"]
EOF
  mv "$work/ocspcache.toml.tmp" "$work/ocspcache.toml"
}
write_config 500
"$bin" --check-config "$work/ocspcache.toml" >/dev/null || die "the generated config does not check"
start ocspcache "$bin" --config "$work/ocspcache.toml"
oc_pid=$started
wait_listen "$oc_port" "$oc_pid" ocspcache 20
wait_listen "$oc_admin" "$oc_pid" ocspcache 20

# --- load ----------------------------------------------------------------------
log "ocspcache $oc_pid on 127.0.0.1:$oc_port ($backend backend, $threads threads); responder :$rport${redis_port:+, redis :$redis_port}"
log "prefill, cached set, then $warm s warm-up + $duration s soak at $rate req/s"
: >"$work/phases.log"
"$python" "$root/bench/soak_load.py" run --port "$oc_port" --admin-port "$oc_admin" --pid "$oc_pid" \
  --pki "$pki" --phases "$work/phases.log" --ready-file "$work/ready" --summary "$work/summary.json" \
  --warm "$warm" --duration "$duration" --freeze-at "$freeze_at" --term-at "$term_at" \
  --end-sample-at "$end_sample_at" --rate "$rate" --cached "$cached" \
  --sample-interval "$sample" --fd-window "$fd_window" >"$work/load.log" 2>&1 &
load_pid=$!
pids+=("$load_pid")

for _ in $(seq 1200); do
  [[ -f $work/ready ]] && break
  kill -0 "$load_pid" 2>/dev/null || { cat "$work/load.log" >&2; die "the load generator stopped before the load"; }
  sleep 0.1
done
[[ -f $work/ready ]] || die "the load generator did not start the load within 120 s"
t0=$(<"$work/ready")
log "load started; faults from $warm s on, SIGTERM at $term_at s"

series=500
while read -r offset action; do
  sleep_until "$(awk -v a="$t0" -v b="$offset" 'BEGIN {printf "%.3f", a + b}')"
  kill -0 "$oc_pid" 2>/dev/null || { log "ocspcache is gone: faults stop"; break; }
  kill -0 "$load_pid" 2>/dev/null || { log "the load generator stopped: faults stop"; break; }
  case $action in
    responder_kill)
      kill9 "$responder_pid"
      phase responder_down
      log "responder kill -9" ;;
    responder_start)
      start_responder
      phase responder_up
      log "responder restarted" ;;
    redis_kill)
      kill9 "$redis_pid"
      phase redis_down
      log "redis-server kill -9" ;;
    redis_start)
      start_redis
      phase redis_up
      log "redis-server restarted (empty)" ;;
    sighup)
      series=$((series == 500 ? 501 : 500))
      write_config "$series"
      kill -HUP "$oc_pid"
      phase sighup ;;
    freeze)
      kill -STOP "$responder_pid"
      phase responder_frozen
      log "responder frozen (SIGSTOP); SIGTERM to ocspcache in 1 s, under load" ;;
  esac
done < <(schedule)

load_status=0
wait "$load_pid" || load_status=$?
forget "$load_pid"
if ((load_status != 0)); then
  cat "$work/load.log" >&2
  die "the load generator failed (status $load_status)"
fi

# ocspcache got SIGTERM from the load generator: its exit status.
oc_status=0
for _ in $(seq 100); do
  kill -0 "$oc_pid" 2>/dev/null || break
  [[ $(awk '{print $3}' "/proc/$oc_pid/stat" 2>/dev/null) == Z ]] && break
  sleep 0.1
done
if kill -0 "$oc_pid" 2>/dev/null && [[ $(awk '{print $3}' "/proc/$oc_pid/stat" 2>/dev/null) != Z ]]; then
  log "ocspcache still running 10 s after the load: kill -9"
  kill -KILL "$oc_pid" 2>/dev/null || true
fi
wait "$oc_pid" || oc_status=$?
forget "$oc_pid"

findings=""
if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer' "$work/ocspcache.log"; then
  findings="sanitizer report in the daemon's log: $(grep -Em1 'AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer' "$work/ocspcache.log")"
fi
reload_failed=$(grep -c 'reload_failed' "$work/ocspcache.log" || true)
if ((reload_failed > 0)); then findings+="${findings:+; }$reload_failed reload(s) failed"; fi

report_args=(--summary "$work/summary.json" --exit-status "$oc_status" --fd-slack "$fd_slack"
  --backend "$backend" --threads "$threads" --binary "$bin" --build "$build_desc"
  --command "$invocation" --log-findings "$findings")
if ((rss_check)); then report_args+=(--rss-limit "$rss_limit"); fi
report_args+=(--rss-note "$rss_note")
[[ -n $out ]] && report_args+=(--out "$out")
"$python" "$root/bench/soak_load.py" report "${report_args[@]}"
