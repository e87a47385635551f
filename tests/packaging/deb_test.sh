#!/usr/bin/env bash
# tests/packaging/deb_test.sh BUILD_DIR — the CTest `packaging_deb` test
# (issue 14): builds the Debian package from BUILD_DIR with cpack, runs
# lintian on it (no errors allowed), extracts it into a scratch root and
# runs what it installed: the binary on the installed config
# (--check-config; a smoke run on loopback ports with a real upstream, an
# answer, /metrics, SIGTERM writing the snapshot), the man page through
# man --warnings, and systemd-analyze verify and security on the unit.
#
# systemd-analyze verify needs the unit's ExecStart binary and its man page
# where the unit says: the test verifies a copy of the installed unit whose
# /usr/bin/ocspcache and /etc/ocspcache paths point into the scratch root,
# with MANPATH at the scratch root's man pages; nothing else is changed.
#
# Fails (never skips) when a tool is missing: scripts/install-deps.sh test.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(cd "${1:?usage: tests/packaging/deb_test.sh BUILD_DIR}" && pwd)

die() {
  echo "packaging_deb: FAIL: $*" >&2
  exit 1
}
for tool in cpack dpkg-deb dpkg-shlibdeps lintian systemd-analyze man openssl curl ss; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not installed; run scripts/install-deps.sh test"
done

work=$(mktemp -d /tmp/ocspcache-deb.XXXXXX)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n ${OCSPCACHE_KEEP_TEST_DIRS:-} ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
# shellcheck source=bench/ports.sh
source "$root/bench/ports.sh"

# ---- build the package
version=$("$build/ocspcache" --version | awk '{print $2}')
[[ -n $version ]] || die "cannot read the version from $build/ocspcache"
(cd "$build" && cpack -G DEB -B "$work/cpack" >"$work/cpack.log" 2>&1) || {
  cat "$work/cpack.log" >&2
  die "cpack failed"
}
deb="$work/cpack/ocspcache_${version}_amd64.deb"
[[ -f $deb ]] || die "no $deb (cpack made: $(ls "$work/cpack"))"
echo "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"

control=$(dpkg-deb -f "$deb")
echo "$control" | grep -E '^(Package|Version|Architecture|Depends):'
depends=$(dpkg-deb -f "$deb" Depends)
for dep in adduser libssl3 libevent-core-2.1-7 libhiredis0.14 libsystemd0 libtomlplusplus3 libstdc++6; do
  [[ $depends == *"$dep"* ]] || die "Depends lacks $dep (shlibdeps): $depends"
done
[[ $(dpkg-deb -f "$deb" Version) == "$version" ]] || die "Version is not $version"

dpkg-deb --ctrl-tarfile "$deb" | tar -x -C "$work" ./conffiles
grep -qx /etc/ocspcache/ocspcache.toml "$work/conffiles" || die "the config is not a conffile"
contents=$(dpkg-deb -c "$deb")
for path in ./usr/bin/ocspcache ./etc/ocspcache/ocspcache.toml ./lib/systemd/system/ocspcache.service \
  ./usr/share/man/man8/ocspcache.8.gz ./usr/share/doc/ocspcache/copyright \
  ./usr/share/doc/ocspcache/changelog.gz ./usr/share/ocspcache/prometheus/ocspcache.rules.yml \
  ./usr/share/ocspcache/prometheus/prometheus.yml ./usr/share/ocspcache/grafana/ocspcache.json \
  ./usr/share/ocspcache/runbooks/SslCertificateOscpStatusUnknown.md \
  ./usr/share/ocspcache/examples/nginx-responder.conf ./usr/share/ocspcache/examples/haproxy.cfg \
  ./usr/share/ocspcache/examples/apache-stapling.conf; do
  grep -q " $path\$" <<<"$contents" || die "the package lacks $path"
done
grep -q "root/root .* ./usr/bin/ocspcache$" <<<"$contents" || die "/usr/bin/ocspcache is not owned by root"

# ---- lintian: no errors; warnings and infos are printed (the closing note
# of issue 14 says why each is left)
lintian --fail-on error --display-info --tag-display-limit 0 "$deb" >"$work/lintian.log" 2>&1 || {
  cat "$work/lintian.log" >&2
  die "lintian reports errors"
}
echo "lintian: no errors; $(grep -c '^[WI]: ' "$work/lintian.log" || true) warnings/infos:"
sed 's/^/  /' "$work/lintian.log"

# ---- extract and run what it installed
dest="$work/root"
dpkg-deb -x "$deb" "$dest"
bin="$dest/usr/bin/ocspcache"
[[ $("$bin" --version) == "ocspcache $version" ]] || die "the installed binary says $("$bin" --version)"
"$bin" --check-config "$dest/etc/ocspcache/ocspcache.toml" || die "--check-config refuses the installed config"

zcat "$dest/usr/share/man/man8/ocspcache.8.gz" | head -n 1 | grep -qF "\"ocspcache $version\"" ||
  die "the man page's header does not say ocspcache $version"
zcat "$dest/usr/share/doc/ocspcache/changelog.gz" | head -n 1 | grep -qF "ocspcache ($version)" ||
  die "packaging/debian/changelog has no entry for $version on top"
man_warnings=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z \
  "$dest/usr/share/man/man8/ocspcache.8.gz" 2>&1 >/dev/null)
[[ -z $man_warnings ]] || die "man --warnings on ocspcache.8: $man_warnings"

# The smoke run: the installed config with only the listen addresses, the
# snapshot (/var/lib/ocspcache is the unit's) and one [[issuer]] changed,
# in front of a real `openssl ocsp` responder for a throw-away PKI.
pki="$work/pki"
"$root/scripts/make-test-pki.sh" "$pki" >/dev/null
rport=$(free_port)
(cd "$pki" && exec openssl ocsp -index index.txt -port "$rport" -CA intermediate.pem \
  -rsigner ocsp-signer.pem -rkey ocsp-signer.key -rother intermediate.pem -ndays 1 \
  </dev/null >"$work/responder.log" 2>&1) &
pids+=($!)
wait_listen "$rport" "${pids[-1]}" responder
port=$(free_port)
admin=$(free_port)
state="$work/state"
mkdir -p "$state"
config="$work/ocspcache.toml"
sed -e "s|^#listen = \\[\"127.0.0.1:8080\"\\]\$|listen = [\"127.0.0.1:$port\"]|" \
  -e "s|^#listen = \"127.0.0.1:9080\"\$|listen = \"127.0.0.1:$admin\"|" \
  -e "s|^#snapshot = \"\"\$|snapshot = \"$state/cache.snapshot\"|" \
  "$dest/etc/ocspcache/ocspcache.toml" >"$config"
cat >>"$config" <<TOML
[[issuer]]
name = "smoke CA"
cert = "$pki/intermediate.pem"
responders = ["http://127.0.0.1:$rport/"]
TOML
[[ $(grep -c "^listen = \\|^snapshot = " "$config") == 3 ]] || die "the installed config's listen/snapshot lines changed; update this test"
"$bin" --check-config "$config" >/dev/null || die "--check-config refuses the smoke config"
"$bin" --config "$config" 2>"$work/ocspcache.log" &
daemon=$!
pids+=("$daemon")
wait_listen "$port" "$daemon" ocspcache
wait_listen "$admin" "$daemon" ocspcache

answer=$(openssl ocsp -issuer "$pki/intermediate.pem" -cert "$pki/good.pem" -CAfile "$pki/root.pem" \
  -url "http://127.0.0.1:$port" -no_nonce 2>&1) || true
[[ $answer == *"good.pem: good"* && $answer == *"Response verify OK"* ]] || {
  cat "$work/ocspcache.log" >&2
  die "the installed daemon did not answer good: $answer"
}
echo "smoke: $(grep 'good.pem:' <<<"$answer")"
malformed=$(curl -s --max-time 5 -H 'Content-Type: application/ocsp-request' --data-binary 'nonsense' \
  "http://127.0.0.1:$port/" | od -An -tx1 | tr -d ' \n')
[[ $malformed == 30030a0101 ]] || die "bad input did not get malformedRequest: $malformed"
metrics=$(curl -s --max-time 5 "http://127.0.0.1:$admin/metrics")
grep -q '^ssl_ocsp_response_status{issuer="smoke CA",serial="1001"} 0$' <<<"$metrics" ||
  grep -q '^ssl_ocsp_response_status{.*serial="1001".*} 0$' <<<"$metrics" ||
  die "/metrics lacks ssl_ocsp_response_status 0 for the good certificate"

kill -TERM "$daemon"
status=0
wait "$daemon" || status=$?
[[ $status == 0 ]] || die "SIGTERM: exit status $status"
[[ -s $state/cache.snapshot ]] || die "SIGTERM did not write the snapshot"
grep -q 'event=snapshot_written' "$work/ocspcache.log" || die "no event=snapshot_written in the log"
echo "smoke: answered, /metrics served, SIGTERM drained and wrote the snapshot"

# ---- the unit
unit="$dest/lib/systemd/system/ocspcache.service"
grep -qx 'Type=notify' "$unit" || die "the unit is not Type=notify"
mkdir -p "$work/unit"
sed -e "s|/usr/bin/ocspcache|$bin|g" -e "s|/etc/ocspcache/|$dest/etc/ocspcache/|g" "$unit" \
  >"$work/unit/ocspcache.service"
verify=$(MANPATH="$dest/usr/share/man" systemd-analyze verify "$work/unit/ocspcache.service" 2>&1) || {
  echo "$verify" >&2
  die "systemd-analyze verify refuses the unit"
}
[[ -z $verify ]] || die "systemd-analyze verify complains: $verify"
echo "systemd-analyze verify: OK"
security=$(systemd-analyze security --offline=true "$unit" 2>&1 | tail -n 1)
echo "systemd-analyze security: $security"
exposure=$(sed -n 's/.*: \([0-9.]*\) .*/\1/p' <<<"$security")
[[ -n $exposure ]] || die "no exposure level in: $security"
awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }' || die "exposure $exposure is above 2.0: hardening lost"
echo "packaging_deb: PASS"
