#include "ocspcache/upstream/upstream_thread.h"

#include <event2/event.h>
#include <pthread.h>
#include <signal.h>

#include <stdexcept>

namespace ocspcache {
namespace {

// How often a stop looks whether the fetches under way have ended.
constexpr Millis kStopPoll{10};

event_base* checked(event_base* b) {
  if (b == nullptr) throw std::runtime_error("event_base_new failed (upstream thread)");
  return b;
}

}  // namespace

void UpstreamThread::BaseDeleter::operator()(event_base* b) const { event_base_free(b); }

UpstreamThread::UpstreamThread(const Clock& clock, FetcherOptions options,
                               const ClientFactory& make_client)
    : base_(checked(event_base_new())), clock_(clock), timers_(base_.get(), clock),
      mailbox_(base_.get()) {
  client_ = make_client(base_.get());
  if (!client_) throw std::runtime_error("upstream thread without a client");
  fetcher_ = std::make_unique<Fetcher>(*client_, clock_, timers_, options);
}

UpstreamThread::~UpstreamThread() {
  if (thread_.joinable()) {
    event_base_loopexit(base_.get(), nullptr);
    thread_.join();
  }
  // Jobs still queued or out hold closures over the fetcher: it goes first,
  // then the client frees the exchanges it still has, without callbacks.
  mailbox_.clear();
  fetcher_.reset();
  client_.reset();
}

void UpstreamThread::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "ocspcache-up");
    // Signals are the control loop's (app/control_loop.h).
    sigset_t control;
    sigemptyset(&control);
    for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&control, sig);
    pthread_sigmask(SIG_BLOCK, &control, nullptr);
    event_base_loop(base_.get(), EVLOOP_NO_EXIT_ON_EMPTY);
  });
}

void UpstreamThread::stop(Millis grace) {
  if (!thread_.joinable()) return;
  const int64_t until = clock_.monotonic_ms() + grace.count();
  post([this, until] { stop_when_idle(until); });
  thread_.join();
}

// Polls on this loop: the end of the fetches under way is what it waits for.
void UpstreamThread::stop_when_idle(int64_t until_ms) {
  if (fetcher_->busy() == 0 || clock_.monotonic_ms() >= until_ms) {
    event_base_loopexit(base_.get(), nullptr);
    return;
  }
  timers_.after(kStopPoll, [this, until_ms] { stop_when_idle(until_ms); });
}

void UpstreamThread::fetch(FetchRequest request, Done done) {
  post([this, request = std::move(request), done = std::move(done)]() mutable {
    fetcher_->fetch(std::move(request), std::move(done));
  });
}

void UpstreamThread::set_options(const FetcherOptions& options) {
  post([this, options] { fetcher_->set_options(options); });
}

void UpstreamThread::on_late_attempt(Fetcher::LateAttempt fn) { fetcher_->on_late_attempt(std::move(fn)); }

}  // namespace ocspcache
