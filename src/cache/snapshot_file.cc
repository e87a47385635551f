// write_snapshot_file / read_snapshot_file (snapshot.h): atomic replace.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "ocspcache/cache/snapshot.h"

namespace ocspcache {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

bool write_snapshot_file(const std::string& path, std::span<const uint8_t> bytes,
                         std::string* error) {
  const std::filesystem::path target(path);
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
  const std::string tmp = path + ".tmp";
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    *error = errno_text(("open " + tmp).c_str());
    return false;
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = errno_text(("write " + tmp).c_str());
      ::unlink(tmp.c_str());
      return false;
    }
    done += static_cast<size_t>(n);
  }
  // The data must be on disk before the rename makes it the snapshot.
  if (::fsync(fd.get()) != 0 || ::close(fd.release()) != 0) {
    *error = errno_text(("fsync " + tmp).c_str());
    ::unlink(tmp.c_str());
    return false;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = errno_text(("rename to " + path).c_str());
    ::unlink(tmp.c_str());
    return false;
  }
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() >= 0) ::fsync(dfd.get());  // the rename itself durable
  return true;
}

bool read_snapshot_file(const std::string& path, size_t max_bytes, std::vector<uint8_t>* out,
                        std::string* error, bool* missing) {
  *missing = false;
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
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
