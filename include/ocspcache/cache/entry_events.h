// What the cache writer (cache_writer.h) tells its listeners each time it
// stores a fetched answer: the entry, and which certificates it answers
// with which validated status. The per-certificate metrics listen; refresh
// scheduling and stapling outputs are the next listeners.
//
// Listeners are called on the thread that committed the answer (a worker),
// after the store was updated and with no store lock held; they must be
// quick and thread-safe, and never call back into the writer.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "ocspcache/cache/cached_response.h"
#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/ocsp/response.h"

namespace ocspcache {

// One CertID of the answer, as validate_response checked it.
struct AnsweredCert {
  std::string issuer;  // the [[issuer]] name: the `issuer` label
  std::string serial;  // serial_hex of the asked CertID: the `serial` label
  ocsp::SingleStatus single;
  // ocsp::cert_id_key of this CertID alone: what the revocation ledger
  // (revocation_ledger.h) is keyed by, whatever request it came with.
  ocsp::CacheKey cert_id{};
};

struct EntryChange {
  const CachedResponse& entry;  // the answer offered (key(), facts, DER)
  // False when the store kept a newer answer (by thisUpdate) for this key,
  // or could not hold this one; the certificates were answered all the same.
  bool stored = false;
  std::span<const AnsweredCert> certs;  // request order
  int64_t now = 0;
  // A client in metrics.track_clients asked for it (entry.tracked()): only
  // then may the answer create per-certificate series.
  bool tracked = true;
};

class EntryListener {
 public:
  virtual ~EntryListener() = default;
  virtual void on_entry_changed(const EntryChange& change) = 0;
};

}  // namespace ocspcache
