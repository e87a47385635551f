// ocsp_gen — bench-only helper for bench/run.sh (issue 5). See common.h.
#include <cstdio>
#include <exception>
#include <string_view>

#include "common.h"

namespace {
constexpr const char* kUsage =
    "usage: ocsp_gen gen   --pki DIR --count N --first-serial S --out DIR [--days D]\n"
    "       ocsp_gen serve --port P [--delay-ms MS] SETDIR...\n"
    "       ocsp_gen load  --port P [--conns C] [--get] [--new-conn] [--any-good] [--offset N] [--limit N]\n"
    "                      [--rate R] [--cycle] [--server-time] SETDIR\n"
    "       ocsp_gen burst --port P --conns C [--get] [--index I] SETDIR\n";
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string_view cmd = argv[1];
  try {
    if (cmd == "gen") return ocspgen::cmd_gen(argc - 2, argv + 2);
    if (cmd == "serve") return ocspgen::cmd_serve(argc - 2, argv + 2);
    if (cmd == "load") return ocspgen::cmd_load(argc - 2, argv + 2);
    if (cmd == "burst") return ocspgen::cmd_burst(argc - 2, argv + 2);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ocsp_gen %s: %s\n", argv[1], e.what());
    return 1;
  }
  std::fputs(kUsage, stderr);
  return 2;
}
