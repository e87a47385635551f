// MemoryStore::lookup hits: one hot key (what a single-URL wrk run does: every
// worker on the same shard lock and the same shared_ptr control block), and
// uniform over many keys (locks and refcounts spread over 64 shards).
#include <benchmark/benchmark.h>

#include <ctime>
#include <random>
#include <vector>

#include "bench_fixture.h"
#include "ocspcache/cache/memory_store.h"

namespace {

using ocspcache::MemoryStore;
using ocspcache::ocsp::CacheKey;

struct Filled {
  MemoryStore cache{size_t{4} << 30};
  std::vector<CacheKey> keys;
  explicit Filled(size_t n) {
    keys.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      keys.push_back(bench::key_for(0x100000 + i));
      cache.insert_if_newer(bench::make_entry(keys.back(), n == 1 ? 900 : 64));
    }
  }
};

Filled& filled(size_t n) {
  // One cache per size, built on first use (thread-safe static init).
  static Filled one(1);
  static Filled many(100000);
  return n == 1 ? one : many;
}

void BM_CacheLookupHit(benchmark::State& state) {
  Filled& f = filled(static_cast<size_t>(state.range(0)));
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  std::mt19937_64 rng(static_cast<uint64_t>(state.thread_index()) + 1);
  // Pre-drawn key order so the loop measures the cache, not the RNG.
  std::vector<uint32_t> order(4096);
  for (auto& o : order) o = static_cast<uint32_t>(rng() % f.keys.size());
  size_t i = 0;
  const uint64_t before = bench::thread_allocations();
  for (auto _ : state) {
    auto e = f.cache.lookup(f.keys[order[i++ & 4095]], now);
    benchmark::DoNotOptimize(e);
  }
  state.counters["allocs_per_op"] = bench::per_iteration(bench::thread_allocations() - before, state);
  state.SetLabel(state.range(0) == 1 ? "one hot key" : "uniform over 100k keys");
}
BENCHMARK(BM_CacheLookupHit)->Arg(1)->Arg(100000)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
