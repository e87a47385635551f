#!/bin/sh
# Regenerates the seed corpora under tests/fuzz/corpus/ with the openssl CLI
# (requests as `openssl ocsp -reqout` writes them, responses as an `openssl
# ocsp` responder signs them). Seeds are committed; rerun only to change them.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
corpus="$here/corpus"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
openssl req -x509 $ec -subj "/CN=Fuzz CA" -days 3650 -keyout ca.key -out ca.pem 2>/dev/null
issue() {  # name serial [extfile]
  openssl req -new $ec -subj "/CN=$1" -keyout "$1.key" -out "$1.csr" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -set_serial "$2" -days 3650 \
    ${3:+-extfile "$3"} -out "$1.pem" 2>/dev/null
}
printf 'extendedKeyUsage=OCSPSigning\n' > eku.cnf
issue leaf 0x1001
issue leaf2 0x8F02
issue responder 0x2001 eku.cnf
openssl x509 -in ca.pem -outform DER -out ca.der

subject=$(openssl x509 -in leaf.pem -noout -subject -nameopt compat | sed 's/^subject=//')
subject2=$(openssl x509 -in leaf2.pem -noout -subject -nameopt compat | sed 's/^subject=//')
printf 'V\t351231235959Z\t\t1001\tunknown\t%s\n' "$subject" > index.txt
printf 'R\t351231235959Z\t240101000000Z,keyCompromise\t8F02\tunknown\t%s\n' "$subject2" >> index.txt

req() { openssl ocsp -issuer ca.pem "$@" 2>/dev/null; }
req -cert leaf.pem -reqout req_sha1_nonce.der
req -no_nonce -cert leaf.pem -reqout req_sha1.der
req -no_nonce -sha256 -cert leaf.pem -reqout req_sha256.der
req -cert leaf.pem -cert leaf2.pem -reqout req_two.der

respond() {  # request out signer key
  openssl ocsp -index index.txt -CA ca.pem -rsigner "$3" -rkey "$4" -reqin "$1" \
    -respout "$2" -ndays 3650 2>/dev/null
}
respond req_sha1.der resp_good.der ca.pem ca.key
respond req_two.der resp_two.der ca.pem ca.key
respond req_sha256.der resp_delegated.der responder.pem responder.key
printf 'V\t351231235959Z\t\t2002\tunknown\t/CN=x\n' > index.txt  # leaf now unknown
respond req_sha1.der resp_unknown.der ca.pem ca.key

d="$corpus/request_decode_fuzz"
mkdir -p "$d" && rm -f "$d"/*
cp req_sha1_nonce.der req_sha1.der req_sha256.der req_two.der "$d/"
head -c 40 req_sha1.der > "$d/truncated.der"

d="$corpus/get_target_fuzz"
mkdir -p "$d" && rm -f "$d"/*
b64=$(base64 -w0 req_sha1_nonce.der)
printf '/%s' "$b64" > "$d/plain.txt"
printf '/ocsp/%s' "$(printf %s "$b64" | sed 's/+/%2B/g; s#/#%2F#g; s/=/%3D/g')" > "$d/nginx.txt"
printf '/a/b/%s?x=1' "$(printf %s "$b64" | tr '+/' '-_' | tr -d '=')" > "$d/url_nopad.txt"
printf '/%s' "$(base64 -w0 req_two.der | sed 's/+/%2b/g')" > "$d/two_lower.txt"
printf '/ocsp/' > "$d/empty.txt"

d="$corpus/response_validate_fuzz"
mkdir -p "$d" && rm -f "$d"/*
now=$(( $(date +%s) + 3600 ))
python3 - "$d" "$now" <<'PY'
import struct, sys
out, now = sys.argv[1], int(sys.argv[2])
issuer = open("ca.der", "rb").read()
def seed(name, req, resp, flags=1):
    r = open(req, "rb").read()
    body = bytes([flags]) + struct.pack(">q", now) + struct.pack(">H", len(r)) + r
    body += struct.pack(">H", len(issuer)) + issuer + open(resp, "rb").read()
    open(f"{out}/{name}", "wb").write(body)
seed("good", "req_sha1.der", "resp_good.der")
seed("two_with_revoked", "req_two.der", "resp_two.der")
seed("delegated", "req_sha256.der", "resp_delegated.der")
seed("unknown_no_issuer", "req_sha1.der", "resp_unknown.der", flags=0)
seed("missing_cert_id", "req_two.der", "resp_good.der")
open("trylater.der", "wb").write(bytes([0x30, 3, 0x0A, 1, 3]))
seed("try_later", "req_sha1.der", "trylater.der")
PY
ls -l "$corpus"/*
