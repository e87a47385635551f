#!/usr/bin/env bash
# Benchmarks of the Redis backend (issue 11), each against a baseline
# measured in the same run, printed as a Markdown section for
# bench/RESULTS.md:
#
#   1. the L1-miss/Redis-hit path: N distinct answers loaded into Redis by
#      instance A, then every one asked once of a fresh instance B (its
#      memory cache empty, its responder dead), through HTTP, the Redis GET,
#      validation and the L1 insert; against `redis-benchmark -t get` with
#      values of the same size on the same Redis (target: >= 0.5x);
#   2. what validation costs: BM_ValidateResponse (micro_bench);
#   3. L1 hits with the Redis backend on, against an instance with the
#      memory backend holding the same answers (target: unchanged);
#   4. a 1,000-client storm on one uncached CertID, half to each of two
#      instances sharing Redis: responder requests for the fleet (target: 1).
#
# Usage: bench/redis.sh [--quick] [--build-dir DIR] [--n N]
#   Uses the Release build of bench/run.sh (build-rel) and its data sets.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=$root/build-rel
n=20000
hit_requests=300000
storm_clients=1000
while (($#)); do
  case $1 in
    --quick) n=2000; hit_requests=50000; storm_clients=200 ;;
    --build-dir) build_dir=$2; shift ;;
    --n) n=$2; shift ;;
    *) echo "bench/redis.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done
die() { echo "bench/redis.sh: $*" >&2; exit 1; }
log() { echo "== $(date +%T) $*" >&2; }
for tool in redis-server redis-benchmark redis-cli openssl ss curl awk cmake; do
  command -v "$tool" >/dev/null || die "missing $tool: scripts/install-deps.sh bench"
done

log "build ocspcache and the bench tools in $build_dir"
[[ -f $build_dir/CMakeCache.txt ]] ||
  cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j"${OCSPCACHE_JOBS:-2}" --target ocspcache ocsp_gen micro_bench >/dev/null
oc_bin=$build_dir/ocspcache
gen_bin=$build_dir/bench/ocsp_gen
micro_bin=$build_dir/bench/micro_bench

work=$(mktemp -d /tmp/ocspcache-redis-bench.XXXXXX)
pids=()
cleanup() {
  local rc=$? p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  if ((rc == 0)); then rm -rf "$work"; else echo "logs kept in $work" >&2; fi
}
trap cleanup EXIT
start() {  # NAME CMD...: sets $started
  local name=$1
  shift
  "$@" </dev/null >"$work/$name.log" 2>&1 &
  started=$!
  pids+=("$started")
}
# Ports, and waiting for a server to listen on one (bench/ports.sh).
source "$root/bench/ports.sh"
metric_sum() {  # ADMIN_PORT REGEX
  curl -sf "http://127.0.0.1:$1/metrics" | awk -v re="$2" '$0 !~ /^#/ && $1 ~ re {s += $NF} END {printf "%d", s}'
}
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

data=$build_dir/bench-data
"$root/scripts/make-test-pki.sh" "$data/pki" >/dev/null
pki=$data/pki
set_dir=$data/sets/redis
if [[ $(sed -n 's/^count=//p' "$set_dir/meta" 2>/dev/null) -lt $n ]] ||
  [[ $(sed -n 's/^next_update=//p' "$set_dir/meta" 2>/dev/null || echo 0) -lt $(($(date +%s) + 2 * 86400)) ]]; then
  log "generate $n signed responses"
  "$gen_bin" gen --pki "$pki" --count "$n" --first-serial 7000000 --days 10 --out "$set_dir" >&2
fi

redis_port=$(free_port)
start redis redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no
redis_pid=$started
wait_listen "$redis_port" "$redis_pid" redis 30

instance() {  # NAME BACKEND RESPONDER_PORT: sets oc_port oc_admin oc_pid
  oc_port=$(free_port)
  oc_admin=$(free_port)
  cat >"$work/$1.toml" <<EOF
[server]
listen = ["127.0.0.1:$oc_port"]
threads = 1
[admin]
listen = "127.0.0.1:$oc_admin"
[cache]
backend = "$2"
max_bytes = "1GiB"
[redis]
url = "redis://127.0.0.1:$redis_port/0"
[upstream]
timeout = "5s"
[log]
level = "warn"
[[issuer]]
name = "bench"
cert = "$pki/intermediate.pem"
responders = ["http://127.0.0.1:$3/"]
EOF
  start "$1" "$oc_bin" --config "$work/$1.toml"
  oc_pid=$started
  wait_listen "$oc_port" "$oc_pid" "$1" 30
  wait_listen "$oc_admin" "$oc_pid" "$1" 30
}

rport=$(free_port)
start responder "$gen_bin" serve --port "$rport" "$set_dir"
rpid=$started
wait_listen "$rport" "$rpid" responder 30

# --- 1. the L1-miss/Redis-hit path ------------------------------------------------
log "load $n answers into Redis through instance A"
instance a redis "$rport"
a_port=$oc_port
line=$("$gen_bin" load --port "$a_port" --conns 32 --limit "$n" "$set_dir") || die "loading A: $line"
for _ in $(seq 100); do
  [[ $(redis-cli -p "$redis_port" DBSIZE) -ge $n ]] && break
  sleep 0.1
done
keys=$(redis-cli -p "$redis_port" DBSIZE)
((keys == n)) || die "Redis holds $keys keys, want $n"
avg=$(redis-cli -p "$redis_port" --scan --pattern 'ocspcache:r:*' | awk 'NR <= 200' |
  while read -r k; do redis-cli -p "$redis_port" STRLEN "$k"; done | awk '{s += $1} END {printf "%d", s / NR}')

dead=$(free_port)
log "every answer once through instance B (memory empty, responder dead)"
instance b redis "$dead"
b_admin=$oc_admin
redis_line=$("$gen_bin" load --port "$oc_port" --conns 32 --limit "$n" "$set_dir") ||
  die "B: $redis_line"
b_hits=$(metric_sum "$b_admin" '^ocspcache_redis_lookups_total.*result="hit"')
b_upstream=$(metric_sum "$b_admin" '^ocspcache_upstream_requests_total')
((b_hits == n && b_upstream == 0)) || die "B: $b_hits Redis hits, $b_upstream upstream requests"

log "redis-benchmark -t set,get -d $avg on the same Redis"
rb=$(redis-benchmark -p "$redis_port" -t set,get -d "$avg" -n 200000 -c 32 --csv)
rb_get=$(awk -F'"' '$2 == "GET" {print $4}' <<<"$rb")

# --- 2. validation ------------------------------------------------------------------
log "micro_bench BM_ValidateResponse"
validate=$("$micro_bin" --benchmark_filter=BM_ValidateResponse --benchmark_format=csv 2>/dev/null |
  awk -F, '/BM_ValidateResponse/ {gsub(/"/, "", $1); printf "%s %.1f µs; ", $1, $4}')

# --- 3. L1 hits with the Redis backend on -----------------------------------------
log "L1 hits: the Redis backend (A) against the memory backend (M), $hit_requests each"
instance m memory "$rport"
m_port=$oc_port
"$gen_bin" load --port "$m_port" --conns 32 --limit "$n" "$set_dir" >/dev/null || die "loading M"
kill -STOP "$rpid"  # from here on nothing may reach the responder unnoticed
hits_a=() hits_m=()
for _ in 1 2 3; do
  l=$("$gen_bin" load --port "$a_port" --conns 32 --cycle --limit "$hit_requests" "$set_dir") || die "A hits: $l"
  hits_a+=("$(field "$l" rps)")
  l=$("$gen_bin" load --port "$m_port" --conns 32 --cycle --limit "$hit_requests" "$set_dir") || die "M hits: $l"
  hits_m+=("$(field "$l" rps)")
done
kill -CONT "$rpid"
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
med_a=$(median "${hits_a[@]}")
med_m=$(median "${hits_m[@]}")

# --- 4. a storm on one uncached CertID across two instances --------------------
log "storm: $storm_clients clients on one uncached CertID, half to each of two fresh instances"
sport=$(free_port)
start slow "$gen_bin" serve --port "$sport" --delay-ms 300 "$set_dir"
spid=$started
wait_listen "$sport" "$spid" slow 30
redis-cli -p "$redis_port" FLUSHALL >/dev/null
instance c redis "$sport"
c_port=$oc_port c_admin=$oc_admin
instance d redis "$sport"
d_port=$oc_port d_admin=$oc_admin
half=$((storm_clients / 2))
"$gen_bin" burst --port "$c_port" --conns "$half" --index 42 "$set_dir" >"$work/burst-c.out" &
bc=$!
"$gen_bin" burst --port "$d_port" --conns "$half" --index 42 "$set_dir" >"$work/burst-d.out" &
bd=$!
wait "$bc" || die "burst C: $(cat "$work/burst-c.out")"
wait "$bd" || die "burst D: $(cat "$work/burst-d.out")"
storm_served=$(curl -sf "http://127.0.0.1:$sport/__stats" | awk '$1 == "requests" {print $2}')
storm_up=$(($(metric_sum "$c_admin" '^ocspcache_upstream_requests_total') + $(metric_sum "$d_admin" '^ocspcache_upstream_requests_total')))
storm_waits=$(($(metric_sum "$c_admin" '^ocspcache_redis_lock_waits_total.*answered') + $(metric_sum "$d_admin" '^ocspcache_redis_lock_waits_total.*answered')))

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
rps=$(field "$redis_line" rps)
cat <<EOF
## Redis backend (issue 11; bench/redis.sh, $(date -u +%F))

Command: \`bench/redis.sh\` (Release build in build-rel, 1 worker thread per
instance, one redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), all on this 2-core machine).

| measurement | result | baseline (same run) | ratio | target |
|---|---|---|---:|---|
| L1 miss, Redis hit: $n distinct answers (avg $avg B) each asked once of a fresh instance, 32 connections, POST | $(printf '%.0f' "$rps") req/s, p50 $(field "$redis_line" p50_us) µs, p99 $(field "$redis_line" p99_us) µs | \`redis-benchmark -t get -d $avg -c 32\`: $(printf '%.0f' "$rb_get") GET/s | $(ratio "$rps" "$rb_get") | ≥ 0.5 |
| L1 hits with \`backend = "redis"\`, 32 connections, median of 3 × $hit_requests | $(printf '%.0f' "$med_a") req/s | same answers, \`backend = "memory"\`: $(printf '%.0f' "$med_m") req/s | $(ratio "$med_a" "$med_m") | ≈ 1 (unchanged) |
| storm: $storm_clients clients on one uncached CertID, half to each of 2 instances, responder 300 ms | $storm_served request(s) at the responder ($storm_up counted by the instances), $storm_waits lookup(s) answered by waiting on the fleet lock | — | — | 1 |

The Redis-hit path includes what a fetched answer costs besides the
exchange: parsing, the signature check (BM_ValidateResponse: ${validate%; }),
the revocation ledger and the L1 insert. B asked no responder
($b_upstream upstream requests) and served $b_hits answers from Redis.
EOF
