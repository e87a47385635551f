#include "common.h"

#include <openssl/evp.h>

#include <cstring>
#include <fstream>

#include "ocspcache/ocsp/request.h"

namespace ocspgen {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) fail("cannot read " + path.string());
  std::string data(static_cast<size_t>(in.tellg()), '\0');
  in.seekg(0);
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (!in) fail("cannot read " + path.string());
  return data;
}

void write_file(const std::filesystem::path& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) fail("cannot write " + path.string());
}

RecordFile::RecordFile(const std::filesystem::path& path) : data_(read_file(path)) {
  size_t pos = 0;
  while (pos + 4 <= data_.size()) {
    uint32_t len = 0;
    for (int i = 3; i >= 0; --i) len = (len << 8) | static_cast<uint8_t>(data_[pos + static_cast<size_t>(i)]);
    pos += 4;
    if (pos + len > data_.size()) fail("truncated record in " + path.string());
    records_.emplace_back(data_.data() + pos, len);
    pos += len;
  }
}

void append_record(std::string& out, std::string_view der) {
  const auto len = static_cast<uint32_t>(der.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  out.append(der);
}

std::string get_path_for(std::string_view der) {
  std::string b64(4 * ((der.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                reinterpret_cast<const unsigned char*>(der.data()),
                                static_cast<int>(der.size()));
  b64.resize(static_cast<size_t>(n));
  std::string path = "/";
  for (char c : b64) {
    if (c == '+') path += "%2B";
    else if (c == '/') path += "%2F";
    else if (c == '=') path += "%3D";
    else path += c;
  }
  return path;
}

std::string request_serial(std::string_view der) {
  auto r = ocspcache::ocsp::decode_request(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(der.data()), der.size()));
  if (!r.ok() || r->count == 0) return {};
  const auto s = r->ids[0].serial;
  return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

}  // namespace ocspgen
