#include "harness/ocsp_tools.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "harness/pem.h"
#include "harness/process.h"
#include "ocspcache/util/ssl_handles.h"

namespace ocspcache::it {

namespace {

std::time_t to_time_t(const ASN1_GENERALIZEDTIME* t) {
  if (t == nullptr) return 0;
  tm out{};
  if (ASN1_TIME_to_tm(t, &out) != 1) return 0;
  return timegm(&out);
}

OcspCertIdPtr cert_id(const X509* leaf, const X509* issuer, bool sha256) {
  OcspCertIdPtr id(OCSP_cert_to_id(sha256 ? EVP_sha256() : EVP_sha1(), leaf, issuer));
  if (!id) throw std::runtime_error("OCSP_cert_to_id failed");
  return id;
}

}  // namespace

std::string make_request_der(const std::filesystem::path& leaf_path,
                             const std::filesystem::path& issuer_path, bool sha256, bool nonce) {
  X509Ptr leaf = load_cert(leaf_path);
  X509Ptr issuer = load_cert(issuer_path);
  OcspRequestPtr req(OCSP_REQUEST_new());
  OcspCertIdPtr id = cert_id(leaf.get(), issuer.get(), sha256);
  if (OCSP_request_add0_id(req.get(), id.get()) == nullptr) {
    throw std::runtime_error("OCSP_request_add0_id failed");
  }
  id.release();  // owned by the request now
  if (nonce && OCSP_request_add1_nonce(req.get(), nullptr, -1) != 1) {
    throw std::runtime_error("OCSP_request_add1_nonce failed");
  }
  return to_der(req.get(), i2d_OCSP_REQUEST);
}

std::vector<std::string> make_requests_for_serials(const std::filesystem::path& issuer_path,
                                                   uint64_t first, size_t count) {
  X509Ptr issuer = load_cert(issuer_path);
  std::vector<std::string> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    std::unique_ptr<ASN1_INTEGER, decltype(&ASN1_INTEGER_free)> serial(ASN1_INTEGER_new(),
                                                                       ASN1_INTEGER_free);
    if (!serial || ASN1_INTEGER_set_uint64(serial.get(), first + i) != 1) {
      throw std::runtime_error("ASN1_INTEGER_set_uint64 failed");
    }
    OcspCertIdPtr id(OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(issuer.get()),
                                      X509_get0_pubkey_bitstr(issuer.get()), serial.get()));
    if (!id) throw std::runtime_error("OCSP_cert_id_new failed");
    OcspRequestPtr req(OCSP_REQUEST_new());
    if (OCSP_request_add0_id(req.get(), id.get()) == nullptr) {
      throw std::runtime_error("OCSP_request_add0_id failed");
    }
    id.release();  // owned by the request now
    out.push_back(to_der(req.get(), i2d_OCSP_REQUEST));
  }
  return out;
}

int response_status_of(std::string_view der) {
  auto* p = reinterpret_cast<const unsigned char*>(der.data());
  OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  return resp ? OCSP_response_status(resp.get()) : -1;
}

ParsedResponse parse_response(std::string_view der, const std::filesystem::path& leaf_path,
                              const std::filesystem::path& issuer_path,
                              const std::filesystem::path& trust, bool sha256) {
  ParsedResponse out;
  auto* p = reinterpret_cast<const unsigned char*>(der.data());
  OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  if (!resp) {
    out.error = "not DER of an OCSPResponse (" + std::to_string(der.size()) + " bytes)";
    return out;
  }
  out.parsed = true;
  out.response_status = OCSP_response_status(resp.get());
  if (out.response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL) return out;
  OcspBasicRespPtr basic(OCSP_response_get1_basic(resp.get()));
  if (!basic) {
    out.error = "successful but no BasicOCSPResponse";
    return out;
  }
  X509Ptr leaf = load_cert(leaf_path);
  X509Ptr issuer = load_cert(issuer_path);
  OcspCertIdPtr id = cert_id(leaf.get(), issuer.get(), sha256);
  int reason = 0;
  ASN1_GENERALIZEDTIME *revoked_at = nullptr, *this_update = nullptr, *next_update = nullptr;
  int status = -1;
  if (OCSP_resp_find_status(basic.get(), id.get(), &status, &reason, &revoked_at, &this_update,
                            &next_update) == 1) {
    out.has_single = true;
    out.cert_status = status;
    out.this_update = to_time_t(this_update);
    out.next_update = to_time_t(next_update);
  } else {
    out.error = "no SingleResponse for the asked CertID";
  }

  // Like the openssl client: the issuer is an extra trusted-for-chain cert.
  X509StorePtr store(X509_STORE_new());
  X509Ptr root = load_cert(trust);
  X509_STORE_add_cert(store.get(), root.get());
  X509StackPtr untrusted(sk_X509_new_null());
  X509_up_ref(issuer.get());
  sk_X509_push(untrusted.get(), issuer.get());
  out.signature_ok = OCSP_basic_verify(basic.get(), untrusted.get(), store.get(), 0) == 1;
  ERR_clear_error();
  return out;
}

std::string base64(std::string_view der) {
  std::string out(4 * ((der.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(der.data()),
                          static_cast<int>(der.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string url_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '+':
        out += "%2B";
        break;
      case '/':
        out += "%2F";
        break;
      case '=':
        out += "%3D";
        break;
      default:
        out += c;
    }
  }
  return out;
}

OpensslClientResult openssl_client(const std::string& url, const std::filesystem::path& leaf,
                                   const std::filesystem::path& issuer,
                                   const std::filesystem::path& ca_file,
                                   OpensslClientOptions options) {
  std::vector<std::string> argv = {"openssl", "ocsp", "-issuer", issuer.string()};
  if (options.sha256) argv.push_back("-sha256");  // applies to the -cert after it
  argv.insert(argv.end(), {"-cert", leaf.string(), "-url", url, "-CAfile", ca_file.string(),
                           "-timeout", std::to_string(options.timeout.count() / 1000 + 1)});
  if (!options.nonce) argv.push_back("-no_nonce");
  CommandResult r = run_command(argv, options.timeout);

  OpensslClientResult out;
  out.exit_code = r.exit_code;
  out.out = r.out;
  out.err = r.err;
  std::istringstream lines(r.out);
  std::string line;
  std::string prefix = leaf.string() + ": ";
  while (std::getline(lines, line)) {
    if (line.starts_with(prefix)) out.cert_status = line.substr(prefix.size());
    // "Responder Error: trylater (3)"
    if (line.starts_with("Responder Error: ")) {
      out.responder_error = line.substr(17, line.find(' ', 17) - 17);
    }
  }
  out.verify_ok = r.err.find("Response verify OK") != std::string::npos ||
                  r.out.find("Response verify OK") != std::string::npos;
  return out;
}

}  // namespace ocspcache::it
