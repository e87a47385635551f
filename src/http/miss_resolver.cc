#include "ocspcache/http/miss_resolver.h"

#include <openssl/x509.h>

#include "ocspcache/ocsp/response.h"
#include "ocspcache/util/log.h"

namespace ocspcache {

void MissResolver::resolve(const ocsp::CacheKey& key, const ocsp::DecodedRequest& req,
                           std::shared_ptr<const RouteTable> routes, const Route& route,
                           bool tracked, Flights::Waiter waiter) {
  resolve(key, req, MissRoute{std::move(routes), &route, nullptr, tracked}, std::move(waiter));
}

MissResolver::Pending MissResolver::pending_for(const ocsp::CacheKey& key,
                                                const ocsp::DecodedRequest& req,
                                                const Route& route) {
  Pending pending{key, std::string(route.name()), {}, {}, {}, nullptr, true};
  for (const auto& id : req.cert_ids()) {
    pending.serials.push_back(ocsp::serial_hex(id.serial));
    pending.cert_ids.push_back(ocsp::cert_id_key(id));
  }
  return pending;
}

void MissResolver::resolve(const ocsp::CacheKey& key, const ocsp::DecodedRequest& req,
                           MissRoute route, Flights::Waiter waiter) {
  if (!p_.flights.join(key, std::move(waiter))) return;  // another worker fetches it
  // A flight that ended between the caller's lookup and our join has filled
  // the store; check again rather than ask the responder twice.
  if (EntryPtr entry = p_.store.lookup(key, p_.clock.unix_seconds())) {
    p_.flights.complete(key, FetchOutcome{std::move(entry), ocsp::ResponseCode::kSuccessful});
    return;
  }
  if (p_.negative.remembered(key, p_.clock.monotonic_ms())) {
    p_.metrics.failure_remembered();
    p_.flights.complete(key, FetchOutcome{nullptr, ocsp::ResponseCode::kTryLater});
    return;
  }
  Pending pending = pending_for(key, req, *route.route);
  pending.routes = route.routes;
  pending.validated_by = route.route->issuer;
  pending.tracked = route.tracked;
  const bool use_shared = p_.shared != nullptr && pending.validated_by != nullptr;
  // A forwarded route lives as long as the fetch does, late exchanges too.
  FetchRequest request{key, ocsp::build_upstream_request(req), std::move(route.routes), route.route,
                       std::move(route.owned)};
  if (!use_shared) {
    fetch(std::move(pending), std::move(request));
    return;
  }
  SharedStore* shared = p_.shared;
  shared->lookup(key, [this, pending = std::move(pending),
                       request = std::move(request)](SharedLookup found) mutable {
    if (found.status == SharedLookup::Status::kHit) {
      on_shared_hit(std::move(pending), std::move(request), std::move(found.der));
    } else {
      fetch(std::move(pending), std::move(request));
    }
  });
}

void MissResolver::fetch(Pending pending, FetchRequest request) {
  fetcher_.fetch(std::move(request), [this, pending = std::move(pending)](FetchResult result) {
    on_fetched(pending, std::move(result));
  });
}

void MissResolver::on_shared_hit(Pending pending, FetchRequest request, std::vector<uint8_t> der) {
  // The request was built by us from a decoded one: it decodes.
  const auto decoded = ocsp::decode_request(request.request_der);
  if (!decoded.ok()) {
    fetch(std::move(pending), std::move(request));
    return;
  }
  const int64_t now = p_.clock.unix_seconds();
  auto v = ocsp::validate_response(der, *decoded, pending.validated_by, now, p_.clock_skew_seconds);
  if (!v.ok()) {
    std::string why(ocsp::to_string(v.error().error));
    if (!v.error().detail.empty()) why += ": " + v.error().detail;
    p_.shared->report_invalid(pending.key, why);
    fetch(std::move(pending), std::move(request));
    return;
  }
  bool untrusted = false;
  EntryPtr entry = store_answer(pending, der, *v, &untrusted);
  if (!entry) {
    // Older than a revocation this instance has seen, or a reload stopped
    // trusting its issuer: ask the responders instead.
    p_.shared->report_invalid(pending.key, "older than a recorded revocation, or issuer no longer trusted");
    fetch(std::move(pending), std::move(request));
    return;
  }
  p_.flights.complete(pending.key, FetchOutcome{std::move(entry), ocsp::ResponseCode::kSuccessful});
}

void MissResolver::resolve_uncached(const ocsp::CacheKey& key, std::vector<uint8_t> request_der,
                                    MissRoute route, Flights::Waiter waiter) {
  if (p_.negative.remembered(key, p_.clock.monotonic_ms())) {
    p_.metrics.failure_remembered();
    waiter(cached_or_try_later(key));
    return;
  }
  // The caller decoded these bytes already; they are the client's own.
  const auto decoded = ocsp::decode_request(request_der);
  if (!decoded.ok()) {
    waiter(FetchOutcome{nullptr, ocsp::ResponseCode::kMalformedRequest});
    return;
  }
  Pending pending = pending_for(key, *decoded, *route.route);
  pending.tracked = route.tracked;
  FetchRequest fetch{key, std::move(request_der), std::move(route.routes), route.route,
                     std::move(route.owned)};
  fetcher_.fetch(std::move(fetch), [this, pending = std::move(pending),
                                    waiter = std::move(waiter)](FetchResult result) {
    account(pending, result);
    if (!result.ok()) {
      waiter(cached_or_try_later(pending.key));
      return;
    }
    FetchOutcome outcome{nullptr, ocsp::ResponseCode::kSuccessful};
    outcome.uncached = std::make_shared<const std::vector<uint8_t>>(std::move(result.der));
    waiter(outcome);
  });
}

bool MissResolver::still_trusted(const Pending& pending) const {
  if (p_.routes == nullptr || pending.validated_by == nullptr) return true;
  const std::shared_ptr<const RouteTable> now = p_.routes->load();
  if (now == pending.routes) return true;  // no reload since: the common case
  for (const ocsp::Issuer& issuer : now->registry().issuers()) {
    if (X509_cmp(issuer.cert(), pending.validated_by->cert()) == 0) return true;
  }
  log::info("reload_dropped_answer", "issuer=" + log::quoted(pending.issuer) + " key=" +
                                         pending.key.hex().substr(0, 16) +
                                         " reason=\"issuer removed or its certificate replaced during the fetch\"");
  return false;
}

FetchOutcome MissResolver::cached_or_try_later(const ocsp::CacheKey& key) const {
  if (EntryPtr entry = p_.store.lookup(key, p_.clock.unix_seconds())) {
    return FetchOutcome{std::move(entry), ocsp::ResponseCode::kSuccessful};
  }
  return FetchOutcome{nullptr, ocsp::ResponseCode::kTryLater};
}

void MissResolver::account(const Pending& pending, const FetchResult& result) {
  const int64_t now = p_.clock.unix_seconds();
  CertTracker& certs = p_.metrics.certs();
  for (const UpstreamAttempt& a : result.attempts) {
    p_.metrics.upstream_result(a.responder, to_label(a.outcome), a.seconds);
    if (a.error.empty()) continue;
    // One responder failed; the next may answer: the status stays.
    for (const auto& serial : pending.serials) {
      certs.upstream_error(pending.issuer, serial, a.responder + ": " + a.error, now);
    }
  }
  if (result.shed) p_.metrics.upstream_shed("queue_full");
  if (result.queue_timeout) p_.metrics.upstream_shed("queue_wait");
  if (result.hedges > 0) p_.metrics.upstream_hedged(result.hedges);
  if (!result.ok()) {
    if (result.says_something_about_the_cert_id()) {
      p_.negative.remember(pending.key, p_.clock.monotonic_ms());
    }
    const std::string error = result.last_error();
    for (const auto& serial : pending.serials) {
      certs.exhausted(pending.issuer, serial, error, now, pending.tracked);
    }
  }
}

EntryPtr MissResolver::store_answer(const Pending& pending, std::span<const uint8_t> der,
                                    const ocsp::ValidatedResponse& answer, bool* untrusted) {
  const int64_t now = p_.clock.unix_seconds();
  std::vector<AnsweredCert> answered;
  answered.reserve(answer.singles.size());
  for (size_t i = 0; i < answer.singles.size() && i < pending.serials.size(); ++i) {
    answered.push_back({pending.issuer, pending.serials[i], answer.singles[i], pending.cert_ids[i]});
  }
  // A reload installs its routes, then drops the answers of issuers it no
  // longer trusts; checking before the commit and again after it leaves no
  // order of the two in which this answer outlives the drop.
  *untrusted = !still_trusted(pending);
  if (*untrusted) return nullptr;
  EntryPtr entry = p_.writer.commit(pending.key, der, answer, answered, now, pending.tracked);
  // A client asked: what keeps it refreshed (cache.refresh_idle) and in the
  // metrics, as a hit would.
  if (entry) entry->mark_asked(now);
  if (entry && !still_trusted(pending)) {
    p_.store.erase(pending.key);
    *untrusted = true;
    return nullptr;
  }
  return entry;
}

void MissResolver::on_fetched(const Pending& pending, FetchResult result) {
  account(pending, result);
  const bool use_shared = p_.shared != nullptr && pending.validated_by != nullptr;
  if (!result.ok()) {
    if (use_shared) p_.shared->release(pending.key);  // others waiting on our lock go ahead
    p_.flights.complete(pending.key, FetchOutcome{nullptr, result.code});
    return;
  }
  bool untrusted = false;
  EntryPtr entry = store_answer(pending, result.der, result.answer, &untrusted);
  if (use_shared) {
    // What L1 now serves goes to the fleet (the stored one may be newer
    // than this fetch); the script there keeps a newer one still.
    if (entry) {
      p_.shared->put(pending.key, entry->der(), entry->next_update());
    } else {
      p_.shared->release(pending.key);
    }
  }
  // Refused as older than a recorded revocation: the responder serves a
  // stale copy, and asking it again at once would bring the same.
  if (!entry && !untrusted) p_.negative.remember(pending.key, p_.clock.monotonic_ms());
  p_.flights.complete(pending.key, entry ? FetchOutcome{std::move(entry), ocsp::ResponseCode::kSuccessful}
                                         : FetchOutcome{nullptr, ocsp::ResponseCode::kTryLater});
}

}  // namespace ocspcache
