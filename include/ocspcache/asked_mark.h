// "This certificate was asked about at T", written by the hot path without a
// lock, read by the CertTracker when it decides which series are still
// recent (DESIGN.md: one series per proxied certificate asked about recently).
//
// Why a shared atomic and not a call into the tracker: a cache hit may not
// lock, allocate or make a system call. The tracker creates one mark per
// certificate and every cache entry answering that certificate holds it (a
// shared_ptr made when the entry is built, on the rare upstream path), so a
// hit costs one relaxed load of a line that is almost always only read, and
// at most one relaxed store per certificate per second (time is whole
// seconds), which keeps the line from bouncing between worker cores.
#pragma once

#include <atomic>
#include <cstdint>

namespace ocspcache {

struct AskedMark {
  void touch(int64_t now) const {
    if (at_.load(std::memory_order_relaxed) < now) at_.store(now, std::memory_order_relaxed);
  }
  int64_t last() const { return at_.load(std::memory_order_relaxed); }

 private:
  // Two workers may race and store slightly different seconds; a second
  // more or less of "last asked" does not matter, so no CAS loop.
  mutable std::atomic<int64_t> at_{0};
};

}  // namespace ocspcache
