// Replays a fuzz corpus without libFuzzer (g++ has none): every file in the
// directory argv[1] goes through LLVMFuzzerTestOneInput once. ctest runs
// this over tests/fuzz/corpus/<driver>/ so the seeds and every crash input
// added there stay regression tests. Built with clang, the drivers link
// against -fsanitize=fuzzer instead (README.md).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(argv[1], ec)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  if (ec || files.empty()) {
    // An empty corpus would make the test pass while testing nothing.
    std::fprintf(stderr, "%s: no corpus files in '%s'\n", argv[0], argv[1]);
    return 1;
  }
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      std::fprintf(stderr, "cannot read %s\n", path.c_str());
      return 1;
    }
    LLVMFuzzerTestOneInput(data.data(), data.size());
  }
  std::printf("%zu inputs replayed from %s\n", files.size(), argv[1]);
  return 0;
}
