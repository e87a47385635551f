// cache.snapshot (issue 11): the memory backend's warm restart. A restart
// with the responder stopped serves the previous answers, byte for byte,
// without asking anyone; a damaged snapshot is reported and ignored (a cold
// start); an issuer no longer configured gets nothing back; an answer past
// its nextUpdate is not loaded; the revocation ledger comes back, so an
// older good answer is refused after a restart too; a failed write keeps
// the previous file; the file is rewritten every snapshot_interval, not
// only at shutdown.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "harness/fault_server.h"
#include "harness/openssl_responder.h"
#include "harness/ports.h"
#include "harness/prometheus_text.h"
#include "harness/response_forge.h"
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
  double metric(const std::string& name, const std::map<std::string, std::string>& labels = {}) {
    HttpClient admin(daemon->admin_port());
    return metric_sum(admin.get("/metrics").body, name, labels);
  }
  // -1 when the sample is missing: with cache.snapshot set it never is.
  double restored(const std::string& result) {
    HttpClient admin(daemon->admin_port());
    return metric_value(admin.get("/metrics").body, "ocspcache_snapshot_restored_entries",
                        {{"result", result}})
        .value_or(-1);
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
  EXPECT_EQ(restored("loaded"), 2);
  // Recorded again as the revoked entry went back in; that the ledger
  // itself survives is RevocationStaysStickyAcrossARestart's to show.
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
    EXPECT_EQ(restored("loaded"), 0);
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
  EXPECT_EQ(restored("invalid"), 2);
  EXPECT_EQ(restored("loaded"), 0);
  EXPECT_EQ(response_status_of(ask(pki.good()).body), kUnauthorized);
}

// Sticky revocation (issue 10) across a restart: the ledger is in the
// snapshot. The revoked answer leaves the cache before the snapshot is
// written, so only the ledger can know of the revocation after the
// restart: a good answer older than it is refused.
TEST_F(SnapshotTest, RevocationStaysStickyAcrossARestart) {
  OpensslResponder real;  // index.txt: revoked.pem revoked (keyCompromise)
  FaultServer upstream;
  upstream.forward_to(real.port());
  const DaemonOptions with = options(upstream.url());
  daemon = std::make_unique<Daemon>(with);
  ASSERT_EQ(parse(post_for(pki.revoked()), pki.revoked()).cert_status, kRevoked);
  // A reload without the issuer drops its answers; it comes back with none.
  DaemonOptions without = with;
  without.issuers[0].cert = pki.other_ca();
  daemon->rewrite_config(without);
  daemon->reload();
  ASSERT_TRUE(daemon->wait_for_log("event=reload_dropped_answers")) << daemon->log();
  daemon->rewrite_config(with);
  daemon->reload();
  ASSERT_TRUE(daemon->wait_for_log("event=reloaded", 2)) << daemon->log();
  ASSERT_EQ(metric("ocspcache_cache_entries"), 0);
  ASSERT_EQ(daemon->stop(), 0);
  ASSERT_NE(daemon->log().find("entries=0"), std::string::npos) << daemon->log();

  daemon = std::make_unique<Daemon>(with);
  ASSERT_TRUE(daemon->wait_for_log("event=snapshot_loaded")) << daemon->log();
  EXPECT_NE(daemon->log().find("loaded=0 "), std::string::npos) << daemon->log();
  EXPECT_NE(daemon->log().find("revocations=1"), std::string::npos) << daemon->log();
  EXPECT_EQ(metric("ocspcache_revocations_remembered"), 1);

  // A correctly signed good answer from before the revocation, as a lagging
  // replica would serve it: refused, the client gets tryLater.
  upstream.reply(forge_response({.leaf = pki.revoked(),
                                 .status = kGood,
                                 .this_update = -std::chrono::hours(2),
                                 .next_update = std::chrono::hours(22)}));
  const size_t before = upstream.request_count();
  EXPECT_EQ(response_status_of(post_for(pki.revoked()).body), kTryLater);
  EXPECT_EQ(upstream.request_count(), before + 1) << "not asked: the refusal is not the ledger's";
  EXPECT_EQ(metric("ocspcache_stale_answers_refused_total"), 1);
  // Control: the same forge for a never revoked certificate is served.
  upstream.reply(forge_response({.leaf = pki.good(),
                                 .status = kGood,
                                 .this_update = -std::chrono::hours(2),
                                 .next_update = std::chrono::hours(22)}));
  EXPECT_EQ(parse(post_for(pki.good()), pki.good()).cert_status, kGood);
}

// An answer written while valid whose nextUpdate passed before the restart
// is counted as expired and not loaded: the next client causes a fetch.
TEST_F(SnapshotTest, AnAnswerPastItsNextUpdateIsNotLoaded) {
  FaultServer upstream;
  const auto next_update = std::chrono::system_clock::now() + 6s;
  upstream.reply(forge_response({.leaf = pki.good(), .next_update = 6s}));
  daemon = std::make_unique<Daemon>(options(upstream.url()));
  ASSERT_EQ(parse(post_for(pki.good()), pki.good()).cert_status, kGood);
  ASSERT_EQ(daemon->stop(), 0);
  ASSERT_NE(daemon->log().find("entries=1"), std::string::npos) << daemon->log();
  // Not a guess: the answer's own nextUpdate (whole seconds) must be behind us.
  std::this_thread::sleep_until(next_update + 1500ms);

  upstream.reply(forge_response({.leaf = pki.good()}));
  daemon = std::make_unique<Daemon>(options(upstream.url()));
  ASSERT_TRUE(daemon->wait_for_log("event=snapshot_loaded")) << daemon->log();
  EXPECT_NE(daemon->log().find("loaded=0 expired=1 invalid=0"), std::string::npos) << daemon->log();
  EXPECT_EQ(restored("expired"), 1);
  const size_t before = upstream.request_count();
  EXPECT_EQ(parse(post_for(pki.good()), pki.good()).cert_status, kGood);
  EXPECT_EQ(upstream.request_count(), before + 1);
}

// A write that fails (here: the temp file cannot be created) is logged,
// leaves the previous snapshot as it was and stops nothing, shutdown
// included.
TEST_F(SnapshotTest, AFailedWriteKeepsThePreviousFile) {
  OpensslResponder responder;
  fill(responder);
  const std::string previous = read_snapshot();
  std::filesystem::create_directory(snapshot.string() +
                                    ".tmp");  // open(O_WRONLY) fails, even as root
  daemon = std::make_unique<Daemon>(options(responder.url(), "1s"));
  ASSERT_TRUE(daemon->wait_for_log("event=snapshot_write_failed")) << daemon->log();
  EXPECT_NE(daemon->log().find("kept=previous"), std::string::npos) << daemon->log();
  EXPECT_EQ(read_snapshot(), previous);
  EXPECT_TRUE(ask(pki.good()).body == good) << "the loaded answer is still served";
  EXPECT_GE(metric("ocspcache_snapshot_writes_total", {{"result", "failed"}}), 1);
  EXPECT_EQ(metric("ocspcache_snapshot_writes_total", {{"result", "written"}}), 0);
  EXPECT_EQ(metric("ocspcache_snapshot_last_success_timestamp_seconds"), 0);
  ASSERT_EQ(daemon->stop(), 0);
  EXPECT_EQ(daemon->log_count("event=snapshot_written"), 0u) << daemon->log();
  EXPECT_NE(daemon->log().find("when=shutdown"), std::string::npos) << daemon->log();
  EXPECT_EQ(read_snapshot(), previous);
  daemon.reset();  // stopped already
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
  EXPECT_GE(metric("ocspcache_snapshot_writes_total", {{"result", "written"}}), 1);
  const double unix_now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_NEAR(metric("ocspcache_snapshot_last_success_timestamp_seconds"), unix_now, 10);
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
