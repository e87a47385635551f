// conf/ocspcache.toml and the key reference in docs/configuration.md are
// generated from the schema table; these tests fail when either drifts from
// it, and OCSPCACHE_UPDATE_GOLDEN=1 rewrites them in the source tree.
// The sample must also load and give exactly the built-in defaults.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "config_test_dir.h"

namespace ocspcache {
namespace {

const std::string kSourceDir = OCSPCACHE_SOURCE_DIR;
const std::string kSamplePath = kSourceDir + "/conf/ocspcache.toml";
const std::string kDocsPath = kSourceDir + "/docs/configuration.md";
constexpr std::string_view kBegin = "<!-- BEGIN KEY REFERENCE -->\n";
constexpr std::string_view kEnd = "<!-- END KEY REFERENCE -->\n";

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool update_golden() {
  return std::getenv("OCSPCACHE_UPDATE_GOLDEN") != nullptr;
}

constexpr const char* kHowToFix =
    "generated from src/config/config_schema.cc and out of date; run\n"
    "  OCSPCACHE_UPDATE_GOLDEN=1 ./build/tests/unit_tests --gtest_filter='ConfigDocs.*'";

TEST(ConfigDocs, SampleConfigIsRenderedFromTheSchema) {
  std::string expected = render_sample_config();
  if (update_golden()) std::ofstream(kSamplePath, std::ios::binary) << expected;
  EXPECT_EQ(read(kSamplePath), expected) << kSamplePath << " is " << kHowToFix;
}

TEST(ConfigDocs, KeyReferenceIsRenderedFromTheSchema) {
  std::string docs = read(kDocsPath);
  size_t begin = docs.find(kBegin);
  size_t end = docs.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << kDocsPath << " lacks " << kBegin;
  ASSERT_NE(end, std::string::npos) << kDocsPath << " lacks " << kEnd;
  begin += kBegin.size();
  ASSERT_LE(begin, end);
  std::string expected = render_config_reference();
  std::string generated = docs.substr(begin, end - begin);
  if (update_golden()) {
    std::ofstream(kDocsPath, std::ios::binary) << docs.replace(begin, end - begin, expected);
    generated = expected;
  }
  EXPECT_EQ(generated, expected) << "the key reference in " << kDocsPath << " is " << kHowToFix;
}

// The sample's issuer points at ../.demo/pki/intermediate.pem (made by
// scripts/demo.sh); the same layout in a scratch dir exercises the relative
// path resolution without needing the demo PKI.
TEST(ConfigDocs, SampleConfigLoadsToTheDefaults) {
  testing::ConfigTestDir dir;
  std::string pem = dir.write(".demo/pki/intermediate.pem", "demo\n");
  std::string path = dir.write("conf/ocspcache.toml", read(kSamplePath));
  Config config = load_config(path);

  ASSERT_EQ(config.issuers.size(), 1u);
  const IssuerConfig& issuer = config.issuers[0];
  EXPECT_EQ(issuer.name, "Demo Intermediate CA");
  EXPECT_EQ(issuer.cert_path, pem);
  ASSERT_EQ(issuer.responders.size(), 1u);
  EXPECT_EQ(issuer.responders[0].host, "127.0.0.1");
  EXPECT_EQ(issuer.responders[0].port, 8888);

  Config defaults;
  defaults.path = path;
  config.issuers.clear();
  EXPECT_EQ(config, defaults) << "a default_toml in config_schema.cc disagrees with config.h";
}

}  // namespace
}  // namespace ocspcache
