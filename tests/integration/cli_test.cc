// The command-line contract of DESIGN.md: --version, --list-metrics,
// --check-config exit codes and messages that name the offending key.
#include <gtest/gtest.h>

#include "harness/daemon.h"
#include "harness/pki.h"
#include "harness/process.h"
#include "harness/temp_dir.h"
#include "ocspcache/metrics/catalogue.h"

namespace ocspcache::it {
namespace {

TEST(CliTest, VersionPrintsTheVersion) {
  auto r = run_command({OCSPCACHE_BINARY, "--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(OCSPCACHE_VERSION), std::string::npos) << r.out;
}

// The dashboard and rule checkers read the catalogue this way
// (packaging/grafana/check_dashboard.py --catalogue-from).
TEST(CliTest, ListMetricsPrintsTheCatalogue) {
  auto r = run_command({OCSPCACHE_BINARY, "--list-metrics"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, render_metric_list());
  auto help = run_command({OCSPCACHE_BINARY, "--help"});
  EXPECT_NE(help.out.find("--list-metrics"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("SIGHUP re-reads"), std::string::npos) << help.out;
}

TEST(CliTest, CheckConfigAcceptsWhatTheHarnessWrites) {
  TempDir dir;
  DaemonOptions options;
  options.issuers.push_back(
      {.cert = Pki::get().intermediate(), .responders = {"http://127.0.0.1:1/"}});
  auto config = dir.write("ok.toml", Daemon::config_text(options, 1, 2));
  auto r = run_command({OCSPCACHE_BINARY, "--check-config", config.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(CliTest, CheckConfigRejectsAnUnknownKeyByName) {
  TempDir dir;
  auto config = dir.write("bad.toml", "[server]\nlisten = [\"127.0.0.1:1\"]\nlisen = 3\n");
  auto r = run_command({OCSPCACHE_BINARY, "--check-config", config.string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("lisen"), std::string::npos) << r.out << r.err;
}

TEST(CliTest, CheckConfigRejectsABadDurationByName) {
  TempDir dir;
  auto config = dir.write("bad.toml", "[upstream]\ntimeout = \"3 parsecs\"\n");
  auto r = run_command({OCSPCACHE_BINARY, "--check-config", config.string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("timeout"), std::string::npos) << r.out << r.err;
}

TEST(CliTest, RunWithAMissingConfigFailsFast) {
  auto r = run_command({OCSPCACHE_BINARY, "--config", "/nonexistent/ocspcache.toml"}, 10s);
  EXPECT_FALSE(r.timed_out);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("/nonexistent/ocspcache.toml"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ocspcache::it
