// Counting allocator for the micro_bench binary (issue 5: "zero allocations
// per cache hit, shown with a counting allocator").
//
// Two layers, both per thread (initial-exec TLS: no allocation to reach it):
// - global operator new/delete replaced: counts C++ allocations;
// - the malloc family interposed (the executable's definitions win over
//   libc's), forwarding to glibc's __libc_* entry points: counts everything
//   else too, OpenSSL's CRYPTO_malloc and libevent included.
// A benchmark reads the counters before and after its loop and reports
// allocations / iterations as the counter `allocs_per_op`.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "bench_fixture.h"

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);
}

namespace {
__thread uint64_t t_allocs __attribute__((tls_model("initial-exec"))) = 0;
__thread uint64_t t_news __attribute__((tls_model("initial-exec"))) = 0;
}  // namespace

extern "C" {
void* malloc(size_t n) {
  ++t_allocs;
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t m) {
  ++t_allocs;
  return __libc_calloc(n, m);
}
void* realloc(void* p, size_t n) {
  ++t_allocs;
  return __libc_realloc(p, n);
}
void free(void* p) { __libc_free(p); }
void* memalign(size_t a, size_t n) {
  ++t_allocs;
  return __libc_memalign(a, n);
}
void* aligned_alloc(size_t a, size_t n) {
  ++t_allocs;
  return __libc_memalign(a, n);
}
int posix_memalign(void** out, size_t a, size_t n) {
  ++t_allocs;
  void* p = __libc_memalign(a, n);
  if (p == nullptr) return 12;  // ENOMEM
  *out = p;
  return 0;
}
}

namespace {
void* counted_new(size_t n) {
  ++t_news;
  if (n == 0) n = 1;
  void* p = malloc(n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* counted_new_aligned(size_t n, std::align_val_t a) {
  ++t_news;
  if (n == 0) n = 1;
  void* p = aligned_alloc(static_cast<size_t>(a), n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace

void* operator new(size_t n) { return counted_new(n); }
void* operator new[](size_t n) { return counted_new(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_new(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_new(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(size_t n, std::align_val_t a) { return counted_new_aligned(n, a); }
void* operator new[](size_t n, std::align_val_t a) { return counted_new_aligned(n, a); }
void operator delete(void* p) noexcept { free(p); }
void operator delete[](void* p) noexcept { free(p); }
void operator delete(void* p, size_t) noexcept { free(p); }
void operator delete[](void* p, size_t) noexcept { free(p); }
void operator delete(void* p, std::align_val_t) noexcept { free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { free(p); }

namespace bench {
uint64_t thread_allocations() { return t_allocs; }
uint64_t thread_operator_news() { return t_news; }
}  // namespace bench
