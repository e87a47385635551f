// Fuzzes the front end's request framing as a client drives it: bytes go
// into a socket whose other end a real Worker accepted, so the real
// Connection parses them (http_parser callbacks, header and body limits,
// keep-alive, pipelining, chunked bodies, Expect: 100-continue, lingering
// close, forward-proxy mode). Everything behind it is real as well (store,
// single flight, fetcher, validation, cache writer) except the responder:
// a fake UpstreamClient that signs an answer for whatever CertIDs it is
// asked about, after a few loop turns, or fails as told.
//
// Input layout (make_frontend_seeds.py writes the seeds):
//   u8 mode   bit 0    forward-proxy mode (upstream.allow_hosts: 192.0.2.1, 2001:db8::1)
//             bit 1    upstream.nonce = "passthrough"
//             bit 2    small limits: max_header_bytes 512, max_body_bytes 256
//             bits 3-4 the responder answers: 0 good, 1 revoked, 2 HTTP 500, 3 timeout
//             bits 5-6 ... 1, 2, 5 or 17 loop turns after it is asked
//             bit 7    drain (as on SIGTERM) once the connection is accepted and written to
//   u8 write  bits 0-5 bytes per write, one loop turn apart (partial reads); 0: all at once
//             bit 6    half-close only once the server has gone quiet (a keep-alive
//                      client that waits for its answers), else right after the last write
//             bit 7    a slow reader: the server's send(2) takes at most 97 bytes a
//                      loop turn, then says EAGAIN (partial writes, EV_WRITE,
//                      no reading while an answer is unsent)
//   the bytes the client sends (the rest)
//
// One thread, no timers: a pump writes a piece, runs the worker's loop once
// (one pass: EVLOOP_ONCE | EVLOOP_NONBLOCK), delivers the responder's
// answers that are due and reads what the server wrote, until the server
// has closed the connection.
// An AF_UNIX socket (autobound, abstract) rather than TCP: nothing on the
// network, and no reset can eat an answer, so a run replays exactly. Such a
// socket never fills up at these sizes, so a slow reader is played by this
// file's own send(), which the Connection's ::send resolves to (below).
//
// Invariants (abort on violation):
//  - what the client read is a sequence of complete HTTP/1.1 responses:
//    status line, well-formed header lines, Date and Server, Content-Length
//    matching the body (none on a 304; a HEAD's answer has no body), a
//    "100 Continue" interim only before a final answer;
//  - every 200 is an OCSP answer: application/ocsp-response, its body one
//    whole DER OCSPResponse; every 304 carries an ETag;
//  - every error is a 4xx the front end knows, with its reason phrase, as
//    text/plain, no-store, a one-line body; errors that end the connection
//    (400, 408, 413, 414, 431) say "Connection: close", and nothing follows
//    any answer that says it;
//  - no more final answers than the input has line feeds, plus one (an
//    error for bytes that never made a request line);
//  - the connection ends without the client closing its end: within a
//    bounded number of loop turns after the last progress, the server has
//    closed; then no flight is left open and no fetch outstanding;
//  - the same answers (statuses, in order; the error that ends the
//    connection may differ, see comparable()) whatever the write size and
//    the reader's pace, for a client that half-closes once all is answered;
//  - ASan/UBSan: no memory error, leak or undefined behaviour.
#include <event2/event.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "frontend_fuzz_pki.h"
#include "ocspcache/cache/cache_writer.h"
#include "ocspcache/cache/memory_store.h"
#include "ocspcache/http/services.h"
#include "ocspcache/http/worker.h"
#include "ocspcache/metrics/metrics.h"
#include "ocspcache/ocsp/issuer.h"
#include "ocspcache/upstream/client.h"
#include "ocspcache/upstream/fetcher.h"
#include "ocspcache/upstream/negative_cache.h"
#include "ocspcache/upstream/responder_set.h"
#include "ocspcache/upstream/route_table.h"
#include "ocspcache/util/clock.h"
#include "ocspcache/util/log.h"
#include "ocspcache/util/ssl_handles.h"
#include "ocspcache/util/timer_queue.h"

// The slow reader (mode bit): while `active`, a send(2) on any socket but
// the client's (that is, the server's) passes at most `budget` more bytes
// this loop turn and then fails with EAGAIN, as a full socket buffer would;
// epoll still reports the socket writable, so the server comes back next
// turn. Only this driver's process sees it: the definition here takes the
// place of libc's (and the sanitizers' weak interceptor) for the whole
// program, and the bytes go out through the raw syscall.
namespace {
struct SendThrottle {
  bool active = false;
  int client_fd = -1;
  size_t per_turn = 0;
  size_t budget = 0;
};
SendThrottle g_throttle;
}  // namespace

extern "C" ssize_t send(int fd, const void* buf, size_t len, int flags) {
  if (g_throttle.active && fd != g_throttle.client_fd && len > 0) {
    if (g_throttle.budget == 0) {
      errno = EAGAIN;
      return -1;
    }
    len = std::min(len, g_throttle.budget);
    const long n = ::syscall(SYS_sendto, fd, buf, len, flags, nullptr, 0);
    if (n > 0) g_throttle.budget -= static_cast<size_t>(n);
    return n;
  }
  return ::syscall(SYS_sendto, fd, buf, len, flags, nullptr, 0);
}

namespace {

using namespace ocspcache;

using Asn1TimePtr = std::unique_ptr<ASN1_TIME, FnDeleter<ASN1_TIME_free>>;

bool verbose() {
  static const bool v = std::getenv("FUZZ_VERBOSE") != nullptr;
  return v;
}

// Control bytes escaped, so a violation's report shows the exact bytes.
std::string printable(std::string_view s, size_t max = 4096) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      out += "\\n\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

[[noreturn]] void violation(const std::string& what, std::string_view answer) {
  std::fprintf(stderr, "frontend_fuzz: %s\n--- the client read %zu bytes:\n%s\n---\n", what.c_str(),
               answer.size(), printable(answer).c_str());
  std::abort();
}

// ---- the issuer and its responder ----

struct Pki {
  EvpPkeyPtr key;
  X509Ptr cert;
};

const Pki& pki() {
  static const Pki p = [] {
    Pki out;
    BioPtr key_bio(BIO_new_mem_buf(frontend_fuzz::kCaKeyPem, -1));
    BioPtr cert_bio(BIO_new_mem_buf(frontend_fuzz::kCaCertPem, -1));
    if (!key_bio || !cert_bio) std::abort();
    out.key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
    out.cert.reset(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
    if (!out.key || !out.cert) {
      std::fprintf(stderr, "frontend_fuzz: cannot read the CA in frontend_fuzz_pki.h\n");
      std::abort();
    }
    return out;
  }();
  return p;
}

enum class Answer : uint8_t { kGood, kRevoked, kHttp500, kTimeout };

// The responder every fetch goes to, in-process. It signs with the issuer's
// key an answer for exactly the CertIDs it is asked about (the nonce echoed
// too), so the fetcher validates it as it would a real one; or it fails.
// Answers come `delay` loop turns after the post, from the pump, never from
// inside post() (the UpstreamClient contract).
class FakeResponder final : public UpstreamClient {
 public:
  FakeResponder(Answer answer, uint64_t delay) : answer_(answer), delay_(delay) {}

  void post(const HttpUrl&, std::span<const uint8_t> body, Millis, AddressPolicy,
            Callback done) override {
    calls_.push_back({turn_ + delay_, reply_to(body), std::move(done)});
  }
  size_t in_flight() const override { return calls_.size(); }

  // Delivers the answers due at `turn`; returns how many.
  size_t deliver(uint64_t turn) {
    turn_ = turn;
    std::vector<Call> due;
    for (size_t i = 0; i < calls_.size();) {
      if (calls_[i].due <= turn) {
        due.push_back(std::move(calls_[i]));
        calls_.erase(calls_.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
    // A callback may post again: calls_ is not iterated meanwhile.
    for (Call& c : due) c.done(std::move(c.reply));
    return due.size();
  }

 private:
  struct Call {
    uint64_t due;
    UpstreamReply reply;
    Callback done;
  };

  UpstreamReply reply_to(std::span<const uint8_t> body) const {
    UpstreamReply r;
    r.seconds = 0.001;
    if (answer_ == Answer::kTimeout) {
      r.transport = TransportStatus::kTimeout;
      return r;
    }
    r.transport = TransportStatus::kOk;
    r.http_status = 500;
    if (answer_ == Answer::kHttp500) return r;
    const unsigned char* p = body.data();
    OcspRequestPtr req(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(body.size())));
    if (!req) return r;  // what OpenSSL cannot read, a real responder would refuse too
    const int64_t now = system_clock().unix_seconds();
    Asn1TimePtr this_update(ASN1_TIME_set(nullptr, static_cast<time_t>(now - 60)));
    Asn1TimePtr next_update(ASN1_TIME_set(nullptr, static_cast<time_t>(now + 3600)));
    Asn1TimePtr revoked_at(ASN1_TIME_set(nullptr, static_cast<time_t>(now - 86400)));
    OcspBasicRespPtr basic(OCSP_BASICRESP_new());
    if (!this_update || !next_update || !revoked_at || !basic) std::abort();
    const bool revoked = answer_ == Answer::kRevoked;
    for (int i = 0; i < OCSP_request_onereq_count(req.get()); ++i) {
      OCSP_CERTID* id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req.get(), i));
      if (OCSP_basic_add1_status(
              basic.get(), id, revoked ? V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD,
              revoked ? OCSP_REVOKED_STATUS_KEYCOMPROMISE : -1, revoked ? revoked_at.get() : nullptr,
              this_update.get(), next_update.get()) == nullptr) {
        return r;
      }
    }
    if (OCSP_copy_nonce(basic.get(), req.get()) <= 0 ||
        OCSP_basic_sign(basic.get(), pki().cert.get(), pki().key.get(), EVP_sha256(), nullptr, 0) !=
            1) {
      return r;
    }
    OcspResponsePtr resp(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
    unsigned char* der = nullptr;
    const int n = resp ? i2d_OCSP_RESPONSE(resp.get(), &der) : -1;
    if (n <= 0) return r;
    r.body.assign(der, der + n);
    OPENSSL_free(der);
    r.http_status = 200;
    return r;
  }

  const Answer answer_;
  const uint64_t delay_;
  uint64_t turn_ = 0;
  std::vector<Call> calls_;
};

// ---- the front end, built as app.cc builds it, with one worker ----

struct Mode {
  bool forward = false;
  bool passthrough = false;
  bool small_limits = false;
  Answer answer = Answer::kGood;
  uint64_t delay = 1;
  bool drain = false;
  size_t piece = 0;  // 0: everything in one write
  bool wait_quiet = false;
  bool slow_reader = false;

  static Mode from(uint8_t mode, uint8_t write) {
    static constexpr uint64_t kDelays[] = {1, 2, 5, 17};
    Mode m;
    m.forward = (mode & 0x01) != 0;
    m.passthrough = (mode & 0x02) != 0;
    m.small_limits = (mode & 0x04) != 0;
    m.answer = static_cast<Answer>((mode >> 3) & 3);
    m.delay = kDelays[(mode >> 5) & 3];
    m.drain = (mode & 0x80) != 0;
    m.piece = write & 0x3f;
    m.wait_quiet = (write & 0x40) != 0;
    m.slow_reader = (write & 0x80) != 0;
    return m;
  }
};

Config make_config(const Mode& m) {
  Config c;
  if (m.small_limits) {
    c.server.max_header_bytes = 512;
    c.server.max_body_bytes = 256;
  }
  if (m.forward) c.upstream.allow_hosts = {"192.0.2.1", "2001:db8::1"};  // literals: no DNS
  if (m.passthrough) c.upstream.nonce = "passthrough";
  return c;
}

std::shared_ptr<const ocsp::IssuerRegistry> make_issuers() {
  X509_up_ref(pki().cert.get());
  std::vector<ocsp::Issuer> issuers;
  issuers.emplace_back("Fuzz CA", X509Ptr(pki().cert.get()),
                       std::vector<HttpUrl>{*parse_http_url("http://192.0.2.10/ocsp")});
  return std::make_shared<const ocsp::IssuerRegistry>(std::move(issuers));
}

// Fresh for every input, so an input replays the same on its own as in a
// run (no cache, breaker or negative-cache state carried over).
struct FrontEnd {
  explicit FrontEnd(const Mode& m)
      : config(make_config(m)),
        responder(m.answer, m.delay),
        fetcher(responder, system_clock(), timers, FetcherOptions::from(config.upstream)) {
    services.config = &config;
    services.store = &store;
    services.writer = &writer;
    services.routes.store(std::make_shared<const RouteTable>(make_issuers(), responders));
    services.flights = &flights;
    services.responders = &responders;
    services.negative = &negative;
    services.upstream = &fetcher;
    services.metrics = &metrics;
    worker = std::make_unique<Worker>(0, services);
  }

  const Config config;
  MemoryStore store{1 << 20, 4};
  CacheWriter writer{store};
  Metrics metrics;
  ResponderSet responders;
  Flights flights;
  NegativeCache negative{Millis{30'000}, 0.0};
  FakeResponder responder;
  TimerQueue timers{system_clock()};  // never run: every answer comes well within its deadline
  Fetcher fetcher;
  Services services;
  std::unique_ptr<Worker> worker;  // last: gone before what it uses
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// A client connection the worker will accept: an autobound (abstract,
// unique) AF_UNIX listener handed to the worker, and a socket connected to it.
Fd connect_client(Worker& worker) {
  Fd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  socklen_t len = sizeof(sa_family_t);
  if (listener.get() < 0 || ::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::listen(listener.get(), 1) != 0) {
    std::perror("frontend_fuzz: listener");
    std::abort();
  }
  len = sizeof addr;
  if (::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) std::abort();
  worker.add_listener(listener.release());
  Fd client(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (client.get() < 0 || ::connect(client.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    std::perror("frontend_fuzz: connect");
    std::abort();
  }
  return client;
}

// ---- the pump ----

// Loop turns without progress (a byte written or read, an answer delivered)
// after which a connection still open is a hang: the responder's longest
// delay is 17 turns, everything else happens on the next turn.
constexpr uint64_t kStallTurns = 1'000;
// What the slow reader takes a turn: a prime, so the cuts fall everywhere.
constexpr size_t kSlowReaderBytes = 97;

// Turns the throttle on for one run, and off however the run ends.
class ThrottleScope {
 public:
  ThrottleScope(const Mode& m, int client_fd) {
    g_throttle = SendThrottle{m.slow_reader, client_fd, kSlowReaderBytes, kSlowReaderBytes};
  }
  ~ThrottleScope() { g_throttle = SendThrottle{}; }
  ThrottleScope(const ThrottleScope&) = delete;
  ThrottleScope& operator=(const ThrottleScope&) = delete;
};

std::string run(FrontEnd& fe, const Mode& m, std::span<const uint8_t> input) {
  Fd client = connect_client(*fe.worker);
  const ThrottleScope throttle(m, client.get());
  event_base* base = fe.worker->base();
  std::string answer;
  size_t sent = 0;
  bool shut = false, eof = false, drained = false;
  uint64_t last_progress = 0;
  // A backstop to the stall check, far above what an input needs: a turn
  // per piece written, per 97 bytes for the slow reader (answers run to
  // some 20 times the request's size), 17 per upstream answer.
  const uint64_t max_turns = 64 * (input.size() + 64);
  for (uint64_t turn = 1;; ++turn) {
    g_throttle.budget = g_throttle.per_turn;
    if (turn > max_turns || turn - last_progress > kStallTurns) {
      violation("the connection neither finished nor closed (turn " + std::to_string(turn) +
                    ", " + std::to_string(sent) + "/" + std::to_string(input.size()) +
                    " bytes sent, half-closed " + (shut ? "yes" : "no") + ", " +
                    std::to_string(fe.responder.in_flight()) + " fetches out)",
                answer);
    }
    if (sent < input.size()) {
      const size_t want = m.piece == 0 ? input.size() - sent : std::min(m.piece, input.size() - sent);
      const ssize_t n = ::send(client.get(), input.data() + sent, want, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<size_t>(n);
        last_progress = turn;
      } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        sent = input.size();  // the server closed (EPIPE): the rest is never read
      }
    }
    // Drain once the worker holds the connection (before, it would only
    // close the listener under a client still in its backlog).
    if (m.drain && !drained && sent > 0 && fe.services.open_connections.load() > 0) {
      drained = true;
      fe.worker->begin_drain();
    }
    const bool quiet = turn - last_progress >= 3 && fe.responder.in_flight() == 0;
    if (!shut && sent == input.size() && (!m.wait_quiet || quiet)) {
      ::shutdown(client.get(), SHUT_WR);
      shut = true;
      last_progress = turn;
    }
    // One pass over what is ready. EVLOOP_NONBLOCK alone would go on while
    // anything is ready, so a socket the server keeps wanting to write
    // would spin inside the call, out of the stall check's sight.
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    if (fe.responder.deliver(turn) > 0) last_progress = turn;
    for (;;) {
      char buf[16 * 1024];
      const ssize_t n = ::recv(client.get(), buf, sizeof buf, 0);
      if (n > 0) {
        answer.append(buf, static_cast<size_t>(n));
        last_progress = turn;
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) eof = true;
      break;
    }
    if (eof && fe.services.open_connections.load() == 0 && fe.responder.in_flight() == 0) break;
  }
  // Waiters of flights ended meanwhile are in the mailbox: let them run.
  for (int i = 0; i < 4; ++i) event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
  if (fe.flights.in_flight() != 0) violation("a flight outlived its connection", answer);
  return answer;
}

// ---- what the client read ----

bool is_token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

// The errors the front end sends (response_writer.cc), with their phrases.
std::string_view reason_for(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    default: return {};
  }
}

// Errors after which the connection closes (Connection::fail).
bool ends_connection(int status) {
  return status == 400 || status == 408 || status == 413 || status == 414 || status == 431;
}

struct Summary {
  std::vector<int> statuses;  // finals and interims, in order
};

Summary check_answer(std::string_view a, std::string_view request_bytes) {
  size_t lfs = 0, heads = 0;
  for (char c : request_bytes) lfs += c == '\n' ? 1 : 0;
  for (size_t at = request_bytes.find("HEAD"); at != std::string_view::npos;
       at = request_bytes.find("HEAD", at + 1)) {
    ++heads;
  }
  Summary s;
  size_t finals = 0, bodiless = 0;
  bool last_was_continue = false;
  size_t pos = 0;
  while (pos < a.size()) {
    const size_t head_end = a.find("\r\n\r\n", pos);
    if (head_end == std::string_view::npos) violation("an incomplete response head", a);
    const std::string_view head = a.substr(pos, head_end + 2 - pos);  // with the last CRLF
    pos = head_end + 4;
    // Status line.
    const size_t line_end = head.find("\r\n");
    const std::string_view status_line = head.substr(0, line_end);
    if (status_line.size() < 14 || !status_line.starts_with("HTTP/1.1 ") || status_line[12] != ' ')
      violation("a malformed status line", a);
    int status = 0;
    for (size_t i = 9; i < 12; ++i) {
      const char c = status_line[i];
      if (c < '0' || c > '9') violation("a malformed status code", a);
      status = status * 10 + (c - '0');
    }
    const std::string_view phrase = status_line.substr(13);
    s.statuses.push_back(status);
    if (status == 100) {
      if (head != "HTTP/1.1 100 Continue\r\n") violation("a malformed 100 Continue", a);
      if (last_was_continue) violation("two 100 Continue without a final answer between", a);
      last_was_continue = true;
      continue;
    }
    last_was_continue = false;
    ++finals;
    // Header lines.
    std::string_view content_type, content_length, cache_control, connection, etag, allow;
    bool date = false, server = false;
    size_t content_lengths = 0;
    for (size_t at = line_end + 2; at < head.size();) {
      const size_t end = head.find("\r\n", at);
      const std::string_view line = head.substr(at, end - at);
      at = end + 2;
      const size_t colon = line.find(": ");
      if (colon == std::string_view::npos || colon == 0) violation("a malformed header line", a);
      const std::string_view name = line.substr(0, colon), value = line.substr(colon + 2);
      for (char c : name) {
        if (!is_token_char(c)) violation("a malformed header name", a);
      }
      for (char c : value) {
        if (c < 0x20 || c > 0x7e) violation("a control byte in a header value", a);
      }
      if (name == "Date") date = value.size() == 29;
      if (name == "Server") server = value == "ocspcache";
      if (name == "Content-Type") content_type = value;
      if (name == "Content-Length") {
        content_length = value;
        ++content_lengths;
      }
      if (name == "Cache-Control") cache_control = value;
      if (name == "Connection") connection = value;
      if (name == "ETag") etag = value;
      if (name == "Allow") allow = value;
    }
    if (!date || !server) violation("an answer without Date or Server", a);
    if (connection != "" && connection != "close" && connection != "keep-alive")
      violation("an unexpected Connection header", a);
    // Body.
    std::string_view body;
    if (status == 304) {
      if (content_lengths != 0) violation("a 304 with a Content-Length", a);
      if (etag.empty()) violation("a 304 without an ETag", a);
    } else {
      if (content_lengths != 1) violation("not exactly one Content-Length", a);
      size_t len = 0;
      for (char c : content_length) {
        if (c < '0' || c > '9' || len > (1u << 30)) violation("a malformed Content-Length", a);
        len = len * 10 + static_cast<size_t>(c - '0');
      }
      const std::string_view rest = a.substr(pos);
      // A HEAD's answer has the length of the body it leaves out; no body
      // begins like a status line (DER, or text naming the error).
      if (len > 0 && heads > bodiless && (rest.empty() || rest.starts_with("HTTP/1.1 "))) {
        ++bodiless;
      } else {
        if (rest.size() < len) violation("a body shorter than its Content-Length", a);
        body = rest.substr(0, len);
        pos += len;
      }
    }
    if (status == 200) {
      if (content_type != "application/ocsp-response")
        violation("a 200 that is not application/ocsp-response", a);
      if (cache_control.empty()) violation("an OCSP answer without Cache-Control", a);
      if (!body.empty()) {
        const auto* p = reinterpret_cast<const unsigned char*>(body.data());
        OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(body.size())));
        if (!resp || p != reinterpret_cast<const unsigned char*>(body.data() + body.size()))
          violation("a 200 whose body is not one DER OCSPResponse", a);
      }
    } else if (status != 304) {
      const std::string_view want = reason_for(status);
      if (want.empty()) violation("an unexpected status " + std::to_string(status), a);
      if (phrase != want) violation("a wrong reason phrase", a);
      if (content_type != "text/plain" || cache_control != "no-store")
        violation("an error that is not text/plain and no-store", a);
      if (status == 405 && allow != "GET, HEAD, POST") violation("a 405 without Allow", a);
      if (!body.empty() && (body.back() != '\n' || body.find('\n') != body.size() - 1))
        violation("an error body that is not one line", a);
      if (ends_connection(status) && connection != "close")
        violation("an error that closes the connection without saying so", a);
    }
    if (connection == "close" && pos != a.size()) violation("an answer after Connection: close", a);
  }
  if (finals > lfs + 1) violation("more answers than the input has lines", a);
  return s;
}

// One run of the front end over `bytes` in `mode`, its answer checked.
Summary run_checked(const Mode& mode, std::span<const uint8_t> bytes) {
  std::string answer;
  {
    FrontEnd fe(mode);
    answer = run(fe, mode, bytes);
  }
  return check_answer(answer,
                      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

// The statuses two runs must agree on. The error that ends a connection
// counts as one: a head that is both over max_header_bytes and malformed
// further on is a 431 when its bytes come in pieces (the limit is checked
// as http_parser hands them over, at each read's end) and a 400 when they
// come at once (http_parser reaches the bad byte before handing any over).
// Either answer is right, and the same bytes are refused either way.
std::vector<int> comparable(std::vector<int> statuses) {
  if (!statuses.empty() && ends_connection(statuses.back())) statuses.back() = 0;
  return statuses;
}

std::string statuses_text(const Summary& s) {
  std::string line;
  for (int st : s.statuses) line += " " + std::to_string(st);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static const bool quiet_logs = [] {
    // Refusals and upstream failures are logged (rate-limited): not noise we want.
    ocspcache::log::set_level(ocspcache::log::Level::kError);
    return true;
  }();
  (void)quiet_logs;
  const Mode mode = Mode::from(data[0], data[1]);
  const std::span<const uint8_t> request_bytes(data + 2, size - 2);
  const Summary s = run_checked(mode, request_bytes);
  if (verbose()) {
    std::fprintf(stderr, "mode=%02x write=%02x: %zu bytes in, statuses:%s\n", data[0], data[1],
                 request_bytes.size(), statuses_text(s).c_str());
  }
  // Framing must not depend on how the bytes were cut into reads, nor on
  // how fast the client reads: a client that half-closes only once all is
  // answered (so its EOF cannot cut a pipeline short) gets the same answers
  // as one that sent everything in one write and reads at once. (Drain
  // timing depends on the turns, so drains are left out.)
  if (mode.wait_quiet && !mode.drain && (mode.piece != 0 || mode.slow_reader)) {
    Mode whole = mode;
    whole.piece = 0;
    whole.slow_reader = false;
    const Summary w = run_checked(whole, request_bytes);
    if (comparable(w.statuses) != comparable(s.statuses)) {
      std::fprintf(stderr,
                   "frontend_fuzz: the answers depend on the write size or the reader's pace:\n"
                   "  %zu bytes a write%s:%s\n  all at once:%s\n",
                   mode.piece, mode.slow_reader ? ", slow reader" : "", statuses_text(s).c_str(),
                   statuses_text(w).c_str());
      std::abort();
    }
  }
  return 0;
}
