// Fuzzes GET target decoding: percent-escapes, base64 and the suffix search
// over arbitrary bytes. Whatever it returns must be a request that
// decode_request accepts, written inside the buffer it was given.
#include <cstdlib>
#include <string_view>
#include <vector>

#include "ocspcache/ocsp/request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ocspcache::ocsp;
  const std::string_view target(reinterpret_cast<const char*>(data), size);
  // Small buffer first: the size limit path must hold too.
  for (size_t cap : {size_t{64}, kMaxRequestDer}) {
    std::vector<uint8_t> out(cap);
    auto r = decode_get_target(target, out);
    if (!r.ok()) continue;
    if (*r == 0 || *r > cap) std::abort();
    if (!decode_request(std::span(out).first(*r)).ok()) std::abort();
  }
  return 0;
}
