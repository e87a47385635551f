// Sticky revocation (issue 10): once a CertID was answered revoked for good
// (any reason but certificateHold, or no reason), no answer for it with an
// older thisUpdate is cached or served again, even after the revoked entry
// left the store. A responder that serves a stale pre-revocation copy (a CDN
// in front of it, a replayed response, a badly synchronised replica) would
// otherwise turn a revoked certificate good again until that copy's
// nextUpdate.
//
// The store forgets (eviction, expiry, reload); this ledger does not: one
// compact record per revoked CertID, keyed by ocsp::cert_id_key (SHA-256 of
// the canonical CertID), holding the revoked answer's thisUpdate and the
// revocationTime. The cache writer (cache_writer.h) consults it for every
// answer before anything is stored or announced.
//
// Bounded by cache.max_revocations: when full, the records with the oldest
// thisUpdate are dropped (1/64 of the bound at a time, so the sweep is paid
// once per many inserts) and counted. Old revocations go first because the
// certificates behind them are the likeliest to have expired, after which
// nobody asks about them.
//
// Thread-safe (one mutex: commits are misses, never the hit path).
// Persistence: walk/restore, or serialize/load in a fixed 48-byte record
// format, for the snapshot and Redis work of issue 11.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "ocspcache/cache/entry_events.h"
#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/util/function_ref.h"

namespace ocspcache {

struct RevocationRecord {
  ocsp::CacheKey cert_id;  // ocsp::cert_id_key of the revoked CertID
  int64_t this_update = 0;  // of the newest revoked answer seen: older answers are refused
  int64_t revoked_at = 0;   // revocationTime (for logs and the snapshot)
  bool operator==(const RevocationRecord&) const = default;
};

struct RevocationStats {
  size_t records = 0;
  size_t max_records = 0;
  uint64_t refused = 0;  // answers refused as older than a recorded revocation
  uint64_t dropped = 0;  // records dropped to stay within max_records
};

class RevocationLedger {
 public:
  static constexpr size_t kDefaultMax = 100'000;
  // serialize(): per record, the 32-byte CertID digest, then thisUpdate and
  // revocationTime as 64-bit big-endian two's complement.
  static constexpr size_t kRecordBytes = 48;

  explicit RevocationLedger(size_t max_records = kDefaultMax);

  // SIGHUP (cache.max_revocations). Shrinking drops the oldest records now.
  void set_max_records(size_t max_records);

  // One answer, atomically: when a CertID of `certs` has a record newer
  // than the answer's thisUpdate for it, the answer is refused (counted)
  // and the index of that CertID returned, with nothing recorded; otherwise
  // each CertID answered revoked for good is recorded (or its record moved
  // forward) and nullopt returned.
  struct Refusal {
    size_t index;            // into certs
    RevocationRecord record;  // what it is older than
  };
  std::optional<Refusal> admit(std::span<const AnsweredCert> certs);

  std::optional<RevocationRecord> find(const ocsp::CacheKey& cert_id) const;

  // Persistence. walk holds the lock: `fn` must not call back in. restore
  // merges (the newer thisUpdate wins) within the same bound as admit.
  void walk(FunctionRef<void(const RevocationRecord&)> fn) const;
  void restore(const RevocationRecord& record);
  std::vector<uint8_t> serialize() const;
  // Restores every record of `bytes` (as serialize wrote them); false, with
  // nothing restored, when its length is not a multiple of kRecordBytes.
  bool load(std::span<const uint8_t> bytes);

  RevocationStats stats() const;

 private:
  struct Value {
    int64_t this_update;
    int64_t revoked_at;
  };
  void record_locked(const RevocationRecord& r);
  void drop_oldest_locked(size_t target);

  mutable std::mutex mu_;
  absl::flat_hash_map<ocsp::CacheKey, Value, ocsp::CacheKeyHash> records_;
  size_t max_records_;
  uint64_t refused_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace ocspcache
