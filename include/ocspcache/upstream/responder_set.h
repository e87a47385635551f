// Every responder the configuration names, one Responder object per URL,
// shared by the routes of all issuers that list it. A reload builds new
// routes from the same set, so a responder that stays configured keeps its
// object (and its health, later its breaker and pool).
#pragma once

#include <absl/container/flat_hash_map.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ocspcache/upstream/responder.h"

namespace ocspcache {

class ResponderSet {
 public:
  // The responder for `url` (by its text as configured), made on first use.
  std::shared_ptr<Responder> get(const HttpUrl& url);

  // Forward-proxy mode: the responder a client's request names, made on
  // first use like get() (a configured URL gets its configured object). At
  // most `max` such forwarded responders are kept beside the configured
  // ones, so clients cannot grow the set without bound: to make room the
  // least recently used one that no fetch holds is forgotten (with its
  // health and breaker). Null when all `max` are in use.
  std::shared_ptr<Responder> get_forwarded(const HttpUrl& url, size_t max);
  size_t forwarded_count() const;

  // Start-up and reload: every responder's breaker, present and future.
  void set_breaker_policy(const BreakerPolicy& policy);

  // Health of every responder asked at least once or being asked, sorted
  // by URL: before its first exchange nothing is known about a responder,
  // and reporting it up (or down) would be a guess.
  std::vector<Responder::Health> health() const;

 private:
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Responder>> by_url_;
  std::vector<std::string> forwarded_;  // keys made by get_forwarded, least recently used first
  BreakerPolicy policy_;
};

}  // namespace ocspcache
