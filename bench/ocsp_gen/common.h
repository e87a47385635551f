// ocsp_gen: bench-only tool (issue 5). Signed OCSP response sets, a fast
// responder serving them, and the load/latency/burst clients run.sh needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ocspgen {

// A generated set on disk (one directory):
//   requests.bin   records: u32 little-endian length, then an OCSPRequest DER
//   responses.bin  records, same order: the signed OCSPResponse DER
//   paths.txt      one RFC 5019 GET path per line ("/" + URL-encoded base64)
//   index.txt      openssl-ca database listing every serial as valid, so an
//                  `openssl ocsp -index` responder answers "good" for them
//   first_request.der / first_response.der   record 0, for wrk's POST body
//   meta           key=value: count, first_serial, next_update, signer
struct Record {
  std::string_view der;
};

class RecordFile {
 public:
  explicit RecordFile(const std::filesystem::path& path);
  size_t size() const { return records_.size(); }
  std::string_view operator[](size_t i) const { return records_[i]; }

 private:
  std::string data_;
  std::vector<std::string_view> records_;
};

void append_record(std::string& out, std::string_view der);
std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, std::string_view data);
std::string get_path_for(std::string_view request_der);

// Serial INTEGER content bytes of the first CertID of a request (DER), or "".
std::string request_serial(std::string_view request_der);

[[noreturn]] inline void fail(const std::string& msg) { throw std::runtime_error(msg); }

int cmd_gen(int argc, char** argv);
int cmd_serve(int argc, char** argv);
int cmd_load(int argc, char** argv);
int cmd_burst(int argc, char** argv);

}  // namespace ocspgen
