// Signed OCSP responses made to order from the test PKI, for the answers the
// real responder will not give: already expired, not yet valid, without
// nextUpdate, for another serial, signed by a stranger. Served to the daemon
// through FaultServer::reply().
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "harness/ocsp_tools.h"

namespace ocspcache::it {

struct ForgeSpec {
  // Empty paths take the Pki defaults: good.pem, intermediate, ocsp-signer.
  std::filesystem::path leaf{};
  std::filesystem::path issuer{};
  std::filesystem::path signer{};  // signs the response; may be the issuer itself
  std::filesystem::path signer_key{};
  CertStatus status = kGood;
  bool sha256_cert_id = false;  // CertID hash; the daemon matches the one it was asked
  // Offsets from now: thisUpdate and nextUpdate (an expired response has both negative).
  std::chrono::seconds this_update = -std::chrono::minutes(1);
  std::chrono::seconds next_update = std::chrono::hours(24);
  bool omit_next_update = false;
  bool include_signer_cert = true;  // a delegated signer must ship its certificate

  // Signed by the other CA's OCSP signer.
  ForgeSpec& wrong_signer();
};

// DER of a successful OCSPResponse built and signed as SPEC says.
std::string forge_response(ForgeSpec spec);

// DER of an unsuccessful OCSPResponse (no body), e.g. kTryLater.
std::string error_response(ResponseStatus status);

}  // namespace ocspcache::it
