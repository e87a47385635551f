// load_config: defaults, every class of error (each must name file, line,
// key and reason), relative issuer paths and the not-yet-supported keys.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_test_dir.h"

namespace ocspcache {
namespace {

using testing::ConfigTestDir;
using ::testing::HasSubstr;

TEST(LoadConfig, EmptyFileGivesTheDefaults) {
  ConfigTestDir dir;
  Config config = load_config(dir.write("empty.toml", ""));
  Config defaults;
  defaults.path = config.path;
  EXPECT_EQ(config, defaults);
  EXPECT_EQ(config.server.listen.at(0).to_string(), "127.0.0.1:8080");
  EXPECT_EQ(config.admin.listen->to_string(), "127.0.0.1:9080");
  EXPECT_TRUE(config.issuers.empty());
}

TEST(LoadConfig, ReadsEveryKind) {
  ConfigTestDir dir;
  dir.write("pki/ca.pem", "not parsed here\n");
  Config config = load_config(dir.write("conf/x.toml", R"(
[server]
listen = ["127.0.0.1:0", "[::1]:8081"]
threads = 4
max_body = 2048
max_header = "16KiB"
read_timeout = "250ms"
max_age_cap = "0s"
[admin]
listen = ""
[cache]
max_bytes = "1GiB"
refresh_ahead = 0.75
[redis]
url = "redis://:secret@redis.local:6380/2"
[upstream]
timeout = "1s"
clock_skew = "1m"
[stapling]
ocsp_files = false
[log]
level = "debug"
[[issuer]]
name = "CA One"
cert = "../pki/ca.pem"
responders = ["http://ocsp.one.test", "http://127.0.0.1:8888/path"]
)"));
  EXPECT_EQ(config.server.listen.size(), 2u);
  EXPECT_EQ(config.server.listen[1].host, "::1");
  EXPECT_EQ(config.server.threads, 4u);
  EXPECT_EQ(config.server.max_body_bytes, 2048u);
  EXPECT_EQ(config.server.max_header_bytes, 16u * 1024);
  EXPECT_EQ(config.server.read_timeout, Millis{250});
  EXPECT_EQ(config.server.max_age_cap, Millis{0});
  EXPECT_FALSE(config.admin.listen.has_value());
  EXPECT_EQ(config.cache.max_bytes, size_t{1} << 30);
  EXPECT_DOUBLE_EQ(config.cache.refresh_ahead, 0.75);
  EXPECT_EQ(config.redis.url, "redis://:secret@redis.local:6380/2");
  EXPECT_EQ(config.upstream.timeout, Millis{1000});
  EXPECT_EQ(config.upstream.clock_skew, Millis{60'000});
  EXPECT_FALSE(config.stapling.ocsp_files);
  EXPECT_EQ(config.log.level, "debug");
  ASSERT_EQ(config.issuers.size(), 1u);
  const IssuerConfig& issuer = config.issuers[0];
  EXPECT_EQ(issuer.name, "CA One");
  // Relative to the config file's directory, not the working directory.
  EXPECT_EQ(issuer.cert_path, (dir.root() / "pki/ca.pem").string());
  EXPECT_EQ(issuer.line, 23);
  ASSERT_EQ(issuer.responders.size(), 2u);
  EXPECT_EQ(issuer.responders[0].path, "/");
  EXPECT_EQ(issuer.responders[1].port, 8888);
  EXPECT_EQ(issuer.responders[1].original, "http://127.0.0.1:8888/path");
}

TEST(LoadConfig, ListenAcceptsOneString) {
  ConfigTestDir dir;
  Config config = load_config(dir.write("x.toml", "[server]\nlisten = \"[::1]:0\"\n"));
  ASSERT_EQ(config.server.listen.size(), 1u);
  EXPECT_EQ(config.server.listen[0].to_string(), "[::1]:0");
}

TEST(LoadConfigErrors, MissingFileNamesItAndErrno) {
  ConfigTestDir dir;
  std::string path = (dir.root() / "absent.toml").string();
  try {
    load_config(path);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), path + ": cannot read: No such file or directory");
  }
}

TEST(LoadConfigErrors, TomlSyntaxErrorHasLineAndColumn) {
  ConfigTestDir dir;
  std::string error = dir.load_error("[server]\nthreads = 4\nlisten = [\"a:1\"\n");
  EXPECT_THAT(error, HasSubstr((dir.root() / "x.toml").string() + ":3:17: "));
  error = dir.load_error("[server]\nthreads = = 4\n");
  EXPECT_THAT(error, HasSubstr("x.toml:2:11: "));
}

TEST(LoadConfigErrors, UnknownKeysAndTablesAreNamedWithASuggestion) {
  ConfigTestDir dir;
  EXPECT_THAT(dir.load_error("[server]\nthread = 4\n"),
              HasSubstr("x.toml:2: unknown key 'server.thread' (did you mean 'server.threads'?)"));
  EXPECT_THAT(dir.load_error("threads = 4\n"),
              HasSubstr("x.toml:1: unknown key 'threads' (did you mean 'server.threads'?)"));
  EXPECT_THAT(dir.load_error("[upstream]\nlisten = \"a:1\"\n"),
              HasSubstr("unknown key 'upstream.listen' (did you mean 'server.listen'?)"));
  EXPECT_THAT(dir.load_error("\n[servr]\n"),
              HasSubstr("x.toml:2: unknown table 'servr' (did you mean 'server'?)"));
  EXPECT_THAT(dir.load_error("[server.tls]\ncert = \"x\"\n"),
              HasSubstr("x.toml:1: unknown key 'server.tls'"));
  EXPECT_THAT(dir.load_error("[[issuer]]\nname = \"a\"\nurl = \"x\"\n"),
              HasSubstr("x.toml:3: unknown key 'issuer[0].url'"));
  EXPECT_THAT(dir.load_error("[zzzz]\n"), HasSubstr("unknown table 'zzzz'"));
  EXPECT_THAT(dir.load_error("[zzzz]\n"), ::testing::Not(HasSubstr("did you mean")));
}

TEST(LoadConfigErrors, WrongTypesNameTheExpectedType) {
  ConfigTestDir dir;
  EXPECT_THAT(dir.load_error("[server]\nthreads = \"4\"\n"),
              HasSubstr("x.toml:2: key 'server.threads': expected an integer, got a string"));
  EXPECT_THAT(dir.load_error("[stapling]\nocsp_files = 1\n"),
              HasSubstr("key 'stapling.ocsp_files': expected a boolean (true or false), got an "
                        "integer"));
  EXPECT_THAT(dir.load_error("[server]\nlisten = [\"a:1\", 2]\n"),
              HasSubstr("key 'server.listen[1]': expected a string, got an integer"));
  EXPECT_THAT(dir.load_error("server = 1\n"),
              HasSubstr("key 'server': expected a table ([server]), got an integer"));
  EXPECT_THAT(dir.load_error("[issuer]\nname = \"a\"\n"),
              HasSubstr("key 'issuer': expected [[issuer]] tables"));
  EXPECT_THAT(dir.load_error("[cache]\nrefresh_ahead = \"0.5\"\n"),
              HasSubstr("key 'cache.refresh_ahead': expected a number, got a string"));
}

TEST(LoadConfigErrors, BadDurations) {
  ConfigTestDir dir;
  EXPECT_THAT(dir.load_error("\n\n\n\n\n[upstream]\ntimeout = \"3 seconds\"\n"),
              HasSubstr("x.toml:7: key 'upstream.timeout': bad duration \"3 seconds\" (use e.g. "
                        "\"250ms\", \"3s\", \"5m\", \"1h\", \"1d\")"));
  EXPECT_THAT(dir.load_error("[upstream]\ntimeout = 3\n"),
              HasSubstr("key 'upstream.timeout': a duration needs a unit: write e.g. \"3s\""));
  EXPECT_THAT(dir.load_error("[upstream]\ntimeout = \"-3s\"\n"), HasSubstr("bad duration"));
  EXPECT_THAT(dir.load_error("[upstream]\ntimeout = \"1h\"\n"),
              HasSubstr("key 'upstream.timeout': must be between 1ms and 5m, got 1h"));
  EXPECT_THAT(dir.load_error("[upstream]\ntimeout = \"0ms\"\n"), HasSubstr("got 0ms"));
}

TEST(LoadConfigErrors, BadSizesAndNumbers) {
  ConfigTestDir dir;
  EXPECT_THAT(dir.load_error("[cache]\nmax_bytes = \"512MB\"\n"),
              HasSubstr("key 'cache.max_bytes': bad size \"512MB\" (use bytes or \"64KiB\""));
  EXPECT_THAT(dir.load_error("[cache]\nmax_bytes = -1\n"), HasSubstr("cannot be negative"));
  EXPECT_THAT(dir.load_error("[cache]\nmax_bytes = \"1KiB\"\n"),
              HasSubstr("key 'cache.max_bytes': must be at least 1MiB, got 1KiB"));
  EXPECT_THAT(dir.load_error("[server]\nmax_body = \"2MiB\"\n"),
              HasSubstr("key 'server.max_body': must be between 1KiB and 1MiB, got 2MiB"));
  EXPECT_THAT(dir.load_error("[server]\nthreads = 257\n"),
              HasSubstr("key 'server.threads': must be between 0 and 256, got 257"));
  EXPECT_THAT(dir.load_error("[server]\nthreads = -1\n"), HasSubstr("cannot be negative"));
  EXPECT_THAT(dir.load_error("[cache]\nrefresh_ahead = 1.0\n"),
              HasSubstr("key 'cache.refresh_ahead': must be greater than 0 and less than 1"));
  EXPECT_THAT(dir.load_error("[cache]\nrefresh_ahead = 0\n"), HasSubstr("greater than 0"));
  EXPECT_THAT(dir.load_error("[cache]\nrefresh_ahead = nan\n"), HasSubstr("greater than 0"));
}

TEST(LoadConfigErrors, BadChoicesAndAddresses) {
  ConfigTestDir dir;
  EXPECT_THAT(dir.load_error("[log]\nlevel = \"verbose\"\n"),
              HasSubstr("key 'log.level': must be one of \"debug\", \"info\", \"warn\", "
                        "\"error\", got \"verbose\""));
  EXPECT_THAT(dir.load_error("[server]\nlisten = [\"::1:8080\"]\n"),
              HasSubstr("key 'server.listen[0]': bad address \"::1:8080\""));
  EXPECT_THAT(dir.load_error("[server]\nlisten = []\n"),
              HasSubstr("key 'server.listen': must list at least one address"));
  EXPECT_THAT(dir.load_error("[admin]\nlisten = \"9080\"\n"),
              HasSubstr("key 'admin.listen': bad address \"9080\""));
  EXPECT_THAT(dir.load_error("[redis]\nurl = \"localhost:6379\"\n"),
              HasSubstr("key 'redis.url': bad Redis URL \"localhost:6379\""));
  EXPECT_THAT(dir.load_error("[redis]\nurl = \"redis://h/x\"\n"),
              HasSubstr("the database after '/' must be a number"));
  EXPECT_THAT(dir.load_error("[redis]\nurl = \"unix:relative.sock\"\n"),
              HasSubstr("absolute socket path"));
  EXPECT_EQ(dir.load_error("[redis]\nurl = \"unix:/run/redis.sock\"\n"), "");
  EXPECT_EQ(dir.load_error("[redis]\nurl = \"redis://[::1]\"\n"), "");
}

TEST(LoadConfigErrors, ListenAddressesMustNotCollide) {
  ConfigTestDir dir;
  EXPECT_THAT(dir.load_error("[server]\nlisten = [\"127.0.0.1:80\", \"127.0.0.1:80\"]\n"),
              HasSubstr("key 'server.listen[1]': 127.0.0.1:80 is listed twice"));
  EXPECT_THAT(dir.load_error("[server]\nlisten = \"127.0.0.1:80\"\n[admin]\nlisten = "
                             "\"127.0.0.1:80\"\n"),
              HasSubstr("x.toml:4: key 'admin.listen': 127.0.0.1:80 is also in server.listen"));
  // The admin default collides with a server address on its port.
  EXPECT_THAT(dir.load_error("[server]\nlisten = \"127.0.0.1:9080\"\n"),
              HasSubstr("x.toml:2: key 'admin.listen': 127.0.0.1:9080 is also in server.listen"));
  // Port 0 is ephemeral: every bind gets its own port, so no collision.
  EXPECT_EQ(dir.load_error("[server]\nlisten = [\"127.0.0.1:0\", \"127.0.0.1:0\"]\n[admin]\n"
                           "listen = \"127.0.0.1:0\"\n"),
            "");
}

TEST(LoadConfigErrors, IssuerRequiredKeysAndUniqueNames) {
  ConfigTestDir dir;
  std::string ca = dir.write("ca.pem", "x");
  EXPECT_THAT(dir.load_error("\n[[issuer]]\nname = \"a\"\ncert = \"ca.pem\"\n"),
              HasSubstr("x.toml:2: key 'issuer[0].responders': missing (required)"));
  EXPECT_THAT(dir.load_error("[[issuer]]\ncert = \"ca.pem\"\nresponders = [\"http://a\"]\n"),
              HasSubstr("key 'issuer[0].name': missing (required)"));
  EXPECT_THAT(dir.load_error("[[issuer]]\nname = \"\"\n"),
              HasSubstr("x.toml:2: key 'issuer[0].name': must not be empty"));
  EXPECT_THAT(dir.load_error("[[issuer]]\nname = \"a\"\ncert = \"ca.pem\"\nresponders = []\n"),
              HasSubstr("key 'issuer[0].responders': must list at least one responder URL"));
  EXPECT_THAT(dir.load_error("[[issuer]]\nname = \"a\"\ncert = \"ca.pem\"\n"
                             "responders = [\"https://\"]\n"),
              HasSubstr("key 'issuer[0].responders[0]': bad URL \"https://\""));
  EXPECT_THAT(dir.load_error("[[issuer]]\nname = \"a\"\ncert = \"ca.pem\"\n"
                             "responders = [\"ocsp.a.test\"]\n"),
              HasSubstr("key 'issuer[0].responders[0]': bad URL \"ocsp.a.test\""));
  std::string one = "name = \"CA\"\ncert = \"ca.pem\"\nresponders = [\"http://a\"]\n";
  EXPECT_THAT(dir.load_error("[[issuer]]\n" + one + "\n[[issuer]]\n" + one),
              HasSubstr("x.toml:7: key 'issuer[1].name': \"CA\" is already the name of "
                        "issuer[0] (line 1)"));
}

TEST(LoadConfigErrors, UnreadableIssuerCertNamesFileAndErrno) {
  ConfigTestDir dir;
  std::string prefix = "[[issuer]]\nname = \"a\"\nresponders = [\"http://a\"]\n";
  std::string missing = (dir.root() / "nope.pem").string();
  EXPECT_THAT(dir.load_error(prefix + "cert = \"nope.pem\"\n"),
              HasSubstr("x.toml:4: key 'issuer[0].cert': cannot read \"" + missing +
                        "\": No such file or directory"));
  dir.write("sub/keep", "");
  EXPECT_THAT(dir.load_error(prefix + "cert = \"sub\"\n"), HasSubstr("is not a regular file"));
  EXPECT_THAT(dir.load_error(prefix + "cert = \"\"\n"), HasSubstr("must name a file"));
  if (geteuid() != 0) {  // root reads anything
    std::string locked = dir.write("locked.pem", "x");
    ASSERT_EQ(chmod(locked.c_str(), 0), 0);
    EXPECT_THAT(dir.load_error(prefix + "cert = \"locked.pem\"\n"),
                HasSubstr("cannot read \"" + locked + "\": Permission denied"));
  }
}

TEST(LoadConfigErrors, TrackClientsEntriesAreCheckedOneByOne) {
  ConfigTestDir dir;
  EXPECT_EQ(dir.load_error("[metrics]\ntrack_clients = [\"10.0.0.0/8\", \"2001:db8::/32\", "
                           "\"192.0.2.7\"]\n"),
            "");
  EXPECT_THAT(dir.load_error("[metrics]\ntrack_clients = [\"10.0.0.0/8\", \"10.1.0.0/8\"]\n"),
              HasSubstr("key 'metrics.track_clients[1]': bad entry \"10.1.0.0/8\": "
                        "\"10.1.0.0/8\" has host bits set (did you mean 10.0.0.0/8?)"));
  EXPECT_THAT(dir.load_error("[metrics]\ntrack_clients = [\"intranet\"]\n"),
              HasSubstr("key 'metrics.track_clients[0]': bad entry \"intranet\""));
  EXPECT_THAT(dir.load_error("[server]\nmax_connections_per_client = -1\n"),
              HasSubstr("server.max_connections_per_client"));
}

TEST(LoadConfigErrors, AllowHostsEntriesAreCheckedOneByOne) {
  ConfigTestDir dir;
  EXPECT_EQ(dir.load_error("[upstream]\nallow_hosts = [\"ocsp.a.test\", \"*.b.test\", \"::1\"]\n"),
            "");
  EXPECT_THAT(dir.load_error("[upstream]\nallow_hosts = [\"ocsp.a.test\", \"*.test\"]\n"),
              HasSubstr("key 'upstream.allow_hosts[1]': bad entry \"*.test\""));
  EXPECT_THAT(dir.load_error("[upstream]\nallow_hosts = [\"http://ocsp.a.test/\"]\n"),
              HasSubstr("no port or scheme"));
  EXPECT_THAT(dir.load_error("[upstream]\nnonce = \"echo\"\n"),
              HasSubstr("key 'upstream.nonce': must be one of \"cache\", \"passthrough\""));
}

TEST(LoadConfigErrors, NotYetSupportedFeaturesAreRejectedByKey) {
  ConfigTestDir dir;
  EXPECT_EQ(dir.load_error("[cache]\nbackend = \"redis\"\n"), "");
  EXPECT_THAT(dir.load_error("[redis]\nsentinels = [\"127.0.0.1:26379\"]\n"),
              HasSubstr("x.toml:2: key 'redis.sentinels': needs redis.master_name"));
  EXPECT_THAT(dir.load_error("[redis]\nmaster_name = \"m\"\n"),
              HasSubstr("x.toml:2: key 'redis.master_name': needs redis.sentinels"));
  EXPECT_THAT(dir.load_error("[redis]\nmaster_name = \"m\"\nsentinels = [\"a:1\", \"b\"]\n"),
              HasSubstr("key 'redis.sentinels[1]': \"b\" is not \"host:port\""));
  EXPECT_EQ(dir.load_error("[redis]\nmaster_name = \"m\"\nsentinels = [\"127.0.0.1:26379\", \"[::1]:26380\"]\n"), "");
  EXPECT_EQ(dir.load_error("[redis]\ncluster = [\"127.0.0.1:7000\", \"127.0.0.1:7001\"]\n"), "");
  EXPECT_THAT(dir.load_error("[redis]\ncluster = [\"7000\"]\n"),
              HasSubstr("key 'redis.cluster[0]': \"7000\" is not \"host:port\""));
  EXPECT_THAT(dir.load_error("[redis]\ncluster = [\"a:1\"]\nmaster_name = \"m\"\nsentinels = [\"b:2\"]\n"),
              HasSubstr("key 'redis.cluster': and redis.sentinels are two ways"));
  EXPECT_EQ(dir.load_error("[cache]\nsnapshot = \"cache.snap\"\nsnapshot_interval = \"1m\"\n"), "");
  EXPECT_THAT(dir.load_error("[cache]\nbackend = \"redis\"\nsnapshot = \"cache.snap\"\n"),
              HasSubstr("key 'cache.snapshot': is for the memory backend"));
  EXPECT_THAT(dir.load_error("[cache]\nsnapshot_interval = \"10ms\"\n"),
              HasSubstr("cache.snapshot_interval"));
  // The snapshot's directory is checked at load, not at the first write.
  EXPECT_THAT(dir.load_error("[cache]\nsnapshot = \"no-such-dir/cache.snap\"\n"),
              HasSubstr("key 'cache.snapshot': directory \"" +
                        (dir.root() / "no-such-dir").string() + "\" does not exist"));
  std::filesystem::create_directories(dir.root() / "state");
  EXPECT_THAT(dir.load_error("[cache]\nsnapshot = \"state\"\n"),
              HasSubstr("is a directory, not a file"));
  EXPECT_EQ(dir.load_error("[cache]\nsnapshot = \"state/cache.snap\"\n"), "");
  EXPECT_EQ(dir.load_error("[stapling]\ncerts = [\"/etc/ssl/*.pem\"]\ndir = \"/var/lib/ocsp\"\n"
                           "after_update = \"nginx -s reload\"\nmin_remaining = \"15m\"\n"),
            "");
  // Still type-checked, and the defaults themselves are fine.
  EXPECT_THAT(dir.load_error("[stapling]\ncerts = \"x\"\n"), HasSubstr("expected an array"));
  EXPECT_EQ(dir.load_error("[cache]\nbackend = \"memory\"\nsnapshot = \"\"\n[stapling]\ncerts = "
                           "[]\ndir = \"\"\nafter_update = \"\"\nhaproxy_sockets = []\n"),
            "");
}

}  // namespace
}  // namespace ocspcache
