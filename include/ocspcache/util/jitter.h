// Spreading of retry and expiry times (+-fraction), so that what failed
// together does not come back together: breaker probes across a fleet,
// remembered failures of one outage. A tiny PRNG per owner (not a global
// one: owners are tested with fixed seeds and need no lock).
#pragma once

#include <algorithm>
#include <cstdint>

namespace ocspcache {

class Jitter {
 public:
  // Nearby seeds (1, 2, 3, a URL's hash) give unrelated sequences.
  explicit Jitter(uint64_t seed) : state_(mix(seed)) {}

  // `value` scaled by a factor drawn uniformly from [1 - fraction, 1 + fraction),
  // at least 1. fraction <= 0: `value` unchanged.
  int64_t spread(int64_t value, double fraction) {
    if (fraction <= 0) return value;
    const double factor = 1.0 + fraction * (2.0 * next_unit() - 1.0);
    return std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(value) * factor));
  }

 private:
  // splitmix64's finaliser; never 0, which xorshift cannot leave.
  static uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x == 0 ? 1 : x;
  }
  double next_unit() {  // xorshift64, in [0, 1)
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return static_cast<double>(state_ >> 11) / static_cast<double>(1ULL << 53);
  }

  uint64_t state_;
};

}  // namespace ocspcache
