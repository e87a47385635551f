// stapling.after_update (issue 12) with real child processes: the
// StapleWriter as the app drives it (answers through the cache writer,
// flush() as the control loop calls it), a manual clock for the kill
// timeout. A command that hangs is killed at its timeout and never holds
// up the files; one that fails is counted and the next batch runs it again;
// a batch that arrives while it runs gets one more run after it.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "harness/ocsp_tools.h"
#include "harness/pki.h"
#include "harness/temp_dir.h"
#include "ocspcache/cache/cache_writer.h"
#include "ocspcache/cache/memory_store.h"
#include "ocspcache/ocsp/request.h"
#include "ocspcache/stapling/staple_writer.h"
#include "ocspcache/util/clock.h"

namespace ocspcache::it {
namespace {

using namespace std::chrono_literals;

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class StapleCommandTest : public ::testing::Test {
 protected:
  StapleCommandTest() {
    writer.subscribe(staples);
    const Pki& pki = Pki::get();
    cert.chain_path = (dir / "site.pem").string();
    cert.ocsp_path = (dir / "site.pem.ocsp").string();
    cert.issuer = "test intermediate";
    cert.serial = "1001";
    cert.request_der = [&] {
      const std::string der = make_request_der(pki.good(), pki.intermediate());
      return std::vector<uint8_t>(der.begin(), der.end());
    }();
    const auto decoded = ocsp::decode_request(cert.request_der);
    key = ocsp::make_cache_key(*decoded);
    cert.key = key;
  }

  void configure(const std::string& command) {
    staples.configure({cert}, {.min_remaining_seconds = 60,
                               .after_update = command,
                               .command_timeout_ms = 30'000,
                               .haproxy = {}});
  }

  // A new answer for the certificate, as a refresh stores it (the bytes
  // only matter to the files; the writer takes the facts as validated).
  std::string store_answer(int generation) {
    const int64_t now = clock.unix_seconds();
    ocsp::ValidatedResponse v;
    ocsp::SingleStatus s;
    s.status = ocsp::CertStatus::kGood;
    s.this_update = now - 100 + generation;
    s.next_update = now + 3600;
    v.singles.push_back(s);
    v.this_update = s.this_update;
    v.next_update = s.next_update;
    const std::string der = "answer " + std::to_string(generation);
    EXPECT_TRUE(
        writer.commit(key, std::vector<uint8_t>(der.begin(), der.end()), v, {}, now, false));
    return der;
  }

  // flush() as the control loop's ticks call it, until `done` (real time:
  // the child processes are real).
  bool flush_until(const std::function<bool()>& done) {
    for (int i = 0; i < 200; ++i) {
      staples.flush();
      if (done()) return true;
      std::this_thread::sleep_for(25ms);
    }
    return false;
  }

  TempDir dir{"ocspcache-staple-command"};
  ManualClock clock{static_cast<int64_t>(std::time(nullptr)), 1'000'000};
  MemoryStore store{1 << 20, 4};
  CacheWriter writer{store};
  StapleStats stats;
  StapleWriter staples{store, clock, stats};
  StapledCert cert;
  ocsp::CacheKey key;
};

TEST_F(StapleCommandTest, AHangingCommandIsKilledAtItsTimeoutAndNeverHoldsUpTheFiles) {
  const auto runs = dir / "runs";
  configure("echo run >> " + runs.string() + "; exec sleep 300");
  const std::string first = store_answer(1);
  staples.flush();
  EXPECT_EQ(slurp(cert.ocsp_path), first);
  ASSERT_TRUE(staples.command_running());

  // The command hangs; a newer answer is still written at once.
  const std::string second = store_answer(2);
  staples.flush();
  EXPECT_EQ(slurp(cert.ocsp_path), second) << "files never wait on the command";
  EXPECT_TRUE(staples.command_running());
  EXPECT_EQ(stats.written.load(), 2u);

  ASSERT_TRUE(flush_until([&] { return slurp(runs) == "run\n"; })) << "it started";
  // 29 s on: still given its time. 31 s: killed, counted, and run once more
  // for the batch that came while it ran.
  clock.advance_ms(29'000);
  staples.flush();
  EXPECT_EQ(stats.commands_failed.load(), 0u);
  clock.advance_ms(2'000);
  staples.flush();
  EXPECT_EQ(stats.commands_failed.load(), 1u) << "killed at the timeout";
  EXPECT_TRUE(staples.command_running()) << "the batch that came meanwhile gets its run";
  EXPECT_TRUE(flush_until([&] { return slurp(runs) == "run\nrun\n"; })) << slurp(runs);
  clock.advance_ms(31'000);
  staples.flush();
  EXPECT_EQ(stats.commands_failed.load(), 2u);
  EXPECT_FALSE(staples.command_running()) << "nothing more to run for";
  EXPECT_EQ(stats.commands_ok.load(), 0u);
}

TEST_F(StapleCommandTest, AFailingCommandIsCountedAndTheNextChangeRunsItAgain) {
  configure("exit 3");
  store_answer(1);
  staples.flush();
  ASSERT_TRUE(flush_until([&] { return !staples.command_running(); }));
  EXPECT_EQ(stats.commands_failed.load(), 1u);
  // An unchanged answer is not a change: no run.
  staples.flush();
  EXPECT_FALSE(staples.command_running());
  store_answer(2);
  staples.flush();
  ASSERT_TRUE(flush_until([&] { return !staples.command_running(); }));
  EXPECT_EQ(stats.commands_failed.load(), 2u);

  configure("true");
  store_answer(3);
  staples.flush();
  ASSERT_TRUE(flush_until([&] { return !staples.command_running(); }));
  EXPECT_EQ(stats.commands_ok.load(), 1u);
  EXPECT_EQ(stats.commands_failed.load(), 2u);
}

}  // namespace
}  // namespace ocspcache::it
