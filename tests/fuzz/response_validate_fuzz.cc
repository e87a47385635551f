// Fuzzes response validation. An input packs everything validate_response
// depends on, so the fuzzer can mutate each part and a seed replays the
// same way whatever the wall clock says (make_seeds.sh writes them):
//   u8 flags (bit 0: check signatures against the issuer)
//   i64 now (big-endian unix seconds)
//   u16 length + OCSPRequest DER
//   u16 length + issuer certificate DER
//   the OCSPResponse DER (rest of the input)
#include <openssl/x509.h>

#include <cstdio>
#include <cstdlib>
#include <optional>

#include "ocspcache/ocsp/issuer.h"
#include "ocspcache/ocsp/response.h"

namespace {

struct Input {
  std::span<const uint8_t> rest;
  bool take(size_t n, std::span<const uint8_t>& out) {
    if (rest.size() < n) return false;
    out = rest.first(n);
    rest = rest.subspan(n);
    return true;
  }
  bool take_u(size_t bytes, uint64_t& v) {
    std::span<const uint8_t> b;
    if (!take(bytes, b)) return false;
    v = 0;
    for (uint8_t x : b) v = (v << 8) | x;
    return true;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ocspcache;
  using namespace ocspcache::ocsp;
  Input in{{data, size}};
  uint64_t flags = 0, now = 0, req_len = 0, issuer_len = 0;
  std::span<const uint8_t> req_der, issuer_der;
  if (!in.take_u(1, flags) || !in.take_u(8, now) || !in.take_u(2, req_len) ||
      !in.take(req_len, req_der) || !in.take_u(2, issuer_len) || !in.take(issuer_len, issuer_der))
    return 0;
  auto req = decode_request(req_der);
  if (!req.ok()) return 0;

  std::optional<Issuer> issuer;
  if (flags & 1) {
    const unsigned char* p = issuer_der.data();
    X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(issuer_der.size())));
    if (!cert) return 0;
    issuer.emplace("fuzz", std::move(cert), std::vector<HttpUrl>{});
  }
  auto r =
      validate_response(in.rest, *req, issuer ? &*issuer : nullptr, static_cast<int64_t>(now), 300);
  if (std::getenv("FUZZ_VERBOSE") != nullptr) {  // to see what a seed exercises
    std::fprintf(stderr, "%s %s\n",
                 r.ok() ? "valid" : std::string(to_string(r.error().error)).c_str(),
                 r.ok() ? "" : r.error().detail.c_str());
  }
  if (r.ok()) {
    // A validated response answers every CertID and is fresh at `now`.
    if (r->singles.size() != req->count) std::abort();
    if (r->next_update <= static_cast<int64_t>(now)) std::abort();
  }
  return 0;
}
