#include "ocspcache/refresh/refresher.h"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/ocsp/request.h"
#include "ocspcache/ocsp/response.h"
#include "ocspcache/ocsp/response_request.h"
#include "ocspcache/upstream/outcome.h"
#include "ocspcache/util/log.h"
#include "ocspcache/util/log_limiter.h"

namespace ocspcache {
namespace {

// An answer stored (by a client's miss or an unchanged refresh) already
// past its refresh time is refreshed this much later at the earliest: at
// once would ask the responder again within the second it answered.
constexpr int64_t kMinDelaySeconds = 5;
constexpr int64_t kRetryFirstSeconds = 5;
constexpr int64_t kRetryMaxSeconds = 300;
constexpr int64_t kUnchangedMinSeconds = 30;
constexpr int64_t kUnchangedMaxSeconds = 3600;
// Another instance holds a key's refresh lock past our wait for it: ours
// comes round again this much later (its answer is there by then, or its
// lock has expired and we take over).
constexpr int64_t kFleetHeldRetrySeconds = 5;
// Following the fleet's time for a key, an instance comes due this much
// after it (1 s plus up to 2 s of jitter): the instance that set the time
// refreshes first, and the others find its answer instead of its lock.
constexpr double kFleetFollowSeconds = 1.0;
constexpr double kFleetFollowJitterSeconds = 2.0;

}  // namespace

// One refresh in flight: what it needs to store and count its answer.
struct Refresher::Job {
  ocsp::CacheKey key;
  int64_t old_this_update = 0;
  int64_t next_update = 0;
  std::string issuer;
  std::vector<std::string> serials;      // request order: the metric labels
  std::vector<ocsp::CacheKey> cert_ids;  // the revocation ledger's keys
  std::vector<uint8_t> request;
  std::shared_ptr<const RouteTable> routes;  // keeps `route` alive
  const Route* route = nullptr;
  bool pinned = false;  // an inventory certificate
  bool had_answer = false;
  bool claimed = false;  // we hold the fleet's lock for the key
};

Refresher::Refresher(Parts parts, RefreshOptions options, uint64_t seed)
    : p_(parts), options_(options), rng_(seed) {}

void Refresher::configure(RefreshOptions options) {
  std::lock_guard lock(mu_);
  options_ = options;
}

double Refresher::jitter() {
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
}

void Refresher::on_entry_changed(const EntryChange& change) {
  if (!change.stored) return;  // the store kept a newer one, scheduled when it came
  const CachedResponse& e = change.entry;
  std::lock_guard lock(mu_);
  int64_t due = refresh_time(e.this_update(), e.next_update(), options_.ahead, jitter());
  due = std::max(due, change.now + kMinDelaySeconds);
  due = std::min(due, e.next_update() - 1);
  if (due <= change.now) return;  // about to expire: nothing to gain
  schedule_.set(e.key(), due);
  p_.stats.scheduled.store(schedule_.size(), std::memory_order_relaxed);
}

void Refresher::tick() {
  std::vector<RefreshSchedule::Due> due;
  int64_t now = 0;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    now = p_.clock.unix_seconds();
    const size_t room =
        options_.max_in_flight > in_flight_ ? options_.max_in_flight - in_flight_ : 0;
    due = schedule_.pop_due(now, room);
    in_flight_ += due.size();
    int64_t lag = due.empty() ? 0 : now - due.front().due;
    const auto next = schedule_.earliest();
    if (next && *next < now) lag = std::max(lag, now - *next);
    // More are due than there was room for: each refresh that ends wakes a
    // tick for the next, rather than the backlog waiting for the timer.
    backlog_ = next && *next <= now;
    p_.stats.lag_seconds.store(lag, std::memory_order_relaxed);
    p_.stats.scheduled.store(schedule_.size(), std::memory_order_relaxed);
    p_.stats.in_flight.store(in_flight_, std::memory_order_relaxed);
  }
  for (const auto& d : due) start(d.key, now);
}

void Refresher::maybe_wake() {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    wake = backlog_ && !stopped_ && in_flight_ < options_.max_in_flight;
  }
  if (wake && wake_) wake_();
}

void Refresher::stop() {
  std::lock_guard lock(mu_);
  stopped_ = true;
}

void Refresher::set_inventory(std::vector<std::pair<ocsp::CacheKey, std::vector<uint8_t>>> pinned) {
  std::lock_guard lock(mu_);
  const int64_t now = p_.clock.unix_seconds();
  absl::flat_hash_map<ocsp::CacheKey, std::vector<uint8_t>, ocsp::CacheKeyHash> next;
  for (auto& [key, request] : pinned) {
    if (!pinned_.contains(key) && !schedule_.due(key)) schedule_.set(key, now);
    next[key] = std::move(request);
  }
  pinned_ = std::move(next);
  p_.stats.scheduled.store(schedule_.size(), std::memory_order_relaxed);
}

std::optional<int64_t> Refresher::due(const ocsp::CacheKey& key) const {
  std::lock_guard lock(mu_);
  return schedule_.due(key);
}

void Refresher::start(const ocsp::CacheKey& key, int64_t now) {
  auto skip = [&] {
    {
      std::lock_guard lock(mu_);
      --in_flight_;
      failures_.erase(key);
    }
    maybe_wake();
  };
  const EntryPtr entry = p_.store.peek(key, now);
  int64_t idle_seconds = 0;
  std::vector<uint8_t> request;
  bool pinned = false;
  {
    std::lock_guard lock(mu_);
    idle_seconds = options_.idle_seconds;
    if (auto it = pinned_.find(key); it != pinned_.end()) {
      pinned = true;
      request = it->second;
    }
  }
  if (!entry && !pinned) return skip();  // evicted or expired since it was scheduled
  if (entry && !pinned && entry->last_asked() < now - idle_seconds) {
    p_.stats.idle.fetch_add(1, std::memory_order_relaxed);
    return skip();
  }
  // Otherwise the request is rebuilt from the answer's own CertIDs (what
  // the snapshot restore does); an answer that does not rebuild its key (a
  // multi-CertID answer in another order) is left to expire.
  if (!pinned) request = ocsp::request_for_response(entry->der());
  const auto decoded = ocsp::decode_request(request);
  if (!decoded.ok() || ocsp::make_cache_key(*decoded) != key) return skip();
  auto routes = p_.routes.load();
  const Route* route = routes->find(*decoded);
  if (route == nullptr) return skip();  // its issuer is no longer configured

  auto job = std::make_shared<Job>();
  job->key = key;
  job->pinned = pinned;
  job->had_answer = entry != nullptr;
  job->old_this_update = entry ? entry->this_update() : 0;
  job->next_update = entry ? entry->next_update() : std::numeric_limits<int64_t>::max();
  job->issuer = std::string(route->name());
  for (const auto& id : decoded->cert_ids()) {
    job->serials.push_back(ocsp::serial_hex(id.serial));
    job->cert_ids.push_back(ocsp::cert_id_key(id));
  }
  job->request = std::move(request);
  job->routes = std::move(routes);
  job->route = route;
  if (fleet_ != nullptr) {
    consult_fleet(job);
  } else {
    fetch(job);
  }
}

void Refresher::fetch(const std::shared_ptr<Job>& job) {
  {
    std::lock_guard lock(mu_);
    if (stopped_) {  // draining: the fleet's answer or state came after stop()
      --in_flight_;
      p_.stats.in_flight.store(in_flight_, std::memory_order_relaxed);
      if (job->claimed) fleet_->abandon(job->key);
      return;
    }
  }
  FetchRequest fetch{job->key, job->request, job->routes, job->route, nullptr};
  p_.fetcher.fetch(std::move(fetch),
                   [this, job](FetchResult result) { finished(job, std::move(result)); });
}

void Refresher::consult_fleet(const std::shared_ptr<Job>& job) {
  fleet_->state(job->key, [this, job](FleetState st) {
    if (!st.available) return fetch(job);  // alone, as without Redis
    if (!st.der.empty() && adopt(job, st.der, st.due)) return maybe_wake();
    if (st.due && *st.due > p_.clock.unix_seconds()) {
      // Another instance has done this refresh (the responder gave it the
      // answer we hold, or it failed and backs off): its time is ours.
      follow(job, *st.due);
      return maybe_wake();
    }
    fleet_->claim(job->key, std::move(st.der), [this, job](FleetClaim claim) {
      switch (claim.status) {
        case FleetClaim::Status::kOurs:
          job->claimed = true;
          return fetch(job);
        case FleetClaim::Status::kUnavailable:
          return fetch(job);
        case FleetClaim::Status::kAnswered:
          if (adopt(job, claim.der, std::nullopt)) return maybe_wake();
          break;  // not an answer we can take: the holder's time comes
        case FleetClaim::Status::kHeld:
          break;
      }
      follow(job, p_.clock.unix_seconds() + kFleetHeldRetrySeconds);
      maybe_wake();
    });
  });
}

bool Refresher::adopt(const std::shared_ptr<Job>& job, std::span<const uint8_t> der,
                      std::optional<int64_t> fleet_due) {
  const int64_t now = p_.clock.unix_seconds();
  int64_t skew = 0;
  {
    std::lock_guard lock(mu_);
    skew = options_.clock_skew_seconds;
  }
  const auto decoded = ocsp::decode_request(job->request);  // ours: it decodes
  if (!decoded.ok()) return false;
  auto v = ocsp::validate_response(der, *decoded, job->route->issuer, now, skew);
  if (!v.ok()) {
    std::string why(ocsp::to_string(v.error().error));
    if (!v.error().detail.empty()) why += ": " + v.error().detail;
    log::upstream_errors().warn("fleet_invalid:" + job->key.hex(), "refresh_fleet_answer_invalid",
                                "key=" + job->key.hex().substr(0, 16) + " reason=" +
                                    log::quoted(why) + " answer=\"asking the responder\"");
    return false;
  }
  if (v->this_update <= job->old_this_update) return false;  // what we hold already
  std::vector<AnsweredCert> answered;
  for (size_t i = 0; i < v->singles.size() && i < job->serials.size(); ++i) {
    answered.push_back({job->issuer, job->serials[i], v->singles[i], job->cert_ids[i]});
  }
  // Committed as a fetched answer is: the writer's event schedules it.
  if (!p_.writer.commit(job->key, der, *v, answered, now, false)) return false;
  std::lock_guard lock(mu_);
  --in_flight_;
  p_.stats.in_flight.store(in_flight_, std::memory_order_relaxed);
  p_.stats.fleet.fetch_add(1, std::memory_order_relaxed);
  failures_.erase(job->key);
  if (fleet_due && *fleet_due > now && *fleet_due < v->next_update) {
    const auto after =
        static_cast<int64_t>(kFleetFollowSeconds + kFleetFollowJitterSeconds * jitter());
    schedule_.set(job->key, std::min(*fleet_due + after, v->next_update - 1));
    p_.stats.scheduled.store(schedule_.size(), std::memory_order_relaxed);
  }
  return true;
}

void Refresher::follow(const std::shared_ptr<Job>& job, int64_t fleet_due) {
  const int64_t now = p_.clock.unix_seconds();
  std::lock_guard lock(mu_);
  --in_flight_;
  p_.stats.in_flight.store(in_flight_, std::memory_order_relaxed);
  p_.stats.deferred.fetch_add(1, std::memory_order_relaxed);
  const auto after =
      static_cast<int64_t>(kFleetFollowSeconds + kFleetFollowJitterSeconds * jitter());
  int64_t due = std::max(fleet_due + after, now + 1);
  if (!job->pinned) due = std::min(due, job->next_update - 1);
  if (due > now) schedule_.set(job->key, due);
  p_.stats.scheduled.store(schedule_.size(), std::memory_order_relaxed);
}

void Refresher::tell_fleet(const ocsp::CacheKey& key) {
  if (fleet_ == nullptr) return;
  if (auto due = schedule_.due(key)) fleet_->schedule(key, *due);
}

void Refresher::finished(const std::shared_ptr<Job>& job, FetchResult result) {
  const int64_t now = p_.clock.unix_seconds();
  CertTracker& certs = p_.metrics.certs();
  for (const UpstreamAttempt& a : result.attempts) {
    p_.metrics.upstream_result(a.responder, to_label(a.outcome), a.seconds);
    if (a.error.empty()) continue;
    for (const auto& serial : job->serials) {
      certs.upstream_error(job->issuer, serial, a.responder + ": " + a.error, now);
    }
  }
  EntryPtr stored;
  if (result.ok()) {
    std::vector<AnsweredCert> answered;
    for (size_t i = 0; i < result.answer.singles.size() && i < job->serials.size(); ++i) {
      answered.push_back(
          {job->issuer, job->serials[i], result.answer.singles[i], job->cert_ids[i]});
    }
    // tracked=false: what clients asked of the key is carried over from
    // the entry replaced, never created by the refresh itself.
    stored = p_.writer.commit(job->key, result.der, result.answer, answered, now, false);
    // The fleet's copy too (a newer one there wins), releasing our lock.
    if (stored && fleet_ != nullptr)
      fleet_->stored(job->key, result.der, result.answer.next_update);
  } else {
    // The valid answer stays served; the series keep its status.
    // An inventory certificate's series exists from start-up (pinned):
    // with no valid answer left it says 2.
    for (const auto& serial : job->serials) {
      certs.exhausted(job->issuer, serial, result.last_error(), now, /*tracked=*/job->pinned);
    }
  }

  if (!stored && job->claimed) fleet_->abandon(job->key);  // others stop waiting on us

  settle(job, result, stored != nullptr, now);
  maybe_wake();
}

void Refresher::settle(const std::shared_ptr<Job>& job, const FetchResult& result, bool stored,
                       int64_t now) {
  std::lock_guard lock(mu_);
  --in_flight_;
  p_.stats.in_flight.store(in_flight_, std::memory_order_relaxed);
  if (!stored) {
    // Failed, or refused by the revocation ledger (older than a recorded
    // revocation): the cached answer stays until its nextUpdate.
    p_.stats.failed.fetch_add(1, std::memory_order_relaxed);
    const uint32_t failures = ++failures_[job->key];
    log::upstream_errors().warn(
        "refresh_failed:" + job->key.hex(), "refresh_failed",
        "issuer=" + log::quoted(job->issuer) + " key=" + job->key.hex().substr(0, 16) +
            " failures=" + std::to_string(failures) + " reason=" +
            log::quoted(result.ok() ? "older than a recorded revocation" : result.last_error()) +
            " kept=cached_until_next_update");
    retry_later(job->key, now, job->next_update, failures, job->pinned);
    // The fleet backs off with us rather than each instance asking anew.
    tell_fleet(job->key);
    return;
  }
  failures_.erase(job->key);
  if (result.answer.this_update > job->old_this_update) {
    p_.stats.refreshed.fetch_add(1, std::memory_order_relaxed);
    tell_fleet(job->key);  // the writer's event scheduled the new answer
    return;
  }
  // The responder still serves the answer we have: ask again after a
  // share of what is left of it, not at its (past) refresh time.
  p_.stats.unchanged.fetch_add(1, std::memory_order_relaxed);
  const int64_t next_update = result.answer.next_update;
  const int64_t wait =
      std::clamp<int64_t>((next_update - now) / 8, kUnchangedMinSeconds, kUnchangedMaxSeconds);
  const int64_t due = std::min(now + wait, next_update - 1);
  if (due > now) schedule_.set(job->key, due);
  p_.stats.scheduled.store(schedule_.size(), std::memory_order_relaxed);
  tell_fleet(job->key);
}

void Refresher::retry_later(const ocsp::CacheKey& key, int64_t now, int64_t next_update,
                            uint32_t failures, bool pinned) {
  const int64_t base =
      std::min(kRetryMaxSeconds, kRetryFirstSeconds << std::min<uint32_t>(failures - 1, 16));
  const auto wait = static_cast<int64_t>(static_cast<double>(base) * (0.8 + 0.4 * jitter()));
  // An inventory certificate is tried for as long as it fails, past its
  // answer's end too (then with the request it was configured with).
  int64_t due = pinned ? now + std::max<int64_t>(wait, 1)
                       : std::min(now + std::max<int64_t>(wait, 1), next_update - 1);
  if (const int64_t stale = next_update - options_.pinned_margin_seconds; pinned && stale > now) {
    due = std::min(due, stale);
  }
  if (due > now) {
    schedule_.set(key, due);
  } else {
    failures_.erase(key);  // expires now: a client's miss fetches it anew
  }
  p_.stats.scheduled.store(schedule_.size(), std::memory_order_relaxed);
}

}  // namespace ocspcache
