// The OCSP status of every certificate the service knows, for the
// ssl_ocsp_response_* series (ssl_exporter's names and values) and /status.
//
// Fed on the rare path only: the Fetcher reports each upstream outcome per
// CertID (answered / one responder failed / all failed). The hot path only
// touches the AskedMark an entry carries (asked_mark.h); the tracker reads
// the marks when it prunes (at most every few seconds, and at each scrape).
//
// One record per certificate = (issuer name, serial): a client asking with a
// SHA-1 CertID and another with a SHA-256 one share the record, because two
// records would be two samples with the same labels, which Prometheus
// rejects. Records live in `active_` (exported, at most max_series) or, once
// dropped (idle or over the cap), in `dormant_` while a cache entry still
// holds their mark, so a certificate asked again from the cache comes back
// at the next prune instead of staying invisible until its entry expires.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ocspcache/asked_mark.h"
#include "ocspcache/ocsp_response.h"

namespace ocspcache {

// What the tracker believes about a certificate. kUnavailable is exported
// as 2 like kUnknown (DESIGN.md: "2 also when no valid response can be
// obtained"); /status tells them apart.
enum class TrackedStatus : uint8_t { kGood, kRevoked, kUnknown, kUnavailable };
std::string_view to_string(TrackedStatus s);
int metric_value(TrackedStatus s);

// Outside the class: a nested struct with member initialisers cannot be a
// default argument of its enclosing class's constructor (GCC).
struct CertTrackerOptions {
  int64_t idle_seconds = 3600;  // metrics.track_idle
  size_t max_series = 10'000;   // metrics.max_series
};

class CertTracker {
 public:
  using Options = CertTrackerOptions;

  // A copy of one record, taken under the lock and formatted without it.
  struct Row {
    std::string issuer;
    std::string serial;
    TrackedStatus status = TrackedStatus::kUnavailable;
    bool has_answer = false;  // a validated answer was seen: the times below are set
    ocsp::CertStatus answer_status = ocsp::CertStatus::kUnknown;
    int64_t this_update = 0, next_update = 0, produced_at = 0, revoked_at = 0;
    int64_t last_asked = 0;
    std::string last_error;  // "" when none yet
    int64_t last_error_at = 0;
    bool pinned = false;
  };

  explicit CertTracker(Options options = {}) : options_(options) {}
  CertTracker(const CertTracker&) = delete;
  CertTracker& operator=(const CertTracker&) = delete;

  void configure(Options options);  // start-up and SIGHUP; a lower cap applies at the next prune

  // A validated answer for one certificate. Returns the mark the cache entry
  // holding this answer must carry, so hits count as "asked".
  std::shared_ptr<const AskedMark> answered(std::string_view issuer, std::string_view serial,
                                            const ocsp::SingleStatus& single, int64_t produced_at,
                                            int64_t now);

  // One responder failed; the status is unchanged (the next may answer).
  void upstream_error(std::string_view issuer, std::string_view serial, std::string_view error,
                      int64_t now);

  // Every responder failed. The status stays if the last answer is still
  // valid (a valid copy is cached and served); otherwise it becomes
  // kUnavailable, created as such if the certificate was never answered.
  // `error` is the last responder's failure, for /status.
  void exhausted(std::string_view issuer, std::string_view serial, std::string_view error,
                 int64_t now);

  // Seam for the stapling inventory: a pinned certificate is never dropped
  // (neither idle nor over the cap). Creates the record without a status
  // (so no series until an answer or a failure) if it is not tracked yet.
  void set_pinned(std::string_view issuer, std::string_view serial, bool pinned, int64_t now);

  // Prunes, then copies every exported record that has a status, sorted by
  // (issuer, serial). The lock is held for the copy only.
  std::vector<Row> snapshot(int64_t now);

  Options options() const;
  uint64_t dropped() const;  // ocspcache_cert_series_dropped_total
  size_t tracked() const;    // records in the exported set (with or without a status)

 private:
  struct Record;
  using RecordPtr = std::shared_ptr<Record>;

  static std::string identity(std::string_view issuer, std::string_view serial);
  // The record for `id` and whether it is in active_; a dormant one is taken
  // out of dormant_ (the caller admits it or puts it back).
  std::pair<RecordPtr, bool> lookup(const std::string& id);
  using ActiveMap = absl::flat_hash_map<std::string, RecordPtr>;
  // Into active_, evicting per the cap policy; false when refused (counted).
  bool admit(const std::string& id, RecordPtr rec, int64_t now);
  ActiveMap::iterator pick_victim(bool candidate_expendable);
  void evict(ActiveMap::iterator victim, int64_t now);  // to dormant_
  void drop_to_dormant(const std::string& id, RecordPtr rec, int64_t now);
  void maybe_prune(int64_t now, bool force);

  mutable std::mutex mu_;
  Options options_;
  ActiveMap active_;
  absl::flat_hash_map<std::string, std::weak_ptr<Record>> dormant_;
  uint64_t dropped_ = 0;
  int64_t last_prune_ = 0;
};

}  // namespace ocspcache
