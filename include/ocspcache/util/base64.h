// Base64 (RFC 4648) for OCSP GET targets (RFC 5019 §5), HAProxy's
// `set ssl ocsp-response <base64>` and logs. Decoding is lenient in the ways
// real clients differ: both alphabets, padding optional. No allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ocspcache::base64 {

// Value 0..63 of a character of the standard (+ /) or URL-safe (- _)
// alphabet, -1 for anything else (including '=').
int value_of(char c);

// Bytes that `chars` base64 characters (padding excluded) decode to, or
// nullopt when no valid encoding has that many (chars % 4 == 1).
std::optional<size_t> decoded_size(size_t chars);

// Decodes `text` (standard or URL-safe, up to two trailing '=') into `out`.
// Returns the byte count, or nullopt on a bad character, a bad length or
// an `out` too small.
std::optional<size_t> decode(std::string_view text, std::span<uint8_t> out);

// Standard alphabet with padding.
std::string encode(std::span<const uint8_t> data);

}  // namespace ocspcache::base64
