// The harness checked against the real things it wraps, without the daemon:
// if these fail, a failure elsewhere says nothing about ocspcache.
#include <gtest/gtest.h>
#include <signal.h>

#include "harness/daemon.h"
#include "harness/fault_server.h"
#include "harness/http_client.h"
#include "harness/ocsp_tools.h"
#include "harness/openssl_responder.h"
#include "harness/pki.h"
#include "harness/ports.h"
#include "harness/process.h"
#include "harness/prometheus_text.h"
#include "harness/response_forge.h"
#include "harness/temp_dir.h"

namespace ocspcache::it {
namespace {

const Pki& pki() {
  return Pki::get();
}

TEST(HarnessSelfTest, PkiHasEveryFileAndRootVerifiesTheChain) {
  for (const char* name : {"root", "intermediate", "ocsp-signer", "good", "revoked", "unknown",
                           "other-ca", "other-signer", "other-leaf"}) {
    EXPECT_TRUE(std::filesystem::exists(pki().cert(name))) << name;
    EXPECT_TRUE(std::filesystem::exists(pki().key(name))) << name;
  }
  auto r =
      run_command({"openssl", "verify", "-CAfile", pki().root().string(), "-untrusted",
                   pki().intermediate().string(), pki().good().string(), pki().signer().string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  auto ocsp_eku = run_command(
      {"openssl", "x509", "-in", pki().signer().string(), "-noout", "-ext", "extendedKeyUsage"});
  EXPECT_NE(ocsp_eku.out.find("OCSP Signing"), std::string::npos) << ocsp_eku.out;
}

TEST(HarnessSelfTest, TempDirIsRemoved) {
  std::filesystem::path p;
  {
    TempDir dir;
    p = dir.path();
    dir.write("x", "y");
    EXPECT_EQ(read_file(dir / "x"), "y");
  }
  if (getenv("OCSPCACHE_KEEP_TEST_DIRS") == nullptr) {
    EXPECT_FALSE(std::filesystem::exists(p));
  }
}

TEST(HarnessSelfTest, ProcessReportsExitAndStops) {
  TempDir dir;
  Process quick({{"sh", "-c", "echo out; echo err >&2; exit 3"}, {}, {}}, dir.path(), "quick");
  EXPECT_EQ(quick.wait_exit(5s), 3);
  EXPECT_EQ(quick.stdout_text(), "out\n");
  EXPECT_EQ(quick.stderr_text(), "err\n");

  Process sleeper({{"sleep", "60"}, {}, {}}, dir.path(), "sleeper");
  EXPECT_TRUE(sleeper.running());
  EXPECT_EQ(sleeper.stop(), 128 + SIGTERM);

  auto r = run_command({"sh", "-c", "printf abc; exit 2"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "abc");
  auto slow = run_command({"sleep", "30"}, 200ms);
  EXPECT_TRUE(slow.timed_out);
}

TEST(HarnessSelfTest, ReservedPortRefusesAndIsNotHandedOut) {
  PortReservation reserved;
  EXPECT_FALSE(is_listening(reserved.port()));
  EXPECT_LT(connect_loopback(reserved.port()), 0);
  for (int i = 0; i < 200; ++i) ASSERT_NE(free_loopback_port(), reserved.port());
}

TEST(HarnessSelfTest, OpensslResponderAnswersEachStatus) {
  OpensslResponder responder;
  EXPECT_TRUE(is_listening(responder.port()));
  struct Case {
    std::filesystem::path cert;
    const char* status;
  } cases[] = {{pki().good(), "good"}, {pki().revoked(), "revoked"}, {pki().unknown(), "unknown"}};
  for (const auto& c : cases) {
    auto r = openssl_client(responder.url(), c.cert, pki().intermediate(), pki().root());
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.cert_status, c.status) << r.out << r.err;
    EXPECT_TRUE(r.verify_ok) << r.err;
  }
  auto sha256 = openssl_client(responder.url(), pki().good(), pki().intermediate(), pki().root(),
                               {.nonce = false, .sha256 = true});
  EXPECT_EQ(sha256.cert_status, "good") << sha256.out << sha256.err;
  EXPECT_TRUE(sha256.verify_ok) << sha256.err;

  responder.stop();
  EXPECT_FALSE(is_listening(responder.port()));
  responder.start();
  auto again = openssl_client(responder.url(), pki().good(), pki().intermediate(), pki().root());
  EXPECT_EQ(again.cert_status, "good") << again.out << again.err;
}

TEST(HarnessSelfTest, WrongSignerResponderFailsVerification) {
  OpensslResponder responder(ResponderOptions::wrong_signer());
  auto r = openssl_client(responder.url(), pki().good(), pki().intermediate(), pki().root());
  EXPECT_FALSE(r.verify_ok) << r.err;
}

TEST(HarnessSelfTest, HttpPostAndParsedResponse) {
  OpensslResponder responder;
  HttpClient http(responder.port());
  auto res = http.post("/", make_request_der(pki().revoked(), pki().intermediate()));
  ASSERT_EQ(res.status, 200) << res.error;
  EXPECT_EQ(res.header("content-type"), "application/ocsp-response");
  auto parsed = parse_response(res.body, pki().revoked(), pki().intermediate(), pki().root());
  EXPECT_EQ(parsed.response_status, kSuccessful);
  EXPECT_EQ(parsed.cert_status, kRevoked);
  EXPECT_TRUE(parsed.signature_ok);
  EXPECT_GT(parsed.next_update, parsed.this_update);

  // GET with the URL-escaped base64 of the request, at '/' only for openssl.
  auto get =
      http.get("/" + url_escape(base64(make_request_der(pki().good(), pki().intermediate()))));
  ASSERT_EQ(get.status, 200) << get.error;
  EXPECT_EQ(parse_response(get.body, pki().good(), pki().intermediate(), pki().root()).cert_status,
            kGood);
}

TEST(HarnessSelfTest, FaultServerForwardsAndCounts) {
  OpensslResponder responder;
  FaultServer fault;
  fault.forward_to(responder.port(), 50ms);
  auto r = openssl_client(fault.url(), pki().good(), pki().intermediate(), pki().root());
  EXPECT_EQ(r.cert_status, "good") << r.out << r.err;
  EXPECT_TRUE(r.verify_ok);
  EXPECT_EQ(fault.request_count(), 1u);
  ASSERT_EQ(fault.request_lines().size(), 1u);
  EXPECT_EQ(fault.request_lines()[0].rfind("POST ", 0), 0u) << fault.request_lines()[0];
}

TEST(HarnessSelfTest, FaultServerModes) {
  FaultServer fault;
  HttpClient http(fault.port(), false, 2s);
  fault.reply_status(500);
  EXPECT_EQ(http.post("/", "x").status, 500);

  std::string der = forge_response({.status = kRevoked});
  fault.reply(der);
  auto fixed = http.post("/", "x");
  EXPECT_EQ(fixed.status, 200);
  EXPECT_EQ(fixed.body, der);

  fault.close_immediately();
  EXPECT_EQ(http.post("/", "x").status, 0);

  fault.hang();
  HttpClient impatient(fault.port(), false, 300ms);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(impatient.post("/", "x").status, 0);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
  EXPECT_EQ(fault.request_count(), 4u);
}

TEST(HarnessSelfTest, ForgedResponsesParseAsSpecified) {
  std::string expired = forge_response(
      {.this_update = -std::chrono::hours(48), .next_update = -std::chrono::hours(24)});
  auto p = parse_response(expired, pki().good(), pki().intermediate(), pki().root());
  EXPECT_EQ(p.cert_status, kGood);
  EXPECT_TRUE(p.signature_ok);
  EXPECT_LT(p.next_update, std::time(nullptr));

  std::string other_serial = forge_response({.leaf = pki().revoked()});
  EXPECT_FALSE(
      parse_response(other_serial, pki().good(), pki().intermediate(), pki().root()).has_single);

  std::string wrong = forge_response(ForgeSpec{}.wrong_signer());
  auto w = parse_response(wrong, pki().good(), pki().intermediate(), pki().root());
  EXPECT_EQ(w.cert_status, kGood);
  EXPECT_FALSE(w.signature_ok);

  EXPECT_EQ(response_status_of(error_response(kTryLater)), kTryLater);
  EXPECT_EQ(error_response(kMalformedRequest), std::string("\x30\x03\x0a\x01\x01", 5));
}

TEST(HarnessSelfTest, PrometheusTextSamples) {
  const char* text =
      "# HELP x_total help\n# TYPE x_total counter\n"
      "x_total{method=\"GET\",result=\"hit\"} 3\n"
      "x_total{method=\"POST\",result=\"hit\"} 4 1700000000\n"
      "y{label=\"a \\\"q\\\" b\"} 1.5e3\n"
      "z 7\n";
  EXPECT_EQ(metric_value(text, "x_total", {{"method", "POST"}}), 4);
  EXPECT_EQ(metric_sum(text, "x_total", {{"result", "hit"}}), 7);
  EXPECT_EQ(metric_value(text, "y", {{"label", "a \"q\" b"}}), 1500);
  EXPECT_EQ(metric_value(text, "z"), 7);
  EXPECT_FALSE(metric_value(text, "x_total", {{"method", "PUT"}}));
}

TEST(HarnessSelfTest, DaemonConfigText) {
  DaemonOptions o;
  o.issuers.push_back({.responders = {"http://127.0.0.1:1/", "http://127.0.0.1:2/"}});
  std::string t = Daemon::config_text(o, 1111, 2222);
  EXPECT_NE(t.find("listen = [\"127.0.0.1:1111\"]"), std::string::npos) << t;
  EXPECT_NE(t.find("listen = \"127.0.0.1:2222\""), std::string::npos) << t;
  EXPECT_NE(t.find("responders = [\"http://127.0.0.1:1/\", \"http://127.0.0.1:2/\"]"),
            std::string::npos)
      << t;
}

}  // namespace
}  // namespace ocspcache::it
