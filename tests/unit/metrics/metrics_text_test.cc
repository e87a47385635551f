// The /metrics text as Prometheus reads it: ssl_exporter's families with
// their exact values, label values escaped, and `promtool check metrics`
// (installed by scripts/install-deps.sh test) finding nothing to lint.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "ocspcache/cache/memory_store.h"
#include "ocspcache/metrics/metrics.h"

namespace ocspcache {
namespace {

constexpr int64_t kNow = 1'700'000'000;

std::string rendered_with_hostile_labels() {
  Metrics m;
  MemoryStore cache(1 << 20);
  m.set_store(&cache);
  ocsp::SingleStatus revoked{ocsp::CertStatus::kRevoked, kNow - 60, kNow + 3600, kNow - 7200};
  m.certs().answered("CA \"q\" \\ \nx", "0A1B", revoked, kNow - 30, kNow);
  m.certs().exhausted("Plain CA", "FF", "timeout", kNow);
  m.set_responder_source([] {
    ResponderStatus down;
    down.url = "http://r/";
    down.issuers = {"Plain CA"};
    down.up = false;
    down.recent_exchanges = 3;
    down.recent_errors = 3;
    down.in_flight = 2;
    return std::vector<ResponderStatus>{down};
  });
  return m.render(kNow);
}

TEST(MetricsText, ExactSamplesAndEscapedLabels) {
  const std::string t = rendered_with_hostile_labels();
  const std::string labels = R"({issuer="CA \"q\" \\ \nx",serial="0A1B"})";
  EXPECT_NE(t.find("ssl_ocsp_response_status" + labels + " 1\n"), std::string::npos) << t;
  EXPECT_NE(t.find("ssl_ocsp_response_revoked_at" + labels + " 1699992800\n"), std::string::npos);
  EXPECT_NE(t.find("ssl_ocsp_response_next_update" + labels + " 1700003600\n"), std::string::npos);
  EXPECT_NE(t.find("ssl_ocsp_response_produced_at" + labels + " 1699999970\n"), std::string::npos);
  EXPECT_NE(t.find(R"(ssl_ocsp_response_status{issuer="Plain CA",serial="FF"} 2)"),
            std::string::npos);
  EXPECT_EQ(t.find(R"(ssl_ocsp_response_this_update{issuer="Plain CA")"), std::string::npos)
      << "no times without an answer";
  EXPECT_NE(t.find(R"(ocspcache_responder_up{responder="http://r/"} 0)"), std::string::npos) << t;
  EXPECT_NE(t.find(R"(ocspcache_upstream_in_flight{responder="http://r/"} 2)"), std::string::npos);
  EXPECT_NE(t.find(R"(ocspcache_upstream_queued{responder="http://r/"} 0)"), std::string::npos);
  EXPECT_NE(t.find(R"(ocspcache_upstream_shed_total{reason="queue_full"} 0)"), std::string::npos);
  EXPECT_NE(t.find("ocspcache_build_info{version=\"" OCSPCACHE_VERSION "\"} 1"), std::string::npos);
  EXPECT_NE(t.find("ocspcache_cert_series_dropped_total 0\n"), std::string::npos);
}

TEST(MetricsText, EmptyTrackerHasNoCertificateFamilies) {
  Metrics m;
  const std::string t = m.render(kNow);
  EXPECT_EQ(t.find("# TYPE ssl_ocsp_response"), std::string::npos) << t;
  EXPECT_EQ(t.find("ocspcache_responder_up"), std::string::npos) << t;
}

TEST(MetricsText, PromtoolFindsNothingToLint) {
  // The suite's rule: a missing tool fails, it is not skipped
  // (scripts/install-deps.sh test installs promtool).
  ASSERT_EQ(std::system("command -v promtool >/dev/null 2>&1"), 0)
      << "promtool not installed (scripts/install-deps.sh test installs it)";
  char path[] = "/tmp/ocspcache-metrics-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << rendered_with_hostile_labels();
  const std::string cmd = std::string("promtool check metrics < ") + path + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = pclose(p);
  unlink(path);
  EXPECT_EQ(status, 0) << out;
}

}  // namespace
}  // namespace ocspcache
