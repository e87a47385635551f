// `serve`: a fast OCSP responder answering from pre-signed sets, so that the
// scale test can load 1M entries through ocspcache's normal miss path in
// minutes, and every target of the hit-path comparison gets byte-identical
// answers (openssl ocsp signs afresh on every request). POST (body DER) and
// GET /<base64> alike, HTTP/1.1 keep-alive (libevent evhttp). An unknown
// serial gets an `unauthorized` OCSPResponse. GET /__stats prints the number
// of OCSP requests answered (the upstream count the coalescing test
// checks), the connections they came on and the most open at once (what
// the miss storm checks against upstream.max_fetches_per_responder).
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "common.h"
#include "ocspcache/ocsp/request.h"

namespace ocspgen {
namespace {

struct Server {
  std::vector<std::unique_ptr<RecordFile>> files;
  std::unordered_map<std::string, std::string_view> by_serial;
  event_base* base = nullptr;
  long delay_ms = 0;
  uint64_t answered = 0;
  std::unordered_set<evhttp_connection*> open;  // connections that carried an OCSP request
  uint64_t connections = 0;
  size_t max_open = 0;
};

void on_close(evhttp_connection* c, void* arg) { static_cast<Server*>(arg)->open.erase(c); }

// Counts the connection a request came on, the first time it is seen.
void track(Server* s, evhttp_request* req) {
  evhttp_connection* c = evhttp_request_get_connection(req);
  if (c == nullptr || !s->open.insert(c).second) return;
  ++s->connections;
  s->max_open = std::max(s->max_open, s->open.size());
  evhttp_connection_set_closecb(c, &on_close, s);
}

constexpr unsigned char kUnauthorized[] = {0x30, 0x03, 0x0a, 0x01, 0x06};

struct Delayed {
  evhttp_request* req;
  std::string_view body;
  event* ev;
};

void send_ocsp(evhttp_request* req, std::string_view body) {
  evkeyvalq* h = evhttp_request_get_output_headers(req);
  evhttp_add_header(h, "Content-Type", "application/ocsp-response");
  evhttp_add_header(h, "Cache-Control", "max-age=3600, public, no-transform, must-revalidate");
  evbuffer* out = evbuffer_new();
  evbuffer_add(out, body.data(), body.size());
  evhttp_send_reply(req, 200, "OK", out);
  evbuffer_free(out);
}

void on_delayed(evutil_socket_t, short, void* arg) {
  std::unique_ptr<Delayed> d(static_cast<Delayed*>(arg));
  event_free(d->ev);
  send_ocsp(d->req, d->body);
}

void on_request(evhttp_request* req, void* arg) {
  auto* s = static_cast<Server*>(arg);
  const char* uri = evhttp_request_get_uri(req);
  std::string der;
  if (evhttp_request_get_command(req) == EVHTTP_REQ_POST) {
    evbuffer* in = evhttp_request_get_input_buffer(req);
    der.resize(evbuffer_get_length(in));
    evbuffer_copyout(in, der.data(), der.size());
  } else if (evhttp_request_get_command(req) == EVHTTP_REQ_GET) {
    if (std::strcmp(uri, "/__stats") == 0) {
      evbuffer* out = evbuffer_new();
      evbuffer_add_printf(out, "requests %llu\nconnections %llu\nmax_open %zu\n",
                          static_cast<unsigned long long>(s->answered),
                          static_cast<unsigned long long>(s->connections), s->max_open);
      evhttp_send_reply(req, 200, "OK", out);
      evbuffer_free(out);
      return;
    }
    static std::array<uint8_t, ocspcache::ocsp::kMaxRequestDer> buf;
    auto n = ocspcache::ocsp::decode_get_target(uri, buf);
    if (n.ok()) der.assign(reinterpret_cast<const char*>(buf.data()), *n);
  } else {
    evhttp_send_error(req, 405, "Method Not Allowed");
    return;
  }
  ++s->answered;
  track(s, req);
  std::string_view body(reinterpret_cast<const char*>(kUnauthorized), sizeof kUnauthorized);
  auto it = s->by_serial.find(request_serial(der));
  if (it != s->by_serial.end()) body = it->second;
  if (s->delay_ms <= 0) {
    send_ocsp(req, body);
    return;
  }
  auto* d = new Delayed{req, body, nullptr};  // NOLINT: freed in on_delayed
  d->ev = evtimer_new(s->base, &on_delayed, d);
  const timeval tv{s->delay_ms / 1000, (s->delay_ms % 1000) * 1000};
  evtimer_add(d->ev, &tv);
}

void on_signal(evutil_socket_t, short, void* arg) { event_base_loopbreak(static_cast<event_base*>(arg)); }

}  // namespace

int cmd_serve(int argc, char** argv) {
  Server s;
  int port = 0;
  std::vector<std::filesystem::path> sets;
  for (int i = 0; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--port" && i + 1 < argc) port = std::stoi(argv[++i]);
    else if (a == "--delay-ms" && i + 1 < argc) s.delay_ms = std::stol(argv[++i]);
    else if (a.starts_with("--")) fail("unknown option " + std::string(a));
    else sets.emplace_back(a);
  }
  if (port <= 0 || sets.empty()) fail("--port and at least one SETDIR are required");
  for (const auto& dir : sets) {
    auto req = std::make_unique<RecordFile>(dir / "requests.bin");
    auto resp = std::make_unique<RecordFile>(dir / "responses.bin");
    if (req->size() != resp->size()) fail("requests and responses differ in count in " + dir.string());
    s.by_serial.reserve(s.by_serial.size() + req->size());
    for (size_t i = 0; i < req->size(); ++i) s.by_serial.emplace(request_serial((*req)[i]), (*resp)[i]);
    s.files.push_back(std::move(req));
    s.files.push_back(std::move(resp));
  }
  std::signal(SIGPIPE, SIG_IGN);
  s.base = event_base_new();
  evhttp* http = evhttp_new(s.base);
  evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
  evhttp_set_gencb(http, &on_request, &s);
  if (evhttp_bind_socket(http, "127.0.0.1", static_cast<uint16_t>(port)) != 0) {
    fail("cannot listen on 127.0.0.1:" + std::to_string(port));
  }
  event* term = evsignal_new(s.base, SIGTERM, &on_signal, s.base);
  event* intr = evsignal_new(s.base, SIGINT, &on_signal, s.base);
  event_add(term, nullptr);
  event_add(intr, nullptr);
  std::fprintf(stderr, "ocsp_gen serve: %zu responses on 127.0.0.1:%d\n", s.by_serial.size(), port);
  event_base_dispatch(s.base);
  std::fprintf(stderr, "ocsp_gen serve: answered %llu requests\n",
               static_cast<unsigned long long>(s.answered));
  event_free(term);
  event_free(intr);
  evhttp_free(http);
  event_base_free(s.base);
  return 0;
}

}  // namespace ocspgen
