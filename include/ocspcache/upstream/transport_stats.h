// What the upstream transport has open and has done, per origin
// ("http://host:port", "https://host:port"), for the metrics layer to read
// at scrape time from another thread without touching the upstream loop.
//
// The client's loop updates plain atomics through a stable Origin
// reference; the mutex guards only the map, taken when an origin is first
// seen (once per responder) and by a scrape's snapshot(). Several clients
// (one per loop) may share one TransportStats: their counts add up.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ocspcache {

class TransportStats {
 public:
  struct Origin {
    std::atomic<int64_t> idle{0};          // open, waiting in the pool
    std::atomic<int64_t> busy{0};          // open (or opening), carrying an exchange
    std::atomic<uint64_t> opened{0};       // connections ever started
    std::atomic<uint64_t> dns_lookups{0};  // name lookups sent (cache misses)
  };

  struct Row {
    std::string origin;
    int64_t idle = 0;
    int64_t busy = 0;
    uint64_t opened = 0;
    uint64_t dns_lookups = 0;
  };

  // The counters of ORIGIN, created at zero on first use. The reference
  // stays valid as long as this object.
  Origin& origin(std::string_view key);

  // A copy of every origin's counters, sorted by origin.
  std::vector<Row> snapshot() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Origin>, std::less<>> origins_;
};

}  // namespace ocspcache
