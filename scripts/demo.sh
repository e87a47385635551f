#!/usr/bin/env bash
# demo.sh start|stop|status — a local upstream OCSP responder for the README demo.
#
# `start` builds a test PKI in .demo/pki (scripts/make-test-pki.sh, once) and
# runs the real `openssl ocsp` responder for its intermediate CA on port 8888
# in the background (openssl binds every address; conf/ocspcache.toml points
# at http://127.0.0.1:8888/), then prints client commands to ask ocspcache
# (port 8080) about a good and a revoked certificate. `stop` ends that
# responder and nothing else.
#
# The responder is never probed by connecting: an idle connection makes
# `openssl ocsp` spin at 100% CPU and stop answering (DESIGN.md field notes),
# so readiness is read from the kernel's list of listening sockets.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
demo=$root/.demo
pki=$demo/pki
pidfile=$demo/responder.pid
log=$demo/responder.log
port=8888
proxy_port=8080

listening() {
  [[ -n $(ss -ltnH "sport = :$1") ]]
}

# The pid in the pid file, if that process is still our responder.
running_pid() {
  local pid
  [[ -f $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == openssl ]] || return 1
  echo "$pid"
}

start() {
  mkdir -p "$demo"
  "$root/scripts/make-test-pki.sh" "$pki" >/dev/null
  if pid=$(running_pid); then
    echo "responder already running (pid $pid, port $port)"
  else
    if listening "$port"; then
      echo "demo.sh: port $port is already in use by another process" >&2
      exit 1
    fi
    # -ndays 1: responses valid for a day; -rother adds the intermediate to
    # each response so clients that trust only the root can build the chain.
    (
      cd "$pki"
      exec openssl ocsp -index index.txt -port "$port" -CA intermediate.pem \
        -rsigner ocsp-signer.pem -rkey ocsp-signer.key -rother intermediate.pem \
        -ndays 1 </dev/null >>"$log" 2>&1
    ) &
    echo $! >"$pidfile"
    for _ in $(seq 100); do
      listening "$port" && break
      if ! running_pid >/dev/null; then
        echo "demo.sh: the responder exited; see $log" >&2
        exit 1
      fi
      sleep 0.05
    done
    if ! listening "$port"; then
      echo "demo.sh: the responder did not listen on port $port; see $log" >&2
      stop >/dev/null
      exit 1
    fi
    echo "responder for .demo/pki/intermediate.pem listening on 127.0.0.1:$port (log: .demo/responder.log)"
  fi
  cat <<MSG

Ask ocspcache (port $proxy_port) from the repository root:
  openssl ocsp -issuer .demo/pki/intermediate.pem -cert .demo/pki/good.pem -url http://127.0.0.1:$proxy_port -no_nonce -CAfile .demo/pki/root.pem
  openssl ocsp -issuer .demo/pki/intermediate.pem -cert .demo/pki/revoked.pem -url http://127.0.0.1:$proxy_port -no_nonce -CAfile .demo/pki/root.pem
The first prints ".demo/pki/good.pem: good", the second ".demo/pki/revoked.pem: revoked",
both followed by "Response verify OK".
Stop the responder with: scripts/demo.sh stop
MSG
}

stop() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$pidfile"
    echo "responder not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    [[ -d /proc/$pid ]] || break
    sleep 0.05
  done
  if [[ -d /proc/$pid ]]; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  echo "responder stopped"
}

status() {
  if pid=$(running_pid); then
    echo "responder running (pid $pid, port $port)"
  else
    echo "responder not running"
    return 1
  fi
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
