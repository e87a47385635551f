// The CPU a miss spends validating the responder's answer (DESIGN.md step
// 6): most of what a miss costs ocspcache beyond the network. Two shapes, as
// CAs send them: signed by the issuer itself, and signed by a delegated
// OCSP responder whose certificate travels in the response (the common
// case, and the costlier: one more certificate to decode and authorise).
#include <benchmark/benchmark.h>

#include <vector>

#include "ocspcache/ocsp/issuer.h"
#include "ocspcache/ocsp/request.h"
#include "ocspcache/ocsp/response.h"
#include "test_pki.h"

namespace {

using namespace ocspcache;
using testpki::pki;

void BM_ValidateResponse(benchmark::State& state) {
  const bool delegated = state.range(0) == 1;
  const auto request = testpki::make_request({{pki().leaf.get(), pki().ca.get()}});
  const auto decoded = ocsp::decode_request(request);
  const testpki::SignSpec sign =
      delegated ? testpki::SignSpec{pki().signer.get(), pki().signer_key.get(), {}, 0}
                : testpki::SignSpec{pki().ca.get(), pki().ca_key.get(), {}, 0};
  const auto der = testpki::make_response({{.leaf = pki().leaf.get(), .issuer = pki().ca.get()}}, sign);
  const ocsp::Issuer issuer("Test CA", testpki::up_ref(pki().ca.get()), {});
  const int64_t now = testpki::now();
  for (auto _ : state) {
    auto v = ocsp::validate_response(der, *decoded, &issuer, now, 300);
    if (!v.ok()) {
      state.SkipWithError("the response does not validate");
      break;
    }
    benchmark::DoNotOptimize(v);
  }
  state.SetLabel(delegated ? "delegated signer" : "signed by the issuer");
}
BENCHMARK(BM_ValidateResponse)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

}  // namespace
