#include "ocspcache/clock.h"

#include <atomic>
#include <ctime>

namespace ocspcache {
namespace {
std::atomic<int64_t> g_fake_now{0};
}

int64_t now_unix() {
  const int64_t fake = g_fake_now.load(std::memory_order_relaxed);
  if (fake != 0) return fake;
  return static_cast<int64_t>(::time(nullptr));
}

void set_fake_now_for_testing(int64_t unix_seconds) {
  g_fake_now.store(unix_seconds, std::memory_order_relaxed);
}

}  // namespace ocspcache
