// The OCSP status of every certificate the service knows, for the
// ssl_ocsp_response_* series (ssl_exporter's names and values) and /status.
//
// A listener of the cache writer (entry_events.h): each stored answer tells
// it which certificates (issuer, serial) have which validated status, under
// which cache key. Upstream failures come from the miss path (answered /
// one responder failed / all failed). The hot path tells it nothing: a hit
// only stores the second it was served into the entry (the store's
// "last asked"), and the tracker reads those seconds from the store by key
// when it prunes (at most every few seconds, and at each scrape).
//
// One record per certificate = (issuer name, serial): a client asking with a
// SHA-1 CertID and another with a SHA-256 one share the record, because two
// records would be two samples with the same labels, which Prometheus
// rejects. Only exported certificates have a record (at most max_series,
// plus pinned ones): issue 5 allows < 256 bytes per cache entry beyond the
// DER, so nothing is kept per certificate outside that set. A record holds
// the cache keys answering it (one per CertID form), never entries: an
// evicted entry is freed at once. A certificate dropped (idle or over the
// cap) is forgotten; if it is answered from the cache again, a revival scan
// at the next scrape finds its entry (asked, under a key no record holds),
// reads who it answers back from the validated SingleResponses of its DER
// and brings it back (watch()).
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
#include "ocspcache/cache/entry_events.h"
#include "ocspcache/cache/store.h"
#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/ocsp/response.h"
#include "ocspcache/ocsp/response_identify.h"

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
  // stapling.min_remaining: an inventory (pinned) certificate whose answer
  // cannot be renewed says 2 once less than this is left of it, since the
  // staple files stop following there (HAProxy treats the last 5 minutes
  // as expired), not only at its nextUpdate.
  int64_t pinned_margin_seconds = 0;
};

class CertTracker final : public EntryListener {
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
    bool non_issued = false;  // "revoked" meaning never issued (RFC 6960 §2.2): status kUnknown
    // The last answer revokes a certificate that exists (revoked_at is a real time).
    bool revoked() const { return answer_status == ocsp::CertStatus::kRevoked && !non_issued; }
    int64_t last_asked = 0;
    std::string last_error;  // "" when none yet
    int64_t last_error_at = 0;
    bool pinned = false;
  };

  // Who the certificates answered by a cache entry are (identify_response);
  // injected so tests can count calls and the app can follow reloads.
  using Identify = std::function<std::vector<ocsp::IdentifiedSingle>(const CachedResponse&)>;

  // Most entries identified per revival scan, most recently asked first: a
  // scrape then costs at most this many DER parses beyond one walk of the
  // cache, however many certificates the cache holds.
  static constexpr size_t kMaxRevivalsPerScan = 256;
  // CertID forms (cache keys) one record follows. One certificate is
  // normally asked with one or two hash algorithms; multi-CertID requests
  // add more keys.
  static constexpr size_t kMaxKeysPerRecord = 8;

  explicit CertTracker(Options options = {});  // out of line: Record is incomplete here
  ~CertTracker() override;
  CertTracker(const CertTracker&) = delete;
  CertTracker& operator=(const CertTracker&) = delete;

  void configure(Options options);  // start-up and SIGHUP; a lower cap applies at the next prune

  // Start-up: hits are read from `store` (each record's keys' "last asked"
  // seconds). With `identify`, certificates dropped from the exported set
  // come back when the store answers them again (revival); without it a
  // dropped certificate returns only with its next upstream answer. Without
  // a store (tests, tools) a certificate counts as asked when answered.
  // `store` must outlive the tracker's use of it.
  void watch(const Store* store, Identify identify = nullptr);

  // The cache writer stored (or offered) an answer: each certificate in it
  // is answered under the entry's key.
  // Only a change a tracked client asked for (change.tracked) creates
  // records; others update the records there are and count the rest as
  // refused.
  void on_entry_changed(const EntryChange& change) override;

  // A validated answer for one certificate, served under cache key `key`
  // (null: not cached, e.g. in tests); hits under that key count as
  // "asked" for this certificate.
  void answered(std::string_view issuer, std::string_view serial, const ocsp::SingleStatus& single,
                int64_t produced_at, int64_t now, const ocsp::CacheKey* key = nullptr);

  // One responder failed; the status is unchanged (the next may answer).
  void upstream_error(std::string_view issuer, std::string_view serial, std::string_view error,
                      int64_t now);

  // Every responder failed. The status stays if the last answer is still
  // valid (a valid copy is cached and served); otherwise it becomes
  // kUnavailable, created as such if the certificate was never answered.
  // `error` is the last responder's failure, for /status.
  // `tracked` false (the client is outside metrics.track_clients): an
  // existing record is updated, none is created (counted as refused).
  void exhausted(std::string_view issuer, std::string_view serial, std::string_view error,
                 int64_t now, bool tracked = true);

  // Seam for the stapling inventory: a pinned certificate is never dropped
  // (neither idle nor over the cap). Creates the record without a status
  // (so no series until an answer or a failure) if it is not tracked yet.
  void set_pinned(std::string_view issuer, std::string_view serial, bool pinned, int64_t now);

  // Revives what the cache answered (watch(), at most every few seconds),
  // prunes, then copies every exported record that has a status, sorted by
  // (issuer, serial). Never more than max_series rows, pinned ones aside.
  std::vector<Row> snapshot(int64_t now);

  // Reads the hits, drops idle records and applies the cap: what answers
  // and snapshots also do, for a timer to call when neither happens.
  void prune(int64_t now);

  Options options() const;
  uint64_t dropped() const;  // ocspcache_cert_series_dropped_total
  // ocspcache_cert_series_refused_total: certificate answers and failures
  // not turned into series because no tracked client asked.
  uint64_t refused() const;
  // Records held (with or without a status): the exported set, plus at most
  // max_series/8 + 64 newcomers between prunes (exact after a snapshot).
  size_t tracked() const;

 private:
  struct Record;
  using RecordPtr = std::unique_ptr<Record>;
  using ActiveMap = absl::flat_hash_map<std::string, RecordPtr>;
  using KeyRefs = absl::flat_hash_map<ocsp::CacheKey, uint32_t, ocsp::CacheKeyHash>;

  static std::string identity(std::string_view issuer, std::string_view serial);
  Record* find(const std::string& id);
  // A new record in active_; the caller trims (trim_if_grown) once done with it.
  Record& add(std::string id, std::string_view issuer, std::string_view serial);
  void answered_locked(std::string_view issuer, std::string_view serial,
                       const ocsp::SingleStatus& single, int64_t produced_at, int64_t now,
                       const ocsp::CacheKey* key);
  void attach(Record& rec, const ocsp::CacheKey& key);
  void erase(ActiveMap::iterator it);
  void read_hits(Record& rec, int64_t now) const;
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
  KeyRefs key_refs_;       // every key some record holds, with how many hold it
  uint64_t next_seq_ = 0;  // admission order: older records win ties
  // active_ may exceed max_series between prunes by a bounded slack, so a
  // newcomer costs O(1) and a trim's O(n) pass is paid once per many.
  size_t trim_at_ = 0;
  uint64_t dropped_ = 0;
  uint64_t refused_ = 0;
  int64_t last_prune_ = 0;
  // A revival candidate must be asked more recently than these (per its
  // first status) to beat the record it would displace; set by each prune.
  int64_t revive_floor_good_ = 0, revive_floor_not_good_ = 0;
  // Read under mu_; the store's locks are taken with mu_ held only for
  // peeks (never the other way round), and walked without it.
  const Store* store_ = nullptr;
  std::shared_ptr<const Identify> identify_;
  int64_t last_scan_ = 0;
};

}  // namespace ocspcache
