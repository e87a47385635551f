// `load` and `burst`: small epoll HTTP/1.1 clients.
//
// load   sends every request of a set once (or --limit of them from --offset), over --conns
//        keep-alive connections (or a new connection per request with
//        --new-conn, as nginx's stapling client and `openssl ocsp` do), and
//        checks each answer: byte-equal to the set's response, or with
//        --any-good only "200 and a successful OCSPResponse" (a live
//        `openssl ocsp` responder signs afresh every time). Prints one
//        key=value line: counts, seconds, rate and latency percentiles.
//        --rate R makes it an open-loop client: request i is due at
//        start + i/R seconds and goes out on an idle connection then, whatever
//        the answers before it did (a fixed offered load, as a server's real
//        clients give; the miss storm measures hit latency this way). Its
//        latency counts from when it was due, so time spent waiting for a
//        free connection is not hidden. --cycle lets --limit exceed the set
//        (request k asks record k mod the set's size).
//        --server-time measures each request from just before its last
//        bytes were sent to the kernel's receive timestamp of the answer's
//        first bytes (SO_TIMESTAMPING), not to when this client got to read
//        them: on a machine whose CPUs the load generators share, the time
//        this process waits to be scheduled is then not charged to the
//        server.
// burst  opens --conns connections, waits until every one is established,
//        then sends the same request on all of them back to back and reads
//        every answer: the coalescing test's 1,000 concurrent clients.
#include <arpa/inet.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common.h"

namespace ocspgen {
namespace {

int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void enable_rx_timestamps(int fd) {
  const int flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags) != 0) {
    fail(std::string("SO_TIMESTAMPING: ") + std::strerror(errno));
  }
}

// recv() that also returns the kernel's software receive timestamp of the
// data read (0 when none came with it).
ssize_t recv_stamped(int fd, char* buf, size_t len, int64_t* rx_rt) {
  iovec iov{buf, len};
  alignas(cmsghdr) char control[256];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t r = recvmsg(fd, &msg, 0);
  *rx_rt = 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); r > 0 && c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING) {
      timespec ts[3];
      std::memcpy(ts, CMSG_DATA(c), sizeof ts);
      *rx_rt = static_cast<int64_t>(ts[0].tv_sec) * 1'000'000'000 + ts[0].tv_nsec;
    }
  }
  return r;
}

uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

struct Conn {
  int fd = -1;
  bool connected = false;
  std::string out;
  size_t sent = 0;
  std::string in;
  size_t index = 0;      // record being asked
  uint64_t t0 = 0;       // request start (connect included with --new-conn)
  bool busy = false;
  int64_t sent_rt = 0;   // --server-time: CLOCK_REALTIME before the request's last send
  int64_t rx_rt = 0;     // --server-time: kernel receive time of the answer's first bytes
};

struct Options {
  int port = 0;
  size_t conns = 1;
  bool get = false;
  bool new_conn = false;
  bool any_good = false;
  size_t limit = 0;
  size_t offset = 0;
  size_t index = 0;
  double rate = 0;  // requests per second, open loop; 0 = as fast as answers come
  bool cycle = false;
  bool server_time = false;
  std::filesystem::path set;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 0; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) fail(std::string(a) + " needs a value");
      return argv[++i];
    };
    if (a == "--port") o.port = std::stoi(next());
    else if (a == "--conns") o.conns = std::stoul(next());
    else if (a == "--get") o.get = true;
    else if (a == "--new-conn") o.new_conn = true;
    else if (a == "--any-good") o.any_good = true;
    else if (a == "--limit") o.limit = std::stoul(next());
    else if (a == "--offset") o.offset = std::stoul(next());
    else if (a == "--index") o.index = std::stoul(next());
    else if (a == "--rate") o.rate = std::stod(next());
    else if (a == "--cycle") o.cycle = true;
    else if (a == "--server-time") o.server_time = true;
    else if (a.starts_with("--")) fail("unknown option " + std::string(a));
    else o.set = std::string(a);
  }
  if (o.port <= 0 || o.set.empty() || o.conns == 0) fail("--port and SETDIR are required");
  return o;
}

void raise_fd_limit(size_t want) {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < want + 64) {
    r.rlim_cur = std::min<rlim_t>(r.rlim_max, want + 64);
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

int open_conn(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) fail(std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
    fail(std::string("connect: ") + std::strerror(errno));
  }
  return fd;
}

// A successful OCSPResponse starts SEQUENCE { ENUMERATED 0 ... }.
bool successful_ocsp(std::string_view b) {
  if (b.size() < 5 || static_cast<uint8_t>(b[0]) != 0x30) return false;
  size_t p = 2;
  const auto l = static_cast<uint8_t>(b[1]);
  if (l & 0x80) p += l & 0x7f;
  return b.size() >= p + 3 && b[p] == 0x0a && b[p + 1] == 0x01 && b[p + 2] == 0x00;
}

// Parses one complete response at the front of `in`: status and body, and
// how many bytes it used; 0 used = incomplete. `eof`: the peer closed, so a
// response without Content-Length ends here.
size_t parse_response(const std::string& in, bool eof, int* status, std::string_view* body) {
  const size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  *status = in.size() > 12 ? std::atoi(in.c_str() + 9) : 0;
  size_t clen = std::string::npos;
  for (size_t p = in.find('\n'); p != std::string::npos && p < end; p = in.find('\n', p + 1)) {
    if (strncasecmp(in.c_str() + p + 1, "content-length:", 15) == 0) {
      clen = std::strtoul(in.c_str() + p + 16, nullptr, 10);
    }
  }
  if (clen == std::string::npos) {
    if (!eof) return 0;
    *body = std::string_view(in).substr(end + 4);
    return in.size();
  }
  if (in.size() < end + 4 + clen) return 0;
  *body = std::string_view(in).substr(end + 4, clen);
  return end + 4 + clen;
}

std::string build_request(const Options& o, std::string_view req_der, const std::string& path) {
  const char* conn = o.new_conn ? "close" : "keep-alive";
  if (o.get) {
    return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: " + conn + "\r\n\r\n";
  }
  std::string r = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/ocsp-request\r\n"
                  "Connection: " + std::string(conn) + "\r\nContent-Length: " +
                  std::to_string(req_der.size()) + "\r\n\r\n";
  r.append(req_der);
  return r;
}

std::vector<std::string> read_paths(const std::filesystem::path& p) {
  std::vector<std::string> v;
  const std::string text = read_file(p);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    v.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return v;
}

double pct(std::vector<uint64_t>& v, double p) {
  if (v.empty()) return 0;
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(i), v.end());
  return static_cast<double>(v[i]) / 1000.0;
}

}  // namespace

int cmd_load(int argc, char** argv) {
  const Options o = parse(argc, argv);
  RecordFile requests(o.set / "requests.bin");
  RecordFile responses(o.set / "responses.bin");
  std::vector<std::string> paths;
  if (o.get) paths = read_paths(o.set / "paths.txt");
  if (o.offset >= requests.size()) fail("--offset beyond the set");
  const size_t avail = requests.size() - o.offset;
  const size_t total = o.limit ? (o.cycle ? o.limit : std::min(o.limit, avail)) : avail;
  raise_fd_limit(o.conns);

  const int ep = epoll_create1(EPOLL_CLOEXEC);
  std::vector<Conn> conns(std::min(o.conns, total));
  uint64_t start = now_ns();
  const double interval_ns = o.rate > 0 ? 1e9 / o.rate : 0;
  auto due_ns = [&](uint64_t t0, size_t i) {
    return t0 + static_cast<uint64_t>(interval_ns * static_cast<double>(i));
  };
  std::vector<uint64_t> lat;
  lat.reserve(total);
  size_t next = 0, done = 0, ok = 0, mismatched = 0, errors = 0;

  auto arm = [&](Conn& c, size_t k) {
    if (c.fd < 0) {
      c.fd = open_conn(o.port);
      if (o.server_time) enable_rx_timestamps(c.fd);
      c.connected = false;
      epoll_event ev{EPOLLIN | EPOLLOUT, {.ptr = &c}};
      epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    }
    const size_t seq = k;
    k = o.offset + k % avail;
    c.index = k;
    c.out = build_request(o, requests[k], o.get ? paths[k] : std::string());
    c.sent = 0;
    c.in.clear();
    c.t0 = o.rate > 0 ? due_ns(start, seq) : now_ns();
    c.sent_rt = c.rx_rt = 0;
    c.busy = true;
  };
  auto close_conn = [&](Conn& c) {
    if (c.fd >= 0) {
      epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
      ::close(c.fd);
    }
    c.fd = -1;
  };
  auto finish = [&](Conn& c, int status, std::string_view body) {
    if (o.server_time && c.sent_rt > 0 && c.rx_rt > 0) {
      lat.push_back(static_cast<uint64_t>(std::max<int64_t>(0, c.rx_rt - c.sent_rt)));
    } else {
      lat.push_back(now_ns() - c.t0);
    }
    ++done;
    if (status != 200) {
      ++errors;
    } else if (o.any_good ? successful_ocsp(body) : body == responses[c.index]) {
      ++ok;
    } else {
      ++mismatched;
    }
    c.busy = false;
  };

  start = now_ns();
  // Open loop: hands every request that is due to an idle connection.
  auto dispatch_due = [&] {
    for (auto& c : conns) {
      if (next >= total || due_ns(start, next) > now_ns()) return;
      if (c.busy) continue;
      arm(c, next);
      ++next;
      epoll_event ev{EPOLLIN | EPOLLOUT, {.ptr = &c}};
      epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
    }
  };
  if (o.rate > 0) {
    // Connections open first (idle), so the first requests pay no connect.
    for (auto& c : conns) {
      c.fd = open_conn(o.port);
      if (o.server_time) enable_rx_timestamps(c.fd);
      epoll_event ev{EPOLLIN, {.ptr = &c}};
      epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    }
  } else {
    for (auto& c : conns) arm(c, next++);
  }
  std::vector<epoll_event> evs(256);
  uint64_t last_progress = now_ns();
  while (done < total) {
    int n;
    if (o.rate > 0) {
      dispatch_due();
      const uint64_t now = now_ns();
      const uint64_t wake = next < total ? due_ns(start, next) : now + 10'000'000;
      const uint64_t wait = wake > now ? std::min<uint64_t>(wake - now, 10'000'000) : 0;
      const timespec ts{0, static_cast<long>(wait)};
      n = epoll_pwait2(ep, evs.data(), static_cast<int>(evs.size()), &ts, nullptr);
      if (n > 0) last_progress = now_ns();
      if (now_ns() - last_progress > 10'000'000'000ULL)
        fail("no progress for 10 s (" + std::to_string(done) + "/" + std::to_string(total) + " done)");
    } else {
      n = epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 10000);
      if (n == 0) fail("no progress for 10 s (" + std::to_string(done) + "/" + std::to_string(total) + " done)");
    }
    for (int i = 0; i < n; ++i) {
      Conn& c = *static_cast<Conn*>(evs[static_cast<size_t>(i)].data.ptr);
      if (c.fd < 0) continue;
      bool eof = false;
      if (c.sent < c.out.size()) {
        const int64_t before = o.server_time ? realtime_ns() : 0;
        const ssize_t w = send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (w > 0) c.sent += static_cast<size_t>(w);
        else if (errno != EAGAIN && errno != EINPROGRESS && errno != ENOTCONN) eof = true;
        if (c.sent == c.out.size()) {
          c.sent_rt = before;
          epoll_event ev{EPOLLIN, {.ptr = &c}};
          epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
        }
      }
      char buf[65536];
      for (;;) {
        int64_t rx = 0;
        const ssize_t r = o.server_time ? recv_stamped(c.fd, buf, sizeof buf, &rx)
                                        : recv(c.fd, buf, sizeof buf, 0);
        if (r > 0) {
          if (c.busy && c.in.empty() && c.rx_rt == 0) c.rx_rt = rx;
          c.in.append(buf, static_cast<size_t>(r));
          continue;
        }
        if (r == 0 || (errno != EAGAIN && errno != EINTR)) eof = true;
        break;
      }
      if (!c.busy) {
        if (eof) close_conn(c);
        continue;
      }
      int status = 0;
      std::string_view body;
      const size_t used = parse_response(c.in, eof, &status, &body);
      if (used == 0 && !eof) continue;
      if (used == 0) {
        // Closed before a whole answer: an error for this request.
        lat.push_back(now_ns() - c.t0);
        ++done;
        ++errors;
        c.busy = false;
      } else {
        finish(c, status, body);
      }
      if (o.new_conn || eof) close_conn(c);
      if (o.rate > 0) {
        if (c.fd < 0 && next < total) {  // the server closed it: a fresh idle one
          c.fd = open_conn(o.port);
          if (o.server_time) enable_rx_timestamps(c.fd);
          epoll_event ev{EPOLLIN, {.ptr = &c}};
          epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
        } else if (c.fd >= 0) {
          epoll_event ev{EPOLLIN, {.ptr = &c}};
          epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
        }
        continue;
      }
      if (next < total) {
        arm(c, next++);
        if (c.fd >= 0) {
          epoll_event ev{EPOLLIN | EPOLLOUT, {.ptr = &c}};
          epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
        }
      } else {
        close_conn(c);
      }
    }
  }
  const double secs = static_cast<double>(now_ns() - start) / 1e9;
  for (auto& c : conns) close_conn(c);
  ::close(ep);
  std::printf("requests=%zu ok=%zu mismatched=%zu errors=%zu seconds=%.3f rps=%.1f "
              "p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f\n",
              done, ok, mismatched, errors, secs, static_cast<double>(done) / secs,
              pct(lat, 0.50), pct(lat, 0.99), pct(lat, 0.999), pct(lat, 1.0));
  return (mismatched == 0 && errors == 0) ? 0 : 1;
}

int cmd_burst(int argc, char** argv) {
  const Options o = parse(argc, argv);
  RecordFile requests(o.set / "requests.bin");
  RecordFile responses(o.set / "responses.bin");
  if (o.index >= requests.size()) fail("--index beyond the set");
  raise_fd_limit(o.conns);
  const std::string req = build_request(o, requests[o.index],
                                        o.get ? read_paths(o.set / "paths.txt")[o.index] : "");
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  std::vector<Conn> conns(o.conns);
  for (auto& c : conns) {
    c.fd = open_conn(o.port);
    epoll_event ev{EPOLLOUT, {.ptr = &c}};
    epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
  }
  // 1. Every connection established (the kernel completes the handshake
  //    from the listen backlog, whether or not the server accepted yet).
  size_t connected = 0;
  std::vector<epoll_event> evs(1024);
  while (connected < conns.size()) {
    const int n = epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 10000);
    if (n == 0) fail("connections not established within 10 s");
    for (int i = 0; i < n; ++i) {
      Conn& c = *static_cast<Conn*>(evs[static_cast<size_t>(i)].data.ptr);
      if (c.connected) continue;
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) fail(std::string("connect: ") + std::strerror(err));
      c.connected = true;
      ++connected;
      epoll_event ev{EPOLLIN, {.ptr = &c}};
      epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
    }
  }
  // 2. The same request on every connection, back to back.
  const uint64_t start = now_ns();
  for (auto& c : conns) {
    c.t0 = now_ns();
    if (send(c.fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
      fail("short send");
    }
    c.busy = true;
  }
  const uint64_t sent_all = now_ns();
  // 3. Every answer.
  size_t done = 0, ok = 0, mismatched = 0, errors = 0;
  std::vector<uint64_t> lat;
  while (done < conns.size()) {
    const int n = epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 15000);
    if (n == 0) fail("answers missing after 15 s (" + std::to_string(done) + " received)");
    for (int i = 0; i < n; ++i) {
      Conn& c = *static_cast<Conn*>(evs[static_cast<size_t>(i)].data.ptr);
      if (!c.busy) continue;
      char buf[16384];
      bool eof = false;
      for (;;) {
        const ssize_t r = recv(c.fd, buf, sizeof buf, 0);
        if (r > 0) {
          c.in.append(buf, static_cast<size_t>(r));
          continue;
        }
        if (r == 0 || (errno != EAGAIN && errno != EINTR)) eof = true;
        break;
      }
      int status = 0;
      std::string_view body;
      const size_t used = parse_response(c.in, eof, &status, &body);
      if (used == 0 && !eof) continue;
      lat.push_back(now_ns() - c.t0);
      ++done;
      c.busy = false;
      if (used == 0 || status != 200) ++errors;
      else if (body == responses[o.index]) ++ok;
      else ++mismatched;
    }
  }
  const double secs = static_cast<double>(now_ns() - start) / 1e9;
  for (auto& c : conns) ::close(c.fd);
  ::close(ep);
  std::printf("clients=%zu ok=%zu mismatched=%zu errors=%zu send_spread_ms=%.1f seconds=%.3f "
              "p50_ms=%.1f max_ms=%.1f\n",
              conns.size(), ok, mismatched, errors, static_cast<double>(sent_all - start) / 1e6, secs,
              pct(lat, 0.5) / 1000.0, pct(lat, 1.0) / 1000.0);
  return (mismatched == 0 && errors == 0) ? 0 : 1;
}

}  // namespace ocspgen
