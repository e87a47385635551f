// The front-end fuzz driver's issuer: a throw-away test CA (EC P-256) whose
// private key is public on purpose. It is fixed, not generated per run, so
// the OCSP requests in corpus/frontend_fuzz/ name it (issuerNameHash and
// issuerKeyHash) run after run and reach the miss and hit paths; the
// driver's fake responder signs an answer with this key for whatever
// CertIDs it is asked about. make_frontend_seeds.py reads the certificate
// from here. Made once with (valid 2000-2100, so no clock makes it stale):
//   openssl ecparam -name prime256v1 -genkey -noout -out ca.key
//   openssl req -new -key ca.key -subj "/CN=ocspcache front-end fuzz CA" -out ca.csr
//   openssl ca -batch -selfsign -keyfile ca.key -in ca.csr -startdate 20000101000000Z
//     -enddate 21000101000000Z -notext (extensions: CA:TRUE, keyCertSign, cRLSign)
#pragma once

namespace frontend_fuzz {

inline constexpr char kCaKeyPem[] = R"PEM(
-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIPjmIo/xdkfLhgxa0PUGDdjkiZKKjwoSYnEMyn83eghtoAoGCCqGSM49
AwEHoUQDQgAEmhQSfAu30A2GGM0Qtl+xk7lhGeCBjujudqt2yAU+9FNxaSlgG8Vw
ykDIDD7kC/TybmZkg/DIqb9eX9G0AfgrJg==
-----END EC PRIVATE KEY-----
)PEM";

inline constexpr char kCaCertPem[] = R"PEM(
-----BEGIN CERTIFICATE-----
MIIBfjCCASWgAwIBAgIBATAKBggqhkjOPQQDAjAmMSQwIgYDVQQDDBtvY3NwY2Fj
aGUgZnJvbnQtZW5kIGZ1enogQ0EwIBcNMDAwMTAxMDAwMDAwWhgPMjEwMDAxMDEw
MDAwMDBaMCYxJDAiBgNVBAMMG29jc3BjYWNoZSBmcm9udC1lbmQgZnV6eiBDQTBZ
MBMGByqGSM49AgEGCCqGSM49AwEHA0IABJoUEnwLt9ANhhjNELZfsZO5YRnggY7o
7nardsgFPvRTcWkpYBvFcMpAyAw+5Av08m5mZIPwyKm/Xl/RtAH4KyajQjBAMA8G
A1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEGMB0GA1UdDgQWBBTs4ZZaviGk
R1PDp7fMUTSOEj5clzAKBggqhkjOPQQDAgNHADBEAiBumgNWOPBLgIUnrhzQL46n
wNmxu2WnR4hqncmC1v94RgIgLiC5wxvLp5/SvPPHj4VftQwHde7k7f7+p5nf3afo
YLw=
-----END CERTIFICATE-----
)PEM";

}  // namespace frontend_fuzz
