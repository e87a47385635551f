// Shared inputs for the micro-benchmarks: a realistic OCSPRequest (one SHA-1
// CertID, as nginx and OpenSSL send), its RFC 5019 GET target, and a cache
// entry of a realistic size. Built once through the OpenSSL API.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/cache/cached_response.h"

namespace bench {

// DER of an OCSPRequest for `serial` (one CertID, SHA-1, no nonce unless asked).
std::vector<uint8_t> make_request_der(uint64_t serial, bool nonce = false);

// "/" + URL-encoded base64 of `der` (%2B %2F %3D), as nginx sends it.
std::string make_get_target(const std::vector<uint8_t>& der);

// A cache entry with `der_size` bytes of DER, valid for a day from now.
ocspcache::EntryPtr make_entry(const ocspcache::ocsp::CacheKey& key, size_t der_size);

// The cache key of the request for `serial`.
ocspcache::ocsp::CacheKey key_for(uint64_t serial);

// Allocation counters of the calling thread (bench/alloc_counter.cc):
// every malloc-family call (operator new included) since the thread began.
uint64_t thread_allocations();
uint64_t thread_operator_news();

// `count` (e.g. the growth of thread_allocations() over the timed loop) per
// iteration, averaged over the benchmark's threads: the allocs_per_op shape.
inline benchmark::Counter per_iteration(uint64_t count, const benchmark::State& state) {
  return benchmark::Counter(static_cast<double>(count) / static_cast<double>(state.iterations()),
                            benchmark::Counter::kAvgThreads);
}

}  // namespace bench
