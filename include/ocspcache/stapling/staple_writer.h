// The staples for web servers (DESIGN.md "Stapling outputs"): for each
// inventory certificate, the cached answer written to <chain>.ocsp
// (HAProxy) and <stapling.dir>/<name>.der (nginx ssl_stapling_file), then
// stapling.after_update run once for the batch.
//
// Listens to the cache writer only to note which inventory keys got a new
// answer; the files are written by flush() on the control loop, so no
// worker or upstream thread ever waits on a disk. A file is written
// atomically (temp, fsync, rename), only with a validated answer that has
// at least stapling.min_remaining before its nextUpdate (HAProxy treats
// its last 5 minutes as expired), and only when its bytes change. An answer
// too close to its end leaves the files as they are: never truncated,
// never replaced by something worse.
//
// Threads: configure() and flush() on the control loop only;
// on_entry_changed() from any thread (workers, the upstream thread), which
// takes a lock only to look a key up and note it.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ocspcache/cache/entry_events.h"
#include "ocspcache/cache/staple_stats.h"
#include "ocspcache/cache/store.h"
#include "ocspcache/stapling/haproxy_push.h"
#include "ocspcache/stapling/inventory.h"
#include "ocspcache/util/clock.h"

namespace ocspcache {

class StapleWriter final : public EntryListener {
 public:
  struct Options {
    int64_t min_remaining_seconds = 600;  // stapling.min_remaining
    std::string after_update;             // stapling.after_update; "" = none
    int64_t command_timeout_ms = 30'000;
    std::vector<HaproxySocket> haproxy;   // stapling.haproxy_sockets
  };
  StapleWriter(const Store& store, const Clock& clock, StapleStats& stats)
      : store_(store), clock_(clock), stats_(stats) {}
  ~StapleWriter() override;
  StapleWriter(const StapleWriter&) = delete;
  StapleWriter& operator=(const StapleWriter&) = delete;

  // Start-up and SIGHUP: what to write where. Every certificate is looked
  // at by the next flush (answers restored from a snapshot, new chains).
  void configure(std::vector<StapledCert> certs, Options options);

  void on_entry_changed(const EntryChange& change) override;

  // Control loop: writes the files of inventory answers that changed, runs
  // after_update when a file changed (one at a time: a batch arriving while
  // it runs gets one more run after it), reaps or kills the command.
  void flush();

  bool command_running() const { return child_ > 0; }

 private:
  // Writes the cert's files; true when one changed (then it is pushed).
  bool write(const StapledCert& cert, std::span<const uint8_t> der, bool* changed);
  // To every HAProxy; a failed socket is tried again at a later flush.
  void push(const ocsp::CacheKey& key, std::span<const uint8_t> der, int64_t now);
  void start_command();
  void reap_command();

  const Store& store_;
  const Clock& clock_;
  StapleStats& stats_;
  using KeySet = absl::flat_hash_set<ocsp::CacheKey, ocsp::CacheKeyHash>;
  // What workers touch (on_entry_changed), under a lock held only to look
  // up or swap a set: never across a file write or a push.
  std::mutex mu_;
  std::shared_ptr<const KeySet> keys_ = std::make_shared<const KeySet>();  // the inventory's
  KeySet dirty_;
  // Control loop only (configure, flush).
  Options options_;
  absl::flat_hash_map<ocsp::CacheKey, std::vector<StapledCert>, ocsp::CacheKeyHash> by_key_;
  // Keys whose push failed somewhere, and when to try again.
  absl::flat_hash_map<ocsp::CacheKey, int64_t, ocsp::CacheKeyHash> push_retry_;
  // The command (control loop only).
  pid_t child_ = -1;
  int64_t child_deadline_ms_ = 0;
  bool rerun_ = false;
};

}  // namespace ocspcache
