/* fixed_response_server — the ceiling of this machine and client (issue 5).
 *
 * Answers every HTTP request on a keep-alive connection with the same
 * pre-built bytes (a whole HTTP response read from a file: run.sh captures
 * ocspcache's own answer so both send the same headers and DER). No parsing
 * beyond finding the end of each request: "\r\n\r\n", plus a Content-Length
 * body if the header block has one. One epoll loop per thread, each with its
 * own SO_REUSEPORT listener, as ocspcache's workers have; edge-triggered,
 * one send() per batch of pipelined requests.
 *
 * usage: fixed_response_server PORT THREADS RESPONSE_FILE   (binds 127.0.0.1)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONN_BUF 16384
#define MAX_OUT (64 * 1024)

static char *g_resp;
static size_t g_resp_len;
static int g_port;

struct conn {
  int fd;
  size_t have;        /* bytes buffered */
  size_t body_left;   /* body bytes of the current request still to skip */
  char buf[MAX_CONN_BUF];
};

static int listen_socket(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  struct sockaddr_in a;
  if (fd < 0) return -1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)g_port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4096) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Content-Length of a header block, 0 if absent. */
static size_t content_length(const char *h, size_t n) {
  static const char key[] = "\ncontent-length:";
  size_t k = sizeof key - 1, i;
  for (i = 0; i + k <= n; ++i) {
    if (strncasecmp(h + i, key, k) == 0) return strtoul(h + i + k, NULL, 10);
  }
  return 0;
}

static void drop(int ep, struct conn *c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c);
}

/* Reads what is there, answers each complete request; 0 = keep, -1 = closed. */
static int serve(struct conn *c, char *out) {
  for (;;) {
    size_t answers = 0, pos = 0, o = 0;
    ssize_t n = recv(c->fd, c->buf + c->have, sizeof c->buf - c->have, 0);
    if (n == 0) return -1;
    if (n < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
    c->have += (size_t)n;
    for (;;) {
      char *end;
      if (c->body_left > 0) {
        size_t skip = c->have - pos < c->body_left ? c->have - pos : c->body_left;
        pos += skip;
        c->body_left -= skip;
        if (c->body_left > 0) break;
      }
      end = memmem(c->buf + pos, c->have - pos, "\r\n\r\n", 4);
      if (end == NULL) break;
      c->body_left = content_length(c->buf + pos, (size_t)(end - (c->buf + pos)));
      pos = (size_t)(end - c->buf) + 4;
      ++answers;
    }
    memmove(c->buf, c->buf + pos, c->have - pos);
    c->have -= pos;
    if (c->have == sizeof c->buf) return -1; /* header block too large */
    while (answers > 0) {
      while (answers > 0 && o + g_resp_len <= MAX_OUT) {
        memcpy(out + o, g_resp, g_resp_len);
        o += g_resp_len;
        --answers;
      }
      for (size_t sent = 0; sent < o;) {
        ssize_t w = send(c->fd, out + sent, o - sent, MSG_NOSIGNAL);
        if (w < 0) {
          if (errno == EINTR) continue;
          return -1; /* a benchmark client that does not read is gone */
        }
        sent += (size_t)w;
      }
      o = 0;
    }
    if ((size_t)n < sizeof c->buf - c->have) return 0; /* drained (edge-triggered) */
  }
}

static void *worker(void *arg) {
  int lfd = listen_socket(), ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev, evs[256];
  char *out = malloc(MAX_OUT + g_resp_len);
  (void)arg;
  if (lfd < 0 || ep < 0 || out == NULL) {
    perror("fixed_response_server: listen");
    exit(1);
  }
  ev.events = EPOLLIN;
  ev.data.ptr = NULL;
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < n; ++i) {
      struct conn *c = evs[i].data.ptr;
      if (c == NULL) {
        int fd;
        while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
          int one = 1;
          struct conn *nc = calloc(1, sizeof *nc);
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          nc->fd = fd;
          ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
          ev.data.ptr = nc;
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        }
        continue;
      }
      if (serve(c, out) != 0) drop(ep, c);
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  FILE *f;
  long len;
  int threads;
  pthread_t t;
  if (argc != 4) {
    fprintf(stderr, "usage: %s PORT THREADS RESPONSE_FILE\n", argv[0]);
    return 2;
  }
  g_port = atoi(argv[1]);
  threads = atoi(argv[2]);
  f = fopen(argv[3], "rb");
  if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) <= 0 || len > MAX_OUT) {
    fprintf(stderr, "fixed_response_server: cannot read %s\n", argv[3]);
    return 1;
  }
  rewind(f);
  g_resp_len = (size_t)len;
  g_resp = malloc(g_resp_len);
  if (g_resp == NULL || fread(g_resp, 1, g_resp_len, f) != g_resp_len) return 1;
  fclose(f);
  signal(SIGPIPE, SIG_IGN);
  for (int i = 1; i < threads; ++i) pthread_create(&t, NULL, worker, NULL);
  worker(NULL);
  return 0;
}
