// The app's running parts in dependency order: started first to last and
// stopped last to first, whichever way the process ends (normal shutdown,
// or a part failing to start, which stops those already started).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace ocspcache {

class Lifecycle {
 public:
  struct Part {
    std::string name;
    std::function<void()> start;  // may throw: start-up fails
    std::function<void()> stop;   // must not throw
  };

  ~Lifecycle() { stop_all(); }

  void add(Part part) { parts_.push_back(std::move(part)); }
  // Starts every part in order. If one throws, those started are stopped
  // in reverse and the exception goes on.
  void start_all();
  // Stops the started parts in reverse order; idempotent.
  void stop_all();
  size_t started() const { return started_; }

 private:
  std::vector<Part> parts_;
  size_t started_ = 0;
};

}  // namespace ocspcache
