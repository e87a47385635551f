#!/usr/bin/env bash
# bench/run.sh — the one benchmark command of issue 5.
#
# In one run, on this machine, with the same client (wrk -t1 -c50, keep-alive)
# and the same number of server worker threads for every target, it measures:
#   1. ocspcache cache hits, GET and POST: requests/s, p50, p99, p99.9;
#   2. the baselines, answering the same GET with the same DER bytes:
#      nginx proxy_cache in front of the same responder, nginx serving the
#      DER as a static file, and bench/fixed_response_server (same pre-built
#      bytes for every request: the ceiling of this machine and client);
#   3. the ratios ocspcache / each baseline;
#   4. the miss path: latency added over asking the responder directly
#      (sequential requests, distinct uncached serials), against `openssl
#      ocsp` (HTTP/1.0, a connection per answer, signs afresh) and against a
#      keep-alive responder (`ocsp_gen serve`, pre-signed answers);
#   4b. a miss storm: 10,000 distinct uncached CertIDs at once through a
#      responder limited to N exchanges (upstream.max_fetches_per_responder):
#      connections it saw, throughput, and the hit p99 during the storm
#      against its idle value;
#   5. coalescing: 1,000 concurrent clients asking for one uncached CertID,
#      upstream requests counted (must be exactly 1);
#   6. scale: 10k/100k/1M distinct cached CertIDs (real signed responses,
#      loaded through ocspcache's normal miss path from a fast local
#      responder), uniform and Zipf mixes: requests/s, p99, RSS per entry;
# plus the micro-benchmarks (bench/*_bench.cc) and, with --profile, a perf
# profile of ocspcache serving cache hits.
#
# Targets are measured alternately (a b c a b c ...), every target once per
# round, and medians reported. The CPU time used by everything else on the
# machine during each measurement is recorded next to it.
#
# usage: bench/run.sh [--quick] [--threads 1|2|both] [--out FILE] [--profile]
#                     [--build-dir DIR] [--no-build] [--rounds N] [--duration S]
#                     [--sizes "10000 100000 1000000"] [--settle S]
#   --quick     smoke run: 1 round of 1 s per measurement, scale size 1000;
#               writes to a temp file unless --out is given (never RESULTS.md)
#   --threads   worker threads / nginx worker processes (default: both 1 and 2)
#   --out FILE  the Markdown report (default bench/RESULTS.md)
#   --no-build  use the binaries already in --build-dir (the CTest smoke test)
#   --sections "hit miss storm coalesce scale micro"   run only these parts (debugging;
#               the report then lacks the others' tables)
#   --settle S  before each measurement, wait up to S seconds (default 20, 0
#               with --quick) for the rest of the machine to drop below 25% busy
#   --no-pin    do not pin: by default, wherever the server under test runs
#               one thread (1-thread hit path, scale, scrape, profile), it is
#               pinned to CPU 0 (ocspcache: its worker threads; its control
#               thread stays free) and wrk to CPU 1 (taskset), the same for every
#               target, so the kernel cannot put both on one core for a while
#               (unpinned, 1-thread rounds ranged from 54k to 99k req/s)
# Needs: wrk, nginx, openssl, ss, curl (scripts/install-deps.sh bench).
# Binds 127.0.0.1 only, except `openssl ocsp`, which binds every address of
# its port and offers no option to choose one. Every process it starts is
# stopped on exit, error or Ctrl-C.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
invocation="bench/run.sh${*:+ $*}"

quick=0
threads_opt=both
out=""
build_dir="$root/build-rel"
do_build=1
rounds=3
duration=10
sizes="10000 100000 1000000"
profile=0
sections="hit miss storm coalesce scale scrape micro"
settle=20
pin=1
rounds_set=0
duration_set=0
sizes_set=0
while (($#)); do
  case $1 in
    --quick) quick=1 ;;
    --threads) threads_opt=$2; shift ;;
    --out) out=$2; shift ;;
    --build-dir) build_dir=$2; shift ;;
    --no-build) do_build=0 ;;
    --rounds) rounds=$2; rounds_set=1; shift ;;
    --duration) duration=$2; duration_set=1; shift ;;
    --sizes) sizes=$2; sizes_set=1; shift ;;
    --profile) profile=1 ;;
    --settle) settle=$2; shift ;;
    --no-pin) pin=0 ;;
    --sections) sections=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
case $threads_opt in
  1) thread_counts=(1) ;;
  2) thread_counts=(2) ;;
  both) thread_counts=(1 2) ;;
  *) echo "bench/run.sh: --threads must be 1, 2 or both" >&2; exit 2 ;;
esac
miss_n=200        # sequential misses per round
storm_n=10000     # distinct CertIDs in the miss storm
storm_limit=8     # upstream.max_fetches_per_responder during the storm
storm_delay_ms=10 # the storm responder's think time: the storm outlasts a measurement
storm_hit_rate=20000  # fixed offered load of the open-loop hit measurement (req/s)
coal_clients=1000
if ((quick)); then
  ((rounds_set)) || rounds=1
  ((duration_set)) || duration=1
  ((sizes_set)) || sizes="1000"
  miss_n=20
  storm_n=2000
  settle=0
fi
[[ $build_dir = /* ]] || build_dir="$PWD/$build_dir"
conns=50
client_threads=1

die() {
  echo "bench/run.sh: $*" >&2
  exit 1
}
log() { echo "== $(date +%T) $*" >&2; }

# --- prerequisites: fail loudly, never skip ---------------------------------
missing=()
for tool in wrk nginx openssl ss curl awk cmake taskset; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
((${#missing[@]} == 0)) ||
  die "missing: ${missing[*]} — install them with: scripts/install-deps.sh bench"

# --- build ------------------------------------------------------------------
if ((do_build)); then
  if [[ ! -f $build_dir/CMakeCache.txt ]]; then
    log "configure $build_dir (Release)"
    # -Wno-error=restrict: g++ 12 at -O3 reports a false positive
    # (-Wrestrict inside std::string operator+, src/config/config_render.cc).
    cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release \
      "-DCMAKE_CXX_FLAGS=-g -Wno-error=restrict" >/dev/null
  fi
  log "build ocspcache and the bench tools in $build_dir"
  cmake --build "$build_dir" -j"${OCSPCACHE_JOBS:-2}" \
    --target ocspcache ocsp_gen fixed_response_server micro_bench >/dev/null
fi
ocspcache_bin=$build_dir/ocspcache
gen_bin=$build_dir/bench/ocsp_gen
fixed_bin=$build_dir/bench/fixed_response_server
micro_bin=$build_dir/bench/micro_bench
for b in "$ocspcache_bin" "$gen_bin" "$fixed_bin" "$micro_bin"; do
  [[ -x $b ]] || die "$b not built (drop --no-build, or build it)"
done
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build_dir/CMakeCache.txt")

if [[ -z $out ]]; then
  if ((quick)); then
    out=$(mktemp /tmp/ocspcache-bench-results.XXXXXX.md)
  else
    out=$root/bench/RESULTS.md
  fi
fi

# --- processes: every one we start is tracked and stopped on exit ------------
work=$(mktemp -d /tmp/ocspcache-bench.XXXXXX)
pids=()
cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  if ((rc != 0)); then
    echo "bench/run.sh: failed (status $rc); logs kept in $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start NAME CMD... — runs CMD in the background, output to $work/NAME.log;
# sets $started to its pid.
start() {
  local name=$1
  shift
  "$@" </dev/null >"$work/$name.log" 2>&1 &
  started=$!
  pids+=("$started")
}

stop() {  # PID: TERM, wait, and forget it
  local p=$1 i
  kill -TERM "$p" 2>/dev/null || true
  for i in $(seq 100); do
    kill -0 "$p" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  forget "$p"
}

forget() {  # PID: no longer ours to stop
  local i
  for i in "${!pids[@]}"; do
    if [[ ${pids[$i]} == "$1" ]]; then unset 'pids[i]'; fi
  done
  pids=("${pids[@]}")
}

# Ports, and waiting for a server to listen on one (bench/ports.sh).
source "$root/bench/ports.sh"

# --- test data: PKI and signed response sets, cached in the build dir --------
data=$build_dir/bench-data
"$root/scripts/make-test-pki.sh" "$data/pki" >/dev/null
pki=$data/pki
signer_fp=$(openssl x509 -in "$pki/ocsp-signer.pem" -noout -fingerprint -sha256 |
  sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')

meta() { sed -n "s/^$2=//p" "$1/meta" 2>/dev/null || true; }
ensure_set() {  # NAME COUNT FIRST_SERIAL — reuse a cached set if it still fits
  local dir=$data/sets/$1 count=$2 first=$3 have next
  have=$(meta "$dir" count)
  next=$(meta "$dir" next_update)
  if [[ -n $have && $have -ge $count && $(meta "$dir" signer) == "$signer_fp" &&
    $(meta "$dir" first_serial) == "$first" && $next -gt $(($(date +%s) + 2 * 86400)) ]]; then
    return 0
  fi
  log "generate $count signed responses ($1)"
  "$gen_bin" gen --pki "$pki" --count "$count" --first-serial "$first" --days 10 --out "$dir" >&2
}
max_size=0
for s in $sizes; do
  if ((s > max_size)); then max_size=$s; fi
done
ensure_set hit 1 500000
ensure_set coalesce 1 600000
ensure_set miss $((miss_n * rounds * 2)) 700000
ensure_set storm "$storm_n" 800000
ensure_set scale "$max_size" 10000000
hit_set=$data/sets/hit
hit_path=$(head -1 "$hit_set/paths.txt")
hit_der=$hit_set/first_response.der

write_ocspcache_config() {  # FILE PORT ADMIN_PORT THREADS RESPONDER_PORT MAX_BYTES [UPSTREAM_LINES]
  cat >"$1" <<EOF
[server]
listen = ["127.0.0.1:$2"]
threads = $4
[admin]
listen = "127.0.0.1:$3"
[cache]
max_bytes = "$6"
[upstream]
timeout = "5s"
${7:-}
[log]
level = "warn"
[[issuer]]
name = "bench"
cert = "$pki/intermediate.pem"
responders = ["http://127.0.0.1:$5/"]
EOF
}

# start_ocspcache NAME THREADS RESPONDER_PORT [MAX_BYTES] [UPSTREAM_LINES] — sets oc_pid oc_port oc_admin
start_ocspcache() {
  local name=$1
  oc_port=$(free_port)
  oc_admin=$(free_port)
  write_ocspcache_config "$work/$name.toml" "$oc_port" "$oc_admin" "$2" "$3" "${4:-512MiB}" "${5:-}"
  start "$name" "$ocspcache_bin" --config "$work/$name.toml"
  oc_pid=$started
  wait_listen "$oc_port" "$oc_pid" "$name"
  wait_listen "$oc_admin" "$oc_pid" "$name"
}

metric_sum() {  # ADMIN_PORT REGEX — sum of the matching series
  curl -sf "http://127.0.0.1:$1/metrics" | awk -v re="$2" '$0 !~ /^#/ && $1 ~ re {s += $NF} END {printf "%d\n", s}'
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# --- measurement ----------------------------------------------------------
ncpu=$(nproc)
clk_tck=$(getconf CLK_TCK)
# "busy total" jiffies of the whole machine. Busy = user, nice, system and
# steal; irq and softirq are left out because on loopback they are mostly our
# own packets, which the kernel does not charge to any process.
cpu_busy_total() {
  awk '/^cpu / {b = $2 + $3 + $4 + $9; print b, b + $5 + $6 + $7 + $8}' /proc/stat
}

# Waits (up to $settle seconds) until the rest of the machine is quiet: less
# than 25% of all CPUs busy over half a second. Other engineers share it.
settle_wait() {
  local deadline=$((SECONDS + settle)) b0 t0 b1 t1 busy
  while ((SECONDS < deadline)); do
    read -r b0 t0 < <(cpu_busy_total)
    sleep 0.5
    read -r b1 t1 < <(cpu_busy_total)
    busy=$(awk -v db=$((b1 - b0)) -v dt=$((t1 - t0)) 'BEGIN {printf "%d", (dt > 0 ? 100 * db / dt : 0)}')
    ((busy < 25)) && return 0
  done
  return 0
}
procs_cpu() {  # PID... — utime+stime jiffies of these processes (all threads)
  local p s=0 v
  for p in "$@"; do
    v=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
    s=$((s + v))
  done
  echo "$s"
}

# pin_one_thread / unpin: set where measure() puts the server and wrk.
server_cpus=""
client_cpus=""
pin_one_thread() {
  if ((pin && ncpu >= 2)); then server_cpus=0 client_cpus=1; fi
}
unpin() { server_cpus="" client_cpus=""; }
# pin_server "PIDS": every thread of these processes to $server_cpus, except
# that in ocspcache only the worker threads (named ocspcache-wN) are pinned:
# its control thread (admin /metrics and /status, signals, timers) stays free
# to run on the other CPU, as it would beside the workers on a real machine.
pin_server() {
  local p t
  for p in $1; do
    if grep -qs '^ocspcache-w' /proc/"$p"/task/*/comm; then
      for t in /proc/"$p"/task/*; do
        if grep -qs '^ocspcache-w' "$t/comm"; then taskset -p -c "$server_cpus" "${t##*/}" >/dev/null; fi
      done
    else
      taskset -a -p -c "$server_cpus" "$p" >/dev/null
    fi
  done
}

results=$work/results.tsv
: >"$results"
commands=$work/commands.txt
: >"$commands"
note_command() { grep -qxF -- "$1" "$commands" || echo "$1" >>"$commands"; }

# measure SECTION TARGET ROUND "PIDS" URL SCRIPT [VAR=VALUE...]
# Runs wrk once and appends one line to $results:
#   section target round rps p50 p99 p999 other_load_% server_cpu_us_per_request
# The last column is the servers' own CPU time (user+system, all threads and
# processes) per answered request: what a request costs the server however
# the scheduler shares the cores between it and wrk.
measure() {
  local section=$1 target=$2 round=$3 server_pids=$4 url=$5 script=$6
  shift 6
  local envs=("$@") b0 t0 b1 t1 o0 o1 line wrk_cpu other
  local cmd=(wrk -t"$client_threads" -c"$conns" -d"${duration}s" --timeout 5s -s "$root/bench/wrk/$script" "$url")
  if [[ -n $server_cpus ]]; then
    pin_server "$server_pids"
    cmd=(taskset -c "$client_cpus" "${cmd[@]}")
  fi
  note_command "${envs[*]:+${envs[*]} }${cmd[*]}"
  settle_wait
  # shellcheck disable=SC2086
  o0=$(procs_cpu $server_pids)
  read -r b0 t0 < <(cpu_busy_total)
  (
    env "${envs[@]}" "${cmd[@]}" >"$work/wrk.out" 2>&1 || true
    awk '{print $16 + $17}' "/proc/$BASHPID/stat" >"$work/wrk.cpu"
  )
  read -r b1 t1 < <(cpu_busy_total)
  # shellcheck disable=SC2086
  o1=$(procs_cpu $server_pids)
  wrk_cpu=$(<"$work/wrk.cpu")
  line=$(grep '^WRK_RESULT' "$work/wrk.out" || true)
  [[ -n $line ]] || { cat "$work/wrk.out" >&2; die "wrk failed on $target"; }
  get() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$line"; }
  local errs=$(($(get errors_connect) + $(get errors_read) + $(get errors_write) + $(get errors_status) + $(get errors_timeout)))
  ((errs == 0)) || { cat "$work/wrk.out" >&2; die "$target: $errs wrk errors"; }
  (($(get requests) > 0)) || die "$target: no requests completed"
  other=$(awk -v db=$((b1 - b0)) -v dt=$((t1 - t0)) -v ours=$((o1 - o0 + wrk_cpu)) \
    'BEGIN {o = dt > 0 ? 100 * (db - ours) / dt : 0; if (o < 0) o = 0; printf "%.1f", o}')
  local cpu_us
  cpu_us=$(awk -v j=$((o1 - o0)) -v hz="$clk_tck" -v n="$(get requests)" 'BEGIN {printf "%.2f", j * 1e6 / hz / n}')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$section" "$target" "$round" "$(get rps)" \
    "$(get p50_us)" "$(get p99_us)" "$(get p999_us)" "$other" "$cpu_us" >>"$results"
  printf '   %-28s round %s: %9.0f req/s  p50 %5s us  p99 %6s us  p99.9 %6s us  other load %5s%%\n' \
    "$section/$target" "$round" "$(get rps)" "$(get p50_us)" "$(get p99_us)" "$(get p999_us)" "$other" >&2
}

median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) print "n/a"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
col() {  # SECTION TARGET COLUMN — the column's values over the rounds, one a line
  awk -F'\t' -v s="$1" -v t="$2" -v c="$3" '$1 == s && $2 == t {print $c}' "$results"
}
med() { col "$@" | median; }

fetch_check() {  # NAME URL [curl args...] — 200 and the exact DER of the hit set
  local name=$1 url=$2 code
  shift 2
  code=$(curl -s -o "$work/check.body" -w '%{http_code}' "$@" "$url")
  [[ $code == 200 ]] || die "$name answered HTTP $code to $url"
  cmp -s "$work/check.body" "$hit_der" || die "$name returned other bytes than the signed response"
}

# --- nginx ------------------------------------------------------------------
# start_nginx WORKERS RESPONDER_PORT — proxy_cache server and static server;
# sets ngx_pid ngx_proxy_port ngx_static_port.
start_nginx() {
  local workers=$1 rport=$2 dir=$work/nginx-$1
  ngx_proxy_port=$(free_port)
  ngx_static_port=$(free_port)
  mkdir -p "$dir/static" "$dir/cache" "$dir/tmp"
  cp "$hit_der" "$dir/static/resp.der"
  local user_line=""
  # As root, workers would run as nobody, who cannot read our 0700 temp dir.
  if ((EUID == 0)); then user_line="user $(id -un) $(id -gn);"; fi
  cat >"$dir/nginx.conf" <<EOF
# Generated by bench/run.sh: $workers worker(s), like ocspcache's threads.
$user_line
daemon off;
master_process on;
worker_processes $workers;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 100000000;  # 1.22 closes after 1000 by default; ocspcache does not
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  open_file_cache max=1000 inactive=60s;
  open_file_cache_valid 60s;
  proxy_cache_path $dir/cache levels=1:2 keys_zone=ocsp:10m max_size=256m inactive=1d use_temp_path=off;
  upstream responder {
    server 127.0.0.1:$rport;
    keepalive 16;
  }
  # The baseline: a caching reverse proxy in front of the same responder,
  # same GET URL as ocspcache gets (nginx passes /<url-encoded base64> on).
  server {
    listen 127.0.0.1:$ngx_proxy_port reuseport;
    location / {
      proxy_pass http://responder;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache ocsp;
      proxy_cache_valid 200 1h;  # the responder also sends Cache-Control: max-age=3600
      proxy_cache_lock on;
    }
  }
  # The ceiling of a general-purpose server: the same DER as a static file,
  # whatever the path (so the request line is the same as for the others).
  server {
    listen 127.0.0.1:$ngx_static_port reuseport;
    location / {
      root $dir/static;
      types { }
      default_type application/ocsp-response;
      try_files /resp.der =404;
    }
  }
}
EOF
  start "nginx-$workers" nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
  ngx_pid=$started
  wait_listen "$ngx_proxy_port" "$ngx_pid" "nginx-$workers"
  wait_listen "$ngx_static_port" "$ngx_pid" "nginx-$workers"
}
nginx_pids() { echo "$ngx_pid $(pgrep -P "$ngx_pid" | tr '\n' ' ')"; }

# === 1-3. cache hits against the baselines ===================================
hit_path_section() {
  local T=$1 rport resp_pid fixed_port fixed_pid up0 up1 r
  log "hit path: $T worker thread(s) / nginx worker(s), wrk -t$client_threads -c$conns -d${duration}s"
  if ((T == 1)); then pin_one_thread; else unpin; fi
  rport=$(free_port)
  start "responder-hit-$T" "$gen_bin" serve --port "$rport" "$hit_set"
  resp_pid=$started
  wait_listen "$rport" "$resp_pid" "responder-hit-$T"
  start_ocspcache "ocspcache-hit-$T" "$T" "$rport"
  start_nginx "$T" "$rport"

  # Warm both caches (first request: miss, filled from the responder), then
  # check every target returns 200 with the very same DER bytes.
  local oc_url="http://127.0.0.1:$oc_port$hit_path"
  local px_url="http://127.0.0.1:$ngx_proxy_port$hit_path"
  local st_url="http://127.0.0.1:$ngx_static_port$hit_path"
  fetch_check "ocspcache GET" "$oc_url"
  fetch_check "nginx proxy_cache (warming)" "$px_url"
  fetch_check "nginx proxy_cache" "$px_url"
  fetch_check "ocspcache POST" "http://127.0.0.1:$oc_port/" \
    -H 'Content-Type: application/ocsp-request' --data-binary "@$hit_set/first_request.der"
  fetch_check "nginx static" "$st_url"
  # The fixed-response server sends exactly ocspcache's answer, headers included.
  curl -s --raw -i -o "$work/fixed-$T.http" "$oc_url"
  fixed_port=$(free_port)
  start "fixed-$T" "$fixed_bin" "$fixed_port" "$T" "$work/fixed-$T.http"
  fixed_pid=$started
  wait_listen "$fixed_port" "$fixed_pid" "fixed-$T"
  fetch_check "fixed-response server" "http://127.0.0.1:$fixed_port$hit_path"
  cp "$work/fixed-$T.http" "$work/hit-response-headers.txt"

  up0=$(curl -sf "http://127.0.0.1:$rport/__stats" | awk '$1 == "requests" {print $2}')
  local npids
  npids=$(nginx_pids)
  for r in $(seq "$rounds"); do
    measure "hit-$T" ocspcache-get "$r" "$oc_pid" "$oc_url" get.lua
    measure "hit-$T" ocspcache-post "$r" "$oc_pid" "http://127.0.0.1:$oc_port/" post.lua \
      "BENCH_BODY=$hit_set/first_request.der"
    measure "hit-$T" nginx-proxy-cache "$r" "$npids" "$px_url" get.lua
    measure "hit-$T" nginx-static "$r" "$npids" "$st_url" get.lua
    measure "hit-$T" fixed-response "$r" "$fixed_pid" "http://127.0.0.1:$fixed_port$hit_path" get.lua
  done
  # Every timed request was a cache hit: the responder saw nothing more, and
  # ocspcache counted one miss (the warming request) and no errors.
  up1=$(curl -sf "http://127.0.0.1:$rport/__stats" | awk '$1 == "requests" {print $2}')
  ((up1 == up0)) || die "the responder was asked $((up1 - up0)) times while timing cache hits"
  local misses errors
  misses=$(metric_sum "$oc_admin" 'ocspcache_requests_total.*result="miss"')
  errors=$(metric_sum "$oc_admin" 'ocspcache_requests_total.*result="error"')
  ((misses == 1 && errors == 0)) || die "ocspcache: $misses misses, $errors errors (want 1, 0)"
  stop "$fixed_pid"
  stop "$ngx_pid"
  stop "$oc_pid"
  stop "$resp_pid"
  unpin
}

# === 4. miss path ============================================================
miss_section() {
  log "miss path: $miss_n sequential requests per round, distinct uncached serials, new connection each"
  local oport opid kport kpid kport2 kpid2 r off d p oc1_pid oc1_port oc1_admin
  oport=$(free_port)
  # The real upstream of the tests: `openssl ocsp`, delegated signer, one
  # thread, HTTP/1.0, closes after each answer. Ready = listed by ss(8).
  start openssl-ocsp openssl ocsp -index "$data/sets/miss/index.txt" -port "$oport" \
    -CA "$pki/intermediate.pem" -rsigner "$pki/ocsp-signer.pem" -rkey "$pki/ocsp-signer.key" -ndays 1
  opid=$started
  wait_listen "$oport" "$opid" openssl-ocsp
  # A responder as CAs run them behind their CDNs: HTTP/1.1 keep-alive,
  # pre-signed answers (the same delegated signer).
  kport=$(free_port)
  start responder-miss "$gen_bin" serve --port "$kport" "$data/sets/miss"
  kpid=$started
  wait_listen "$kport" "$kpid" responder-miss
  # Its twin for the direct measurement, so each counts its own connections.
  kport2=$(free_port)
  start responder-miss-direct "$gen_bin" serve --port "$kport2" "$data/sets/miss"
  kpid2=$started
  wait_listen "$kport2" "$kpid2" responder-miss-direct
  start_ocspcache ocspcache-miss 1 "$oport"
  oc1_pid=$oc_pid oc1_port=$oc_port oc1_admin=$oc_admin
  start_ocspcache ocspcache-miss-ka 1 "$kport"
  for r in $(seq "$rounds"); do
    for d in direct ocspcache direct-ka ocspcache-ka; do
      case $d in
        direct) p=$oport off=$(((r - 1) * miss_n)) ;;
        ocspcache) p=$oc1_port off=$(((r - 1) * miss_n)) ;;
        direct-ka) p=$kport2 off=$(((rounds + r - 1) * miss_n)) ;;
        ocspcache-ka) p=$oc_port off=$(((rounds + r - 1) * miss_n)) ;;
      esac
      local cmd=("$gen_bin" load --port "$p" --conns 1 --get --new-conn --any-good
        --offset "$off" --limit "$miss_n" "$data/sets/miss")
      note_command "ocsp_gen load --port <${d}> --conns 1 --get --new-conn --any-good --offset N --limit $miss_n <miss set>"
      local line
      line=$("${cmd[@]}") || die "miss path ($d): $line"
      printf 'miss\t%s\t%s\t%s\t%s\t%s\t%s\t-\n' "$d" "$r" "$(sed -n 's/.*rps=\([0-9.]*\).*/\1/p' <<<"$line")" \
        "$(sed -n 's/.*p50_us=\([0-9.]*\).*/\1/p' <<<"$line")" \
        "$(sed -n 's/.*p99_us=\([0-9.]*\).*/\1/p' <<<"$line")" \
        "$(sed -n 's/.*max_us=\([0-9.]*\).*/\1/p' <<<"$line")" >>"$results"
      echo "   miss/$d round $r: $line" >&2
    done
  done
  local upstream
  for a in "$oc1_admin" "$oc_admin"; do
    upstream=$(metric_sum "$a" 'ocspcache_upstream_requests_total')
    ((upstream == miss_n * rounds)) || die "miss path: $upstream upstream requests, want $((miss_n * rounds))"
  done
  miss_ka_connections=$(curl -sf "http://127.0.0.1:$kport/__stats" | awk '$1 == "connections" {print $2}')
  stop "$oc_pid"
  stop "$oc1_pid"
  stop "$kpid"
  stop "$kpid2"
  stop "$opid"
}

# === 4b. miss storm ==========================================================
# Hits at a fixed offered load ($storm_hit_rate req/s, open loop), each timed
# from just before its request left to the kernel's receive timestamp of the
# answer (--server-time), so the client's own wait for CPU 1, which it shares
# with the storm's client and responders, is not charged to ocspcache. wrk
# saturates the one worker, so
# its p99 during the storm also moves with every CPU cycle the storm's own
# client and responder take from this 2-CPU machine; at a fixed load below
# capacity the p99 moves only if misses hold hits up.
rate_hits() {  # TARGET — one round into results.tsv as "storm TARGET 1 rps p50 p99 max"
  local line n=$((storm_hit_rate * (duration < 5 ? duration : 5)))
  note_command "ocsp_gen load --port <ocspcache> --conns 32 --get --rate $storm_hit_rate --cycle --server-time --limit $n <hit set>"
  local pin_cmd=()
  [[ -z $client_cpus ]] || pin_cmd=(taskset -c "$client_cpus")
  line=$("${pin_cmd[@]}" "$gen_bin" load --port "$oc_port" --conns 32 --get --rate "$storm_hit_rate" --cycle --server-time \
    --limit "$n" "$hit_set") || die "open-loop hits ($1): $line"
  printf 'storm\t%s\t1\t%s\t%s\t%s\t%s\t-\n' "$1" "$(sed -n 's/.*rps=\([0-9.]*\).*/\1/p' <<<"$line")" \
    "$(sed -n 's/.*p50_us=\([0-9.]*\).*/\1/p' <<<"$line")" \
    "$(sed -n 's/.*p99_us=\([0-9.]*\).*/\1/p' <<<"$line")" \
    "$(sed -n 's/.*max_us=\([0-9.]*\).*/\1/p' <<<"$line")" >>"$results"
  echo "   storm/$1: $line" >&2
}

# $storm_n distinct uncached CertIDs at once (100 client connections) through
# a responder that ocspcache may ask $storm_limit at a time; hits measured
# with wrk before and during the storm.
# on_client_cpus PID... — every thread of these processes where the clients
# run (with pinning on): the storm's own client, responders and ocspcache's
# non-worker threads must not take the measured worker's CPU.
on_client_cpus() {
  [[ -n $client_cpus ]] || return 0
  local p t
  for p in "$@"; do
    for t in /proc/"$p"/task/*; do
      grep -qs '^ocspcache-w' "$t/comm" || taskset -p -c "$client_cpus" "${t##*/}" >/dev/null
    done
  done
}

# storm_to PORT OUT — starts the storm's client against PORT; sets storm_pid
storm_to() {
  if [[ -n $client_cpus ]]; then
    taskset -c "$client_cpus" "$gen_bin" load --port "$1" --conns 100 --get --any-good \
      --limit "$storm_n" "$data/sets/storm" >"$2" 2>&1 &
  else
    "$gen_bin" load --port "$1" --conns 100 --get --any-good --limit "$storm_n" "$data/sets/storm" >"$2" 2>&1 &
  fi
  storm_pid=$!
}

storm_section() {
  local rport rpid rport2 rpid2 line stats storm_pid twin_pid twin_port twin_admin
  log "miss storm: $storm_n distinct CertIDs, upstream.max_fetches_per_responder = $storm_limit, responder delay ${storm_delay_ms} ms"
  local limits="max_fetches_per_responder = $storm_limit
queue = $((storm_n * 2))
deadline = \"5m\"
idle_timeout = \"10m\""  # the warm-up's connection outlives the measurements before the storm
  rport=$(free_port)
  start responder-storm "$gen_bin" serve --port "$rport" --delay-ms "$storm_delay_ms" "$data/sets/storm" "$hit_set"
  rpid=$started
  wait_listen "$rport" "$rpid" responder-storm
  # The control: a twin ocspcache with its own responder takes the same
  # storm while hits are measured on the first, which sees no miss. What the
  # hit p99 does then is this machine's doing (the storm's client and
  # responders share its 2 CPUs), not misses holding hits up.
  rport2=$(free_port)
  start responder-storm-twin "$gen_bin" serve --port "$rport2" --delay-ms "$storm_delay_ms" "$data/sets/storm" "$hit_set"
  rpid2=$started
  wait_listen "$rport2" "$rpid2" responder-storm-twin
  start_ocspcache ocspcache-storm-twin 1 "$rport2" 512MiB "$limits"
  twin_pid=$oc_pid twin_port=$oc_port twin_admin=$oc_admin
  start_ocspcache ocspcache-storm 1 "$rport" 512MiB "$limits"
  local oc_url="http://127.0.0.1:$oc_port$hit_path"
  fetch_check "ocspcache (storm)" "$oc_url"
  # The measured worker alone on CPU 0; everything else on CPU 1.
  pin_one_thread
  if [[ -n $server_cpus ]]; then
    pin_server "$oc_pid"
    on_client_cpus "$oc_pid" "$rpid" "$rpid2"
    taskset -a -p -c "$client_cpus" "$twin_pid" >/dev/null
  fi
  measure storm hit-idle 1 "$oc_pid" "$oc_url" get.lua
  rate_hits hit-rate-idle
  note_command "ocsp_gen load --port <ocspcache twin> --conns 100 --get --any-good --limit $storm_n <storm set>   (control: while the open-loop client measures hits on the other instance)"
  storm_to "$twin_port" "$work/storm-twin.out"
  sleep 0.2
  rate_hits hit-rate-control
  kill -0 "$storm_pid" 2>/dev/null || die "miss storm (control): over before the open-loop hit measurement ended"
  wait "$storm_pid" || { cat "$work/storm-twin.out" >&2; die "miss storm (control): the load client failed"; }
  note_command "ocsp_gen load --port <ocspcache> --conns 100 --get --any-good --limit $storm_n <storm set>   (while the open-loop client, then wrk, measure hits)"
  storm_to "$oc_port" "$work/storm.out"
  sleep 0.2
  rate_hits hit-rate-during-storm
  kill -0 "$storm_pid" 2>/dev/null || die "miss storm: over before the open-loop hit measurement ended"
  measure storm hit-during-storm 1 "$oc_pid" "$oc_url" get.lua
  wait "$storm_pid" || { cat "$work/storm.out" >&2; die "miss storm: the load client failed"; }
  unpin
  line=$(tail -1 "$work/storm.out")
  echo "   storm: $line" >&2
  stats=$(curl -sf "http://127.0.0.1:$rport/__stats")
  storm_line=$line
  storm_requests=$(awk '$1 == "requests" {print $2}' <<<"$stats")
  storm_connections=$(awk '$1 == "connections" {print $2}' <<<"$stats")
  storm_max_open=$(awk '$1 == "max_open" {print $2}' <<<"$stats")
  storm_shed=$(metric_sum "$oc_admin" 'ocspcache_upstream_shed_total')
  local twin_misses
  twin_misses=$(metric_sum "$twin_admin" 'ocspcache_requests_total.*result="miss"')
  ((twin_misses == storm_n)) || die "miss storm (control): the twin answered $twin_misses misses, want $storm_n"
  stop "$oc_pid"
  stop "$twin_pid"
  stop "$rpid"
  stop "$rpid2"
  (($(sed -n 's/.*errors=\([0-9]*\).*/\1/p' <<<"$line") == 0)) || die "miss storm: client errors: $line"
  ((storm_max_open <= storm_limit)) ||
    die "miss storm: the responder saw $storm_max_open connections at once (limit $storm_limit)"
}

# === 5. coalescing ===========================================================
coalesce_section() {
  local T=$1 rport rpid line upstream served hits misses
  log "coalescing: $coal_clients concurrent clients, one uncached CertID, responder delayed 300 ms"
  rport=$(free_port)
  start responder-coalesce "$gen_bin" serve --port "$rport" --delay-ms 300 "$data/sets/coalesce"
  rpid=$started
  wait_listen "$rport" "$rpid" responder-coalesce
  start_ocspcache ocspcache-coalesce "$T" "$rport"
  note_command "ocsp_gen burst --port <ocspcache> --conns $coal_clients --get <coalesce set>"
  line=$("$gen_bin" burst --port "$oc_port" --conns "$coal_clients" --get "$data/sets/coalesce") ||
    die "coalescing burst: $line"
  echo "   $line" >&2
  upstream=$(metric_sum "$oc_admin" 'ocspcache_upstream_requests_total')
  served=$(curl -sf "http://127.0.0.1:$rport/__stats" | awk '$1 == "requests" {print $2}')
  hits=$(metric_sum "$oc_admin" 'ocspcache_requests_total.*result="hit"')
  misses=$(metric_sum "$oc_admin" 'ocspcache_requests_total.*result="miss"')
  coal_line="$line"
  coal_upstream=$upstream
  coal_served=$served
  coal_hits=$hits
  coal_misses=$misses
  coal_threads=$T
  stop "$oc_pid"
  stop "$rpid"
  ((upstream == 1 && served == 1)) ||
    die "coalescing: $upstream upstream requests counted by ocspcache, $served seen by the responder (want 1)"
}

# === 6. scale ================================================================
scale_section() {
  local T=$1 rport rpid s r mix line
  log "scale: sizes $sizes, $T worker thread(s), uniform and Zipf (s=1.0) mixes"
  rport=$(free_port)
  start responder-scale "$gen_bin" serve --port "$rport" "$data/sets/scale"
  rpid=$started
  wait_listen "$rport" "$rpid" responder-scale 300  # reads the whole set first
  declare -gA sc_pid sc_port sc_admin sc_rss0 sc_rss1 sc_load sc_entries sc_bytes
  for s in $sizes; do
    start_ocspcache "ocspcache-scale-$s" "$T" "$rport" 4GiB
    sc_pid[$s]=$oc_pid
    sc_port[$s]=$oc_port
    sc_admin[$s]=$oc_admin
    sleep 0.5
    sc_rss0[$s]=$(rss_kb "$oc_pid")
    note_command "ocsp_gen load --port <ocspcache> --conns 32 --limit <size> <scale set>"
    line=$("$gen_bin" load --port "$oc_port" --conns 32 --limit "$s" "$data/sets/scale") ||
      die "loading $s entries: $line"
    echo "   loaded $s: $line" >&2
    sc_load[$s]=$line
    sc_rss1[$s]=$(rss_kb "$oc_pid")
    sc_entries[$s]=$(metric_sum "$oc_admin" '^ocspcache_cache_entries')
    sc_bytes[$s]=$(metric_sum "$oc_admin" '^ocspcache_cache_bytes')
    ((sc_entries[$s] == s)) || die "scale $s: ocspcache holds ${sc_entries[$s]} entries"
  done
  stop "$rpid"  # from here on every request must be a hit
  if ((T == 1)); then pin_one_thread; fi
  for r in $(seq "$rounds"); do
    for s in $sizes; do
      for mix in uniform zipf; do
        measure scale "$s-$mix" "$r" "${sc_pid[$s]}" "http://127.0.0.1:${sc_port[$s]}/" mix.lua \
          "BENCH_PATHS=$data/sets/scale/paths.txt" "BENCH_COUNT=$s" "BENCH_MIX=$mix"
      done
    done
  done
  for s in $sizes; do
    local m
    m=$(metric_sum "${sc_admin[$s]}" 'ocspcache_requests_total.*result="(miss|error)"')
    ((m == s)) || die "scale $s: $((m - s)) requests were not cache hits"
    stop "${sc_pid[$s]}"
  done
  unpin
}

# === scrape (issue 4) ========================================================
# Does a Prometheus scrape stall request handling? One worker thread with
# the first scale size of distinct certificates cached and tracked (each has
# its ssl_ocsp_response_* series), timed with and without a client fetching
# /metrics and /status back to back every 250 ms (60x a usual 15 s scrape
# interval), alternated within each round.
scrape_section() {
  local n=${sizes%% *} rport rpid r line scraper
  log "scrape: $n tracked certificates, 1 worker thread, hits with/without /metrics + /status every 250 ms"
  rport=$(free_port)
  start responder-scrape "$gen_bin" serve --port "$rport" "$data/sets/scale"
  rpid=$started
  wait_listen "$rport" "$rpid" responder-scrape 300
  start_ocspcache ocspcache-scrape 1 "$rport" 4GiB
  line=$("$gen_bin" load --port "$oc_port" --conns 32 --limit "$n" "$data/sets/scale") ||
    die "loading $n entries: $line"
  stop "$rpid"
  pin_one_thread
  scrape_series=$(curl -sf "http://127.0.0.1:$oc_admin/metrics" | grep -c '^ssl_ocsp_response_status{' || true)
  scrape_bytes=$(curl -sf "http://127.0.0.1:$oc_admin/metrics" | wc -c)
  local url="http://127.0.0.1:$oc_port/"
  local envs=("BENCH_PATHS=$data/sets/scale/paths.txt" "BENCH_COUNT=$n" "BENCH_MIX=uniform")
  for r in $(seq "$rounds"); do
    measure scrape no-scrape "$r" "$oc_pid" "$url" mix.lua "${envs[@]}"
    (
      while true; do
        curl -sf -o /dev/null "http://127.0.0.1:$oc_admin/metrics"
        curl -sf -o /dev/null "http://127.0.0.1:$oc_admin/status"
        sleep 0.25
      done
    ) &
    scraper=$!
    measure scrape scraping "$r" "$oc_pid" "$url" mix.lua "${envs[@]}"
    kill "$scraper" 2>/dev/null || true
    wait "$scraper" 2>/dev/null || true
  done
  stop "$oc_pid"
  unpin
}

# === profile =================================================================
profile_section() {
  local rport rpid url
  command -v perf >/dev/null || die "--profile needs perf (apt-get install linux-perf)"
  log "profile: perf record (cpu-clock) of ocspcache, 1 thread, GET cache hits"
  rport=$(free_port)
  start responder-profile "$gen_bin" serve --port "$rport" "$hit_set"
  rpid=$started
  wait_listen "$rport" "$rpid" responder-profile
  start_ocspcache ocspcache-profile 1 "$rport"
  url="http://127.0.0.1:$oc_port$hit_path"
  fetch_check "ocspcache GET" "$url"
  local wrk_cmd=(wrk -t1 -c"$conns" -d"$((duration + 2))s" -s "$root/bench/wrk/get.lua" "$url")
  pin_one_thread
  if [[ -n $server_cpus ]]; then
    pin_server "$oc_pid"
    wrk_cmd=(taskset -c "$client_cpus" "${wrk_cmd[@]}")
  fi
  unpin
  start profile-wrk "${wrk_cmd[@]}"
  local wpid=$started
  sleep 1
  # DWARF unwinding: the Release build has no frame pointers, and inclusive
  # times need whole stacks.
  perf record -e cpu-clock -F 999 --call-graph dwarf,16384 -p "$oc_pid" -o "$work/perf.data" \
    -- sleep "$duration" >"$work/perf-record.log" 2>&1
  wait "$wpid" || true
  forget "$wpid"
  # Each report is retried once if it comes out empty (one full run lost its
  # symbol tables that way, with nothing said); a second failure is written
  # into the report instead of an empty block.
  perf_table() {  # OUT FILTER-CMD PERF-REPORT-ARGS...
    local out=$1 filter=$2
    shift 2
    for _ in 1 2; do
      perf report -i "$work/perf.data" --stdio -g none "$@" 2>"$work/perf-report.err" |
        grep -E '^ +[0-9]' | sed 's/[[:space:]]*-[[:space:]]*-[[:space:]]*$//; s/[[:space:]]*$//' |
        eval "$filter" >"$out" || true
      [[ -s $out ]] && return 0
    done
    echo "(perf report $* gave no rows: $(tail -1 "$work/perf-report.err"))" >"$out"
  }
  perf_table "$work/profile-dso.txt" "head -12" --no-children --sort dso
  perf_table "$work/profile-symbols.txt" "head -30" --no-children --sort symbol
  perf_table "$work/profile-children.txt" \
    "grep -v inlined | grep -E 'ocspcache::|http_parser|event_base_loop|memset|malloc|EVP_|__libc_send|__libc_recv|epoll_wait|clock_gettime' | grep -v '_M_run' | head -40" \
    --children --sort symbol --percent-limit 0.5
  stop "$oc_pid"
  stop "$rpid"
}

# === micro-benchmarks ========================================================
micro_section() {
  local min_time=0.5
  if ((quick)); then min_time=0.01; fi
  log "micro-benchmarks (bench/*_bench.cc)"
  "$micro_bin" --benchmark_min_time="$min_time" --benchmark_counters_tabular=true \
    >"$work/micro.txt" 2>"$work/micro.err" || { cat "$work/micro.err" >&2; die "micro_bench failed"; }
}

# --- run ---------------------------------------------------------------------
started_at=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
want() { [[ " $sections " == *" $1 "* ]]; }
max_threads=${thread_counts[-1]}
if want hit; then for T in "${thread_counts[@]}"; do hit_path_section "$T"; done; fi
if want miss; then miss_section; fi
if want storm; then storm_section; fi
if want coalesce; then coalesce_section "$max_threads"; fi
# One worker thread: the comparison between sizes is what matters, and with
# wrk on one core and ocspcache on the other it is not blurred by three busy
# threads sharing two cores (with 2 workers p99 was 4-15 ms for every size).
scale_threads=1
if want scale; then scale_section "$scale_threads"; fi
if want scrape; then scrape_section; fi
if ((profile)); then profile_section; fi
if want micro; then micro_section; fi
finished_at=$(date -u '+%Y-%m-%d %H:%M:%S UTC')

# --- report --------------------------------------------------------------------
fmt0() { awk -v v="$1" 'BEGIN {if (v == "n/a" || v == "") print "n/a"; else printf "%.0f", v}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}'; }
check() {  # VALUE OP LIMIT -> met / NOT met
  awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {ok = (op == ">=") ? v >= l : v < l; print ok ? "met" : "**not met**"}'
}
runs() { col "$1" "$2" 4 | awk '{printf "%s%.0f", (NR > 1 ? ", " : ""), $1}'; }
loads() { col "$1" "$2" 8 | awk '{printf "%s%s", (NR > 1 ? ", " : ""), $1}'; }

{
  echo "# ocspcache benchmark results"
  echo
  if ((quick)); then
    echo "**Quick (smoke) run: 1 s measurements, not for comparison.**"
    echo
  fi
  echo "Produced by \`$invocation\` (bench/run.sh; see its header for what each part measures)."
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| date | $started_at — $finished_at |"
  echo "| machine | $ncpu CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM; kernel $(uname -r); shared with other users (load average at start: $load_before) |"
  echo "| ocspcache | $("$ocspcache_bin" --version) (git $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src include 2>/dev/null || echo ", src modified")), CMAKE_BUILD_TYPE=$build_type, $(g++ --version | head -1) |"
  echo "| nginx | $(nginx -v 2>&1 | sed 's/^nginx version: //') |"
  echo "| wrk | $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}') |"
  echo "| openssl | $(openssl version) |"
  echo "| libevent | $(pkg-config --modversion libevent 2>/dev/null || echo unknown) |"
  echo "| client | wrk -t$client_threads -c$conns -d${duration}s, keep-alive, $rounds round(s), targets alternated within each round, medians reported |"
  if ((pin && ncpu >= 2)); then
    echo "| pinning | where the server under test runs 1 thread (1-thread hit path, scale, scrape, profile): server on CPU 0 (ocspcache's worker thread, its control thread (admin) left free; nginx master + worker; the fixed-response server), wrk on CPU 1 (taskset), for every target alike; 2-thread runs unpinned |"
  else
    echo "| pinning | none |"
  fi
  echo
  echo "\"Other load\" is the CPU time used during a measurement by everything except the"
  echo "target server and wrk, in % of all $ncpu CPUs: user+nice+system+steal from /proc/stat"
  echo "minus the processes' own /proc/PID/stat (irq/softirq left out: mostly our own loopback"
  echo "traffic), one value per round. Before each measurement the script waited up to ${settle} s"
  echo "for the machine to drop below 25% busy."
  echo
  if want hit; then
  for T in "${thread_counts[@]}"; do
    s=hit-$T
    echo "## Cache hits: $T worker thread(s) vs $T nginx worker(s)"
    echo
    echo "| target | req/s (median) | p50 µs | p99 µs | p99.9 µs | server CPU µs/req | req/s per round | other load % per round |"
    echo "|---|---:|---:|---:|---:|---:|---|---|"
    for t in ocspcache-get ocspcache-post nginx-proxy-cache nginx-static fixed-response; do
      echo "| $t | $(fmt0 "$(med "$s" "$t" 4)") | $(fmt0 "$(med "$s" "$t" 5)") | $(fmt0 "$(med "$s" "$t" 6)") | $(fmt0 "$(med "$s" "$t" 7)") | $(med "$s" "$t" 9) | $(runs "$s" "$t") | $(loads "$s" "$t") |"
    done
    g=$(med "$s" ocspcache-get 4)
    p=$(med "$s" ocspcache-post 4)
    px=$(med "$s" nginx-proxy-cache 4)
    st=$(med "$s" nginx-static 4)
    fx=$(med "$s" fixed-response 4)
    p99=$(med "$s" ocspcache-get 6)
    p99p=$(med "$s" ocspcache-post 6)
    echo
    echo "| ratio (medians) | GET | POST | target | GET meets it? |"
    echo "|---|---:|---:|---:|---|"
    echo "| ocspcache / nginx proxy_cache | $(ratio "$g" "$px") | $(ratio "$p" "$px") | ≥ 1.5 | $(check "$(ratio "$g" "$px")" ">=" 1.5) |"
    echo "| ocspcache / nginx static | $(ratio "$g" "$st") | $(ratio "$p" "$st") | ≥ 1.0 | $(check "$(ratio "$g" "$st")" ">=" 1.0) |"
    echo "| ocspcache / fixed-response | $(ratio "$g" "$fx") | $(ratio "$p" "$fx") | ≥ 0.8 | $(check "$(ratio "$g" "$fx")" ">=" 0.8) |"
    echo "| ocspcache p99 at $conns connections | $(fmt0 "$p99") µs | $(fmt0 "$p99p") µs | < 1000 µs | $(check "$p99" "<" 1000) |"
    echo
    # Requests per server CPU-second: the same ratios with the scheduler
    # taken out (wrk shares these $ncpu cores, so with $T server threads the
    # server cannot have them all).
    cg="" cp="" cx="" cs="" cf=""
    cg=$(med "$s" ocspcache-get 9); cp=$(med "$s" ocspcache-post 9); cx=$(med "$s" nginx-proxy-cache 9)
    cs=$(med "$s" nginx-static 9); cf=$(med "$s" fixed-response 9)
    echo "| efficiency: baseline's CPU per request / ocspcache's (medians) | GET | POST |"
    echo "|---|---:|---:|"
    echo "| vs nginx proxy_cache | $(ratio "$cx" "$cg") | $(ratio "$cx" "$cp") |"
    echo "| vs nginx static | $(ratio "$cs" "$cg") | $(ratio "$cs" "$cp") |"
    echo "| vs fixed-response | $(ratio "$cf" "$cg") | $(ratio "$cf" "$cp") |"
    echo
  done
  echo "Every target answered the same GET with HTTP 200 and byte-identical DER"
  echo "($(stat -c %s "$hit_der") bytes, a response signed by the test PKI's delegated"
  echo "responder, carrying its certificate) before it was timed; the responder behind"
  echo "ocspcache and nginx was asked nothing while they were timed. ocspcache's answer"
  echo "(replayed verbatim by the fixed-response server):"
  echo
  echo '```'
  sed -n '1,/^\r$/p' "$work/hit-response-headers.txt" | tr -d '\r'
  echo '```'
  echo
  fi
  if want miss; then
  added() {  # TARGET DIRECT COLUMN
    awk -v a="$(med miss "$1" "$3")" -v b="$(med miss "$2" "$3")" 'BEGIN {print a - b}'
  }
  echo "## Miss path: latency added over asking the responder directly"
  echo
  echo "$miss_n sequential GETs per round for distinct uncached serials, a new"
  echo "connection each (as nginx's stapling client), ocspcache with 1 worker thread"
  echo "forwarding to the same responder (POST, response validated, signature checked,"
  echo "cached). Two responders: \`openssl ocsp\` (HTTP/1.0: a new connection per answer,"
  echo "signs each answer) and \`ocsp_gen serve\` (HTTP/1.1 keep-alive, pre-signed answers"
  echo "by the same delegated signer, as CAs serve them from CDNs; ocspcache reused"
  echo "${miss_ka_connections:-?} connection(s) for its $((miss_n * rounds)) requests). Latencies in µs, medians over $rounds round(s)."
  echo
  echo "| path | p50 µs | p99 µs | max µs |"
  echo "|---|---:|---:|---:|"
  for d in direct ocspcache direct-ka ocspcache-ka; do
    case $d in
      direct) n="openssl ocsp, direct" ;;
      ocspcache) n="openssl ocsp, through ocspcache" ;;
      direct-ka) n="keep-alive responder, direct" ;;
      ocspcache-ka) n="keep-alive responder, through ocspcache" ;;
    esac
    echo "| $n | $(fmt0 "$(med miss "$d" 5)") | $(fmt0 "$(med miss "$d" 6)") | $(fmt0 "$(med miss "$d" 7)") |"
  done
  echo "| **added by ocspcache, openssl ocsp** | $(fmt0 "$(added ocspcache direct 5)") | $(fmt0 "$(added ocspcache direct 6)") | |"
  echo "| **added by ocspcache, keep-alive responder** | $(fmt0 "$(added ocspcache-ka direct-ka 5)") | $(fmt0 "$(added ocspcache-ka direct-ka 6)") | |"
  echo
  echo "| target | value | meets it? |"
  echo "|---|---:|---|"
  echo "| added p50, keep-alive responder | $(fmt0 "$(added ocspcache-ka direct-ka 5)") µs | ≤ 150 µs: $(check "$(added ocspcache-ka direct-ka 5)" "<" 150.5) |"
  echo
  fi
  if want storm; then
  idle=$(med storm hit-idle 6)
  during=$(med storm hit-during-storm 6)
  echo "## Miss storm"
  echo
  echo "$storm_n distinct uncached CertIDs asked at once (\`ocsp_gen load --conns 100\`)"
  echo "through \`ocsp_gen serve --delay-ms $storm_delay_ms\` with"
  echo "\`upstream.max_fetches_per_responder = $storm_limit\` (queue large enough for all), while wrk"
  echo "measured cache hits of one warm CertID (saturating, $conns connections), and so did"
  echo "\`ocsp_gen load --rate $storm_hit_rate --server-time\` (a fixed load below capacity, open loop,"
  echo "each request timed from its send to the kernel's receive timestamp of the answer);"
  echo "ocspcache with 1 worker thread, pinned alone to CPU 0 (wrk, the open-loop client, the storm's"
  echo "client, the responders and ocspcache's other threads on CPU 1). The control sends the same storm"
  echo "to a twin instance instead, so the measured one sees no miss: what its hit p99 does then is the"
  echo "machine's (the storm's own client and responders share CPU 1 with the hit client)."
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| storm client | \`$storm_line\` |"
  echo "| requests the responder received | $storm_requests |"
  echo "| connections the responder saw (total / most at once) | **$storm_connections / $storm_max_open** (limit $storm_limit: $( [[ $storm_connections == "$storm_limit" ]] && echo "exactly N used" || echo "**not exactly N**")) |"
  echo "| misses shed (tryLater for load) | $storm_shed |"
  echo "| hit p99 idle / during the storm | $(fmt0 "$idle") µs / $(fmt0 "$during") µs: ratio $(ratio "$during" "$idle") (≤ 1.2: $(check "$(ratio "$during" "$idle")" "<" 1.2001)) |"
  echo "| hit req/s idle / during the storm | $(fmt0 "$(med storm hit-idle 4)") / $(fmt0 "$(med storm hit-during-storm 4)") |"
  ridle=$(med storm hit-rate-idle 6)
  rduring=$(med storm hit-rate-during-storm 6)
  echo "| hit p99 at a fixed $storm_hit_rate req/s (open loop) idle / during the storm | $(fmt0 "$ridle") µs / $(fmt0 "$rduring") µs: ratio $(ratio "$rduring" "$ridle") (≤ 1.2: $(check "$(ratio "$rduring" "$ridle")" "<" 1.2001)) |"
  echo "| hit p50 at a fixed $storm_hit_rate req/s idle / during the storm | $(fmt0 "$(med storm hit-rate-idle 5)") µs / $(fmt0 "$(med storm hit-rate-during-storm 5)") µs |"
  rcontrol=$(med storm hit-rate-control 6)
  echo "| control: hit p99 at $storm_hit_rate req/s while the same storm goes to a twin instance | $(fmt0 "$rcontrol") µs: ratio to idle $(ratio "$rcontrol" "$ridle") |"
  echo "| **misses stalling hits**: p99 during the storm / during the control | ratio $(ratio "$rduring" "$rcontrol") |"
  echo
  fi
  if want coalesce; then
  echo "## Coalescing"
  echo
  echo "$coal_clients clients connected first, then all sent the same GET for one uncached"
  echo "CertID back to back; the responder (\`ocsp_gen serve --delay-ms 300\`) answers after"
  echo "300 ms so every request arrives while the fetch is in flight. ocspcache: $coal_threads worker thread(s)."
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| clients answered 200 with the signed DER | $(sed -n 's/.*ok=\([0-9]*\).*/\1/p' <<<"$coal_line") of $coal_clients |"
  echo "| upstream requests (ocspcache_upstream_requests_total) | **$coal_upstream** (must be 1: $( ((coal_upstream == 1)) && echo met || echo '**not met**')) |"
  echo "| requests the responder received | $coal_served |"
  echo "| ocspcache_requests_total result=miss / hit | $coal_misses / $coal_hits |"
  echo "| client view | \`$coal_line\` |"
  echo
  fi
  if want scrape; then
  echo "## Scraping during load (issue 4)"
  echo
  echo "1 worker thread, ${sizes%% *} distinct cached certificates, $scrape_series"
  echo "\`ssl_ocsp_response_status\` series (a /metrics page of $scrape_bytes bytes); uniform hits,"
  echo "with and without a client fetching /metrics and /status every 250 ms, alternated."
  echo
  echo "| target | req/s (median) | p50 µs | p99 µs | p99.9 µs | req/s per round | other load % |"
  echo "|---|---:|---:|---:|---:|---|---|"
  for t in no-scrape scraping; do
    echo "| $t | $(fmt0 "$(med scrape "$t" 4)") | $(fmt0 "$(med scrape "$t" 5)") | $(fmt0 "$(med scrape "$t" 6)") | $(fmt0 "$(med scrape "$t" 7)") | $(runs scrape "$t") | $(loads scrape "$t") |"
  done
  echo
  echo "p99 scraping / not scraping: $(ratio "$(med scrape scraping 6)" "$(med scrape no-scrape 6)")"
  echo
  fi
  if want scale; then
  echo "## Scale: distinct cached CertIDs"
  echo
  echo "ocspcache with $scale_threads worker thread(s); every entry a distinct signed response loaded"
  echo "through the normal miss path (POST, validated, signature checked) from \`ocsp_gen serve\`,"
  echo "which is then stopped, so every timed request is a hit. Zipf: weight 1/rank, ranks"
  echo "randomly permuted over the entries. Average DER size $(meta "$data/sets/scale" avg_response_bytes) bytes."
  echo "RSS per entry = VmRSS growth from start to loaded / entries; overhead = that minus the DER bytes."
  echo "The growth includes costs that do not grow with the cache, above all the per-certificate"
  echo "metrics records (at most metrics.max_series = 10,000 exported certificates), so the"
  echo "marginal column divides the growth between two sizes by the entries between them: the"
  echo "cost of one more cached response."
  echo
  echo "| entries | mix | req/s (median) | p50 µs | p99 µs | req/s per round | other load % |"
  echo "|---:|---|---:|---:|---:|---|---|"
  first_size=${sizes%% *}
  for s in $sizes; do
    for mix in uniform zipf; do
      echo "| $s | $mix | $(fmt0 "$(med scale "$s-$mix" 4)") | $(fmt0 "$(med scale "$s-$mix" 5)") | $(fmt0 "$(med scale "$s-$mix" 6)") | $(runs scale "$s-$mix") | $(loads scale "$s-$mix") |"
    done
  done
  echo
  echo "| entries | load rate (misses/s) | RSS start → loaded (MiB) | RSS per entry (B) | overhead beyond DER (B) | marginal overhead beyond DER (B) | < 256 B? | ocspcache's own charge per entry (B) | uniform req/s vs $first_size | ≥ 0.85? |"
  echo "|---:|---:|---|---:|---:|---:|---|---:|---:|---|"
  prev_s="" marg=""
  avg_der=$(meta "$data/sets/scale" avg_response_bytes)
  for s in $sizes; do
    per=$(awk -v a="${sc_rss0[$s]}" -v b="${sc_rss1[$s]}" -v n="$s" 'BEGIN {printf "%.0f", (b - a) * 1024 / n}')
    over=$((per - avg_der))
    charge=$(awk -v b="${sc_bytes[$s]}" -v n="$s" 'BEGIN {printf "%.0f", b / n}')
    rel=$(ratio "$(med scale "$s-uniform" 4)" "$(med scale "$first_size-uniform" 4)")
    if [[ -n $prev_s ]]; then
      marg=$(awk -v a0="${sc_rss0[$prev_s]}" -v a1="${sc_rss1[$prev_s]}" -v b0="${sc_rss0[$s]}" -v b1="${sc_rss1[$s]}" \
        -v n0="$prev_s" -v n1="$s" -v d="$avg_der" 'BEGIN {printf "%.0f", ((b1 - b0) - (a1 - a0)) * 1024 / (n1 - n0) - d}')
    else
      marg="n/a"
    fi
    shown=$over
    [[ $marg != n/a ]] && shown=$marg
    echo "| $s | $(sed -n 's/.*rps=\([0-9.]*\).*/\1/p' <<<"${sc_load[$s]}" | awk '{printf "%.0f", $1}') | $(awk -v a="${sc_rss0[$s]}" -v b="${sc_rss1[$s]}" 'BEGIN {printf "%.1f → %.1f", a / 1024, b / 1024}') | $per | $over | $marg | $(check "$shown" "<" 256) | $charge | $rel | $(check "$rel" ">=" 0.85) |"
    prev_s=$s
  done
  echo
  fi
  if ((profile)); then
    echo "## Where time goes (perf, cache-hit GETs, 1 worker thread)"
    echo
    echo "\`perf record -e cpu-clock -F 999 --call-graph dwarf -p <ocspcache>\` for ${duration} s while"
    echo "wrk -t1 -c$conns asked the cached GET (cpu-clock sampling: this VM exposes no hardware"
    echo "counters, so \`perf stat -e instructions\` reports \"not supported\"). Percentages are of"
    echo "ocspcache's own CPU time, kernel included. Self time by shared object:"
    echo
    echo '```'
    cat "$work/profile-dso.txt"
    echo '```'
    echo
    echo "Self time by function (top 30):"
    echo
    echo '```'
    cat "$work/profile-symbols.txt"
    echo '```'
    echo
    echo "Inclusive (children) time of the user-space steps of a hit (≥ 0.5%):"
    echo
    echo '```'
    cat "$work/profile-children.txt"
    echo '```'
    echo
  fi
  if want micro; then
  echo "## Micro-benchmarks (Google Benchmark, bench/*_bench.cc)"
  echo
  echo "allocs_per_op counts every malloc-family call (operator new included) on the"
  echo "benchmark's thread per iteration (bench/alloc_counter.cc)."
  echo
  echo '```'
  grep -vE '^\*\*\*WARNING' "$work/micro.txt"
  echo '```'
  echo
  fi
  echo "## Commands"
  echo
  echo "Run: \`$invocation\`. Each measurement (ports chosen free per run, 127.0.0.1):"
  echo
  echo '```'
  sed "s#$root/##g; s#$data/sets/#<sets>/#g; s#$build_dir/##g" "$commands"
  echo '```'
  echo
  echo "Raw measurements (section, target, round, req/s, p50 µs, p99 µs, p99.9 or max µs, other load %):"
  echo
  echo '```'
  cat "$results"
  echo '```'
} >"$out.tmp"
mv "$out.tmp" "$out"
log "report written to $out"
# The table on stdout too.
awk '/^## (Micro-benchmarks|Commands)/ {exit} /^## / {on = 1} on' "$out"
