// The OCSP status of every certificate the service knows, for the
// ssl_ocsp_response_* series (ssl_exporter's names and values) and /status.
//
// Fed on the rare path only: the Fetcher reports each upstream outcome per
// CertID (answered / one responder failed / all failed). The hot path only
// stores the second it was asked into the cache entry (CachedResponse::
// mark_asked); the tracker reads those seconds when it prunes (at most
// every few seconds, and at each scrape).
//
// One record per certificate = (issuer name, serial): a client asking with a
// SHA-1 CertID and another with a SHA-256 one share the record, because two
// records would be two samples with the same labels, which Prometheus
// rejects. Only exported certificates have a record (at most max_series,
// plus pinned ones): issue 5 allows < 256 bytes per cache entry beyond the
// DER, so nothing is kept per certificate outside that set. A record holds
// the cache entries answering it (one per CertID form), so their "last
// asked" seconds are its own. A certificate dropped (idle or over the cap)
// is forgotten; if it is answered from the cache again, a revival scan at
// the next scrape finds its entry (asked, held by no record), reads who it
// is from the DER and brings it back (set_revival).
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ocspcache/cache/cached_response.h"
#include "ocspcache/ocsp/response.h"
#include "ocspcache/ocsp/response_identify.h"

namespace ocspcache {

class MemoryCache;

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
  // Immutable and shared, so copying a row under the lock costs an atomic
  // increment instead of two string allocations (10k rows per scrape).
  struct Labels {
    std::string issuer;
    std::string serial;
  };

  struct Row {
    std::shared_ptr<const Labels> labels;
    const std::string& issuer() const { return labels->issuer; }
    const std::string& serial() const { return labels->serial; }
    TrackedStatus status = TrackedStatus::kUnavailable;
    bool has_answer = false;  // a validated answer was seen: the times below are set
    ocsp::CertStatus answer_status = ocsp::CertStatus::kUnknown;
    int64_t this_update = 0, next_update = 0, produced_at = 0, revoked_at = 0;
    int64_t last_asked = 0;
    std::string last_error;  // "" when none yet
    int64_t last_error_at = 0;
    bool pinned = false;
  };

  // Who the certificates answered by a cache entry are (response_identify.h);
  // injected so tests can count calls and the daemon can follow reloads.
  using Identify = std::function<std::vector<ocsp::IdentifiedSingle>(const CachedResponse&)>;

  // Most entries identified per revival scan, most recently asked first: a
  // scrape then costs at most this many DER parses (~20 us each) beyond one
  // walk of the cache, however many certificates the cache holds.
  static constexpr size_t kMaxRevivalsPerScan = 256;

  explicit CertTracker(Options options = {});  // out of line: Record is incomplete here
  ~CertTracker();
  CertTracker(const CertTracker&) = delete;
  CertTracker& operator=(const CertTracker&) = delete;

  void configure(Options options);  // start-up and SIGHUP; a lower cap applies at the next prune

  // Enables revival: certificates dropped from the exported set come back
  // when `cache` answers them again. Without it (tests, tools) a dropped
  // certificate returns only with its next upstream answer. `cache` must
  // outlive the tracker's snapshots.
  void set_revival(MemoryCache* cache, Identify identify);

  // A validated answer for one certificate, served from `entry` (null: not
  // cached, e.g. in tests). The record holds the entry, so hits on it count
  // as "asked" for this certificate.
  void answered(std::string_view issuer, std::string_view serial, const ocsp::SingleStatus& single,
                int64_t produced_at, int64_t now, const EntryPtr& entry = nullptr);

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

  // Revives what the cache answered since the last scan (set_revival),
  // prunes, then copies every exported record that has a status, sorted by
  // (issuer, serial). Never more than max_series rows, pinned ones aside.
  std::vector<Row> snapshot(int64_t now);

  Options options() const;
  uint64_t dropped() const;  // ocspcache_cert_series_dropped_total
  // Records held (with or without a status): the exported set, plus at most
  // max_series/8 + 64 newcomers between prunes (exact after a snapshot).
  size_t tracked() const;

 private:
  struct Record;
  class Held;
  using RecordPtr = std::unique_ptr<Record>;
  using ActiveMap = absl::flat_hash_map<std::string, RecordPtr>;

  static std::string identity(std::string_view issuer, std::string_view serial);
  static void hold(const CachedResponse& e);
  static void let_go(const CachedResponse& e);
  Record* find(const std::string& id);
  // A new record in active_; the caller trims (trim_if_grown) once done with it.
  Record& add(std::string id, std::string_view issuer, std::string_view serial);
  static void attach(Record& rec, const EntryPtr& entry);
  static int64_t last_asked(const Record& rec);
  void maybe_prune(int64_t now, bool force);
  // Down to max_series by the keep-first policy, in one pass; also sets the
  // revival floors and the size at which the next trim is due.
  void trim(int64_t now);
  void trim_if_grown(int64_t now) {
    if (active_.size() > trim_at_) trim(now);
  }
  void revive(int64_t now);

  mutable std::mutex mu_;
  Options options_;
  ActiveMap active_;
  uint64_t next_seq_ = 0;  // admission order: older records win ties
  // active_ may exceed max_series between prunes by a bounded slack, so a
  // newcomer costs O(1) and a trim's O(n) pass is paid once per many.
  size_t trim_at_ = 0;
  uint64_t dropped_ = 0;
  int64_t last_prune_ = 0;
  // A revival candidate must be asked more recently than these (per its
  // first status) to beat the record it would displace; set by each prune.
  int64_t revive_floor_good_ = 0, revive_floor_not_good_ = 0;
  // Revival: read under mu_, used without it (the cache's locks are never
  // taken while mu_ is held).
  MemoryCache* cache_ = nullptr;
  std::shared_ptr<const Identify> identify_;
  int64_t last_scan_ = 0;
};

}  // namespace ocspcache
