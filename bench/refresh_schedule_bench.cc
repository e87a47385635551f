// Issue 12's scheduler figures: a cache of 1,000,000 answers with refresh
// times spread over an hour. What a control-loop tick costs when nothing
// is due (the refresher ticks 4 times a second), what one simulated second
// of refreshing at that pace costs (about 278 due answers popped and set
// again an hour later), a reschedule, and the memory per scheduled answer
// (malloc's bytes in use before and after filling the schedule).
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <random>

#include "bench_fixture.h"
#include "ocspcache/refresh/refresh_schedule.h"

namespace {

using ocspcache::RefreshSchedule;

constexpr int64_t kNow = 1'800'000'000;
constexpr size_t kEntries = 1'000'000;
constexpr int64_t kSpread = 3600;

struct Filled {
  RefreshSchedule schedule;
  std::vector<ocspcache::ocsp::CacheKey> keys;
  double bytes_per_entry = 0;
  Filled() {
    keys.reserve(kEntries);
    for (size_t i = 0; i < kEntries; ++i) keys.push_back(bench::key_for(0x200000 + i));
    // Large blocks (the heap's vector, the map's table) are mmapped:
    // hblkhd counts those, uordblks the rest.
    const auto in_use = [] {
      const struct mallinfo2 m = mallinfo2();
      return m.uordblks + m.hblkhd;
    };
    const size_t before = in_use();
    std::mt19937_64 rng(7);
    for (const auto& k : keys) schedule.set(k, kNow + 1 + static_cast<int64_t>(rng() % kSpread));
    bytes_per_entry = static_cast<double>(in_use() - before) / kEntries;
  }
};

Filled& filled() {
  static Filled f;
  return f;
}

void BM_RefreshTickNothingDue(benchmark::State& state) {
  Filled& f = filled();
  for (auto _ : state) {
    auto due = f.schedule.pop_due(kNow, 64);
    benchmark::DoNotOptimize(due);
    benchmark::DoNotOptimize(f.schedule.earliest());
  }
  state.counters["entries"] = static_cast<double>(f.schedule.size());
  state.counters["bytes_per_entry"] = f.bytes_per_entry;
}
BENCHMARK(BM_RefreshTickNothingDue);

// One second of the schedule at the CA's pace: what comes due is popped and
// set again an hour on (as a refreshed answer is). Per iteration = one
// simulated second; the schedule keeps its size.
void BM_RefreshOneSecondAtPace(benchmark::State& state) {
  RefreshSchedule schedule;
  std::mt19937_64 rng(11);
  for (size_t i = 0; i < kEntries; ++i) {
    schedule.set(bench::key_for(0x400000 + i), kNow + 1 + static_cast<int64_t>(rng() % kSpread));
  }
  int64_t now = kNow;
  size_t refreshed = 0;
  for (auto _ : state) {
    ++now;
    for (;;) {
      auto due = schedule.pop_due(now, 64);
      if (due.empty()) break;
      for (const auto& d : due) schedule.set(d.key, now + kSpread);
      refreshed += due.size();
    }
  }
  state.counters["due_per_second"] =
      benchmark::Counter(static_cast<double>(refreshed) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_RefreshOneSecondAtPace)->Iterations(3600);

void BM_RefreshReschedule(benchmark::State& state) {
  Filled& f = filled();
  std::mt19937_64 rng(3);
  int64_t later = kNow + kSpread;
  for (auto _ : state) {
    f.schedule.set(f.keys[rng() % kEntries], ++later);
  }
}
BENCHMARK(BM_RefreshReschedule);

}  // namespace
