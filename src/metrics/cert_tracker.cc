#include "ocspcache/metrics/cert_tracker.h"

#include <absl/container/flat_hash_set.h>
#include <absl/container/inlined_vector.h>

#include <algorithm>
#include <limits>

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

TrackedStatus from(const ocsp::SingleStatus& single) {
  // A "revoked" that means "never issued" (RFC 6960 §2.2) is an unknown
  // serial: reporting it as a revocation would page for a certificate that
  // does not exist, and hide that someone asks about invented serials.
  if (single.non_issued) return TrackedStatus::kUnknown;
  switch (single.status) {
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
// outside scrapes, so idle expiry works even when nobody scrapes. The
// revival scan (a walk of the whole cache) runs at most this often too.
constexpr int64_t kPruneEverySeconds = 5;

// Slack above max_series before a trim is forced between prunes: a
// newcomer then costs O(1) and the O(n) trim runs once per n/8 of them.
constexpr size_t kTrimSlack = 64;

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

}  // namespace

// Guarded by CertTracker::mu_. Only exported certificates have one.
struct CertTracker::Record {
  std::shared_ptr<const Labels> labels;
  // The cache keys answering this certificate (at most kMaxKeysPerRecord),
  // and the latest second any of them was served, as last read.
  absl::InlinedVector<ocsp::CacheKey, 2> keys;
  int64_t asked = 0;
  int64_t touched = 0;  // last answered / exhausted / set_pinned
  uint64_t seq = 0;     // admission order
  bool has_status = false;
  TrackedStatus status = TrackedStatus::kUnavailable;
  bool has_answer = false;
  ocsp::SingleStatus answer;
  int64_t produced_at = 0;
  std::string last_error;
  int64_t last_error_at = 0;
  bool pinned = false;

  // Keep-first order when the cap bites: pinned, then not good, then the
  // most recently asked.
  bool expendable() const { return !pinned && (!has_status || status == TrackedStatus::kGood); }

  // As the cache does: an answer older than the one held never replaces it.
  bool take_answer(const ocsp::SingleStatus& single, int64_t produced) {
    if (has_answer && single.this_update < answer.this_update) return false;
    has_answer = true;
    answer = single;
    produced_at = produced;
    has_status = true;
    status = from(single);
    return true;
  }
};

CertTracker::CertTracker(Options options) : options_(options) {}
CertTracker::~CertTracker() = default;

void CertTracker::configure(Options options) {
  std::lock_guard lock(mu_);
  options_ = options;
}

void CertTracker::watch(const Store* store, Identify identify) {
  std::lock_guard lock(mu_);
  store_ = store;
  identify_ = identify ? std::make_shared<const Identify>(std::move(identify)) : nullptr;
}

std::string CertTracker::identity(std::string_view issuer, std::string_view serial) {
  std::string id;
  id.reserve(issuer.size() + 1 + serial.size());
  id.append(issuer).push_back('\0');  // issuer names may hold anything but NUL
  id.append(serial);
  return id;
}

CertTracker::Record* CertTracker::find(const std::string& id) {
  auto it = active_.find(id);
  return it == active_.end() ? nullptr : it->second.get();
}

CertTracker::Record& CertTracker::add(std::string id, std::string_view issuer,
                                      std::string_view serial) {
  auto rec = std::make_unique<Record>();
  rec->labels = std::make_shared<const Labels>(Labels{std::string(issuer), std::string(serial)});
  rec->seq = next_seq_++;
  Record& r = *rec;
  active_.emplace(std::move(id), std::move(rec));
  return r;
}

void CertTracker::attach(Record& rec, const ocsp::CacheKey& key) {
  if (std::find(rec.keys.begin(), rec.keys.end(), key) != rec.keys.end()) return;
  if (rec.keys.size() == kMaxKeysPerRecord) {
    // The form added first goes: a bounded record, whatever clients send.
    auto it = key_refs_.find(rec.keys.front());
    if (--it->second == 0) key_refs_.erase(it);
    rec.keys.erase(rec.keys.begin());
  }
  rec.keys.push_back(key);
  ++key_refs_[key];
}

void CertTracker::erase(ActiveMap::iterator it) {
  for (const ocsp::CacheKey& key : it->second->keys) {
    auto k = key_refs_.find(key);
    if (--k->second == 0) key_refs_.erase(k);
  }
  active_.erase(it);
}

void CertTracker::read_hits(Record& rec, int64_t now) const {
  if (store_ == nullptr) return;
  for (const ocsp::CacheKey& key : rec.keys) {
    if (EntryPtr e = store_->peek(key, now)) rec.asked = std::max(rec.asked, e->last_asked());
  }
}

int64_t CertTracker::last_asked(const Record& rec) {
  return std::max(rec.touched, rec.asked);
}

void CertTracker::on_entry_changed(const EntryChange& change) {
  std::lock_guard lock(mu_);
  maybe_prune(change.now, false);
  for (const AnsweredCert& c : change.certs) {
    if (!change.tracked && find(identity(c.issuer, c.serial)) == nullptr) {
      ++refused_;  // asked by a client outside metrics.track_clients
      continue;
    }
    answered_locked(c.issuer, c.serial, c.single, change.entry.produced_at(), change.now,
                    &change.entry.key());
  }
  trim_if_grown(change.now);
}

void CertTracker::answered(std::string_view issuer, std::string_view serial,
                           const ocsp::SingleStatus& single, int64_t produced_at, int64_t now,
                           const ocsp::CacheKey* key) {
  std::lock_guard lock(mu_);
  maybe_prune(now, false);
  answered_locked(issuer, serial, single, produced_at, now, key);
  trim_if_grown(now);
}

void CertTracker::answered_locked(std::string_view issuer, std::string_view serial,
                                  const ocsp::SingleStatus& single, int64_t produced_at,
                                  int64_t now, const ocsp::CacheKey* key) {
  std::string id = identity(issuer, serial);
  Record* rec = find(id);
  if (rec == nullptr) rec = &add(std::move(id), issuer, serial);
  // Even an older answer (kept out by take_answer) says the certificate is
  // answered: a failure's kUnavailable ends here.
  if (!rec->take_answer(single, produced_at)) {
    rec->has_status = true;
    rec->status = from(rec->answer);
  }
  rec->touched = std::max(rec->touched, now);
  if (key != nullptr) attach(*rec, *key);
}

void CertTracker::upstream_error(std::string_view issuer, std::string_view serial,
                                 std::string_view error, int64_t now) {
  std::lock_guard lock(mu_);
  Record* rec = find(identity(issuer, serial));
  if (rec == nullptr) return;  // not answered yet: exhausted() creates it if all fail
  rec->last_error = error;
  rec->last_error_at = now;
}

void CertTracker::exhausted(std::string_view issuer, std::string_view serial,
                            std::string_view error, int64_t now, bool tracked) {
  std::lock_guard lock(mu_);
  maybe_prune(now, false);
  std::string id = identity(issuer, serial);
  Record* rec = find(id);
  if (rec == nullptr) {
    if (!tracked) {
      ++refused_;
      return;
    }
    rec = &add(std::move(id), issuer, serial);
  }
  if (!error.empty()) {
    rec->last_error = error;
    rec->last_error_at = now;
  }
  // A still-valid answer is cached and served (until nextUpdate), so the
  // certificate's status is still known; only when none is left is it 2.
  // A stapled one's answer counts as gone min_remaining earlier.
  const int64_t margin = rec->pinned ? options_.pinned_margin_seconds : 0;
  const bool valid_copy = rec->has_answer && rec->answer.next_update - margin > now;
  rec->has_status = true;
  rec->status = valid_copy ? from(rec->answer) : TrackedStatus::kUnavailable;
  rec->touched = std::max(rec->touched, now);
  trim_if_grown(now);
}

void CertTracker::set_pinned(std::string_view issuer, std::string_view serial, bool pinned,
                             int64_t now) {
  std::lock_guard lock(mu_);
  std::string id = identity(issuer, serial);
  Record* rec = find(id);
  if (rec == nullptr) {
    if (!pinned) return;
    rec = &add(std::move(id), issuer, serial);
  }
  rec->pinned = pinned;
  rec->touched = std::max(rec->touched, now);
  trim_if_grown(now);
}

// One pass, no per-record search: rank every unpinned record, keep the best
// max_series - pinned with nth_element, drop the rest. Ties go to the record
// admitted first, so a newcomer must be asked strictly more recently than
// the worst incumbent to take its place; otherwise uniform load over more
// certificates than max_series would swap the whole table at every prune.
void CertTracker::trim(int64_t now) {
  struct Candidate {
    bool keep_first;  // not good: kept over any good one
    int64_t last;
    uint64_t seq;
    ActiveMap::iterator it;
  };
  std::vector<Candidate> candidates;
  candidates.reserve(active_.size());
  size_t pinned = 0;
  for (auto it = active_.begin(); it != active_.end(); ++it) {
    const Record& r = *it->second;
    if (r.pinned) {
      ++pinned;  // never dropped: the cap yields
      continue;
    }
    candidates.push_back({!r.expendable(), last_asked(r), r.seq, it});
  }
  const size_t slots = options_.max_series > pinned ? options_.max_series - pinned : 0;
  if (candidates.size() > slots) {
    auto better = [](const Candidate& a, const Candidate& b) {
      if (a.keep_first != b.keep_first) return a.keep_first;
      if (a.last != b.last) return a.last > b.last;
      return a.seq < b.seq;
    };
    std::nth_element(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(slots),
                     candidates.end(), better);
    // Erasing from a flat_hash_map leaves the other iterators valid.
    for (size_t i = slots; i < candidates.size(); ++i) erase(candidates[i].it);
    dropped_ += candidates.size() - slots;
    candidates.resize(slots);
  }
  trim_at_ = std::max(active_.size(), options_.max_series) + options_.max_series / 8 + kTrimSlack;

  // What a revived certificate must beat, so a scan identifies only
  // entries that would get a series (see revive()).
  const int64_t cutoff = now - options_.idle_seconds;
  if (candidates.size() < slots) {
    revive_floor_good_ = revive_floor_not_good_ = cutoff - 1;
    return;
  }
  int64_t min_good = kNever, min_not_good = kNever;
  for (const Candidate& c : candidates) {
    int64_t& m = c.keep_first ? min_not_good : min_good;
    m = std::min(m, c.last);
  }
  revive_floor_good_ = min_good;  // kNever when none is good: a good one cannot get in
  revive_floor_not_good_ = min_good != kNever ? cutoff - 1 : min_not_good;
}

void CertTracker::maybe_prune(int64_t now, bool force) {
  if (!force && now - last_prune_ < kPruneEverySeconds) return;
  last_prune_ = now;
  const int64_t cutoff = now - options_.idle_seconds;
  for (auto it = active_.begin(); it != active_.end();) {
    Record& r = *it->second;
    read_hits(r, now);
    if (!r.pinned && last_asked(r) < cutoff) {
      erase(it++);  // idle: gone, not counted as a cap drop
    } else {
      ++it;
    }
  }
  trim(now);  // also applies a max_series lowered by a reload
}

void CertTracker::prune(int64_t now) {
  std::lock_guard lock(mu_);
  maybe_prune(now, true);
}

// Brings back certificates answered from the cache after they lost their
// series: an entry asked within track_idle under a key no record holds.
// Bounded: at most once per prune interval (scrapes only), one walk of the
// store, and at most kMaxRevivalsPerScan entries identified (the most
// recently asked, and only those that would beat the worst exported
// certificate). The store is walked without mu_ (a copy of the held keys
// says what is tracked), so answers are never held up by the walk.
void CertTracker::revive(int64_t now) {
  const Store* store = nullptr;
  std::shared_ptr<const Identify> identify;
  absl::flat_hash_set<ocsp::CacheKey, ocsp::CacheKeyHash> held;
  int64_t cutoff = 0, floor_good = 0, floor_not_good = 0;
  {
    std::lock_guard lock(mu_);
    if (store_ == nullptr || !identify_ || now - last_scan_ < kPruneEverySeconds) return;
    last_scan_ = now;
    maybe_prune(now, true);
    store = store_;
    identify = identify_;
    held.reserve(key_refs_.size());
    for (const auto& [key, n] : key_refs_) held.insert(key);
    cutoff = now - options_.idle_seconds;
    floor_good = revive_floor_good_;
    floor_not_good = revive_floor_not_good_;
  }

  struct Candidate {
    int64_t asked;
    EntryPtr entry;
  };
  // A min-heap on `asked` of the best kMaxRevivalsPerScan seen so far.
  auto later = [](const Candidate& a, const Candidate& b) { return a.asked > b.asked; };
  std::vector<Candidate> best;
  best.reserve(kMaxRevivalsPerScan);
  store->walk([&](const CachedResponse& e) {
    if (e.next_update() <= now || !e.tracked()) return;
    const int64_t asked = e.last_asked();
    // status() is the first CertID's: exact for the usual one-CertID entry.
    const int64_t floor = e.status() == ocsp::CertStatus::kGood ? floor_good : floor_not_good;
    if (asked < cutoff || asked <= floor) return;
    if (best.size() == kMaxRevivalsPerScan && asked <= best.front().asked) return;
    if (held.contains(e.key())) return;
    if (best.size() == kMaxRevivalsPerScan) {
      std::pop_heap(best.begin(), best.end(), later);
      best.pop_back();  // the store still holds it: no entry is freed under its lock
    }
    best.push_back({asked, EntryPtr(&e)});
    std::push_heap(best.begin(), best.end(), later);
  });
  if (best.empty()) return;

  std::sort(best.begin(), best.end(), later);
  std::vector<std::vector<ocsp::IdentifiedSingle>> who;
  who.reserve(best.size());
  for (const Candidate& c : best) who.push_back((*identify)(*c.entry));

  std::lock_guard lock(mu_);
  for (size_t i = 0; i < best.size(); ++i) {
    for (const ocsp::IdentifiedSingle& s : who[i]) {
      std::string id = identity(s.issuer, s.serial);
      Record* rec = find(id);
      if (rec == nullptr) rec = &add(std::move(id), s.issuer, s.serial);
      rec->take_answer(s.single, s.produced_at);
      attach(*rec, best[i].entry->key());
      rec->asked = std::max(rec->asked, best[i].asked);
    }
  }
  trim_if_grown(now);
}

std::vector<CertTracker::Row> CertTracker::snapshot(int64_t now) {
  revive(now);
  std::vector<Row> rows;
  {
    std::lock_guard lock(mu_);
    maybe_prune(now, true);
    rows.reserve(active_.size());
    for (const auto& [id, rec] : active_) {
      if (!rec->has_status) continue;
      Row r;
      r.labels = rec->labels;
      r.status = rec->status;
      r.has_answer = rec->has_answer;
      r.answer_status = rec->answer.status;
      r.this_update = rec->answer.this_update;
      r.next_update = rec->answer.next_update;
      r.produced_at = rec->produced_at;
      r.revoked_at = rec->answer.revoked_at;
      r.non_issued = rec->answer.non_issued;
      r.last_asked = last_asked(*rec);
      r.last_error = rec->last_error;
      r.last_error_at = rec->last_error_at;
      r.pinned = rec->pinned;
      rows.push_back(std::move(r));
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.issuer() != b.issuer() ? a.issuer() < b.issuer() : a.serial() < b.serial();
  });
  return rows;
}

CertTracker::Options CertTracker::options() const {
  std::lock_guard lock(mu_);
  return options_;
}

uint64_t CertTracker::refused() const {
  std::lock_guard lock(mu_);
  return refused_;
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
