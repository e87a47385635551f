// A small JSON reader for what tests get from real components' HTTP APIs
// (Prometheus /api/v1/alerts and /api/v1/query, ocspcache /status). Reads
// RFC 8259 JSON into a tree; no writer, no streaming, test use only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ocspcache::it {

class Json {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  // Throws std::runtime_error naming the offset of the first error.
  static Json parse(std::string_view text);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool boolean() const { return boolean_; }
  double number() const { return number_; }
  const std::string& str() const { return string_; }  // "" unless a string

  // Arrays: the elements; objects: the values, in document order.
  const std::vector<Json>& items() const { return items_; }
  const std::vector<std::string>& keys() const { return keys_; }  // objects only

  // Member KEY of an object; a null Json when absent or not an object, so
  // lookups chain: doc["data"]["alerts"].items().
  const Json& operator[](std::string_view key) const;

 private:
  friend class JsonParser;
  Type type_ = Type::kNull;
  bool boolean_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<std::string> keys_;
  std::vector<Json> items_;
};

}  // namespace ocspcache::it
