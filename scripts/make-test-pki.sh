#!/usr/bin/env bash
# make-test-pki.sh DIR — a throw-away PKI for the demo and the integration tests.
#
# Uses only the openssl CLI and EC P-256 keys, so it runs in well under a second.
# Idempotent: a complete DIR (marked by DIR/.complete) is left untouched, a
# partial one is rebuilt from scratch.
#
# Files written to DIR (every *.pem has its private key beside it as *.key):
#   root.pem              self-signed root CA ("ocspcache test root")
#   intermediate.pem      CA issued by root; issuer of every leaf below and the
#                         CA the `openssl ocsp -index` responder answers for
#   ocsp-signer.pem       delegated OCSP responder issued by intermediate,
#                         extendedKeyUsage=OCSPSigning (RFC 6960 §4.2.2.2)
#   good.pem              leaf, serial 1001, "V" (good) in index.txt
#   revoked.pem           leaf, serial 1002, "R" (revoked, keyCompromise) in index.txt
#   unknown.pem           leaf, serial 1003, issued by intermediate but absent
#                         from index.txt, so the responder answers "unknown"
#   good-chain.pem        good.pem followed by intermediate.pem (a server chain)
#   ca-chain.pem          intermediate.pem followed by root.pem
#   index.txt             the responder's database (openssl ca format)
#   other-ca.pem          a second, unrelated self-signed CA
#   other-signer.pem      OCSP signer issued by other-ca: signs with the "wrong
#                         key" as far as intermediate's certificates go
#   other-leaf.pem        leaf issued by other-ca, serial 3001 (an issuer the
#                         proxy is not configured for)
#   other-index.txt       responder database for other-ca (other-leaf good)
# Prints one line on success.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dir=$1
if [[ -f "$dir/.complete" ]]; then
  exit 0
fi
mkdir -p "$dir"
cd "$dir"
rm -f ./*.pem ./*.key ./*.ext ./*.csr ./*.txt ./*.srl .complete

days=3650
leaf_days=825

# quiet CMD... — openssl chats on stderr even on success; show it only on failure.
quiet() {
  local out
  if ! out=$("$@" 2>&1); then
    printf '%s\n' "$out" >&2
    echo "make-test-pki.sh: failed: $*" >&2
    return 1
  fi
}

genkey() {
  quiet openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"
}

# Extension sections, one file, picked per certificate with -extensions.
cat >ext.cnf <<'CNF'
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[signer]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
authorityInfoAccess = OCSP;URI:http://127.0.0.1:8888/
CNF

# self_signed NAME SUBJECT
self_signed() {
  genkey "$1"
  quiet openssl req -new -x509 -key "$1.key" -subj "$2" -days "$days" -sha256 \
    -set_serial "0x$3" -config ext.cnf -extensions ca -out "$1.pem"
}

# issue NAME SUBJECT ISSUER SERIAL(hex) EXT-SECTION DAYS
issue() {
  genkey "$1"
  quiet openssl req -new -key "$1.key" -subj "$2" -config ext.cnf -out "$1.csr"
  quiet openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -set_serial "0x$4" \
    -days "$6" -sha256 -extfile ext.cnf -extensions "$5" -out "$1.pem"
  rm -f "$1.csr"
}

# index_line STATE NAME SERIAL [REVOCATION] — one line in `openssl ca` format.
index_line() {
  local end subject
  end=$(openssl x509 -in "$2.pem" -noout -enddate | cut -d= -f2)
  end=$(date -u -d "$end" +%y%m%d%H%M%SZ)
  subject=$(openssl x509 -in "$2.pem" -noout -subject -nameopt compat | sed 's/^subject=//')
  printf '%s\t%s\t%s\t%s\tunknown\t%s\n' "$1" "$end" "${4:-}" "$3" "$subject"
}

self_signed root "/O=ocspcache test/CN=ocspcache test root" 01
issue intermediate "/O=ocspcache test/CN=ocspcache test intermediate" root 0100 ca "$days"
issue ocsp-signer "/O=ocspcache test/CN=ocspcache test OCSP signer" intermediate 2001 signer "$days"
issue good "/O=ocspcache test/CN=good.test" intermediate 1001 leaf "$leaf_days"
issue revoked "/O=ocspcache test/CN=revoked.test" intermediate 1002 leaf "$leaf_days"
issue unknown "/O=ocspcache test/CN=unknown.test" intermediate 1003 leaf "$leaf_days"

self_signed other-ca "/O=ocspcache other/CN=ocspcache other CA" 02
issue other-signer "/O=ocspcache other/CN=ocspcache other OCSP signer" other-ca 4001 signer "$days"
issue other-leaf "/O=ocspcache other/CN=other.test" other-ca 3001 leaf "$leaf_days"

cat good.pem intermediate.pem >good-chain.pem
cat intermediate.pem root.pem >ca-chain.pem

{
  index_line V good 1001
  index_line R revoked 1002 "240101000000Z,keyCompromise"
} >index.txt
index_line V other-leaf 3001 >other-index.txt
# The responder reads these beside the index; without them it logs a warning.
echo "unique_subject = no" >index.txt.attr
echo "unique_subject = no" >other-index.txt.attr

rm -f ext.cnf ./*.srl
touch .complete
echo "test PKI ready in $dir"
