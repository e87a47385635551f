// The upstream side's own thread and event loop: the one Fetcher (with its
// FetchGate), the one UpstreamClient (its keep-alive pool) and their
// timers. Workers hand it fetches (fetch(), thread-safe); answers come back
// on this thread, and whoever asked hands them to its own loop (the single
// flight's waiters do).
//
// One place for everything that talks to responders makes the limits exact
// for the whole process (per responder and total, a queue, a rate), lets
// every worker's misses share pooled connections, and keeps the workers'
// loops free of timers and DNS. It costs a miss one hop between threads
// (a few microseconds against a responder's round trip); hits never come here.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "ocspcache/upstream/client.h"
#include "ocspcache/upstream/fetcher.h"
#include "ocspcache/util/clock.h"
#include "ocspcache/util/duration.h"
#include "ocspcache/util/loop_mailbox.h"
#include "ocspcache/util/loop_timers.h"

struct event_base;
struct event;

namespace ocspcache {

class UpstreamThread final : public FetchService {
 public:
  using ClientFactory = std::function<std::unique_ptr<UpstreamClient>(event_base*)>;

  // Builds the loop, the client (from `make_client`, on this loop) and the
  // fetcher; the thread starts with start(). Throws std::runtime_error.
  UpstreamThread(const Clock& clock, FetcherOptions options, const ClientFactory& make_client);
  ~UpstreamThread() override;
  UpstreamThread(const UpstreamThread&) = delete;
  UpstreamThread& operator=(const UpstreamThread&) = delete;

  void start();
  // Lets fetches under way end (their answers are stored) for at most
  // `grace`, then stops the loop and joins. Exchanges still out are cut.
  void stop(Millis grace);

  // Thread-safe. `done` runs on this thread.
  void fetch(FetchRequest request, Done done) override;
  // Thread-safe: live settings of a reload.
  void set_options(const FetcherOptions& options);
  // Start-up only: see Fetcher::on_late_attempt.
  void on_late_attempt(Fetcher::LateAttempt fn);

 private:
  struct BaseDeleter {
    void operator()(event_base* b) const;
  };
  void post(std::function<void()> fn) { mailbox_.post(std::move(fn)); }
  void stop_when_idle(int64_t until_ms);

  std::unique_ptr<event_base, BaseDeleter> base_;
  const Clock& clock_;
  LoopTimers timers_;
  std::unique_ptr<UpstreamClient> client_;
  std::unique_ptr<Fetcher> fetcher_;
  LoopMailbox mailbox_;
  std::thread thread_;
};

}  // namespace ocspcache
