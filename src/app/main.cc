// ocspcache entry point: command line only; App assembles the rest.
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "ocspcache/config/config.h"
#include "ocspcache/app/app.h"
#include "ocspcache/metrics/catalogue.h"
#include "ocspcache/ocsp/issuer.h"

namespace {

constexpr const char* kUsage =
    "usage: ocspcache --config FILE      run in the foreground, log to stderr\n"
    "       ocspcache --check-config FILE  validate FILE (and its issuer certificates), exit 0/1\n"
    "       ocspcache --list-metrics       print every metric, one per line, tab-separated:\n"
    "                                      name, type, availability, labels, help\n"
    "       ocspcache --version\n"
    "       ocspcache --help\n"
    "\n"
    "A caching OCSP proxy. Signals: SIGTERM/SIGINT drain and exit 0; SIGHUP re-reads\n"
    "FILE, the issuer certificates and the stapling inventory (a bad file is logged\n"
    "and the running configuration kept).\n"
    "Configuration reference: docs/configuration.md; sample: conf/ocspcache.toml\n";

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "ocspcache: %s\n%s", msg.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--version" || arg == "-V") {
      std::printf("ocspcache %s\n", OCSPCACHE_VERSION);
      return 0;
    }
    // The catalogue, for scripts (the dashboard and rule checkers) and
    // operators: what this build exports, without running it.
    if (arg == "--list-metrics") {
      std::fputs(ocspcache::render_metric_list().c_str(), stdout);
      return 0;
    }
    std::string value;
    bool is_config = false;
    for (std::string_view flag : {"--config", "-c", "--check-config"}) {
      if (arg == flag) {
        if (i + 1 >= argc) return usage_error(std::string(flag) + " needs a FILE argument");
        value = argv[++i];
        is_config = true;
      } else if (arg.starts_with(std::string(flag) + "=")) {
        value = std::string(arg.substr(flag.size() + 1));
        is_config = true;
      }
      if (is_config) {
        if (flag == "--check-config") check_only = true;
        break;
      }
    }
    if (!is_config) return usage_error("unknown argument '" + std::string(arg) + "'");
    if (!config_path.empty()) return usage_error("only one config file may be given");
    config_path = value;
  }
  if (config_path.empty()) return usage_error("no config file given (--config FILE)");

  ocspcache::Config config;
  std::shared_ptr<const ocspcache::ocsp::IssuerRegistry> registry;
  try {
    config = ocspcache::load_config(config_path);
    // Issuer certificates are parsed here, once, so --check-config catches
    // a bad PEM, not only a missing file, and the app starts with them.
    registry = std::make_shared<const ocspcache::ocsp::IssuerRegistry>(
        ocspcache::ocsp::IssuerRegistry::load(config.issuers));
    if (check_only) {
      std::printf("%s: OK (%zu issuer%s, %zu listen address%s)\n", config_path.c_str(),
                  registry->issuers().size(), registry->issuers().size() == 1 ? "" : "s",
                  config.server.listen.size(), config.server.listen.size() == 1 ? "" : "es");
      return 0;
    }
  } catch (const ocspcache::ConfigError& e) {
    std::fprintf(stderr, "ocspcache: config error: %s\n", e.what());
    return 1;
  }
  try {
    ocspcache::App app(std::move(config), std::move(registry));
    return app.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ocspcache: cannot start: %s\n", e.what());
    return 1;
  }
}
