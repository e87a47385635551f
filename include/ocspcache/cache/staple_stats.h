// The staple writer's counters (stapling/staple_writer.h), here so the
// metrics read them without depending on the module that writes them.
#pragma once

#include <atomic>
#include <cstdint>

namespace ocspcache {

struct StapleStats {
  std::atomic<uint64_t> written{0};    // files replaced with a newer answer
  std::atomic<uint64_t> failed{0};     // a write failed (logged; retried at the next answer)
  std::atomic<uint64_t> too_close{0};  // answers with less than min_remaining left: files kept
  std::atomic<uint64_t> commands_ok{0};
  std::atomic<uint64_t> commands_failed{0};  // non-zero exit, signal, or killed at the timeout
  std::atomic<uint64_t> certificates{0};     // in the inventory
  std::atomic<uint64_t> pushes_ok{0};        // HAProxy runtime API: answer taken
  std::atomic<uint64_t> pushes_failed{0};    // refused or unreachable: retried
};

}  // namespace ocspcache
