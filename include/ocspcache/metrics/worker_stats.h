// Hot-path counters, one block per worker thread.
//
// Only the owning worker writes its block (plain load+store, no locked
// instruction, no shared cache line); the control thread (admin) reads all blocks
// at scrape time and sums them. prometheus-cpp's own Counter is an atomic
// double updated with a CAS loop, which measurably costs on every request
// when two workers share it, so it is kept for the rare paths only.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace ocspcache {

// Why a new connection was closed at once (ocspcache_connections_rejected_total{reason}).
enum class RejectReason : uint8_t { kMaxConnections = 0, kPerClient = 1, kDraining = 2 };
constexpr size_t kRejectReasons = 3;
const char* to_label(RejectReason r);

enum class ReqMethod : uint8_t { kGet = 0, kPost = 1, kOther = 2 };
enum class ReqResult : uint8_t { kHit = 0, kMiss = 1, kStale = 2, kError = 3 };
constexpr size_t kReqMethods = 3;
constexpr size_t kReqResults = 4;
const char* to_label(ReqMethod m);
const char* to_label(ReqResult r);

// Upper bounds in seconds: 50µs .. 5s, as the issue asks.
inline constexpr std::array<double, 16> kLatencyBuckets = {
    50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3,
    25e-3, 50e-3,  100e-3, 250e-3, 500e-3, 1.0,  2.5,   5.0};

class alignas(64) WorkerStats {
 public:
  void count_request(ReqMethod m, ReqResult r, uint64_t duration_ns) {
    bump(requests_[static_cast<size_t>(m)][static_cast<size_t>(r)]);
    size_t i = 0;
    const double s = static_cast<double>(duration_ns) * 1e-9;
    while (i < kLatencyBuckets.size() && s > kLatencyBuckets[i]) ++i;
    bump(buckets_[i]);
    sum_ns_.store(sum_ns_.load(std::memory_order_relaxed) + duration_ns,
                  std::memory_order_relaxed);
  }
  void connection_opened() { bump(accepted_); open_.fetch_add(1, std::memory_order_relaxed); }
  void connection_closed() { open_.fetch_sub(1, std::memory_order_relaxed); }
  void connection_rejected(RejectReason why) { bump(rejected_[static_cast<size_t>(why)]); }
  void accept_paused() { bump(accept_paused_); }

  uint64_t requests(ReqMethod m, ReqResult r) const {
    return requests_[static_cast<size_t>(m)][static_cast<size_t>(r)].load(std::memory_order_relaxed);
  }
  uint64_t bucket(size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  uint64_t sum_ns() const { return sum_ns_.load(std::memory_order_relaxed); }
  uint64_t accepted() const { return accepted_.load(std::memory_order_relaxed); }
  int64_t open() const { return open_.load(std::memory_order_relaxed); }
  uint64_t rejected(RejectReason why) const {
    return rejected_[static_cast<size_t>(why)].load(std::memory_order_relaxed);
  }
  uint64_t accept_pauses() const { return accept_paused_.load(std::memory_order_relaxed); }

 private:
  static void bump(std::atomic<uint64_t>& c) {
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  std::atomic<uint64_t> requests_[kReqMethods][kReqResults]{};
  std::atomic<uint64_t> buckets_[kLatencyBuckets.size() + 1]{};  // last = +Inf
  std::atomic<uint64_t> sum_ns_{0};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<int64_t> open_{0};  // written by the worker only, too
  std::atomic<uint64_t> rejected_[kRejectReasons]{};
  std::atomic<uint64_t> accept_paused_{0};
};

}  // namespace ocspcache
