#include "ocspcache/stapling/staple_writer.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "ocspcache/util/atomic_file.h"
#include "ocspcache/util/log.h"

extern char** environ;

namespace ocspcache {
namespace {

bool same_bytes(const std::string& path, std::span<const uint8_t> der) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  const std::vector<char> have((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return have.size() == der.size() && std::equal(have.begin(), have.end(), der.begin(),
                                                 [](char a, uint8_t b) { return static_cast<uint8_t>(a) == b; });
}

}  // namespace

StapleWriter::~StapleWriter() {
  if (child_ > 0) {
    ::kill(-child_, SIGKILL);
    ::waitpid(child_, nullptr, 0);
  }
}

void StapleWriter::configure(std::vector<StapledCert> certs, Options options) {
  options_ = std::move(options);
  by_key_.clear();
  push_retry_.clear();
  auto keys = std::make_shared<KeySet>();
  for (StapledCert& c : certs) {
    keys->insert(c.key);
    by_key_[c.key].push_back(std::move(c));
  }
  std::lock_guard lock(mu_);
  dirty_ = *keys;  // every certificate looked at by the next flush
  keys_ = std::move(keys);
}

void StapleWriter::on_entry_changed(const EntryChange& change) {
  if (!change.stored) return;
  std::lock_guard lock(mu_);
  if (keys_->contains(change.entry.key())) dirty_.insert(change.entry.key());
}

bool StapleWriter::write(const StapledCert& cert, std::span<const uint8_t> der, bool* changed) {
  bool wrote = false;
  for (const std::string* path : {&cert.ocsp_path, &cert.der_path}) {
    if (path->empty() || same_bytes(*path, der)) continue;
    AtomicFile file(*path);
    file.append(der);
    std::string error;
    if (!file.commit(&error)) {
      stats_.failed.fetch_add(1, std::memory_order_relaxed);
      log::error("staple_write_failed", "path=" + log::quoted(*path) + " reason=" +
                                            log::quoted(error) + " kept=previous");
      continue;
    }
    stats_.written.fetch_add(1, std::memory_order_relaxed);
    *changed = true;
    wrote = true;
    log::info("staple_written", "path=" + log::quoted(*path) + " issuer=" + log::quoted(cert.issuer) +
                                    " serial=" + cert.serial);
  }
  return wrote;
}

// Pushes are retried this long after a failure (HAProxy restarting, its
// socket not there yet), for as long as the answer is the current one.
constexpr int64_t kPushRetrySeconds = 5;
constexpr std::chrono::milliseconds kPushTimeout{2'000};

void StapleWriter::push(const ocsp::CacheKey& key, std::span<const uint8_t> der, int64_t now) {
  bool failed = false;
  for (const HaproxySocket& socket : options_.haproxy) {
    const std::string error = push_ocsp_response(socket, der, kPushTimeout);
    if (error.empty()) {
      stats_.pushes_ok.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    failed = true;
    stats_.pushes_failed.fetch_add(1, std::memory_order_relaxed);
    log::warn("staple_push_failed", "socket=" + log::quoted(socket.text) + " key=" +
                                        key.hex().substr(0, 16) + " reason=" + log::quoted(error) +
                                        " retry_in_s=" + std::to_string(kPushRetrySeconds));
  }
  if (failed) {
    push_retry_[key] = now + kPushRetrySeconds;
  } else {
    push_retry_.erase(key);
  }
}

void StapleWriter::flush() {
  reap_command();
  const int64_t now = clock_.unix_seconds();
  bool changed = false;
  KeySet dirty;
  {
    std::lock_guard lock(mu_);
    dirty.swap(dirty_);
  }
  // Files and pushes without the lock: a worker storing an answer never
  // waits on a disk or a HAProxy.
  {
    for (const ocsp::CacheKey& key : dirty) {
      auto it = by_key_.find(key);
      if (it == by_key_.end()) continue;
      const EntryPtr entry = store_.peek(key, now);
      if (!entry) continue;  // not answered yet: written when it is
      if (entry->next_update() - now < options_.min_remaining_seconds) {
        stats_.too_close.fetch_add(1, std::memory_order_relaxed);
        log::warn("staple_too_close", "issuer=" + log::quoted(it->second.front().issuer) +
                                          " serial=" + it->second.front().serial +
                                          " next_update_in=" + std::to_string(entry->next_update() - now) +
                                          " kept=previous");
        continue;
      }
      bool wrote = false;
      for (const StapledCert& cert : it->second) wrote = write(cert, entry->der(), &changed) || wrote;
      if (wrote && !options_.haproxy.empty()) push(key, entry->der(), now);
    }
    // Pushes that failed earlier, with the answer the files hold now.
    std::vector<ocsp::CacheKey> retry;
    for (const auto& [key, at] : push_retry_) {
      if (at <= now) retry.push_back(key);
    }
    for (const ocsp::CacheKey& key : retry) {
      const EntryPtr entry = store_.peek(key, now);
      if (!entry || !by_key_.contains(key)) {
        push_retry_.erase(key);
        continue;
      }
      push(key, entry->der(), now);
    }
  }
  if (!changed || options_.after_update.empty()) return;
  if (child_ > 0) {
    rerun_ = true;  // the running one may have read the files before this batch
    return;
  }
  start_command();
}

void StapleWriter::start_command() {
  const std::string command = options_.after_update;
  const int64_t timeout_ms = options_.command_timeout_ms;
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so a timeout kills whatever the shell started.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, "/bin/sh", nullptr, &attr, const_cast<char* const*>(argv), environ);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    stats_.commands_failed.fetch_add(1, std::memory_order_relaxed);
    log::error("after_update_failed", "command=" + log::quoted(command) + " reason=\"cannot start\"");
    return;
  }
  child_ = pid;
  child_deadline_ms_ = clock_.monotonic_ms() + timeout_ms;
  log::info("after_update_started", "command=" + log::quoted(command) + " pid=" + std::to_string(pid));
}

void StapleWriter::reap_command() {
  if (child_ <= 0) return;
  int status = 0;
  const pid_t done = ::waitpid(child_, &status, WNOHANG);
  if (done == 0) {
    if (clock_.monotonic_ms() < child_deadline_ms_) return;
    ::kill(-child_, SIGKILL);
    ::waitpid(child_, &status, 0);
    stats_.commands_failed.fetch_add(1, std::memory_order_relaxed);
    log::error("after_update_failed", "pid=" + std::to_string(child_) + " reason=\"timed out, killed\"");
  } else if (done == child_ && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    stats_.commands_ok.fetch_add(1, std::memory_order_relaxed);
    log::info("after_update_done", "pid=" + std::to_string(child_) + " exit=0");
  } else {
    stats_.commands_failed.fetch_add(1, std::memory_order_relaxed);
    const std::string how = done == child_ && WIFEXITED(status)
                                ? "exit=" + std::to_string(WEXITSTATUS(status))
                                : (done == child_ && WIFSIGNALED(status)
                                       ? "signal=" + std::to_string(WTERMSIG(status))
                                       : std::string("reason=\"lost\""));
    log::error("after_update_failed", "pid=" + std::to_string(child_) + " " + how);
  }
  child_ = -1;
  if (rerun_) {
    rerun_ = false;
    start_command();
  }
}

}  // namespace ocspcache
