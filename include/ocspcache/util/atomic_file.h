// Replacing a file so that a reader (or the next start, after a crash or a
// power cut) sees the old contents or the new ones, never a mix or a
// truncation: the bytes go to <path>.tmp in the same directory, which is
// fsynced, renamed over <path>, and the directory fsynced so the rename
// itself is durable.
//
// Written in pieces through a buffer, so a large file (the cache snapshot)
// needs no copy of itself in memory. Errors are values: the first one is
// kept and the remaining appends are no-ops; commit() reports it. Destroyed
// without a successful commit, the temp file is removed and <path> is as it
// was.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ocspcache {

class AtomicFile {
 public:
  // Creates <path>.tmp afresh (mode 0600: what goes in may be nobody
  // else's), removing a leftover or a symlink there rather than writing
  // through it.
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void append(std::span<const uint8_t> bytes);
  // Flush, fsync, rename over the path, fsync of the directory. False with
  // *error naming the step and the path when any step (or an append) failed.
  bool commit(std::string* error);

 private:
  // Owns the temp file's descriptor; closing it is the end of writing.
  class Fd {
   public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() { close(); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    int close();  // 0, or -1 with errno (also when not open)

   private:
    int fd_;
  };

  bool flush();
  void fail(const std::string& what);  // keeps the first failure, stops writing

  std::string path_;
  std::string tmp_;
  Fd fd_;
  bool created_ = false;  // the temp file is ours to remove
  bool committed_ = false;
  std::vector<uint8_t> buffer_;
  std::string error_;
};

}  // namespace ocspcache
