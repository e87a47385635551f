// Placeholder until the daemon lands: prints the version.
#include <cstdio>
int main() {
  std::puts("ocspcache " OCSPCACHE_VERSION);
  return 0;
}
