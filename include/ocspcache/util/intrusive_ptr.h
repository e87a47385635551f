// A pointer to an object that carries its own reference count.
//
// Why not std::shared_ptr: a cache entry is one allocation holding its count,
// its fields, its cache links and its DER (cached_response.h); shared_ptr
// would add a control block (or, with make_shared, still no room for the
// variable-length DER) and 8 more bytes in every pointer. T provides
// `void intrusive_add_ref(const T*)` and `void intrusive_release(const T*)`
// (found by argument-dependent lookup); release frees at zero.
#pragma once

#include <cstddef>
#include <utility>

namespace ocspcache {

template <typename T>
class IntrusivePtr {
 public:
  IntrusivePtr() = default;
  IntrusivePtr(std::nullptr_t) {}  // NOLINT: implicit, like shared_ptr
  // Takes a new reference to p (p already counted elsewhere or fresh at 0).
  explicit IntrusivePtr(T* p) : p_(p) {
    if (p_) intrusive_add_ref(p_);
  }
  IntrusivePtr(const IntrusivePtr& o) : IntrusivePtr(o.p_) {}
  IntrusivePtr(IntrusivePtr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  ~IntrusivePtr() { reset(); }
  IntrusivePtr& operator=(IntrusivePtr o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }

  void reset() {
    if (T* p = std::exchange(p_, nullptr)) intrusive_release(p);
  }
  T* get() const { return p_; }
  T& operator*() const { return *p_; }
  T* operator->() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }
  bool operator==(const IntrusivePtr& o) const { return p_ == o.p_; }
  bool operator==(std::nullptr_t) const { return p_ == nullptr; }

 private:
  T* p_ = nullptr;
};

}  // namespace ocspcache
