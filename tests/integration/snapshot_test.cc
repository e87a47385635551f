// cache.snapshot (issue 11): the memory backend's warm restart. A restart
// with the responder stopped serves the previous answers, byte for byte,
// without asking anyone; a damaged snapshot is reported and ignored (a cold
// start); an issuer no longer configured gets nothing back; the file is
// rewritten every snapshot_interval, not only at shutdown.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>

#include "harness/openssl_responder.h"
#include "harness/ports.h"
#include "harness/prometheus_text.h"
#include "harness/temp_dir.h"
#include "proxy_fixture.h"

namespace ocspcache::it {
namespace {

class SnapshotTest : public ProxyTest {
 protected:
  DaemonOptions options(const std::string& responder, const std::string& interval = "5m",
                        std::filesystem::path issuer = {}) {
    DaemonOptions o;
    o.issuers.push_back(
        {.cert = issuer.empty() ? pki.intermediate() : issuer, .responders = {responder}});
    o.extra_toml = "[cache]\nsnapshot = \"" + snapshot.string() + "\"\nsnapshot_interval = \"" +
                   interval + "\"\n";
    return o;
  }
  HttpResponse ask(const std::filesystem::path& cert) {
    HttpClient http(daemon->port());
    return http.post("/", make_request_der(cert, pki.intermediate()));
  }
  double metric(const std::string& name) {
    HttpClient admin(daemon->admin_port());
    return metric_sum(admin.get("/metrics").body, name);
  }
  // Starts the daemon, asks for good and revoked, stops it (the snapshot is written).
  void fill(OpensslResponder& responder) {
    daemon = std::make_unique<Daemon>(options(responder.url()));
    good = ask(pki.good()).body;
    revoked = ask(pki.revoked()).body;
    ASSERT_EQ(parse_response(good, pki.good(), pki.intermediate(), pki.root()).cert_status, kGood);
    ASSERT_EQ(parse_response(revoked, pki.revoked(), pki.intermediate(), pki.root()).cert_status,
              kRevoked);
    ASSERT_EQ(daemon->stop(), 0);
    EXPECT_TRUE(daemon->log().find("event=snapshot_written") != std::string::npos) << daemon->log();
    ASSERT_TRUE(std::filesystem::exists(snapshot));
  }
  std::string read_snapshot() {
    std::ifstream in(snapshot, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  void write_snapshot(const std::string& bytes) {
    std::ofstream(snapshot, std::ios::binary | std::ios::trunc) << bytes;
  }

  TempDir dir{"ocspcache-snapshot"};
  std::filesystem::path snapshot = dir / "cache.snap";
  std::string good, revoked;
};

TEST_F(SnapshotTest, ARestartWithTheResponderStoppedServesThePreviousAnswers) {
  OpensslResponder responder;
  fill(responder);
  responder.stop();
  daemon = std::make_unique<Daemon>(options(responder.url()));
  EXPECT_TRUE(daemon->wait_for_log("event=snapshot_loaded")) << daemon->log();
  EXPECT_NE(daemon->log().find("loaded=2 expired=0 invalid=0"), std::string::npos) << daemon->log();
  EXPECT_TRUE(ask(pki.good()).body == good) << "not the previous answer";
  EXPECT_TRUE(ask(pki.revoked()).body == revoked) << "not the previous answer";
  EXPECT_EQ(metric("ocspcache_upstream_requests_total"), 0);
  // The revocation ledger came back too (sticky revocation across restarts).
  EXPECT_EQ(metric("ocspcache_revocations_remembered"), 1);
}

TEST_F(SnapshotTest, ADamagedSnapshotIsReportedAndIgnored) {
  OpensslResponder responder;
  fill(responder);
  const std::string intact = read_snapshot();
  const std::string damaged[] = {
      intact.substr(0, intact.size() / 2),                                    // cut
      intact.substr(0, 200) + char(intact[200] ^ 0x40) + intact.substr(201),  // a changed byte
      "not a snapshot"};
  for (const std::string& bytes : damaged) {
    write_snapshot(bytes);
    daemon = std::make_unique<Daemon>(options(responder.url()));
    EXPECT_TRUE(daemon->wait_for_log("event=snapshot_corrupt")) << daemon->log();
    EXPECT_NE(daemon->log().find("start=cold"), std::string::npos);
    EXPECT_EQ(daemon->log().find("event=snapshot_loaded"), std::string::npos);
    // Cold: the answer is fetched again.
    const HttpResponse r = ask(pki.good());
    EXPECT_EQ(parse(r, pki.good()).cert_status, kGood);
    EXPECT_EQ(metric("ocspcache_upstream_requests_total"), 1);
    ASSERT_EQ(daemon->stop(), 0);
    daemon.reset();
  }
}

// An issuer removed from the configuration between runs: none of its
// answers come back (each is re-validated against the issuers configured now).
TEST_F(SnapshotTest, AnswersOfAnIssuerNoLongerConfiguredAreNotLoaded) {
  OpensslResponder responder;
  fill(responder);
  daemon = std::make_unique<Daemon>(options(responder.url(), "5m", pki.other_ca()));
  EXPECT_TRUE(daemon->wait_for_log("event=snapshot_loaded")) << daemon->log();
  EXPECT_NE(daemon->log().find("loaded=0 expired=0 invalid=2"), std::string::npos) << daemon->log();
  EXPECT_NE(daemon->log().find("no longer configured"), std::string::npos) << daemon->log();
  EXPECT_EQ(response_status_of(ask(pki.good()).body), kUnauthorized);
}

TEST_F(SnapshotTest, TheSnapshotIsRewrittenEveryInterval) {
  OpensslResponder responder;
  daemon = std::make_unique<Daemon>(options(responder.url(), "1s"));
  ASSERT_EQ(parse(ask(pki.good()), pki.good()).cert_status, kGood);
  ASSERT_TRUE(wait_until(
      [&] { return daemon->log().find("event=snapshot_written") != std::string::npos; }, 5s));
  EXPECT_NE(daemon->log().find("entries=1"), std::string::npos) << daemon->log();
  EXPECT_NE(daemon->log().find("when=interval"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(snapshot.string() + ".tmp"));
  // And the file is a valid snapshot while the daemon runs: a second
  // instance with the responder stopped serves from it.
  responder.stop();
  const std::string copy_path = (dir / "copy.snap").string();
  std::filesystem::copy_file(snapshot, copy_path);
  DaemonOptions o;
  o.issuers.push_back({.cert = pki.intermediate(), .responders = {responder.url()}});
  o.extra_toml = "[cache]\nsnapshot = \"" + copy_path + "\"\n";
  Daemon second(std::move(o));
  HttpClient http(second.port());
  const HttpResponse r = http.post("/", make_request_der(pki.good(), pki.intermediate()));
  EXPECT_EQ(parse(r, pki.good()).cert_status, kGood);
  EXPECT_EQ(second.stop(), 0);
}

}  // namespace
}  // namespace ocspcache::it
