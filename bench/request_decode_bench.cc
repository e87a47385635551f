// Request decoding: POST body DER and RFC 5019 GET targets.
#include <benchmark/benchmark.h>

#include <array>

#include "bench_fixture.h"
#include "ocspcache/ocsp/request.h"

namespace {

using ocspcache::ocsp::decode_get_target;
using ocspcache::ocsp::decode_request;

void set_allocs(benchmark::State& state, uint64_t before) {
  state.counters["allocs_per_op"] = bench::per_iteration(bench::thread_allocations() - before, state);
}

void BM_DecodeRequestPost(benchmark::State& state) {
  const auto der = bench::make_request_der(0x1234567890ull, state.range(0) != 0);
  const uint64_t before = bench::thread_allocations();
  for (auto _ : state) {
    auto r = decode_request(der);
    benchmark::DoNotOptimize(r);
  }
  set_allocs(state, before);
  state.SetLabel(state.range(0) ? "with nonce" : "no nonce");
}
BENCHMARK(BM_DecodeRequestPost)->Arg(0)->Arg(1);

void BM_DecodeGetTarget(benchmark::State& state) {
  const auto der = bench::make_request_der(0x1234567890ull);
  const std::string target = "/ocsp" + bench::make_get_target(der);
  std::array<uint8_t, ocspcache::ocsp::kMaxRequestDer> out{};
  const uint64_t before = bench::thread_allocations();
  for (auto _ : state) {
    auto n = decode_get_target(target, out);
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(out.data());
  }
  set_allocs(state, before);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * target.size()));
}
BENCHMARK(BM_DecodeGetTarget);

}  // namespace
