// restore_snapshot (snapshot.h): every entry validated as a fetched answer.
#include "ocspcache/cache/snapshot.h"
#include "ocspcache/ocsp/response.h"
#include "ocspcache/ocsp/response_request.h"

namespace ocspcache {

RestoreReport restore_snapshot(const SnapshotContents& contents, CacheWriter& writer,
                               const ocsp::IssuerRegistry& registry, int64_t now,
                               int64_t skew_seconds) {
  RestoreReport report;
  // The ledger first: an entry older than a revocation it records is refused.
  if (writer.ledger().load(contents.ledger)) {
    report.revocations = contents.ledger.size() / RevocationLedger::kRecordBytes;
  }
  auto invalid = [&](const std::string& why) {
    ++report.invalid;
    if (report.first_problem.empty()) report.first_problem = why;
  };
  for (const SnapshotContents::Entry& e : contents.entries) {
    const std::vector<uint8_t> request = ocsp::request_for_response(e.der);
    const auto decoded = ocsp::decode_request(request);
    if (request.empty() || !decoded.ok()) {
      invalid("not a successful OCSP response");
      continue;
    }
    if (!(ocsp::make_cache_key(*decoded) == e.key)) {
      invalid("its CertIDs do not make the key it was stored under");
      continue;
    }
    const ocsp::Issuer* issuer = registry.find(decoded->cert_ids().front());
    if (issuer == nullptr) {
      invalid("its issuer is no longer configured");
      continue;
    }
    auto v = ocsp::validate_response(e.der, *decoded, issuer, now, skew_seconds);
    if (!v.ok()) {
      if (v.error().error == ocsp::ResponseError::kExpired) {
        ++report.expired;
      } else {
        const std::string why(ocsp::to_string(v.error().error));
        invalid(why + (v.error().detail.empty() ? "" : ": " + v.error().detail));
      }
      continue;
    }
    std::vector<AnsweredCert> certs;
    for (size_t i = 0; i < v->singles.size() && i < decoded->count; ++i) {
      const ocsp::CertIdView& id = decoded->cert_ids()[i];
      certs.push_back(
          {issuer->name(), ocsp::serial_hex(id.serial), v->singles[i], ocsp::cert_id_key(id)});
    }
    if (EntryPtr entry = writer.commit(e.key, e.der, *v, certs, now, e.tracked)) {
      // Asked as of the restart: one cache.refresh_idle of refreshes before
      // it must be asked again (when it was last asked is not in the file).
      entry->mark_asked(now);
      ++report.loaded;
    } else {
      ++report.refused;
    }
  }
  return report;
}

}  // namespace ocspcache
