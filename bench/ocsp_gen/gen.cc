// `gen`: N signed responses for N consecutive serials of the test PKI's
// intermediate CA, signed with its delegated responder key (ocsp-signer,
// EC P-256, ECDSA-SHA256) and carrying the signer certificate, i.e. the same
// shape `openssl ocsp -rsigner ocsp-signer.pem` answers with; plus the
// matching requests (one SHA-1 CertID, no nonce, as nginx sends).
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

#include "common.h"
#include "ocspcache/util/ssl_handles.h"

namespace ocspgen {
namespace {

using ocspcache::FnDeleter;
using Asn1TimePtr = std::unique_ptr<ASN1_GENERALIZEDTIME, FnDeleter<ASN1_GENERALIZEDTIME_free>>;
using IntegerPtr = std::unique_ptr<ASN1_INTEGER, FnDeleter<ASN1_INTEGER_free>>;

ocspcache::X509Ptr load_cert(const std::filesystem::path& p) {
  ocspcache::BioPtr bio(BIO_new_file(p.c_str(), "r"));
  ocspcache::X509Ptr x(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!x) fail("cannot load certificate " + p.string());
  return x;
}

ocspcache::EvpPkeyPtr load_key(const std::filesystem::path& p) {
  ocspcache::BioPtr bio(BIO_new_file(p.c_str(), "r"));
  ocspcache::EvpPkeyPtr k(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                              : nullptr);
  if (!k) fail("cannot load key " + p.string());
  return k;
}

template <typename T, int (*I2d)(const T*, unsigned char**)>
std::string to_der(const T* obj) {
  unsigned char* out = nullptr;
  const int len = I2d(obj, &out);
  if (len <= 0) fail("DER encoding failed");
  std::string s(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  return s;
}

std::string hex_upper(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llX", static_cast<unsigned long long>(v));
  std::string s = buf;
  if (s.size() % 2) s = "0" + s;
  return s;
}

}  // namespace

int cmd_gen(int argc, char** argv) {
  std::filesystem::path pki, out;
  uint64_t count = 0, first = 0;
  long days = 7;
  for (int i = 0; i + 1 < argc; i += 2) {
    const std::string_view a = argv[i];
    if (a == "--pki") pki = argv[i + 1];
    else if (a == "--out") out = argv[i + 1];
    else if (a == "--count") count = std::stoull(argv[i + 1]);
    else if (a == "--first-serial") first = std::stoull(argv[i + 1]);
    else if (a == "--days") days = std::stol(argv[i + 1]);
    else fail("unknown option " + std::string(a));
  }
  if (pki.empty() || out.empty() || count == 0 || first == 0) fail("--pki, --out, --count, --first-serial are required");

  const auto started = std::chrono::steady_clock::now();
  auto issuer = load_cert(pki / "intermediate.pem");
  auto signer = load_cert(pki / "ocsp-signer.pem");
  auto key = load_key(pki / "ocsp-signer.key");
  std::filesystem::create_directories(out);
  std::filesystem::remove(out / "meta");  // incomplete until rewritten at the end

  const time_t now = std::time(nullptr);
  Asn1TimePtr this_update(ASN1_GENERALIZEDTIME_adj(nullptr, now, 0, -3600));
  Asn1TimePtr next_update(ASN1_GENERALIZEDTIME_adj(nullptr, now, static_cast<int>(days), 0));
  if (!this_update || !next_update) fail("time setup failed");
  // openssl ca database expiry (UTCTime text) for index.txt.
  char expiry[32];
  {
    const time_t exp = now + 825L * 86400;
    tm g{};
    gmtime_r(&exp, &g);
    std::strftime(expiry, sizeof expiry, "%y%m%d%H%M%SZ", &g);
  }

  std::string requests, responses, paths, index;
  requests.reserve(count * 80);
  responses.reserve(count * 1000);
  paths.reserve(count * 120);
  const X509_NAME* issuer_name = X509_get_subject_name(issuer.get());
  const ASN1_BIT_STRING* issuer_key = X509_get0_pubkey_bitstr(issuer.get());
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t serial = first + i;
    IntegerPtr sn(ASN1_INTEGER_new());
    if (!sn || ASN1_INTEGER_set_uint64(sn.get(), serial) != 1) fail("serial");
    ocspcache::OcspCertIdPtr id(OCSP_cert_id_new(EVP_sha1(), issuer_name, issuer_key, sn.get()));
    if (!id) fail("OCSP_cert_id_new failed");

    ocspcache::OcspRequestPtr req(OCSP_REQUEST_new());
    OCSP_CERTID* req_id = OCSP_CERTID_dup(id.get());
    if (!req || req_id == nullptr || OCSP_request_add0_id(req.get(), req_id) == nullptr) {
      OCSP_CERTID_free(req_id);
      fail("building the request failed");
    }
    const std::string req_der = to_der<OCSP_REQUEST, i2d_OCSP_REQUEST>(req.get());

    ocspcache::OcspBasicRespPtr basic(OCSP_BASICRESP_new());
    if (!basic || OCSP_basic_add1_status(basic.get(), id.get(), V_OCSP_CERTSTATUS_GOOD, -1,
                                         nullptr, this_update.get(), next_update.get()) == nullptr) {
      fail("OCSP_basic_add1_status failed");
    }
    if (OCSP_basic_sign(basic.get(), signer.get(), key.get(), EVP_sha256(), nullptr, 0) != 1) {
      fail("OCSP_basic_sign failed");
    }
    ocspcache::OcspResponsePtr resp(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
    if (!resp) fail("OCSP_response_create failed");
    const std::string resp_der = to_der<OCSP_RESPONSE, i2d_OCSP_RESPONSE>(resp.get());

    append_record(requests, req_der);
    append_record(responses, resp_der);
    paths += get_path_for(req_der);
    paths += '\n';
    index += "V\t";
    index += expiry;
    index += "\t\t" + hex_upper(serial) + "\tunknown\t/CN=bench " + std::to_string(serial) + "\n";
    if (i == 0) {
      write_file(out / "first_request.der", req_der);
      write_file(out / "first_response.der", resp_der);
    }
  }
  write_file(out / "requests.bin", requests);
  write_file(out / "responses.bin", responses);
  write_file(out / "paths.txt", paths);
  write_file(out / "index.txt", index);
  // The signer's fingerprint ties the set to this PKI (run.sh regenerates
  // when the PKI changes or the set is about to expire).
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  X509_digest(signer.get(), EVP_sha256(), md, &mdlen);
  std::string fp;
  for (unsigned int i = 0; i < mdlen; ++i) {
    char b[3];
    std::snprintf(b, sizeof b, "%02x", md[i]);
    fp += b;
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  write_file(out / "meta", "count=" + std::to_string(count) + "\nfirst_serial=" +
                               std::to_string(first) + "\nnext_update=" +
                               std::to_string(now + days * 86400) + "\nsigner=" + fp +
                               "\navg_response_bytes=" +
                               std::to_string((responses.size() - 4 * count) / count) +
                               "\ngen_seconds=" + std::to_string(secs) + "\n");
  std::printf("generated %llu responses in %.1f s (%s)\n", static_cast<unsigned long long>(count),
              secs, out.c_str());
  return 0;
}

}  // namespace ocspgen
