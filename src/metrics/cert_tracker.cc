#include "ocspcache/cert_tracker.h"

#include <algorithm>

namespace ocspcache {

std::string_view to_string(TrackedStatus s) {
  switch (s) {
    case TrackedStatus::kGood:
      return "good";
    case TrackedStatus::kRevoked:
      return "revoked";
    case TrackedStatus::kUnknown:
      return "unknown";
    case TrackedStatus::kUnavailable:
      return "unavailable";
  }
  return "unavailable";
}

int metric_value(TrackedStatus s) {
  switch (s) {
    case TrackedStatus::kGood:
      return 0;
    case TrackedStatus::kRevoked:
      return 1;
    case TrackedStatus::kUnknown:
    case TrackedStatus::kUnavailable:
      return 2;
  }
  return 2;
}

namespace {

TrackedStatus from(ocsp::CertStatus s) {
  switch (s) {
    case ocsp::CertStatus::kGood:
      return TrackedStatus::kGood;
    case ocsp::CertStatus::kRevoked:
      return TrackedStatus::kRevoked;
    case ocsp::CertStatus::kUnknown:
      return TrackedStatus::kUnknown;
  }
  return TrackedStatus::kUnknown;
}

// Prunes are cheap but not free (a pass over the table); at most this often
// outside scrapes, so idle expiry works even when nobody scrapes.
constexpr int64_t kPruneEverySeconds = 5;

}  // namespace

// Every field but `mark` is guarded by CertTracker::mu_. Cache entries own a
// Record through an aliasing shared_ptr to its mark and never read the rest.
struct CertTracker::Record {
  std::string issuer;
  std::string serial;
  AskedMark mark;
  bool has_status = false;
  TrackedStatus status = TrackedStatus::kUnavailable;
  bool has_answer = false;
  ocsp::SingleStatus answer;
  int64_t produced_at = 0;
  std::string last_error;
  int64_t last_error_at = 0;
  bool pinned = false;
  int64_t dropped_at = 0;  // when it last left active_

  // Keep-first order when the cap bites: pinned, then not good, then the
  // most recently asked.
  bool expendable() const { return !pinned && (!has_status || status == TrackedStatus::kGood); }
};

void CertTracker::configure(Options options) {
  std::lock_guard lock(mu_);
  options_ = options;
}

std::string CertTracker::identity(std::string_view issuer, std::string_view serial) {
  std::string id;
  id.reserve(issuer.size() + 1 + serial.size());
  id.append(issuer).push_back('\0');  // issuer names may hold anything but NUL
  id.append(serial);
  return id;
}

std::pair<CertTracker::RecordPtr, bool> CertTracker::lookup(const std::string& id) {
  if (auto it = active_.find(id); it != active_.end()) return {it->second, true};
  if (auto it = dormant_.find(id); it != dormant_.end()) {
    RecordPtr rec = it->second.lock();
    dormant_.erase(it);
    if (rec) return {std::move(rec), false};  // revived: keeps its last-asked and answer
  }
  return {nullptr, false};
}

std::shared_ptr<const AskedMark> CertTracker::answered(std::string_view issuer,
                                                       std::string_view serial,
                                                       const ocsp::SingleStatus& single,
                                                       int64_t produced_at, int64_t now) {
  std::lock_guard lock(mu_);
  maybe_prune(now, false);
  const std::string id = identity(issuer, serial);
  auto [rec, active] = lookup(id);
  if (!rec) {
    rec = std::make_shared<Record>();
    rec->issuer = issuer;
    rec->serial = serial;
  }
  // As the cache does: an answer older than the one we hold never replaces it.
  if (!rec->has_answer || single.this_update >= rec->answer.this_update) {
    rec->has_answer = true;
    rec->answer = single;
    rec->produced_at = produced_at;
  }
  rec->has_status = true;
  rec->status = from(rec->answer.status);
  rec->mark.touch(now);
  if (!active && !admit(id, rec, now)) dormant_[id] = rec;
  return std::shared_ptr<const AskedMark>(rec, &rec->mark);
}

void CertTracker::upstream_error(std::string_view issuer, std::string_view serial,
                                 std::string_view error, int64_t now) {
  std::lock_guard lock(mu_);
  const std::string id = identity(issuer, serial);
  RecordPtr rec;
  if (auto it = active_.find(id); it != active_.end()) {
    rec = it->second;
  } else if (auto d = dormant_.find(id); d != dormant_.end()) {
    rec = d->second.lock();
  }
  if (!rec) return;  // not answered yet: exhausted() creates it if all fail
  rec->last_error = error;
  rec->last_error_at = now;
}

void CertTracker::exhausted(std::string_view issuer, std::string_view serial,
                            std::string_view error, int64_t now) {
  std::lock_guard lock(mu_);
  maybe_prune(now, false);
  const std::string id = identity(issuer, serial);
  auto [rec, active] = lookup(id);
  if (!rec) {
    rec = std::make_shared<Record>();
    rec->issuer = issuer;
    rec->serial = serial;
  }
  if (!error.empty()) {
    rec->last_error = error;
    rec->last_error_at = now;
  }
  // A still-valid answer is cached and served (until nextUpdate), so the
  // certificate's status is still known; only when none is left is it 2.
  const bool valid_copy = rec->has_answer && rec->answer.next_update > now;
  rec->has_status = true;
  rec->status = valid_copy ? from(rec->answer.status) : TrackedStatus::kUnavailable;
  rec->mark.touch(now);
  if (!active && !admit(id, rec, now)) dormant_[id] = rec;  // no entry holds it: gone at prune
}

void CertTracker::set_pinned(std::string_view issuer, std::string_view serial, bool pinned,
                             int64_t now) {
  std::lock_guard lock(mu_);
  const std::string id = identity(issuer, serial);
  auto [rec, active] = lookup(id);
  if (!rec) {
    if (!pinned) return;
    rec = std::make_shared<Record>();
    rec->issuer = issuer;
    rec->serial = serial;
  }
  rec->pinned = pinned;
  if (!active && !admit(id, rec, now)) dormant_[id] = rec;
}

// The record to drop for a newcomer (expendable = good, or no status yet):
// the least recently asked good one; a not-good one only when none is good
// and the newcomer is not good either. Never a pinned one. A linear pass:
// it runs on the upstream path only when a new certificate meets a full
// table, and a pass over 10k records costs tens of microseconds, less than
// the fetch that led here.
CertTracker::ActiveMap::iterator CertTracker::pick_victim(bool candidate_expendable) {
  auto victim = active_.end();
  bool victim_expendable = false;
  for (auto it = active_.begin(); it != active_.end(); ++it) {
    const Record& r = *it->second;
    if (r.pinned) continue;
    const bool e = r.expendable();
    if (!e && (candidate_expendable || victim_expendable)) continue;
    if (victim == active_.end() || (e && !victim_expendable) ||
        r.mark.last() < victim->second->mark.last()) {
      victim = it;
      victim_expendable = e;
    }
  }
  return victim;
}

bool CertTracker::admit(const std::string& id, RecordPtr rec, int64_t now) {
  if (active_.size() < options_.max_series) {
    active_.emplace(id, std::move(rec));
    return true;
  }
  const bool candidate_expendable = rec->expendable();
  auto victim = pick_victim(candidate_expendable);
  // A good newcomer displaces a good victim only if asked more recently; a
  // not-good one displaces a good one always, a not-good one if more recent.
  const bool take = victim != active_.end() &&
                    (rec->pinned || victim->second->expendable() != candidate_expendable ||
                     victim->second->mark.last() <= rec->mark.last());
  if (!take) {
    if (rec->pinned) {
      active_.emplace(id, std::move(rec));  // pinned: never refused, the cap yields
      return true;
    }
    ++dropped_;
    rec->dropped_at = now;
    return false;
  }
  ++dropped_;
  evict(victim, now);
  active_.emplace(id, std::move(rec));
  return true;
}

void CertTracker::evict(ActiveMap::iterator victim, int64_t now) {
  std::string id = victim->first;
  RecordPtr rec = std::move(victim->second);
  active_.erase(victim);
  drop_to_dormant(id, std::move(rec), now);
}

void CertTracker::drop_to_dormant(const std::string& id, RecordPtr rec, int64_t now) {
  rec->dropped_at = now;
  dormant_[id] = rec;  // weak: lives on only while a cache entry holds its mark
}

void CertTracker::maybe_prune(int64_t now, bool force) {
  if (!force && now - last_prune_ < kPruneEverySeconds) return;
  last_prune_ = now;
  const int64_t cutoff = now - options_.idle_seconds;
  std::vector<std::string> idle;
  for (const auto& [id, rec] : active_) {
    if (!rec->pinned && rec->mark.last() < cutoff) idle.push_back(id);
  }
  for (const auto& id : idle) evict(active_.find(id), now);
  // metrics.max_series lowered by a reload: shrink now, by the same policy.
  while (active_.size() > options_.max_series) {
    auto victim = pick_victim(false);
    if (victim == active_.end()) break;  // only pinned ones left
    ++dropped_;
    evict(victim, now);
  }
  // Dormant records asked again (a cache hit touched their mark) come back.
  std::vector<std::pair<std::string, RecordPtr>> revive;
  for (auto it = dormant_.begin(); it != dormant_.end();) {
    RecordPtr rec = it->second.lock();
    if (!rec) {
      dormant_.erase(it++);
      continue;
    }
    if (rec->has_status && rec->mark.last() > rec->dropped_at && rec->mark.last() >= cutoff) {
      revive.emplace_back(it->first, std::move(rec));
    }
    ++it;
  }
  for (auto& [id, rec] : revive) {
    dormant_.erase(id);
    if (!admit(id, rec, now)) dormant_[id] = rec;
  }
}

std::vector<CertTracker::Row> CertTracker::snapshot(int64_t now) {
  std::vector<Row> rows;
  {
    std::lock_guard lock(mu_);
    maybe_prune(now, true);
    rows.reserve(active_.size());
    for (const auto& [id, rec] : active_) {
      if (!rec->has_status) continue;
      Row r;
      r.issuer = rec->issuer;
      r.serial = rec->serial;
      r.status = rec->status;
      r.has_answer = rec->has_answer;
      r.answer_status = rec->answer.status;
      r.this_update = rec->answer.this_update;
      r.next_update = rec->answer.next_update;
      r.produced_at = rec->produced_at;
      r.revoked_at = rec->answer.revoked_at;
      r.last_asked = rec->mark.last();
      r.last_error = rec->last_error;
      r.last_error_at = rec->last_error_at;
      r.pinned = rec->pinned;
      rows.push_back(std::move(r));
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.issuer != b.issuer ? a.issuer < b.issuer : a.serial < b.serial;
  });
  return rows;
}

CertTracker::Options CertTracker::options() const {
  std::lock_guard lock(mu_);
  return options_;
}

uint64_t CertTracker::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

size_t CertTracker::tracked() const {
  std::lock_guard lock(mu_);
  return active_.size();
}

}  // namespace ocspcache
