// The snapshot's counters (cache.snapshot, snapshot.h), apart from the
// format and the restore so that the metrics read them without the OCSP
// headers those need.
#pragma once

#include <atomic>
#include <cstdint>

namespace ocspcache {

// What /metrics says of the snapshot (ocspcache_snapshot_*): set on the
// control thread, at start and at each write; read by scrapes.
struct SnapshotStats {
  std::atomic<uint64_t> writes_ok{0};
  std::atomic<uint64_t> writes_failed{0};
  std::atomic<int64_t> last_success_unix{0};  // 0 until this process has written one
  // What the restore at start did (all 0 after a cold start).
  std::atomic<uint64_t> loaded{0};
  std::atomic<uint64_t> expired{0};
  std::atomic<uint64_t> invalid{0};
  std::atomic<uint64_t> refused{0};
};

}  // namespace ocspcache
