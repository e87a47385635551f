// The metric catalogue (src/metrics/catalogue.cc) against everything that
// restates it:
//   * the reference table in docs/metrics.md is its rendering
//     (OCSPCACHE_UPDATE_GOLDEN=1 rewrites it, as for the config reference);
//   * /metrics, rendered with every source populated, has exactly the
//     catalogue's families: same type and help, the row's label names, and
//     every row not "planned"; a fresh instance has exactly the "always" ones;
//   * a name without a row aborts at its first lookup.
// The Grafana and alert rule checkers read it through --list-metrics
// (packaging/, CTest label `packaging`).
#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "ocspcache/cache/memory_store.h"
#include "ocspcache/metrics/catalogue.h"
#include "ocspcache/metrics/metrics.h"

namespace ocspcache {
namespace {

const std::string kDocsPath = std::string(OCSPCACHE_SOURCE_DIR) + "/docs/metrics.md";
constexpr std::string_view kBegin = "<!-- BEGIN METRIC CATALOGUE -->\n";
constexpr std::string_view kEnd = "<!-- END METRIC CATALOGUE -->\n";
constexpr int64_t kNow = 1'700'000'000;

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(MetricCatalogue, ReferenceInDocsIsRenderedFromTheCatalogue) {
  std::string docs = read(kDocsPath);
  size_t begin = docs.find(kBegin);
  size_t end = docs.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << kDocsPath << " lacks " << kBegin;
  ASSERT_NE(end, std::string::npos) << kDocsPath << " lacks " << kEnd;
  begin += kBegin.size();
  ASSERT_LE(begin, end);
  const std::string expected = render_metric_reference();
  std::string generated = docs.substr(begin, end - begin);
  if (std::getenv("OCSPCACHE_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(kDocsPath, std::ios::binary) << docs.replace(begin, end - begin, expected);
    generated = expected;
  }
  EXPECT_EQ(generated, expected)
      << "the metric reference in " << kDocsPath
      << " is generated from src/metrics/catalogue.cc and out of date; run\n"
         "  OCSPCACHE_UPDATE_GOLDEN=1 ./build/tests/unit_tests "
         "--gtest_filter='MetricCatalogue.*'";
}

// A scrape as Prometheus reads it: families with their HELP and TYPE, and
// the label names of their samples.
struct Family {
  std::string help;
  std::string type;
  std::set<std::set<std::string>> label_sets;  // of the samples (`le` dropped)
  std::vector<std::string> problems;
};

// Label names of `{a="x",b="y\"z"}`, values unescaped and dropped.
bool parse_labels(std::string_view s, std::set<std::string>& names) {
  if (s.empty() || s.front() != '{') return s.empty();
  size_t i = 1;
  while (i < s.size() && s[i] != '}') {
    size_t eq = s.find('=', i);
    if (eq == std::string_view::npos || eq + 1 >= s.size() || s[eq + 1] != '"') return false;
    std::string name(s.substr(i, eq - i));
    if (name != "le") names.insert(name);
    i = eq + 2;
    while (i < s.size() && s[i] != '"') i += s[i] == '\\' ? 2 : 1;
    if (i >= s.size()) return false;
    ++i;  // closing quote
    if (i < s.size() && s[i] == ',') ++i;
  }
  return i < s.size();
}

std::map<std::string, Family> parse_exposition(const std::string& text) {
  std::map<std::string, Family> families;
  std::string current;  // the family the last # TYPE announced
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("# HELP ")) {
      const size_t sp = line.find(' ', 7);
      families[line.substr(7, sp - 7)].help = sp == std::string::npos ? "" : line.substr(sp + 1);
    } else if (line.starts_with("# TYPE ")) {
      const size_t sp = line.find(' ', 7);
      current = line.substr(7, sp - 7);
      families[current].type = sp == std::string::npos ? "" : line.substr(sp + 1);
    } else if (!line.empty() && line[0] != '#') {
      const size_t end = line.find_first_of("{ ");
      const std::string name = line.substr(0, end);
      Family& f = families[current];
      std::string suffix = name.starts_with(current) ? name.substr(current.size()) : name;
      const bool ok =
          suffix.empty() || (f.type == "histogram" &&
                             (suffix == "_bucket" || suffix == "_sum" || suffix == "_count"));
      if (!ok) f.problems.push_back("sample " + name + " under # TYPE " + current);
      const size_t space = line.rfind(' ');
      std::set<std::string> names;
      if (!parse_labels(std::string_view(line).substr(end, space - end), names)) {
        f.problems.push_back("cannot read the labels of: " + line);
      }
      f.label_sets.insert(names);
    }
  }
  return families;
}

// Every source /metrics reads, with something in it: workers' counters, a
// cache, certificates of every status (good, revoked, unknown, unobtainable),
// a responder and an upstream exchange.
std::string render_everything() {
  Metrics m;
  MemoryStore cache(1 << 20);
  m.set_store(&cache);
  RevocationLedger ledger;
  m.set_ledger(&ledger);
  RefreshStats refresh;  // the daemon always has a refresher
  m.set_refresh(&refresh);
  StapleStats staples;  // stapling.certs
  m.set_staples(&staples);
  SharedStoreStats redis;  // cache.backend = "redis"
  redis.connections = 2;
  redis.connections_up = 1;
  redis.observe(0.0004);
  m.set_shared(&redis, {"redis", "127.0.0.1:6379"});
  SnapshotStats snapshot;  // cache.snapshot
  snapshot.writes_ok = 1;
  snapshot.last_success_unix = kNow;
  m.set_snapshot(&snapshot);
  WorkerStats worker;
  worker.count_request(ReqMethod::kGet, ReqResult::kHit, 120'000);
  worker.connection_opened();
  worker.connection_rejected(RejectReason::kPerClient);
  m.add_worker(&worker);
  const ocsp::SingleStatus good{ocsp::CertStatus::kGood, kNow - 60, kNow + 3600, 0};
  const ocsp::SingleStatus revoked{ocsp::CertStatus::kRevoked, kNow - 60, kNow + 3600, kNow - 7200};
  const ocsp::SingleStatus unknown{ocsp::CertStatus::kUnknown, kNow - 60, kNow + 3600, 0};
  m.certs().answered("CA \"q\"", "01", good, kNow - 30, kNow);
  m.certs().answered("CA \"q\"", "02", revoked, kNow - 30, kNow);
  m.certs().answered("CA \"q\"", "03", unknown, kNow - 30, kNow);
  m.certs().exhausted("Other CA", "04", "timeout", kNow);
  m.set_responder_source([] {
    ResponderStatus r;
    r.url = "http://r/";
    r.issuers = {"CA \"q\""};
    r.up = true;
    r.last_ok_at = kNow;
    r.recent_exchanges = 1;
    r.window = 100;
    return std::vector<ResponderStatus>{r};
  });
  m.set_transport_source([] {
    return std::vector<TransportRow>{{"http://r:80", 1, 2, 3, 1}};
  });
  m.upstream_result("http://r/", "good", 0.012);
  m.forward_refused("not_allowed");
  return m.render(kNow);
}

std::string joined(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return "{" + out + "}";
}

TEST(MetricCatalogue, ScrapeWithEverySourceHasExactlyTheCatalogue) {
  const std::string text = render_everything();
  const auto families = parse_exposition(text);
  std::set<std::string> exported;
  for (const auto& [name, f] : families) {
    SCOPED_TRACE(name);
    exported.insert(name);
    for (const auto& p : f.problems) ADD_FAILURE() << p;
    const auto rows = metric_catalogue();
    auto row =
        std::find_if(rows.begin(), rows.end(), [&](const MetricSpec& s) { return s.name == name; });
    if (row == rows.end()) {
      ADD_FAILURE() << "/metrics exports " << name
                    << ", which has no row in src/metrics/catalogue.cc";
      continue;
    }
    EXPECT_NE(row->availability, Availability::kPlanned)
        << "exported, so no longer planned: make the row kAlways or kOnceSeen";
    EXPECT_EQ(f.type, to_string(row->type));
    EXPECT_EQ(f.help, row->help);
    const auto labels = row->label_names();
    const std::set<std::string> want(labels.begin(), labels.end());
    EXPECT_FALSE(f.label_sets.empty()) << "HELP/TYPE without samples";
    for (const auto& got : f.label_sets) {
      EXPECT_EQ(joined(got), joined(want)) << "label names of a sample differ from the row's";
    }
  }
  for (const MetricSpec& row : metric_catalogue()) {
    if (row.availability == Availability::kPlanned) continue;
    EXPECT_TRUE(exported.contains(std::string(row.name)))
        << row.name << " is in the catalogue (" << to_string(row.availability)
        << ") but not in a scrape with every source populated:\n"
        << text;
  }
}

// The families a daemon exports before it has answered anything (its cache
// and revocation ledger are always set), with the Redis tier's counters
// when `redis` is given and the snapshot's and staples' when `snapshot` is.
std::set<std::string> exported_by_fresh_instance(const SharedStoreStats* redis,
                                                 const SnapshotStats* snapshot = nullptr) {
  Metrics m;
  MemoryStore cache(1 << 20);
  m.set_store(&cache);
  RevocationLedger ledger;
  m.set_ledger(&ledger);
  RefreshStats refresh;  // the daemon always has a refresher
  m.set_refresh(&refresh);
  StapleStats staples;
  if (snapshot != nullptr) m.set_staples(&staples);  // the features configured
  WorkerStats worker;
  m.add_worker(&worker);
  if (redis != nullptr) m.set_shared(redis, {"redis", "127.0.0.1:6379"});
  if (snapshot != nullptr) m.set_snapshot(snapshot);
  std::set<std::string> exported;
  for (const auto& [name, f] : parse_exposition(m.render(kNow))) exported.insert(name);
  return exported;
}

std::set<std::string> rows_available(std::initializer_list<Availability> kinds) {
  std::set<std::string> out;
  for (const MetricSpec& row : metric_catalogue()) {
    if (std::find(kinds.begin(), kinds.end(), row.availability) != kinds.end()) out.emplace(row.name);
  }
  return out;
}

// A fresh instance exports the "always" rows and no others, so "once_seen"
// means what it says.
TEST(MetricCatalogue, FreshInstanceExportsTheAlwaysRowsOnly) {
  EXPECT_EQ(exported_by_fresh_instance(nullptr), rows_available({Availability::kAlways}));
}

// With the Redis backend and the snapshot configured, their rows are there
// from the first scrape too (ocspcache_redis_up 0 before the first connect,
// ocspcache_snapshot_last_success_timestamp_seconds 0 before the first
// write: not absent).
TEST(MetricCatalogue, WhenConfiguredRowsComeWithTheirFeature) {
  SharedStoreStats redis;
  SnapshotStats snapshot;
  EXPECT_EQ(exported_by_fresh_instance(&redis, &snapshot),
            rows_available({Availability::kAlways, Availability::kWhenConfigured}));
}

TEST(MetricCatalogue, ListHasOneTabSeparatedLinePerRow) {
  std::istringstream lines(render_metric_list());
  size_t n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    ASSERT_LT(n, metric_catalogue().size());
    const MetricSpec& row = metric_catalogue()[n];
    std::string labels;
    for (auto l : row.label_names()) labels += (labels.empty() ? "" : ",") + std::string(l);
    EXPECT_EQ(line, std::string(row.name) + "\t" + std::string(to_string(row.type)) + "\t" +
                        std::string(to_string(row.availability)) + "\t" + labels + "\t" +
                        std::string(row.help));
  }
  EXPECT_EQ(n, metric_catalogue().size());
}

TEST(MetricCatalogueDeathTest, NameWithoutARowAborts) {
  EXPECT_EQ(metric_spec("ocspcache_build_info").type, MetricType::kGauge);
  EXPECT_DEATH(metric_spec("ocspcache_no_such_metric"),
               "ocspcache_no_such_metric has no row in the catalogue");
}

}  // namespace
}  // namespace ocspcache
