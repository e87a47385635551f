#include "harness/pki.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <stdexcept>

#include "harness/process.h"
#include "harness/temp_dir.h"

namespace ocspcache::it {

namespace fs = std::filesystem;

namespace {

fs::path default_dir(const fs::path& script) {
  size_t hash = std::hash<std::string>{}(read_file(script));
  fs::path base = fs::read_symlink("/proc/self/exe").parent_path();
  char name[64];
  snprintf(name, sizeof name, "test-pki-%016zx", hash);
  return base / name;
}

fs::path build() {
  fs::path script = fs::path(OCSPCACHE_SOURCE_DIR) / "scripts" / "make-test-pki.sh";
  const char* env = getenv("OCSPCACHE_TEST_PKI_DIR");
  fs::path dir = env != nullptr && *env != '\0' ? fs::path(env) : default_dir(script);

  fs::create_directories(dir.parent_path());
  std::string lock_path = dir.string() + ".lock";
  int lock = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0) throw std::runtime_error("cannot open " + lock_path);
  flock(lock, LOCK_EX);
  CommandResult r = run_command({"bash", script.string(), dir.string()}, 60s);
  flock(lock, LOCK_UN);
  close(lock);
  if (r.exit_code != 0) {
    throw std::runtime_error("make-test-pki.sh failed (" + std::to_string(r.exit_code) +
                             "): " + r.err);
  }
  return dir;
}

}  // namespace

const Pki& Pki::get() {
  static const Pki pki(build());
  return pki;
}

}  // namespace ocspcache::it
