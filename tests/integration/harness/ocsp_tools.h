// OCSP on the test side, with the OpenSSL API: build requests, read the
// answers the daemon sends, and drive the real `openssl ocsp` client. Tests
// assert on parsed statuses, never on byte patterns (except the fixed
// 5-byte error answers, which RFC 6960 fully determines).
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace ocspcache::it {

using namespace std::chrono_literals;

// OCSPResponseStatus (RFC 6960 §4.2.1) and CertStatus values, as OpenSSL numbers them.
enum ResponseStatus {
  kSuccessful = 0,
  kMalformedRequest = 1,
  kInternalError = 2,
  kTryLater = 3,
  kSigRequired = 5,
  kUnauthorized = 6,
};
enum CertStatus { kGood = 0, kRevoked = 1, kUnknown = 2 };

// DER OCSPRequest for one certificate; SHA-1 CertID unless SHA256.
std::string make_request_der(const std::filesystem::path& leaf, const std::filesystem::path& issuer,
                             bool sha256 = false, bool nonce = false);

// DER OCSPRequests (SHA-1 CertIDs) under ISSUER for serials FIRST, FIRST+1,
// ... (COUNT of them): distinct CertIDs without a certificate each, for
// floods. A responder answers `unknown` for serials it never issued.
std::vector<std::string> make_requests_for_serials(const std::filesystem::path& issuer,
                                                   uint64_t first, size_t count);

struct ParsedResponse {
  bool parsed = false;       // DER decoded as an OCSPResponse
  int response_status = -1;  // ResponseStatus
  bool has_single = false;   // a SingleResponse for the asked CertID
  int cert_status = -1;      // CertStatus of that SingleResponse
  std::time_t this_update = 0;
  std::time_t next_update = 0;  // 0 when absent
  bool signature_ok = false;    // verifies against root (delegated signer allowed)
  std::string error;
};

// Decodes DER and looks up the SingleResponse for LEAF/ISSUER; verifies the
// signature with TRUST (e.g. the test root) and ISSUER as intermediate.
ParsedResponse parse_response(std::string_view der, const std::filesystem::path& leaf,
                              const std::filesystem::path& issuer,
                              const std::filesystem::path& trust, bool sha256 = false);
// Only the outer status (for error answers, which carry no certificates).
int response_status_of(std::string_view der);

std::string base64(std::string_view der);
// Percent-encodes '+', '/' and '=' (what nginx and RFC 5019 clients send).
std::string url_escape(std::string_view text);

// The real `openssl ocsp` client against URL, one certificate.
struct OpensslClientOptions {
  bool nonce = true;    // the client's default; false adds -no_nonce
  bool sha256 = false;  // -sha256 before -cert
  std::chrono::milliseconds timeout = 10s;
};
struct OpensslClientResult {
  int exit_code = -1;
  std::string cert_status;      // "good" | "revoked" | "unknown" | "" (none printed)
  std::string responder_error;  // "trylater", "unauthorized", ... when not successful
  bool verify_ok = false;       // "Response verify OK"
  std::string out, err;
};
OpensslClientResult openssl_client(const std::string& url, const std::filesystem::path& leaf,
                                   const std::filesystem::path& issuer,
                                   const std::filesystem::path& ca_file,
                                   OpensslClientOptions options = {});

}  // namespace ocspcache::it
