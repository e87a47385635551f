// SIGTERM/SIGINT: every worker stops accepting and finishes what it has in
// progress; at server.drain_timeout the ones still busy are stopped. Plain
// logic on a Clock, polled by a control-loop timer, so the deadline is
// unit-tested without sleeping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "ocspcache/util/clock.h"
#include "ocspcache/util/duration.h"

namespace ocspcache {

struct DrainTarget {
  std::function<void()> begin;      // stop accepting, finish in-flight work
  std::function<bool()> finished;   // nothing left
  std::function<void()> stop_now;   // the deadline passed: stop anyway
};

class DrainSequence {
 public:
  DrainSequence(std::vector<DrainTarget> targets, const Clock& clock, Millis timeout)
      : targets_(std::move(targets)), clock_(clock), timeout_(timeout) {}

  void begin();
  // True once every target finished, or the deadline passed and the rest
  // were told to stop (then cut_off() says how many). Idempotent after.
  bool poll();
  size_t cut_off() const { return cut_off_; }

 private:
  std::vector<DrainTarget> targets_;
  const Clock& clock_;
  Millis timeout_;
  int64_t deadline_ms_ = 0;
  bool begun_ = false;
  bool done_ = false;
  size_t cut_off_ = 0;
};

}  // namespace ocspcache
