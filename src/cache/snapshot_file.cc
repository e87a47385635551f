// write_snapshot_file / read_snapshot_file (snapshot.h): the file on disk.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ocspcache/cache/snapshot.h"
#include "ocspcache/util/atomic_file.h"
#include "ocspcache/util/unique_fd.h"

namespace ocspcache {
namespace {

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

bool write_snapshot_file(const std::string& path, const SnapshotImage& image, std::string* error) {
  AtomicFile file(path);
  encode_snapshot(image, [&](std::span<const uint8_t> piece) { file.append(piece); });
  return file.commit(error);
}

bool read_snapshot_file(const std::string& path, size_t max_bytes, std::vector<uint8_t>* out,
                        std::string* error, bool* missing) {
  *missing = false;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    *missing = errno == ENOENT;
    *error = errno_text("open");
    return false;
  }
  const off_t size = ::lseek(fd.get(), 0, SEEK_END);
  if (size < 0 || ::lseek(fd.get(), 0, SEEK_SET) != 0) {
    *error = errno_text("seek");
    return false;
  }
  if (static_cast<uint64_t>(size) > max_bytes) {
    *error = "larger (" + std::to_string(size) + " bytes) than the cache could hold";
    return false;
  }
  out->resize(static_cast<size_t>(size));
  size_t done = 0;
  while (done < out->size()) {
    const ssize_t n = ::read(fd.get(), out->data() + done, out->size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = n == 0 ? std::string("shorter than its size") : errno_text("read");
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace ocspcache
