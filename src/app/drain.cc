#include "ocspcache/app/drain.h"

namespace ocspcache {

void DrainSequence::begin() {
  if (begun_) return;
  begun_ = true;
  deadline_ms_ = clock_.monotonic_ms() + timeout_.count();
  for (auto& t : targets_) t.begin();
}

bool DrainSequence::poll() {
  if (done_ || !begun_) return done_;
  size_t busy = 0;
  for (auto& t : targets_) busy += t.finished() ? 0 : 1;
  if (busy == 0) return done_ = true;
  if (clock_.monotonic_ms() < deadline_ms_) return false;
  for (auto& t : targets_) {
    if (!t.finished()) t.stop_now();
  }
  cut_off_ = busy;
  return done_ = true;
}

}  // namespace ocspcache
