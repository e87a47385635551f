// Cache key: canonical CertID DER + SHA-256 with the per-thread digest context.
#include <benchmark/benchmark.h>

#include "bench_fixture.h"
#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/ocsp/request.h"

namespace {

void BM_MakeCacheKey(benchmark::State& state) {
  const auto der = bench::make_request_der(0x1234567890ull);
  const auto decoded = ocspcache::ocsp::decode_request(der);
  if (!decoded.ok()) {
    state.SkipWithError("request does not decode");
    return;
  }
  ocspcache::ocsp::make_cache_key(*decoded);  // first call sets up the thread's context
  const uint64_t before = bench::thread_allocations();
  for (auto _ : state) {
    auto key = ocspcache::ocsp::make_cache_key(*decoded);
    benchmark::DoNotOptimize(key);
  }
  state.counters["allocs_per_op"] = bench::per_iteration(bench::thread_allocations() - before, state);
}
BENCHMARK(BM_MakeCacheKey)->Threads(1)->Threads(2);

}  // namespace
