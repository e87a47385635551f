#include "ocspcache/util/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

namespace ocspcache {
namespace {

// Large enough that a snapshot costs a few syscalls per megabyte, small
// enough to be nothing beside the cache it writes.
constexpr size_t kBufferBytes = 256 * 1024;

// A fresh file, never one that was there: a leftover of a crash is removed
// first, and a symlink planted at <path>.tmp is removed rather than
// followed (O_EXCL also refuses one planted after the unlink), so the
// write cannot be turned onto another file.
int open_fresh(const std::string& tmp) {
  ::unlink(tmp.c_str());  // fails harmlessly when absent, or for a directory
  return ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

}  // namespace

int AtomicFile::Fd::close() {
  if (fd_ < 0) {
    errno = EBADF;
    return -1;
  }
  return ::close(std::exchange(fd_, -1));
}

AtomicFile::AtomicFile(std::string path)
    : path_(std::move(path)), tmp_(path_ + ".tmp"), fd_(open_fresh(tmp_)) {
  if (fd_.get() < 0) {
    fail("open " + tmp_);
    return;
  }
  created_ = true;
  buffer_.reserve(kBufferBytes);
}

AtomicFile::~AtomicFile() {
  // Only a temp file this object created: what a failed open found at
  // <path>.tmp (a directory) is not ours.
  if (created_ && !committed_) ::unlink(tmp_.c_str());
}

void AtomicFile::fail(const std::string& what) {
  if (error_.empty()) error_ = what + ": " + std::strerror(errno);
  fd_.close();
}

void AtomicFile::append(std::span<const uint8_t> bytes) {
  if (fd_.get() < 0) return;
  if (buffer_.size() + bytes.size() > kBufferBytes && !flush()) return;
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  if (buffer_.size() >= kBufferBytes) flush();
}

bool AtomicFile::flush() {
  size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_.get(), buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      fail("write " + tmp_);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  buffer_.clear();
  return true;
}

bool AtomicFile::commit(std::string* error) {
  // The data must be on disk before the rename makes it the file.
  if (fd_.get() >= 0 && flush()) {
    if (::fsync(fd_.get()) != 0) {
      fail("fsync " + tmp_);
    } else if (fd_.close() != 0) {
      fail("close " + tmp_);
    } else if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
      fail("rename to " + path_);
    } else {
      committed_ = true;
      const std::filesystem::path target(path_);
      const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
      Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      // The rename itself durable; the new file is in place either way.
      if (dir_fd.get() >= 0) ::fsync(dir_fd.get());
      return true;
    }
  }
  *error = error_;
  return false;
}

}  // namespace ocspcache
