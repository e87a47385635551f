#include "ocspcache/app/lifecycle.h"

#include "ocspcache/util/log.h"

namespace ocspcache {

void Lifecycle::start_all() {
  for (; started_ < parts_.size(); ++started_) {
    try {
      if (parts_[started_].start) parts_[started_].start();
    } catch (...) {
      stop_all();
      throw;
    }
    log::debug("started", "part=" + parts_[started_].name);
  }
}

void Lifecycle::stop_all() {
  while (started_ > 0) {
    Part& p = parts_[--started_];
    if (p.stop) p.stop();
    log::debug("stopped_part", "part=" + p.name);
  }
}

}  // namespace ocspcache
