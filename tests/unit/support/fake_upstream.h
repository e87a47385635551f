// An UpstreamClient that never touches a socket: it records each post and
// answers only when the test says so, so failover and timeouts are tested
// without responders and without sleeping.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <utility>
#include <vector>

#include "ocspcache/upstream/client.h"

namespace ocspcache::testing {

class FakeUpstreamClient final : public UpstreamClient {
 public:
  struct Call {
    HttpUrl url;
    std::vector<uint8_t> body;
    Millis timeout{0};
    Callback done;
    bool answered = false;
    AddressPolicy policy = AddressPolicy::kAny;
  };

  void post(const HttpUrl& url, std::span<const uint8_t> body, Millis timeout,
            AddressPolicy policy, Callback done) override {
    calls.push_back({url, {body.begin(), body.end()}, timeout, std::move(done), false, policy});
  }
  size_t in_flight() const override {
    size_t n = 0;
    for (const Call& c : calls) n += c.answered ? 0 : 1;
    return n;
  }

  // Delivers `reply` to call i (each at most once, as the real client does).
  void answer(size_t i, UpstreamReply reply) {
    Call& c = calls.at(i);
    if (c.answered) throw std::logic_error("call answered twice");
    c.answered = true;
    Callback done = std::move(c.done);
    done(std::move(reply));
  }

  static UpstreamReply ok(std::vector<uint8_t> body, int status = 200) {
    return UpstreamReply{TransportStatus::kOk, status, std::move(body), 0.01};
  }
  static UpstreamReply failed(TransportStatus t) { return UpstreamReply{t, 0, {}, 0.5}; }

  std::vector<Call> calls;
};

}  // namespace ocspcache::testing
