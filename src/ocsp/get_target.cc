// RFC 5019 §5 GET targets: "/<prefix>/<url-encoded base64(OCSPRequest)>".
// Clients disagree on the encoding (nginx escapes every '+', '/', '='; Java
// leaves them raw; some use base64url or drop padding; form decoders turn
// '+' into ' '), and base64 itself contains '/', so the request cannot be
// cut at the last '/'. We percent-decode on the fly and try the suffix after
// each '/' from the longest, keeping the first that is a whole OCSPRequest.
// Nothing is copied but the DER into the caller's buffer: no allocation.
#include <optional>

#include "ocspcache/util/base64.h"
#include "ocspcache/ocsp/request.h"

namespace ocspcache::ocsp {
namespace {

constexpr size_t kMaxBase64 = (kMaxRequestDer + 2) / 3 * 4;
// Every character escaped (%XX), plus room for a generous prefix.
constexpr size_t kMaxPath = 3 * kMaxBase64 + 1024;
// A real request is found right after the prefix segments; each extra
// candidate costs a base64 pass, so a path of many crafted segments must
// not make one request quadratic.
constexpr int kMaxFullDecodes = 16;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads one percent-decoded character of `path` at `pos` and advances; -1
// for a broken escape. A space is read as '+': it is what a '+' becomes in
// clients that form-decode the path.
int next_char(std::string_view path, size_t& pos) {
  char c = path[pos];
  if (c == '%') {
    if (path.size() - pos < 3) return -1;
    const int hi = hex_value(path[pos + 1]);
    const int lo = hex_value(path[pos + 2]);
    if (hi < 0 || lo < 0) return -1;
    pos += 3;
    c = static_cast<char>(hi * 16 + lo);
  } else {
    ++pos;
  }
  return c == ' ' ? '+' : static_cast<unsigned char>(c);
}

// Decodes `chars` base64 characters starting at raw offset `pos` into
// `out` (sized for them). False on a character outside the alphabets.
bool decode_run(std::string_view path, size_t pos, size_t chars, std::span<uint8_t> out) {
  uint32_t acc = 0;
  int bits = 0;
  size_t n = 0;
  for (size_t i = 0; i < chars; ++i) {
    const int v = base64::value_of(static_cast<char>(next_char(path, pos)));
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n == out.size()) return false;
      out[n++] = static_cast<uint8_t>(acc >> bits);
    }
  }
  return n == out.size();
}

// Size of the DER element announced by its first bytes, if they start an
// OCSPRequest's outer SEQUENCE.
std::optional<size_t> announced_size(std::span<const uint8_t> h) {
  if (h.size() < 2 || h[0] != 0x30) return std::nullopt;
  if (h[1] < 0x80) return 2 + size_t{h[1]};
  const size_t n = h[1] & 0x7F;
  if (n == 0 || n > 3 || h.size() < 2 + n) return std::nullopt;
  size_t len = 0;
  for (size_t i = 0; i < n; ++i) len = (len << 8) | h[2 + i];
  return 2 + n + len;
}

}  // namespace

Result<size_t, RequestError> decode_get_target(std::string_view target, std::span<uint8_t> out,
                                               size_t* b64_offset) {
  const std::string_view path = target.substr(0, target.find('?'));
  if (path.size() > kMaxPath) return Err{RequestError::kTooLarge};

  // Pass 1: validate escapes, count decoded characters and trailing '='.
  size_t total = 0, slashes = 0, pads = 0;
  for (size_t pos = 0; pos < path.size();) {
    const int c = next_char(path, pos);
    if (c < 0) return Err{RequestError::kBadGetPath};
    ++total;
    slashes += c == '/';
    pads = c == '=' ? pads + 1 : 0;
  }
  if (total == slashes) return Err{RequestError::kEmpty};
  if (pads > 2) return Err{RequestError::kBadGetPath};

  bool too_large = false;
  int full_decodes = 0;
  // Tries the suffix starting at raw offset `pos`, `left` decoded chars long.
  auto try_suffix = [&](size_t pos, size_t left) -> std::optional<size_t> {
    if (left <= pads) return std::nullopt;
    const size_t chars = left - pads;
    if (pads != 0 && left % 4 != 0) return std::nullopt;
    const auto size = base64::decoded_size(chars);
    if (!size) return std::nullopt;
    // Cheap filter: the first 8 characters hold the outer SEQUENCE header,
    // whose length must account for exactly the bytes this suffix holds.
    uint8_t head[6];
    const size_t head_chars = chars < 8 ? chars : 8;
    const size_t head_len = *base64::decoded_size(head_chars);
    if (!decode_run(path, pos, head_chars, std::span(head, head_len))) return std::nullopt;
    const auto announced = announced_size(std::span<const uint8_t>(head, head_len));
    if (!announced || *announced != *size) return std::nullopt;
    if (*size > kMaxRequestDer || *size > out.size()) {
      too_large = true;
      return std::nullopt;
    }
    if (++full_decodes > kMaxFullDecodes) return std::nullopt;
    if (!decode_run(path, pos, chars, out.first(*size))) return std::nullopt;
    if (!decode_request(out.first(*size)).ok()) return std::nullopt;
    if (b64_offset != nullptr) *b64_offset = pos;
    return *size;
  };

  // Pass 2: candidates from the longest suffix (a path with no prefix at
  // all counts as one) to the shortest.
  size_t pos = 0, seen = 0;
  if (size_t first = 0; next_char(path, first) != '/') {
    if (auto n = try_suffix(0, total)) return *n;
  }
  while (pos < path.size()) {
    const int c = next_char(path, pos);
    ++seen;
    if (c != '/' || seen == total) continue;
    if (auto n = try_suffix(pos, total - seen)) return *n;
  }
  return Err{too_large ? RequestError::kTooLarge : RequestError::kBadGetPath};
}

}  // namespace ocspcache::ocsp
