#include "ocspcache/upstream/proxy_connect.h"

#include <cctype>

namespace ocspcache {

std::string authority(std::string_view host, uint16_t port) {
  std::string out;
  const bool v6 = host.find(':') != std::string_view::npos;
  if (v6) out += '[';
  out += host;
  if (v6) out += ']';
  out += ':';
  out += std::to_string(port);
  return out;
}

std::string connect_request(std::string_view host, uint16_t port) {
  const std::string where = authority(host, port);
  return "CONNECT " + where + " HTTP/1.1\r\nHost: " + where + "\r\n\r\n";
}

std::optional<int> connect_reply_status(std::string_view head) {
  // "HTTP/1.x SSS": the version is not checked beyond its shape.
  if (head.size() < 12 || head.substr(0, 7) != "HTTP/1." || head[8] != ' ') return std::nullopt;
  int status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(head[i]))) return std::nullopt;
    status = status * 10 + (head[i] - '0');
  }
  if (head.size() > 12 && head[12] != ' ' && head[12] != '\r') return std::nullopt;
  return status;
}

}  // namespace ocspcache
