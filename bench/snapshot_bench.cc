// cache.snapshot (issue 11): what a warm start costs per entry before the
// listeners open (each entry re-validated like a responder's answer, then
// committed), and what one periodic write costs the control thread (the
// store walked for references, the entries streamed to a temp file,
// fsynced and renamed).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench_fixture.h"
#include "ocspcache/cache/memory_store.h"
#include "ocspcache/cache/snapshot.h"
#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/ocsp/request.h"
#include "test_pki.h"

namespace {

using namespace ocspcache;
using testpki::pki;

// /proc/self/status field in bytes (VmRSS, VmHWM); 0 when unreadable.
int64_t proc_bytes(const std::string& field) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(field + ":")) return std::stoll(line.substr(field.size() + 1)) * 1024;
  }
  return 0;
}

// Resets VmHWM to the current RSS (Linux >= 4.0), so that a peak can be
// measured around one operation.
void reset_peak_rss() {
  std::ofstream("/proc/self/clear_refs") << "5";
}

// One entry restored per iteration: the answer a delegated signer made
// (the common case), stored under its own key.
void BM_SnapshotRestoreEntry(benchmark::State& state) {
  const std::vector<uint8_t> request = testpki::make_request({{pki().leaf.get(), pki().ca.get()}});
  const ocsp::CacheKey key = ocsp::make_cache_key(*ocsp::decode_request(request));
  const auto der = testpki::make_response({{.leaf = pki().leaf.get(), .issuer = pki().ca.get()}},
                                          {pki().signer.get(), pki().signer_key.get(), {}, 0});
  std::vector<ocsp::Issuer> issuers;
  issuers.emplace_back("Test CA", testpki::up_ref(pki().ca.get()), std::vector<HttpUrl>{});
  const ocsp::IssuerRegistry registry(std::move(issuers));
  MemoryStore store(1 << 20);
  CacheWriter writer(store);
  const SnapshotContents contents{.entries = {{key, der}}};
  const int64_t now = testpki::now();
  for (auto _ : state) {
    const RestoreReport r = restore_snapshot(contents, writer, registry, now, 300);
    if (r.loaded != 1) {
      state.SkipWithError(("not restored: " + r.first_problem).c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SnapshotRestoreEntry)->Unit(benchmark::kMicrosecond);

// One whole write of N entries of 1,500 bytes (a typical delegated-signer
// answer), fsync and rename included: disk-bound, so compare runs on the
// same machine only.
void BM_SnapshotWrite(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  MemoryStore store(size_t{4} << 30);
  for (size_t i = 0; i < n; ++i) store.insert_if_newer(bench::make_entry(bench::key_for(i), 1500));
  RevocationLedger ledger;
  std::string dir = (std::filesystem::temp_directory_path() / "ocspcache-bench-XXXXXX").string();
  if (!mkdtemp(dir.data())) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  const std::string path = dir + "/cache.snap";
  const int64_t now = testpki::now();
  uint64_t bytes = 0;
  int64_t peak_growth = 0;
  for (auto _ : state) {
    state.PauseTiming();
    reset_peak_rss();
    const int64_t rss = proc_bytes("VmRSS");
    state.ResumeTiming();
    {
      const SnapshotImage image = take_snapshot(store, ledger, now);
      std::string error;
      if (!write_snapshot_file(path, image, &error)) {
        state.SkipWithError(error.c_str());
        break;
      }
      bytes += encoded_size(image);
    }
    peak_growth = std::max(peak_growth, proc_bytes("VmHWM") - rss);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  // What a write costs in memory beside the cache: the point of streaming.
  state.counters["peak_rss_growth"] = static_cast<double>(peak_growth);
  state.counters["file_bytes"] =
      static_cast<double>(bytes / std::max<uint64_t>(state.iterations(), 1));
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}
BENCHMARK(BM_SnapshotWrite)->Arg(10'000)->Unit(benchmark::kMillisecond);

}  // namespace
