#include "ocspcache/cache/revocation_ledger.h"

#include <algorithm>
#include <cstring>

namespace ocspcache {
namespace {

void put_be64(uint8_t* p, int64_t v) {
  auto u = static_cast<uint64_t>(v);
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<uint8_t>(u & 0xff);
    u >>= 8;
  }
}

int64_t get_be64(const uint8_t* p) {
  uint64_t u = 0;
  for (int i = 0; i < 8; ++i) u = (u << 8) | p[i];
  return static_cast<int64_t>(u);
}

}  // namespace

RevocationLedger::RevocationLedger(size_t max_records) : max_records_(std::max<size_t>(max_records, 1)) {}

void RevocationLedger::set_max_records(size_t max_records) {
  std::lock_guard lock(mu_);
  max_records_ = std::max<size_t>(max_records, 1);
  if (records_.size() > max_records_) drop_oldest_locked(max_records_);
}

std::optional<RevocationLedger::Refusal> RevocationLedger::admit(std::span<const AnsweredCert> certs) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < certs.size(); ++i) {
    auto it = records_.find(certs[i].cert_id);
    if (it != records_.end() && certs[i].single.this_update < it->second.this_update) {
      ++refused_;
      return Refusal{i, {it->first, it->second.this_update, it->second.revoked_at}};
    }
  }
  for (const AnsweredCert& c : certs) {
    if (c.single.revoked_for_good()) record_locked({c.cert_id, c.single.this_update, c.single.revoked_at});
  }
  return std::nullopt;
}

std::optional<RevocationRecord> RevocationLedger::find(const ocsp::CacheKey& cert_id) const {
  std::lock_guard lock(mu_);
  auto it = records_.find(cert_id);
  if (it == records_.end()) return std::nullopt;
  return RevocationRecord{it->first, it->second.this_update, it->second.revoked_at};
}

void RevocationLedger::walk(FunctionRef<void(const RevocationRecord&)> fn) const {
  std::lock_guard lock(mu_);
  for (const auto& [key, v] : records_) fn(RevocationRecord{key, v.this_update, v.revoked_at});
}

void RevocationLedger::restore(const RevocationRecord& record) {
  std::lock_guard lock(mu_);
  record_locked(record);
}

std::vector<uint8_t> RevocationLedger::serialize() const {
  std::lock_guard lock(mu_);
  std::vector<uint8_t> out(records_.size() * kRecordBytes);
  uint8_t* p = out.data();
  for (const auto& [key, v] : records_) {
    std::memcpy(p, key.bytes.data(), key.bytes.size());
    put_be64(p + 32, v.this_update);
    put_be64(p + 40, v.revoked_at);
    p += kRecordBytes;
  }
  return out;
}

bool RevocationLedger::load(std::span<const uint8_t> bytes) {
  if (bytes.size() % kRecordBytes != 0) return false;
  std::lock_guard lock(mu_);
  for (size_t off = 0; off < bytes.size(); off += kRecordBytes) {
    RevocationRecord r;
    std::memcpy(r.cert_id.bytes.data(), bytes.data() + off, r.cert_id.bytes.size());
    r.this_update = get_be64(bytes.data() + off + 32);
    r.revoked_at = get_be64(bytes.data() + off + 40);
    record_locked(r);
  }
  return true;
}

RevocationStats RevocationLedger::stats() const {
  std::lock_guard lock(mu_);
  return {records_.size(), max_records_, refused_, dropped_};
}

void RevocationLedger::record_locked(const RevocationRecord& r) {
  auto it = records_.find(r.cert_id);
  if (it != records_.end()) {
    // Only forward: a slow responder's older revoked answer must not lower
    // the bar that a newer one set.
    if (r.this_update > it->second.this_update) it->second = {r.this_update, r.revoked_at};
    return;
  }
  if (records_.size() >= max_records_) {
    drop_oldest_locked(max_records_ - std::max<size_t>(max_records_ / 64, 1));
  }
  records_.emplace(r.cert_id, Value{r.this_update, r.revoked_at});
}

// Keeps the `target` records with the newest thisUpdate (ties broken
// arbitrarily). O(n) once per max/64 inserts when full.
void RevocationLedger::drop_oldest_locked(size_t target) {
  if (records_.size() <= target) return;
  const size_t drop = records_.size() - target;
  std::vector<int64_t> ages;
  ages.reserve(records_.size());
  for (const auto& [key, v] : records_) ages.push_back(v.this_update);
  std::nth_element(ages.begin(), ages.begin() + static_cast<std::ptrdiff_t>(drop - 1), ages.end());
  const int64_t threshold = ages[drop - 1];
  // Strictly older first, then as many at the threshold as still needed.
  size_t at_threshold = drop;
  for (size_t i = 0; i < drop; ++i) {
    if (ages[i] < threshold) --at_threshold;
  }
  absl::erase_if(records_, [&](const auto& kv) {
    if (kv.second.this_update < threshold) return true;
    if (kv.second.this_update == threshold && at_threshold > 0) {
      --at_threshold;
      return true;
    }
    return false;
  });
  dropped_ += drop;
}

}  // namespace ocspcache
