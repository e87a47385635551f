// Issue 12's lag figure: the whole refresher (schedule, ticks, the
// fetcher and its gate, validation, the cache writer) over a cache of N
// answers whose refresh times are spread over an hour, against a simulated
// responder that answers after a fixed latency. Simulated time (a manual
// clock in 10 ms steps), real work: every refresh's answer is a freshly
// signed OCSPResponse that the fetcher validates and the writer stores.
//
// Reports the worst ocspcache_refresh_lag_seconds seen, refreshes done per
// simulated second, and the CPU the refresher side took per simulated
// second (wall time minus the simulated responder's signing).
//
//   refresh_lag [--entries N] [--latency-ms L] [--seconds S] [--per-responder P]
//               [--max-in-flight M] [--max-lag SECONDS]
//
// The cache is filled with answers built from one signed template whose
// serial is patched (their signatures do not verify; the refresher only
// reads their CertIDs, as the snapshot restore does), so a million entries
// take seconds, not the minutes a million signatures would.
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "ocspcache/cache/cache_writer.h"
#include "ocspcache/cache/memory_store.h"
#include "ocspcache/metrics/metrics.h"
#include "ocspcache/ocsp/request.h"
#include "ocspcache/ocsp/response_request.h"
#include "ocspcache/refresh/refresher.h"
#include "ocspcache/upstream/fetcher.h"
#include "ocspcache/upstream/route_table.h"
#include "ocspcache/util/timer_queue.h"
#include "test_pki.h"

namespace ocspcache {
namespace {

using Wall = std::chrono::steady_clock;
using testpki::pki;

using IntegerPtr = std::unique_ptr<ASN1_INTEGER, FnDeleter<ASN1_INTEGER_free>>;

constexpr uint32_t kFirstSerial = 0x10000000;  // 4 content bytes, high bit clear
constexpr int64_t kWindow = 7200;              // answers valid for 2 h, refreshed half-way

double seconds_since(Wall::time_point t) {
  return std::chrono::duration<double>(Wall::now() - t).count();
}

// A CertID of the test CA for `serial`.
OcspCertIdPtr cert_id(uint32_t serial) {
  IntegerPtr sn(ASN1_INTEGER_new());
  if (!sn || ASN1_INTEGER_set_uint64(sn.get(), serial) != 1) throw std::runtime_error("serial");
  OcspCertIdPtr id(OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(pki().ca.get()),
                                    X509_get0_pubkey_bitstr(pki().ca.get()), sn.get()));
  if (!id) throw std::runtime_error("OCSP_cert_id_new");
  return id;
}

std::vector<uint8_t> signed_answer(const OCSP_CERTID* id, int64_t this_update) {
  return testpki::make_response({{.leaf = nullptr,
                                  .issuer = nullptr,
                                  .this_update = this_update,
                                  .next_update = this_update + kWindow,
                                  .id = id}},
                                {pki().ca.get(), pki().ca_key.get(), {}, 0});
}

// The responder: answers each exchange `latency` after it was sent.
class SimulatedResponder final : public UpstreamClient {
 public:
  SimulatedResponder(const ManualClock& clock, int64_t latency_ms)
      : clock_(clock), latency_ms_(latency_ms) {}

  void post(const HttpUrl&, std::span<const uint8_t> body, Millis, AddressPolicy,
            Callback done) override {
    pending_.push_back(
        {clock_.monotonic_ms() + latency_ms_, {body.begin(), body.end()}, std::move(done)});
  }
  size_t in_flight() const override { return pending_.size(); }

  // Answers what is due; returns how many. Signing time goes to `signing`.
  size_t deliver(double& signing) {
    size_t n = 0;
    while (!pending_.empty() && pending_.front().due_ms <= clock_.monotonic_ms()) {
      Exchange x = std::move(pending_.front());
      pending_.pop_front();
      const auto t = Wall::now();
      const unsigned char* p = x.body.data();
      OcspRequestPtr req(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(x.body.size())));
      OCSP_ONEREQ* one = req ? OCSP_request_onereq_get0(req.get(), 0) : nullptr;
      if (one == nullptr) throw std::runtime_error("the refresher sent an unreadable request");
      auto der = signed_answer(OCSP_onereq_get0_id(one), clock_.unix_seconds() - 1);
      signing += seconds_since(t);
      x.done(UpstreamReply{TransportStatus::kOk, 200, std::move(der), 0.01});
      ++n;
    }
    return n;
  }

 private:
  struct Exchange {
    int64_t due_ms;
    std::vector<uint8_t> body;
    Callback done;
  };
  const ManualClock& clock_;
  int64_t latency_ms_;
  std::deque<Exchange> pending_;
};

struct Args {
  size_t entries = 1'000'000;
  int64_t latency_ms = 50;
  int64_t seconds = 300;
  size_t per_responder = 16;
  size_t max_in_flight = 64;  // cache.refresh_share 0.25 x upstream.max_fetches 256
  int64_t max_lag = -1;       // >= 0: exit 1 when the worst lag is above it
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const long long v = std::atoll(argv[i + 1]);
    if (v < 0 || (v == 0 && k != "--max-lag")) throw std::runtime_error("bad value for " + k);
    if (k == "--entries")
      a.entries = static_cast<size_t>(v);
    else if (k == "--latency-ms")
      a.latency_ms = v;
    else if (k == "--seconds")
      a.seconds = v;
    else if (k == "--per-responder")
      a.per_responder = static_cast<size_t>(v);
    else if (k == "--max-in-flight")
      a.max_in_flight = static_cast<size_t>(v);
    else if (k == "--max-lag")
      a.max_lag = v;
    else
      throw std::runtime_error("unknown option " + k);
  }
  return a;
}

int run(const Args& args) {
  ManualClock clock(testpki::now(), 1'000'000);
  MemoryStore store{size_t{8} << 30, 16};
  CacheWriter writer{store};
  Metrics metrics;
  ResponderSet responders;
  SimulatedResponder responder(clock, args.latency_ms);
  TimerQueue timers{clock};
  FetcherOptions fetch_options;
  fetch_options.limits.per_responder = args.per_responder;
  Fetcher fetcher{responder, clock, timers, fetch_options};
  std::atomic<std::shared_ptr<const RouteTable>> routes;
  std::vector<ocsp::Issuer> issuers;
  issuers.emplace_back("Test CA", testpki::up_ref(pki().ca.get()),
                       std::vector<HttpUrl>{*parse_http_url("http://responder/")});
  routes.store(std::make_shared<const RouteTable>(
      std::make_shared<const ocsp::IssuerRegistry>(std::move(issuers)), responders));
  RefreshStats stats;
  Refresher refresher(
      {store, writer, fetcher, routes, metrics, clock, stats},
      RefreshOptions{.ahead = 0.5, .idle_seconds = 30 * 86400, .max_in_flight = args.max_in_flight},
      /*seed=*/11);
  writer.subscribe(refresher);
  bool woken = false;  // the app posts a tick to the control loop; here the next step runs it
  refresher.set_wake([&woken] { woken = true; });

  // Fill: one signed template, its 4 serial bytes patched per entry.
  const auto fill_start = Wall::now();
  const auto template_id = cert_id(kFirstSerial);
  const std::vector<uint8_t> templ = signed_answer(template_id.get(), clock.unix_seconds() - 1);
  const uint8_t marker[] = {0x02, 0x04, 0x10, 0x00, 0x00, 0x00};
  const auto at = std::search(templ.begin(), templ.end(), std::begin(marker), std::end(marker));
  if (at == templ.end()) throw std::runtime_error("serial not found in the template");
  const size_t serial_at = static_cast<size_t>(at - templ.begin()) + 2;
  std::mt19937_64 rng(3);
  const int64_t now = clock.unix_seconds();
  std::vector<uint8_t> der = templ;
  for (size_t i = 0; i < args.entries; ++i) {
    const uint32_t serial = kFirstSerial + static_cast<uint32_t>(i);
    for (int b = 0; b < 4; ++b) der[serial_at + b] = static_cast<uint8_t>(serial >> (24 - 8 * b));
    const std::vector<uint8_t> request = ocsp::request_for_response(der);  // decoded views it
    const auto decoded = ocsp::decode_request(request);
    if (!decoded.ok()) throw std::runtime_error("a patched answer does not rebuild its request");
    // Refresh time: thisUpdate + half the 2 h window, up to 12 min earlier
    // (jitter). thisUpdate up to 48 min back spreads them over the next hour.
    const int64_t this_update = now - static_cast<int64_t>(rng() % 2880);
    ocsp::ValidatedResponse v;
    ocsp::SingleStatus s;
    s.status = ocsp::CertStatus::kGood;
    s.this_update = this_update;
    s.next_update = this_update + kWindow;
    v.singles.push_back(s);
    v.this_update = this_update;
    v.next_update = this_update + kWindow;
    if (i == 0 && routes.load()->find(*decoded) == nullptr) {
      throw std::runtime_error("the template's CertID names no configured issuer");
    }
    EntryPtr e = writer.commit(ocsp::make_cache_key(*decoded), der, v, {}, now, false);
    if (!e) throw std::runtime_error("the cache refused an entry");
    e->mark_asked(now);
  }
  const double fill_seconds = seconds_since(fill_start);

  // Simulated time in 10 ms steps; the refresher ticks every 250 ms, as the
  // app's control loop does. The first 12 minutes (the ramp of the jitter
  // window, where fewer answers come due) run unmeasured.
  constexpr int64_t kWarmupSeconds = 720;
  double signing = 0;
  int64_t worst_lag = 0;
  size_t answered = 0;
  uint64_t refreshed_before = 0;
  uint64_t failed_before = 0;
  Wall::time_point run_start = Wall::now();
  for (int64_t step = 1; step <= (kWarmupSeconds + args.seconds) * 100; ++step) {
    if (step == kWarmupSeconds * 100 + 1) {
      signing = 0;
      worst_lag = 0;
      answered = 0;
      refreshed_before = stats.refreshed.load();
      failed_before = stats.failed.load();
      run_start = Wall::now();
    }
    clock.advance_ms(10);
    timers.run_due();
    answered += responder.deliver(signing);
    if (step % 25 == 0 || woken) {
      woken = false;
      refresher.tick();
      worst_lag = std::max<int64_t>(worst_lag, stats.lag_seconds.load());
    }
  }
  const double wall = seconds_since(run_start);
  const double refreshed = static_cast<double>(stats.refreshed.load() - refreshed_before);
  std::printf(
      "| %zu entries, responder latency %lld ms, %zu per responder, %zu refreshes at once | %lld s "
      "| %.0f/s "
      "(%zu exchanges, %llu failed) | %lld s | %.1f ms (%.2f %% of a core) | %.1f s |\n",
      args.entries, static_cast<long long>(args.latency_ms), args.per_responder, args.max_in_flight,
      static_cast<long long>(args.seconds), refreshed / static_cast<double>(args.seconds), answered,
      static_cast<unsigned long long>(stats.failed.load() - failed_before),
      static_cast<long long>(worst_lag),
      (wall - signing) * 1000 / static_cast<double>(args.seconds),
      (wall - signing) * 100 / static_cast<double>(args.seconds), fill_seconds);
  if (args.max_lag >= 0 && worst_lag > args.max_lag) {
    std::fprintf(stderr, "refresh_lag: worst lag %lld s is above --max-lag %lld\n",
                 static_cast<long long>(worst_lag), static_cast<long long>(args.max_lag));
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace ocspcache

int main(int argc, char** argv) {
  try {
    return ocspcache::run(ocspcache::parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "refresh_lag: %s\n", e.what());
    return 1;
  }
}
