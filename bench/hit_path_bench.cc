// The whole cache-hit path of ocsp_handler.cc minus the socket: decode the GET
// target (or take the POST body), decode the OCSPRequest, compute the key,
// look it up, write the 200 answer into a reserved output buffer. The
// counter allocs_per_op is every malloc-family call on the benchmark thread
// (bench/alloc_counter.cc) divided by iterations: the target is 0.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "bench_fixture.h"
#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/cache/memory_store.h"
#include "ocspcache/ocsp/request.h"
#include "ocspcache/http/response_writer.h"

namespace {

using namespace ocspcache;

struct HitSetup {
  std::vector<uint8_t> der = bench::make_request_der(0x1234567890ull);
  std::string target = "/ocsp" + bench::make_get_target(der);
  MemoryStore memory{size_t{64} << 20};
  // Looked up through the Store interface, as the handler does (a virtual call).
  Store& cache = memory;
  HitSetup() {
    auto decoded = ocsp::decode_request(der);
    cache.insert_if_newer(bench::make_entry(ocsp::make_cache_key(*decoded), 900));
  }
};

HitSetup& setup() {
  static HitSetup s;
  return s;
}

thread_local std::array<uint8_t, ocsp::kMaxRequestDer> t_der;

// Returns false on anything but a hit.
bool hit_once(HitSetup& s, bool get, std::vector<char>& out, const ReplyContext& ctx) {
  std::span<const uint8_t> der = s.der;
  if (get) {
    auto n = ocsp::decode_get_target(s.target, t_der);
    if (!n.ok()) return false;
    der = std::span<const uint8_t>(t_der.data(), *n);
  }
  auto decoded = ocsp::decode_request(der);
  if (!decoded.ok()) return false;
  const ocsp::CacheKey key = ocsp::make_cache_key(*decoded);
  EntryPtr e = s.cache.lookup(key, ctx.now);
  if (!e) return false;
  out.clear();
  append_ocsp_hit(out, *e, ctx);
  return true;
}

void BM_HitPath(benchmark::State& state) {
  HitSetup& s = setup();
  const bool get = state.range(0) == 0;
  std::vector<char> out;
  out.reserve(4096);
  ReplyContext ctx;
  ctx.now = static_cast<int64_t>(std::time(nullptr));
  if (!hit_once(s, get, out, ctx)) {  // warms the thread's digest context and date
    state.SkipWithError("not a hit");
    return;
  }
  const uint64_t allocs = bench::thread_allocations();
  const uint64_t news = bench::thread_operator_news();
  for (auto _ : state) {
    bool ok = hit_once(s, get, out, ctx);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["allocs_per_op"] = bench::per_iteration(bench::thread_allocations() - allocs, state);
  state.counters["news_per_op"] = bench::per_iteration(bench::thread_operator_news() - news, state);
  state.counters["reply_bytes"] = benchmark::Counter(static_cast<double>(out.size()),
                                                     benchmark::Counter::kAvgThreads);
  state.SetLabel(get ? "GET" : "POST");
}
BENCHMARK(BM_HitPath)->Arg(0)->Arg(1)->Threads(1)->Threads(2)->UseRealTime();

// A conditional GET that ends in 304: the hit path with the validator check
// the handler makes (not_modified) and the 304 writer instead of the 200.
void BM_NotModifiedPath(benchmark::State& state) {
  HitSetup& s = setup();
  const bool by_etag = state.range(0) == 0;
  std::vector<char> out;
  out.reserve(4096);
  ReplyContext ctx;
  ctx.now = static_cast<int64_t>(std::time(nullptr));
  const auto key = ocsp::make_cache_key(*ocsp::decode_request(s.der));
  EntryPtr e = s.cache.lookup(key, ctx.now);
  if (!e) {
    state.SkipWithError("not a hit");
    return;
  }
  char tag[32];
  std::snprintf(tag, sizeof tag, "\"%016llx\"", static_cast<unsigned long long>(e->etag()));
  const std::string inm = by_etag ? tag : "";
  const std::string ims = by_etag ? "" : "Fri, 31 Dec 2100 23:59:59 GMT";
  e.reset();
  auto once = [&] {
    EntryPtr hit = s.cache.lookup(key, ctx.now);
    if (!hit || !not_modified(inm, ims, *hit)) return false;
    out.clear();
    append_not_modified(out, *hit, ctx);
    return true;
  };
  if (!once()) {
    state.SkipWithError("not a 304");
    return;
  }
  const uint64_t allocs = bench::thread_allocations();
  for (auto _ : state) {
    bool ok = once();
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["allocs_per_op"] = bench::per_iteration(bench::thread_allocations() - allocs, state);
  state.SetLabel(by_etag ? "If-None-Match" : "If-Modified-Since");
}
BENCHMARK(BM_NotModifiedPath)->Arg(0)->Arg(1);

}  // namespace
