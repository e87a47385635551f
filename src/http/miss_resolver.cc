#include "ocspcache/http/miss_resolver.h"

namespace ocspcache {

void MissResolver::resolve(const ocsp::CacheKey& key, const ocsp::DecodedRequest& req,
                           std::shared_ptr<const RouteTable> routes, const Route& route,
                           Flights::Waiter waiter) {
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
  Pending pending{key, route.issuer->name(), {}, {}};
  for (const auto& id : req.cert_ids()) {
    pending.serials.push_back(ocsp::serial_hex(id.serial));
    pending.cert_ids.push_back(ocsp::cert_id_key(id));
  }
  FetchRequest fetch{key, ocsp::build_upstream_request(req), std::move(routes), &route};
  fetcher_.fetch(std::move(fetch), [this, pending = std::move(pending)](FetchResult result) {
    on_fetched(pending, std::move(result));
  });
}

void MissResolver::on_fetched(const Pending& pending, FetchResult result) {
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
    for (const auto& serial : pending.serials) certs.exhausted(pending.issuer, serial, error, now);
    p_.flights.complete(pending.key, FetchOutcome{nullptr, result.code});
    return;
  }
  std::vector<AnsweredCert> answered;
  answered.reserve(result.answer.singles.size());
  for (size_t i = 0; i < result.answer.singles.size() && i < pending.serials.size(); ++i) {
    answered.push_back(
        {pending.issuer, pending.serials[i], result.answer.singles[i], pending.cert_ids[i]});
  }
  EntryPtr entry = p_.writer.commit(pending.key, result.der, result.answer, answered, now);
  // Refused as older than a recorded revocation: the responder serves a
  // stale copy, and asking it again at once would bring the same.
  if (!entry) p_.negative.remember(pending.key, p_.clock.monotonic_ms());
  p_.flights.complete(pending.key, entry ? FetchOutcome{std::move(entry), ocsp::ResponseCode::kSuccessful}
                                         : FetchOutcome{nullptr, ocsp::ResponseCode::kTryLater});
}

}  // namespace ocspcache
