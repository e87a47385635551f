#include "ocspcache/util/fd_limit.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ocspcache {

FdLimit raise_fd_limit(uint64_t cap) {
  FdLimit out;
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) {
    out.error = std::strerror(errno);
    return out;
  }
  out.soft_before = out.soft = r.rlim_cur;
  out.hard = r.rlim_max;
  const rlim_t target = r.rlim_max == RLIM_INFINITY ? std::max<rlim_t>(r.rlim_cur, cap) : r.rlim_max;
  if (target <= r.rlim_cur) return out;
  rlimit raised = r;
  raised.rlim_cur = target;
  if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
    out.error = std::strerror(errno);
    return out;
  }
  out.soft = target;
  return out;
}

}  // namespace ocspcache
