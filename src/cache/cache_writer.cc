#include "ocspcache/cache/cache_writer.h"

#include <string>

#include "ocspcache/util/log.h"
#include "ocspcache/util/log_limiter.h"

namespace ocspcache {
namespace {

// One line per CertID and log.upstream_error_interval: a responder stuck on
// a stale copy answers it to every miss.
void warn_stale(const AnsweredCert& cert, const RevocationRecord& record) {
  log::upstream_errors().warn(
      "stale_after_revocation:" + record.cert_id.hex(), "stale_after_revocation",
      "issuer=" + log::quoted(cert.issuer) + " serial=" + cert.serial +
          " status=" + std::string(ocsp::to_string(cert.single.status)) +
          " this_update=" + std::to_string(cert.single.this_update) +
          " revoked_this_update=" + std::to_string(record.this_update) +
          " revoked_at=" + std::to_string(record.revoked_at));
}

}  // namespace

EntryPtr CacheWriter::commit(const ocsp::CacheKey& key, std::span<const uint8_t> der,
                             const ocsp::ValidatedResponse& answer,
                             std::span<const AnsweredCert> certs, int64_t now, bool tracked) {
  EntryPtr entry;
  bool stored = false;
  {
    std::lock_guard lock(commit_mu_);
    // Refused before the listeners hear of it: the per-certificate status
    // must not flip to good on an answer nobody will be served.
    if (auto refusal = ledger_.admit(certs)) {
      warn_stale(certs[refusal->index], refusal->record);
      return nullptr;
    }
    entry = CachedResponse::make(key, der, answer);
    if (!entry) return nullptr;
    // What clients did with the key outlives the entry that answered them.
    if (const EntryPtr before = store_.peek(key, now)) {
      tracked = tracked || before->tracked();
      entry->mark_asked(before->last_asked());
    }
    if (tracked) entry->mark_tracked();
    stored = store_.insert_if_newer(entry);
  }
  // The event before choosing what to serve: listeners hear of every
  // validated answer, even one the store kept a newer copy over.
  const EntryChange change{*entry, stored, certs, now, tracked};
  for (EntryListener* l : listeners_) l->on_entry_changed(change);
  if (stored) return entry;
  // A slow responder's older answer: serve the newer one the store holds
  // (peek: the waiting clients were already counted as asking).
  if (EntryPtr newer = store_.peek(key, now); newer && newer->this_update() >= entry->this_update()) {
    return newer;
  }
  return entry;
}

}  // namespace ocspcache
