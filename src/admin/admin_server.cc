#include "ocspcache/admin/admin_server.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <stdexcept>
#include <string>
#include <string_view>

#include "ocspcache/util/clock.h"
#include "ocspcache/admin/status_page.h"

namespace ocspcache {

void AdminServer::HttpDeleter::operator()(evhttp* h) const { evhttp_free(h); }

AdminServer::AdminServer(event_base* base, const HostPort& addr, Metrics& metrics,
                         Readiness& readiness)
    : metrics_(metrics), readiness_(readiness), http_(evhttp_new(base)) {
  if (!http_) throw std::runtime_error("evhttp_new failed");
  evhttp_set_allowed_methods(http_.get(), EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
  evhttp_set_max_headers_size(http_.get(), 8192);
  evhttp_set_max_body_size(http_.get(), 0);
  evhttp_set_timeout(http_.get(), 10);
  evhttp_set_gencb(http_.get(), &AdminServer::on_request, this);
  evhttp_bound_socket* sock =
      evhttp_bind_socket_with_handle(http_.get(), addr.host.c_str(), addr.port);
  if (sock == nullptr) throw std::runtime_error("cannot listen on admin address " + addr.to_string());
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(evhttp_bound_socket_get_fd(sock), reinterpret_cast<sockaddr*>(&ss), &len);
  char host[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    bound_ = HostPort{host, ntohs(a->sin6_port)};
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    bound_ = HostPort{host, ntohs(a->sin_port)};
  }
}

AdminServer::~AdminServer() = default;

void AdminServer::stop() { http_.reset(); }

namespace {
void reply(evhttp_request* req, int code, const char* reason, std::string_view content_type,
           std::string_view body) {
  evkeyvalq* h = evhttp_request_get_output_headers(req);
  evhttp_add_header(h, "Content-Type", std::string(content_type).c_str());
  evhttp_add_header(h, "Cache-Control", "no-store");
  evbuffer* out = evbuffer_new();
  evbuffer_add(out, body.data(), body.size());
  evhttp_send_reply(req, code, reason, out);
  evbuffer_free(out);
}
}  // namespace

void AdminServer::on_request(evhttp_request* req, void* arg) {
  auto* self = static_cast<AdminServer*>(arg);
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* p = uri != nullptr ? evhttp_uri_get_path(uri) : nullptr;
  const std::string_view path = p != nullptr ? p : "";
  if (path == "/healthz") {
    reply(req, 200, "OK", "text/plain", "ok\n");
  } else if (path == "/readyz") {
    std::string shared_down;
    if (const SharedStoreStats* shared = self->metrics_.shared()) {
      const int64_t up = shared->connections_up.load(std::memory_order_relaxed);
      const int64_t all = shared->connections.load(std::memory_order_relaxed);
      if (up < all) {
        const std::string in_use = shared->address();
        shared_down = self->metrics_.shared_info().backend + " " +
                      (in_use.empty() ? self->metrics_.shared_info().address : in_use) +
                      " down (" + std::to_string(all - up) + " of " + std::to_string(all) +
                      " connections)";
      }
    }
    const ReadyzAnswer r = readyz(self->readiness_.listening.load(), self->readiness_.draining.load(),
                                  self->metrics_.responders(), shared_down);
    reply(req, r.code, r.code == 200 ? "OK" : "Service Unavailable", "text/plain", r.body);
  } else if (path == "/metrics") {
    reply(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8",
          self->metrics_.render(now_unix()));
  } else if (path == "/status") {
    reply(req, 200, "OK", "application/json", render_status_json(self->metrics_, now_unix()));
  } else {
    reply(req, 404, "Not Found", "text/plain",
          "not found; try /healthz, /readyz, /metrics or /status\n");
  }
}

}  // namespace ocspcache
