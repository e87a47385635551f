# shellcheck shell=bash disable=SC2154  # die() and $work come from the sourcing script
# Sourced by bench/run.sh, bench/redis.sh and bench/soak.sh: loopback ports
# for the servers a benchmark starts. The caller defines die() and $work
# (where NAME.log is).

# A port in 20000-32767 that nobody listens on (below the clients' ephemeral
# range, so no outgoing connection holds it).
free_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 12768))
    if [[ -z $(ss -ltnH "sport = :$p") ]]; then
      echo "$p"
      return
    fi
  done
  die "no free port found"
}

# Waits for PORT to be listened on, by reading the kernel's socket list: never
# by connecting (a probe leaves `openssl ocsp` spinning; DESIGN.md field notes).
# NAME's log ($work/NAME.log) is shown when it exits or never listens.
wait_listen() {  # PORT PID NAME [TIMEOUT_S]
  local port=$1 pid=$2 name=$3 tries=$((${4:-10} * 20))
  for _ in $(seq "$tries"); do
    [[ -n $(ss -ltnH "sport = :$port") ]] && return 0
    kill -0 "$pid" 2>/dev/null || { tail -n 50 "$work/$name.log" >&2; die "$name exited at start"; }
    sleep 0.05
  done
  tail -n 50 "$work/$name.log" >&2
  die "$name did not listen on port $port"
}
