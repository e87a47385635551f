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
const std::string kPackagedPath = kSourceDir + "/packaging/ocspcache.toml";
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

// packaging/ocspcache.toml (the package's /etc/ocspcache/ocspcache.toml)
// follows the schema too, so a new key reaches the installed config.
TEST(ConfigDocs, PackagedConfigIsRenderedFromTheSchema) {
  std::string expected = render_packaged_config();
  if (update_golden()) std::ofstream(kPackagedPath, std::ios::binary) << expected;
  EXPECT_EQ(read(kPackagedPath), expected) << kPackagedPath << " is " << kHowToFix;
}

// The production default is the built-in one (memory backend, loopback
// listeners) with no issuer: every key is commented out, yet each is there.
TEST(ConfigDocs, PackagedConfigLoadsToTheDefaultsAndListsEveryKey) {
  testing::ConfigTestDir dir;
  const std::string text = read(kPackagedPath);
  std::string path = dir.write("ocspcache.toml", text);
  Config config = load_config(path);
  EXPECT_TRUE(config.issuers.empty()) << "no demo issuer in the package";
  ASSERT_EQ(config.server.listen.size(), 1u);
  EXPECT_EQ(config.server.listen[0].host, "127.0.0.1");
  ASSERT_TRUE(config.admin.listen.has_value());
  EXPECT_EQ(config.admin.listen->host, "127.0.0.1");
  EXPECT_EQ(config.cache.backend, "memory");
  Config defaults;
  defaults.path = path;
  EXPECT_EQ(config, defaults);

  // Every key of the sample (which has them all) is in the packaged file,
  // commented out.
  std::istringstream sample(read(kSamplePath));
  size_t keys = 0;
  for (std::string line; std::getline(sample, line);) {
    if (line.empty() || line[0] == '#' || line[0] == '[') continue;
    const std::string key = line.substr(0, line.find(' '));
    ++keys;
    EXPECT_NE(text.find("\n#" + key + " = "), std::string::npos) << key;
  }
  EXPECT_GT(keys, 50u);
}

}  // namespace
}  // namespace ocspcache
