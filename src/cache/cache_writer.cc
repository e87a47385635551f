#include "ocspcache/cache/cache_writer.h"

namespace ocspcache {

EntryPtr CacheWriter::commit(const ocsp::CacheKey& key, std::span<const uint8_t> der,
                             const ocsp::ValidatedResponse& answer,
                             std::span<const AnsweredCert> certs, int64_t now) {
  EntryPtr entry = CachedResponse::make(key, der, answer);
  if (!entry) return nullptr;
  const bool stored = store_.insert_if_newer(entry);
  // The event before choosing what to serve: listeners hear of every
  // validated answer, even one the store kept a newer copy over.
  const EntryChange change{*entry, stored, certs, now};
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
