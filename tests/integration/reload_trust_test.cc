// SIGHUP drops what the new config no longer trusts (issue 10): answers
// about an [[issuer]] that was removed, or whose certificate was replaced,
// leave the cache at once. Without that a hit (the store is read before any
// routing) would keep serving them until their nextUpdate.
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>

#include "harness/fault_server.h"
#include "harness/openssl_responder.h"
#include "harness/prometheus_text.h"
#include "harness/temp_dir.h"
#include "ocspcache/util/ssl_handles.h"
#include "proxy_fixture.h"

namespace ocspcache::it {
namespace {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<FILE, FileCloser>;

X509Ptr read_cert(const std::filesystem::path& path) {
  FilePtr f(std::fopen(path.c_str(), "rb"));
  return X509Ptr(f ? PEM_read_X509(f.get(), nullptr, nullptr, nullptr) : nullptr);
}

EvpPkeyPtr read_key(const std::filesystem::path& path) {
  FilePtr f(std::fopen(path.c_str(), "rb"));
  return EvpPkeyPtr(f ? PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr) : nullptr);
}

// The intermediate CA re-issued by the root: same subject, same key (so the
// same CertIDs, and the same delegated signer stays authorised), another
// serial, hence another certificate. What a CA renewal looks like.
std::filesystem::path reissued_intermediate(const Pki& pki, const TempDir& dir) {
  X509Ptr cert = read_cert(pki.intermediate());
  EvpPkeyPtr root_key = read_key(pki.key("root"));
  if (!cert || !root_key) throw std::runtime_error("cannot read the test PKI");
  if (ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 0x7777) != 1 ||
      X509_sign(cert.get(), root_key.get(), EVP_sha256()) <= 0)
    throw std::runtime_error("cannot re-issue the intermediate");
  const std::filesystem::path out = dir / "intermediate-reissued.pem";
  FilePtr f(std::fopen(out.c_str(), "wb"));
  if (!f || PEM_write_X509(f.get(), cert.get()) != 1) throw std::runtime_error("cannot write");
  return out;
}

class ReloadTrustTest : public ProxyTest {};

TEST_F(ReloadTrustTest, RemovingAnIssuerDropsItsAnswersAtOnce) {
  OpensslResponder ours;
  ResponderOptions other_options;
  other_options.index = pki.other_index();
  other_options.ca = pki.other_ca();
  other_options.signer = pki.other_signer();
  other_options.signer_key = pki.other_signer_key();
  OpensslResponder theirs(other_options);
  FaultServer theirs_counted;
  theirs_counted.forward_to(theirs.port());

  DaemonOptions options;
  options.issuers.push_back({.cert = pki.intermediate(), .responders = {ours.url()}});
  options.issuers.push_back(
      {.name = "other CA", .cert = pki.other_ca(), .responders = {theirs_counted.url()}});
  daemon = std::make_unique<Daemon>(options);
  auto ask_other = [&] {
    return openssl_client(daemon->url(), pki.other_leaf(), pki.other_ca(), pki.other_ca(),
                          {.nonce = false});
  };
  ASSERT_EQ(ask(pki.good()).cert_status, "good");
  ASSERT_EQ(ask_other().cert_status, "good");
  ASSERT_EQ(theirs_counted.request_count(), 1u);

  options.issuers.erase(options.issuers.begin());
  daemon->rewrite_config(options);
  daemon->reload();
  ASSERT_TRUE(daemon->wait_for_log("event=reload_dropped_answers", 1)) << daemon->log();
  EXPECT_EQ(daemon->log_count("entries=1 "), 1u) << "only the removed issuer's answer\n"
                                                  << daemon->log();

  // Cached a moment ago, and good until tomorrow: refused all the same.
  auto removed = ask(pki.good());
  EXPECT_NE(removed.cert_status, "good") << removed.out << removed.err;
  EXPECT_EQ(removed.responder_error, "unauthorized") << removed.out << removed.err;
  // The issuer that stays keeps its answer (still a hit: no upstream request).
  EXPECT_EQ(ask_other().cert_status, "good");
  EXPECT_EQ(theirs_counted.request_count(), 1u);
}

TEST_F(ReloadTrustTest, ReplacingAnIssuerCertificateRevalidatesItsAnswers) {
  OpensslResponder real;
  FaultServer counted;
  counted.forward_to(real.port());
  DaemonOptions options;
  options.issuers.push_back({.cert = pki.intermediate(), .responders = {counted.url()}});
  daemon = std::make_unique<Daemon>(options);
  ASSERT_EQ(ask(pki.good()).cert_status, "good");
  ASSERT_EQ(ask(pki.good()).cert_status, "good");
  ASSERT_EQ(counted.request_count(), 1u) << "the second was a hit";

  // Renamed, same certificate: trusted as before, nothing dropped.
  options.issuers[0].name = "renamed intermediate";
  daemon->rewrite_config(options);
  daemon->reload();
  ASSERT_TRUE(daemon->wait_for_log("event=reloaded", 1)) << daemon->log();
  EXPECT_EQ(ask(pki.good()).cert_status, "good");
  EXPECT_EQ(counted.request_count(), 1u) << "a rename keeps the answers";
  EXPECT_EQ(daemon->log_count("event=reload_dropped_answers"), 0u) << daemon->log();

  // Same name, another certificate (a renewal): its answers were validated
  // against the old one, so they go, and the next one is fetched and
  // validated against the new certificate.
  TempDir dir("ocspcache-reload-trust");
  options.issuers[0].cert = reissued_intermediate(pki, dir);
  daemon->rewrite_config(options);
  daemon->reload();
  ASSERT_TRUE(daemon->wait_for_log("event=reload_dropped_answers", 1)) << daemon->log();
  EXPECT_EQ(daemon->log_count("entries=1 "), 1u) << daemon->log();
  auto fresh = ask(pki.good());
  EXPECT_EQ(fresh.cert_status, "good") << fresh.out << fresh.err;
  EXPECT_TRUE(fresh.verify_ok) << fresh.err;
  EXPECT_EQ(counted.request_count(), 2u) << "fetched again, not served from the old cache";
}

}  // namespace
}  // namespace ocspcache::it
