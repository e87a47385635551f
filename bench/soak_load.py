#!/usr/bin/env python3
"""bench/soak_load.py: the client and the judge of bench/soak.sh (issue 13).

Python 3 standard library only. Two commands:

  run     warms ocspcache (fills its cache to cache.max_bytes with misses,
          then loads and checks the "cached set" of CertIDs), tells soak.sh
          the load started (--ready-file), then drives a mixed load for
          --warm + --duration seconds: GET and POST hits on the cached set,
          misses (a new serial each), bad input, keep-alive and new
          connections; samples ocspcache's RSS, descriptors and a few
          metrics every --sample-interval; sends ocspcache SIGTERM at
          --term-at under load and keeps the load going until it has
          exited. Every request's outcome is judged as it comes back. The
          phases soak.sh logged (faults, SIGHUPs) are read at the end and
          everything is summarised in --summary (JSON).
  report  reads that summary plus what soak.sh knows (exit status, log
          findings), prints the report, optionally writes it as a Markdown
          section, and exits 1 when a pass criterion failed.

Times in the phase log are Unix seconds (date +%s.%N); the client works in
monotonic time and converts once.
"""
import argparse
import array
import asyncio
import base64
import errno
import hashlib
import json
import os
import random
import signal
import socket
import sys
import time
import urllib.parse
import urllib.request

# ---------------------------------------------------------------- DER ----


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, content):
    return bytes([tag]) + der_len(len(content)) + content


def der_uint(v):
    return tlv(0x02, v.to_bytes(v.bit_length() // 8 + 1, "big"))


class DerError(Exception):
    pass


def read_tlv(buf, off, end=None):
    """(tag, content_start, content_end) of the element at off."""
    end = len(buf) if end is None else end
    if off + 2 > end:
        raise DerError("short element")
    tag = buf[off]
    if tag & 0x1F == 0x1F:
        raise DerError("high tag number")
    n = buf[off + 1]
    off += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4 or off + k > end:
            raise DerError("bad length")
        n = int.from_bytes(buf[off:off + k], "big")
        off += k
    if off + n > end:
        raise DerError("element overruns its parent")
    return tag, off, off + n


def children(buf, start, end):
    out = []
    off = start
    while off < end:
        tag, cs, ce = read_tlv(buf, off, end)
        out.append((tag, off, cs, ce))
        off = ce
    return out


OID_SHA1 = bytes.fromhex("06052b0e03021a")
OID_SHA256 = bytes.fromhex("0609608648016503040201")
OID_NONCE = bytes.fromhex("06092b0601050507300102")
OID_BASIC = bytes.fromhex("06092b0601050507300101")
HASHES = {"sha1": (OID_SHA1, hashlib.sha1), "sha256": (OID_SHA256, hashlib.sha256)}

OCSP_SUCCESSFUL, OCSP_MALFORMED, OCSP_TRYLATER, OCSP_UNAUTHORIZED = 0, 1, 3, 6
CERT_GOOD, CERT_REVOKED, CERT_UNKNOWN = 0x80, 0xA1, 0x82
STATUS_NAMES = {CERT_GOOD: "good", CERT_REVOKED: "revoked", CERT_UNKNOWN: "unknown"}


class Issuer:
    """issuerNameHash / issuerKeyHash input of a CA certificate (PEM file)."""

    def __init__(self, pem_path):
        text = open(pem_path, encoding="ascii").read()
        b64 = text.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
        cert = base64.b64decode("".join(b64.split()))
        _, cs, ce = read_tlv(cert, 0)
        _, ts, te = read_tlv(cert, cs, ce)
        tbs = children(cert, ts, te)
        i = 1 if tbs[0][0] == 0xA0 else 0  # [0] version
        subject = tbs[i + 4]
        spki = tbs[i + 5]
        self.name_der = cert[subject[1]:subject[3]]
        parts = children(cert, spki[2], spki[3])
        bitstring = parts[1]
        self.key_bits = cert[bitstring[2] + 1:bitstring[3]]  # minus the unused-bits byte

    def cert_id(self, serial, alg):
        oid, h = HASHES[alg]
        return tlv(0x30, tlv(0x30, oid + b"\x05\x00") + tlv(0x04, h(self.name_der).digest()) +
                   tlv(0x04, h(self.key_bits).digest()) + der_uint(serial))

    def key_hash(self, alg):
        return HASHES[alg][1](self.key_bits).digest()


def ocsp_request(cert_id, nonce=None):
    tbs = tlv(0x30, tlv(0x30, cert_id))
    if nonce is not None:
        ext = tlv(0x30, OID_NONCE + tlv(0x04, tlv(0x04, nonce)))
        tbs += tlv(0xA2, tlv(0x30, ext))
    return tlv(0x30, tlv(0x30, tbs))


def parse_ocsp_response(body):
    """(responseStatus, [(hash_oid, issuer_key_hash, serial, cert_status_tag)])."""
    _, s, e = read_tlv(body, 0)
    if e != len(body):
        raise DerError("bytes after the OCSPResponse")
    top = children(body, s, e)
    if not top or top[0][0] != 0x0A:
        raise DerError("no responseStatus")
    status = int.from_bytes(body[top[0][2]:top[0][3]], "big")
    if status != OCSP_SUCCESSFUL:
        if len(top) != 1:
            raise DerError("responseBytes in an unsuccessful answer")
        return status, []
    if len(top) != 2 or top[1][0] != 0xA0:
        raise DerError("successful answer without responseBytes")
    _, rs, re_ = read_tlv(body, top[1][2], top[1][3])
    rb = children(body, rs, re_)
    if body[rb[0][1]:rb[0][3]] != OID_BASIC:
        raise DerError("not a BasicOCSPResponse")
    _, bs, be = read_tlv(body, rb[1][2], rb[1][3])  # BasicOCSPResponse
    basic = children(body, bs, be)
    tbs = children(body, basic[0][2], basic[0][3])  # ResponseData
    responses = [c for c in tbs if c[0] == 0x30]
    if len(responses) != 1:
        raise DerError("no responses in ResponseData")
    singles = []
    for single in children(body, responses[0][2], responses[0][3]):
        parts = children(body, single[2], single[3])
        cid = children(body, parts[0][2], parts[0][3])
        alg = children(body, cid[0][2], cid[0][3])
        singles.append((bytes(body[alg[0][1]:alg[0][3]]), bytes(body[cid[2][2]:cid[2][3]]),
                        int.from_bytes(body[cid[3][2]:cid[3][3]], "big"), parts[1][0]))
    return status, singles


# --------------------------------------------------------------- HTTP ----


class Cut(Exception):
    """The connection ended (EOF or reset) before a whole answer arrived."""

    def __init__(self, how, got_bytes):
        super().__init__(how)
        self.how = how
        self.got_bytes = got_bytes


class Req:
    """One request: its class, when it started, when it was wholly sent."""
    __slots__ = ("cls", "t0", "t_sent")

    def __init__(self, cls):
        self.cls = cls
        self.t0 = time.monotonic()
        self.t_sent = -1.0


class Resp:
    __slots__ = ("status", "headers", "body", "close")


async def recv_into(loop, sock, buf, got):
    try:
        data = await loop.sock_recv(sock, 65536)
    except (ConnectionResetError, BrokenPipeError):
        raise Cut("reset", got or len(buf) > 0)
    if not data:
        raise Cut("eof", got or len(buf) > 0)
    buf += data


async def read_response(loop, sock, buf, head=False):
    got = len(buf) > 0
    while True:
        i = buf.find(b"\r\n\r\n")
        if i >= 0:
            break
        if len(buf) > 65536:
            raise DerError("response header over 64 KiB")
        await recv_into(loop, sock, buf, got)
        got = True
    lines = bytes(buf[:i]).decode("latin-1").split("\r\n")
    del buf[:i + 4]
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise DerError("bad status line %r" % lines[0][:60])
    r = Resp()
    r.status = int(parts[1])
    r.headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        r.headers[k.strip().lower()] = v.strip()
    conn = r.headers.get("connection", "").lower()
    r.close = "close" in conn or (parts[0] == "HTTP/1.0" and "keep-alive" not in conn)
    if head or r.status in (204, 304):
        n = 0
    elif "content-length" in r.headers:
        n = int(r.headers["content-length"])
    else:  # not sent by ocspcache, but read to EOF as HTTP says
        while True:
            try:
                await recv_into(loop, sock, buf, True)
            except Cut:
                break
        n = len(buf)
    while len(buf) < n:
        await recv_into(loop, sock, buf, True)
    r.body = bytes(buf[:n])
    del buf[:n]
    return r


def http_request(method, target, body=b"", version="1.1", close=False, extra=""):
    h = "%s %s HTTP/%s\r\nHost: soak\r\n" % (method, target, version)
    if method == "POST":
        h += "Content-Type: application/ocsp-request\r\nContent-Length: %d\r\n" % len(body)
    if close:
        h += "Connection: close\r\n"
    return (h + extra + "\r\n").encode("latin-1") + body


def get_target(der, rng):
    b64 = base64.b64encode(der).decode("ascii")
    if rng.random() < 0.5:  # RFC 5019 says URL-encode; nginx and others do, some do not
        b64 = urllib.parse.quote(b64, safe="")
    return rng.choice(["/", "/ocsp/", "/a/b/"]) + b64


# ------------------------------------------------------------ records ----

CLASSES = ["hit", "miss", "bad", "unauth"]
CLS = {c: i for i, c in enumerate(CLASSES)}


class Records:
    """Compact per-request records (hundreds of thousands of them)."""

    def __init__(self):
        self.t_start = array.array("d")
        self.latency = array.array("d")
        self.t_sent = array.array("d")  # when the whole request was written; -1 never
        self.cls = array.array("b")
        self.ok = array.array("b")
        self.miss_good = array.array("b")  # misses: 1 answered good, 0 tryLater or failed
        self.outcome = array.array("H")  # index into outcome_names
        self.outcome_names = []
        self.outcome_index = {}
        self.details = {}  # index -> detail, for the first failures
        self.outcomes = {}  # (class, outcome) -> count

    def add(self, cls, t_start, t_sent, t_end, outcome, good=False):
        i = len(self.t_start)
        self.t_start.append(t_start)
        self.t_sent.append(t_sent)
        self.latency.append(t_end - t_start)
        self.cls.append(CLS[cls])
        ok = outcome.startswith("ok")
        self.ok.append(1 if ok else 0)
        self.miss_good.append(1 if good else 0)
        k = self.outcome_index.get(outcome)
        if k is None:
            k = self.outcome_index[outcome] = len(self.outcome_names)
            self.outcome_names.append(outcome)
        self.outcome.append(k)
        key = (cls, outcome)
        self.outcomes[key] = self.outcomes.get(key, 0) + 1
        return i


# ------------------------------------------------------------- client ----


class Soak:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.loop = None
        self.addr = ("127.0.0.1", a.port)
        self.issuer = Issuer(os.path.join(a.pki, "intermediate.pem"))
        self.other = Issuer(os.path.join(a.pki, "other-ca.pem"))
        self.rec = Records()
        self.stop = False
        self.next_miss_serial = 20_000_000
        self.t_term = None  # monotonic time SIGTERM was sent
        self.t_exit = None  # monotonic time ocspcache was seen gone
        self.died_before_term = None
        self.samples = []  # (t_rel, rss_kb, fds, redis_up, responder_up)
        self.metrics_at = {}
        self.term_sent_misses_pending = 0
        # The cached set: CertIDs known to the responder (good, revoked)
        # under both hash algorithms, then serials it does not know
        # ("unknown" is an answer like any other: signed, cached).
        cached = [(0x1001, "sha1", CERT_GOOD), (0x1001, "sha256", CERT_GOOD),
                  (0x1002, "sha1", CERT_REVOKED), (0x1002, "sha256", CERT_REVOKED)]
        serial = 5000
        while len(cached) < a.cached:
            cached.append((serial, "sha1" if serial % 2 else "sha256", CERT_UNKNOWN))
            serial += 1
        self.cached = [(s, alg, st, self.issuer.cert_id(s, alg)) for s, alg, st in cached]

    def mono_to_epoch(self, t):
        return t + self.epoch_offset

    # --- one exchange, judged ---------------------------------------------------

    async def exchange(self, req, sock, buf, data, head=False):
        """Send data, read one answer; req.t_sent is set once the request is
        out (in the kernel: loopback sends complete at once). Raises Cut or
        DerError."""
        try:
            await self.loop.sock_sendall(sock, data)
        except OSError as e:  # reset or closed before the request was out
            raise Cut("send_" + type(e).__name__, False)
        req.t_sent = time.monotonic()
        return await read_response(self.loop, sock, buf, head)

    def judge_ocsp(self, resp, expect):
        """expect: ('hit', serial, alg, status) | ('miss', serial, alg) | ('unauth',)
        | ('bad',). Returns (outcome, miss_good)."""
        kind = expect[0]
        if kind == "bad":
            if 400 <= resp.status < 500:
                return "ok:http_%d" % resp.status, False
            if resp.status == 200:
                try:
                    st, _ = parse_ocsp_response(resp.body)
                except DerError as e:
                    return "fail:bad_der(%s)" % e, False
                if st == OCSP_MALFORMED:
                    return "ok:malformedRequest", False
                return "fail:ocsp_status_%d" % st, False
            return "fail:http_%d" % resp.status, False
        if resp.status != 200:
            return "fail:http_%d" % resp.status, False
        if resp.headers.get("content-type") != "application/ocsp-response":
            return "fail:content_type", False
        try:
            st, singles = parse_ocsp_response(resp.body)
        except DerError as e:
            return "fail:bad_der(%s)" % e, False
        if kind == "unauth":
            return ("ok:unauthorized", False) if st == OCSP_UNAUTHORIZED else ("fail:ocsp_status_%d" % st, False)
        if kind == "miss" and st == OCSP_TRYLATER:
            return "ok:tryLater", False
        if st != OCSP_SUCCESSFUL:
            return "fail:ocsp_status_%d" % st, False
        serial, alg = expect[1], expect[2]
        want_status = expect[3] if kind == "hit" else CERT_UNKNOWN
        for oid, key_hash, s, cs in singles:
            if s == serial and oid == HASHES[alg][0] and key_hash == self.issuer.key_hash(alg):
                if cs != want_status:
                    return "fail:cert_status_%s" % STATUS_NAMES.get(cs, hex(cs)), False
                return "ok:" + STATUS_NAMES[cs], kind == "miss"
        return "fail:wrong_certid", False

    def record(self, req, outcome, good=False, detail=""):
        i = self.rec.add(req.cls, req.t0, req.t_sent, time.monotonic(), outcome, good)
        if not outcome.startswith("ok") and len(self.rec.details) < 2000:
            self.rec.details[i] = detail

    def cut_outcome(self, e):
        # The three ways a request can end without an answer.
        if not e.got_bytes:
            return "closed:no_response_" + e.how
        return "fail:truncated_" + e.how

    # --- request kinds -----------------------------------------------------------

    def pick_request(self, hit_share, miss_share, rng):
        """(cls, expect, bytes, head) for a keep-alive or new-connection worker."""
        x = rng.random()
        nonce = rng.randrange(1 << 64).to_bytes(8, "big") if rng.random() < 0.1 else None
        if x < hit_share:
            serial, alg, st, cid = rng.choice(self.cached)
            return "hit", ("hit", serial, alg, st), ocsp_request(cid, nonce)
        if x < hit_share + miss_share:
            serial = self.next_miss_serial
            self.next_miss_serial += 1
            alg = rng.choice(["sha1", "sha256"])
            return "miss", ("miss", serial, alg), ocsp_request(self.issuer.cert_id(serial, alg), nonce)
        return "unauth", ("unauth",), ocsp_request(self.other.cert_id(3001, "sha1"), nonce)

    def encode(self, der, rng, version="1.1", close=False):
        if rng.random() < 0.5:
            return http_request("GET", get_target(der, rng), version=version, close=close)
        return http_request("POST", "/", der, version=version, close=close)

    def bad_request(self, rng):
        """(name, bytes, expect_answer)."""
        good_der = ocsp_request(self.cached[0][3])
        kind = rng.choice(["garbage_post", "empty_post", "truncated_der", "bad_base64", "garbage_b64",
                           "oversized_body", "bad_request_line", "huge_header", "huge_target",
                           "put", "bad_chunked", "bad_content_length", "client_abort"])
        if kind == "garbage_post":
            return kind, http_request("POST", "/", bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))), True
        if kind == "empty_post":
            return kind, http_request("POST", "/", b""), True
        if kind == "truncated_der":
            return kind, http_request("POST", "/", good_der[:rng.randrange(1, len(good_der))]), True
        if kind == "bad_base64":
            return kind, http_request("GET", "/ocsp/%21%21not-base64%7E%7E" + "x" * rng.randrange(0, 40)), True
        if kind == "garbage_b64":
            junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
            return kind, http_request("GET", "/" + urllib.parse.quote(base64.b64encode(junk).decode(), safe="")), True
        if kind == "oversized_body":
            return kind, http_request("POST", "/", b"\x30" * (20 * 1024)), True
        if kind == "bad_request_line":
            return kind, b"GARBAGE\x01 NOT HTTP\r\n\r\n", True
        if kind == "huge_header":
            return kind, http_request("GET", "/", extra="X-Pad: %s\r\n" % ("p" * 10000)), True
        if kind == "huge_target":
            return kind, http_request("GET", "/" + "A" * 9000), True
        if kind == "put":
            return kind, http_request("PUT", "/", version="1.1"), True
        if kind == "bad_chunked":
            return kind, (b"POST / HTTP/1.1\r\nHost: soak\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), True
        if kind == "bad_content_length":
            return kind, b"POST / HTTP/1.1\r\nHost: soak\r\nContent-Length: x12\r\n\r\n", True
        # client_abort: half a request, then the client closes: nothing to answer.
        return kind, http_request("POST", "/", good_der)[:40], False

    # --- workers -----------------------------------------------------------------

    async def connect(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await self.loop.sock_connect(sock, self.addr)
        except BaseException:
            sock.close()
            raise
        return sock

    async def paced(self, rate, body):
        """Runs body() about rate times a second until stop (no catch-up burst)."""
        interval = 1.0 / rate
        nxt = time.monotonic() + self.rng.random() * interval
        while not self.stop:
            now = time.monotonic()
            if nxt > now:
                await asyncio.sleep(nxt - now)
            elif now - nxt > 1.0:
                nxt = now
            nxt += interval
            if self.stop:
                break
            await body()

    def refused(self, req, e):
        # Before SIGTERM nothing may refuse us; after it a refused connect is
        # the listener being closed, which is fine.
        self.record(req, "closed:connect_" + errno.errorcode.get(e.errno, str(e.errno)))

    async def ask(self, req, expect, sock, buf, data):
        """One exchange on sock, recorded. True if the connection can be reused."""
        try:
            resp = await asyncio.wait_for(self.exchange(req, sock, buf, data), self.a.timeout)
        except Cut as e:
            self.record(req, self.cut_outcome(e))
            return False
        except (asyncio.TimeoutError, DerError, OSError, ValueError) as e:
            self.record(req, "fail:" + type(e).__name__, detail=str(e)[:80])
            return False
        outcome, good = self.judge_ocsp(resp, expect)
        if buf:  # no pipelining here: nothing may follow an answer
            outcome, good = "fail:bytes_after_answer", False
        self.record(req, outcome, good)
        return not resp.close and not buf

    async def keepalive_worker(self, wid, rate):
        rng = random.Random(self.a.seed * 1000 + wid)
        state = {"sock": None, "buf": bytearray()}

        async def one():
            cls, expect, der = self.pick_request(self.a.hit_share, self.a.miss_share, rng)
            data = self.encode(der, rng)
            req = Req(cls)
            if state["sock"] is None:
                try:
                    state["sock"] = await self.connect()
                    state["buf"] = bytearray()
                except OSError as e:
                    self.refused(req, e)
                    return
            if not await self.ask(req, expect, state["sock"], state["buf"], data):
                state["sock"].close()
                state["sock"] = None

        try:
            await self.paced(rate, one)
        finally:
            if state["sock"] is not None:
                state["sock"].close()

    async def oneshot(self, cls, expect, data, judge=True):
        """One request on a connection of its own."""
        req = Req(cls)
        try:
            sock = await self.connect()
        except OSError as e:
            self.refused(req, e)
            return
        try:
            if judge:
                await self.ask(req, expect, sock, bytearray(), data)
                return
            # client_abort: half a request, then close; nothing to judge but
            # that the daemon takes it (and is still there for the next one).
            try:
                await self.loop.sock_sendall(sock, data)
                req.t_sent = time.monotonic()
                self.record(req, "ok:client_abort")
            except OSError as e:
                self.record(req, "closed:send_" + type(e).__name__)
        finally:
            sock.close()

    async def newconn_worker(self, wid, rate):
        rng = random.Random(self.a.seed * 2000 + wid)

        async def one():
            cls, expect, der = self.pick_request(0.85, 0.15, rng)
            version = rng.choice(["1.0", "1.1"])
            await self.oneshot(cls, expect, self.encode(der, rng, version=version, close=version == "1.1"))

        await self.paced(rate, one)

    async def bad_worker(self, wid, rate):
        rng = random.Random(self.a.seed * 3000 + wid)

        async def one():
            kind, data, answered = self.bad_request(rng)
            await self.oneshot("bad", ("bad", kind), data, judge=answered)

        await self.paced(rate, one)

    # --- samples -----------------------------------------------------------------

    def proc_alive(self):
        try:
            with open("/proc/%d/stat" % self.a.pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            return state not in ("Z", "X")
        except OSError:
            return False

    def scrape(self):
        url = "http://127.0.0.1:%d/metrics" % self.a.admin_port
        with urllib.request.urlopen(url, timeout=2) as r:
            text = r.read().decode()
        out = {}
        for line in text.splitlines():
            if not line or line[0] == "#":
                continue
            name, _, value = line.rpartition(" ")
            try:
                out[name] = float(value)
            except ValueError:
                pass
        return out

    @staticmethod
    def metric_sum(m, prefix, contains=""):
        return sum(v for k, v in m.items() if k.startswith(prefix) and contains in k)

    async def sampler(self):
        while not self.stop:
            t = time.monotonic() - self.t0
            if self.t_term is None and not self.proc_alive():
                self.died_before_term = t
                self.stop = True
                break
            try:
                with open("/proc/%d/status" % self.a.pid) as f:
                    rss = int(next(l for l in f if l.startswith("VmRSS:")).split()[1])
                fds = len(os.listdir("/proc/%d/fd" % self.a.pid))
            except (OSError, StopIteration):
                rss = fds = -1
            redis_up = responder_up = -1
            if self.t_term is None:
                try:
                    m = await asyncio.to_thread(self.scrape)
                    redis_up = m.get("ocspcache_redis_up", -1)
                    responder_up = self.metric_sum(m, "ocspcache_responder_up")
                    self.last_metrics = m
                except Exception:  # the admin listener is busy or gone: no metric this time
                    pass
            self.samples.append((round(t, 3), rss, fds, redis_up, responder_up))
            await asyncio.sleep(self.a.sample_interval)

    # --- phases of the run -------------------------------------------------------

    async def prefill(self):
        """Misses until the cache evicts: from here on it is at cache.max_bytes,
        the steady state a long-running proxy lives in."""
        serial = 10_000_000
        limit = self.a.prefill_max
        sent = 0
        stop_at = time.monotonic() + 120

        async def worker():
            nonlocal serial, sent
            sock = await self.connect()
            buf = bytearray()
            try:
                while sent < limit and not self.prefill_done:
                    s = serial
                    serial += 1
                    sent += 1
                    der = ocsp_request(self.issuer.cert_id(s, "sha1"))
                    resp = await asyncio.wait_for(self.exchange(Req("miss"), sock, buf, http_request("POST", "/", der)), 10)
                    if resp.close:
                        sock.close()
                        sock = await self.connect()
                        buf = bytearray()
            finally:
                sock.close()

        self.prefill_done = False

        async def watch():
            while not self.prefill_done:
                await asyncio.sleep(0.25)
                m = await asyncio.to_thread(self.scrape)
                if m.get("ocspcache_cache_evictions_total", 0) >= self.a.prefill_evictions or sent >= limit:
                    self.prefill_done = True
                if time.monotonic() > stop_at:
                    raise RuntimeError("prefill: the cache did not fill within 120 s")

        tasks = [asyncio.create_task(worker()) for _ in range(8)]
        await watch()
        await asyncio.gather(*tasks)
        m = await asyncio.to_thread(self.scrape)
        return {"requests": sent, "entries": m.get("ocspcache_cache_entries"),
                "bytes": m.get("ocspcache_cache_bytes"),
                "evictions": m.get("ocspcache_cache_evictions_total")}

    async def load_cached_set(self):
        """Ask every cached CertID until the answer is the one expected, then
        once more, counted as hits by ocspcache's own metrics."""
        for attempt in range(2):
            before = self.metric_sum(await asyncio.to_thread(self.scrape), "ocspcache_requests_total", 'result="hit"')
            bad = []
            sock = await self.connect()
            buf = bytearray()
            try:
                for serial, alg, st, cid in self.cached:
                    for _ in range(5):
                        resp = await asyncio.wait_for(
                            self.exchange(Req("hit"), sock, buf, http_request("POST", "/", ocsp_request(cid))), 10)
                        outcome, _ = self.judge_ocsp(resp, ("hit", serial, alg, st))
                        if outcome.startswith("ok"):
                            break
                        await asyncio.sleep(0.2)
                    else:
                        bad.append((serial, alg, outcome))
            finally:
                sock.close()
            if bad:
                raise RuntimeError("cached set: no good answer for %s" % bad[:5])
            hits = self.metric_sum(await asyncio.to_thread(self.scrape), "ocspcache_requests_total", 'result="hit"') - before
            if attempt == 1 and hits < len(self.cached):
                raise RuntimeError("cached set: only %d of %d asked again were cache hits" % (hits, len(self.cached)))
        return len(self.cached)

    async def terminator(self):
        """SIGTERM under load at --term-at; then wait for the process to go."""
        await asyncio.sleep(max(0.0, self.t0 + self.a.term_at - time.monotonic()))
        if self.stop:
            return
        self.t_term = time.monotonic()
        # Misses in flight now (the responder is frozen): answered within the drain?
        os.kill(self.a.pid, signal.SIGTERM)
        deadline = self.t_term + self.a.drain_wait
        while time.monotonic() < deadline and self.proc_alive():
            await asyncio.sleep(0.02)
        self.t_exit = time.monotonic() if not self.proc_alive() else None
        # Keep knocking a little longer: the listener must stay closed.
        await asyncio.sleep(self.a.after_exit)
        self.stop = True

    async def main(self):
        self.loop = asyncio.get_running_loop()
        self.epoch_offset = time.time() - time.monotonic()
        self.last_metrics = {}
        info = {"prefill": await self.prefill(), "cached": await self.load_cached_set()}
        self.t0 = time.monotonic()
        with open(self.a.ready_file + ".tmp", "w") as f:
            f.write("%.6f\n" % self.mono_to_epoch(self.t0))
        os.rename(self.a.ready_file + ".tmp", self.a.ready_file)
        rate = self.a.rate
        ka, nc, bad = self.a.keepalive, self.a.newconn, self.a.bad_workers
        tasks = [asyncio.create_task(self.keepalive_worker(i, rate * 0.75 / ka)) for i in range(ka)]
        tasks += [asyncio.create_task(self.newconn_worker(i, rate * 0.17 / nc)) for i in range(nc)]
        tasks += [asyncio.create_task(self.bad_worker(i, rate * 0.08 / bad)) for i in range(bad)]
        tasks.append(asyncio.create_task(self.sampler()))
        term = asyncio.create_task(self.terminator())

        async def end_metrics():
            await asyncio.sleep(max(0.0, self.t0 + self.a.end_sample_at - time.monotonic()))
            try:
                self.metrics_at["end"] = await asyncio.to_thread(self.scrape)
            except Exception:
                pass

        async def warm_metrics():
            await asyncio.sleep(max(0.0, self.t0 + self.a.warm - time.monotonic()))
            try:
                self.metrics_at["start"] = await asyncio.to_thread(self.scrape)
            except Exception:
                pass

        aux = [asyncio.create_task(end_metrics()), asyncio.create_task(warm_metrics())]
        # Stop at the end whatever happens (a run without SIGTERM, a dead daemon).
        hard_end = self.t0 + self.a.term_at + self.a.drain_wait + self.a.after_exit + 5
        while not self.stop and time.monotonic() < hard_end:
            await asyncio.sleep(0.1)
        self.stop = True
        term.cancel()
        # Workers finish the request they are in (bounded by --timeout).
        done, pending = await asyncio.wait(tasks, timeout=self.a.timeout + 2)
        for t in pending:
            t.cancel()
        for t in done:
            if t.exception() is not None:
                raise t.exception()
        for t in aux:
            t.cancel()
        return info

    # --- summary -----------------------------------------------------------------

    def summarise(self, info):
        a = self.a
        rec = self.rec
        phases = read_phases(a.phases, self.epoch_offset, self.t0)
        t_warm = self.t0 + a.warm
        t_freeze = self.t0 + a.freeze_at
        intervals = []  # (start, end, name) in monotonic time, by precedence
        for name in ("responder_down", "redis_down"):
            for s, e in phases.get(name, []):
                intervals.append((s, e, name))
        # After a restart the responder is asked again only once its breaker
        # lets a probe through: from the restart to the first miss answered
        # good is "responder_back" (misses may still get tryLater there).
        for _, up in phases.get("responder_down", []):
            firsts = [rec.t_start[i] for i in range(len(rec.t_start))
                      if rec.miss_good[i] and rec.t_start[i] >= up]
            intervals.append((up, min(firsts) if firsts else float("inf"), "responder_back"))
        for s, _ in phases.get("sighup", []):
            intervals.append((s, s + a.sighup_window, "after_sighup"))

        def phase_of(t):
            if t < t_warm:
                return "warm-up"
            if self.t_term is not None and t >= self.t_term:
                return "shutdown"
            if t >= t_freeze:
                return "responder_frozen"
            for s, e, name in intervals:
                if s <= t < e:
                    return name
            return "steady"

        per_phase = {}
        n = len(rec.t_start)
        fail_hits = 0
        fail_by_class = {c: 0 for c in CLASSES}
        failures = []
        inflight = {"sent_before": 0, "answered": 0, "unanswered": [], "misses": 0}
        after = {"requests": 0, "answered": 0, "turned_away": 0, "partial": 0}
        term = self.t_term
        for i in range(n):
            t = rec.t_start[i]
            cls = CLASSES[rec.cls[i]]
            ok = rec.ok[i] == 1
            out = rec.outcome_names[rec.outcome[i]]
            t_end = t + rec.latency[i]
            t_sent = rec.t_sent[i]
            if term is not None and t_end > term:
                if 0 <= t_sent <= term:
                    # Wholly sent before SIGTERM and not answered by then: in
                    # flight. A complete, correct answer is due.
                    inflight["sent_before"] += 1
                    inflight["misses"] += cls == "miss"
                    if ok:
                        inflight["answered"] += 1
                    else:
                        inflight["unanswered"].append((cls, out))
                else:
                    # Not (wholly) sent when SIGTERM came: answered, or turned
                    # away before any byte of an answer; never cut mid-answer.
                    after["requests"] += 1
                    if ok:
                        after["answered"] += 1
                    elif out.startswith("closed:"):
                        after["turned_away"] += 1
                    else:
                        after["partial"] += 1
                        failures.append(i)
                    continue  # not in the phase tables
            if not ok:
                fail_by_class[cls] += 1
                fail_hits += cls == "hit"
                failures.append(i)
            ph = phase_of(t)
            d = per_phase.setdefault(ph, {c: array.array("d") for c in CLASSES})
            d.setdefault("miss_good", [0, 0])
            d[cls].append(rec.latency[i])
            if cls == "miss":
                d["miss_good"][0] += rec.miss_good[i]
                d["miss_good"][1] += 1

        def pct(xs, p):
            if not xs:
                return None
            s = sorted(xs)
            return s[min(len(s) - 1, int(p * len(s)))]

        table = {}
        for ph, d in per_phase.items():
            table[ph] = {
                "hits": len(d["hit"]),
                "hit_p50_ms": ms(pct(d["hit"], 0.50)),
                "hit_p99_ms": ms(pct(d["hit"], 0.99)),
                "hit_max_ms": ms(max(d["hit"]) if d["hit"] else None),
                "misses": len(d["miss"]),
                "misses_good": d["miss_good"][0],
                "miss_p99_ms": ms(pct(d["miss"], 0.99)),
                "bad": len(d["bad"]),
                "bad_p99_ms": ms(pct(d["bad"], 0.99)),
                "seconds": 0,
            }
        # How long each phase lasted, in 0.1 s steps.
        span = {}
        t = self.t0
        t_stop = self.t_term if self.t_term is not None else t_freeze
        while t < t_stop:
            ph = phase_of(t)
            span[ph] = span.get(ph, 0) + 0.1
            t += 0.1
        for ph in table:
            table[ph]["seconds"] = round(span.get(ph, 0), 1)

        def sample_at(t_rel):
            best = None
            for s in self.samples:
                if s[0] <= t_rel and s[1] > 0:
                    best = s
            return best

        def min_fds(lo, hi):
            xs = [s[2] for s in self.samples if lo <= s[0] < hi and s[2] > 0]
            return min(xs) if xs else None

        w = a.fd_window
        mid = a.warm + (a.freeze_at - a.warm) / 2
        rss = {"start": sample_at(a.warm), "middle": sample_at(mid), "end": sample_at(a.end_sample_at)}
        fds = {"start": min_fds(a.warm, a.warm + w), "middle": min_fds(mid - w / 2, mid + w / 2),
               "end": min_fds(a.end_sample_at - w, a.end_sample_at + 0.001)}
        soak_samples = [s for s in self.samples if a.warm <= s[0] <= a.end_sample_at and s[1] > 0]
        # Reconnect times after each restart, from the 1-second samples.
        recover = {}
        for name, col in (("redis_down", 3), ("responder_down", 4)):
            times = []
            for s, e in phases.get(name, []):
                up = [x[0] for x in self.samples if x[0] >= e - self.t0 and x[col] is not None and x[col] >= 1]
                times.append(round(up[0] - (e - self.t0), 1) if up else None)
            recover[name] = times
        outcomes = {}
        for (cls, out), k in sorted(rec.outcomes.items()):
            outcomes.setdefault(cls, {})[out] = k
        def metric_delta(prefix, contains=""):
            s, e = self.metrics_at.get("start"), self.metrics_at.get("end")
            if not s or not e:
                return None
            return self.metric_sum(e, prefix, contains) - self.metric_sum(s, prefix, contains)

        return {
            "info": info,
            "args": {k: v for k, v in vars(a).items() if k not in ("func",)},
            "requests": n,
            "load_seconds": round((self.t_term or time.monotonic()) - self.t0, 1),
            "outcomes": outcomes,
            "failures_by_class": fail_by_class,
            "failed_hits": fail_hits,
            "failures": [(round(rec.t_start[i] - self.t0, 3), phase_of(rec.t_start[i]),
                          "%s %s %s" % (CLASSES[rec.cls[i]], rec.outcome_names[rec.outcome[i]], rec.details.get(i, "")))
                         for i in failures[:200]],
            "phases": table,
            "phase_counts": {k: len(v) for k, v in phases.items()},
            "rss_kb": {k: (v[1] if v else None) for k, v in rss.items()},
            "rss_max_kb": max((s[1] for s in soak_samples), default=None),
            "rss_min_kb": min((s[1] for s in soak_samples), default=None),
            "fds": fds,
            "fds_max": max((s[2] for s in soak_samples), default=None),
            "samples": self.samples,
            "recovery_s": recover,
            "died_before_term_s": self.died_before_term,
            "sigterm": None if self.t_term is None else {
                "at_s": round(self.t_term - self.t0, 3),
                "exit_after_s": None if self.t_exit is None else round(self.t_exit - self.t_term, 3),
                "in_flight": inflight["sent_before"],
                "in_flight_misses": inflight["misses"],
                "in_flight_answered": inflight["answered"],
                "in_flight_unanswered": inflight["unanswered"][:50],
                "after": after,
            },
            "metrics": {
                "hits": metric_delta("ocspcache_requests_total", 'result="hit"'),
                "misses": metric_delta("ocspcache_requests_total", 'result="miss"'),
                "errors": metric_delta("ocspcache_requests_total", 'result="error"'),
                "evictions": metric_delta("ocspcache_cache_evictions_total"),
                "upstream": metric_delta("ocspcache_upstream_requests_total"),
                "upstream_good": metric_delta("ocspcache_upstream_requests_total", 'outcome="unknown"') ,
                "cache_entries_end": (self.metrics_at.get("end") or {}).get("ocspcache_cache_entries"),
                "cache_bytes_end": (self.metrics_at.get("end") or {}).get("ocspcache_cache_bytes"),
                "connections_open_end": (self.metrics_at.get("end") or {}).get("ocspcache_connections_open"),
            },
        }


def ms(x):
    return None if x is None else round(x * 1000, 2)


def read_phases(path, epoch_offset, t0):
    """{name: [(start, end)]} in monotonic time from soak.sh's log lines
    'EPOCH EVENT': responder_down/responder_up, redis_down/redis_up, sighup."""
    out = {}
    open_at = {}
    try:
        lines = open(path).read().split("\n")
    except OSError:
        return out
    for line in lines:
        parts = line.split()
        if len(parts) < 2:
            continue
        t = float(parts[0]) - epoch_offset
        ev = parts[1]
        if ev.endswith("_down"):
            open_at[ev] = t
        elif ev.endswith("_up"):
            name = ev[:-3] + "_down"
            if name in open_at:
                out.setdefault(name, []).append((open_at.pop(name), t))
        else:
            out.setdefault(ev, []).append((t, t))
    for name, s in open_at.items():  # still down at the end
        out.setdefault(name, []).append((s, float("inf")))
    return out


def cmd_run(a):
    soak = Soak(a)
    try:
        info = asyncio.run(soak.main())
    except Exception as e:  # setup failed: say so, still write what we have
        print("soak_load: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 1
    summary = soak.summarise(info)
    with open(a.summary, "w") as f:
        json.dump(summary, f)
    return 0


# ------------------------------------------------------------- report ----


def mib(kb):
    return "—" if kb is None else "%.1f MiB" % (kb / 1024)


def fmt(x, unit=""):
    return "—" if x is None else ("%g%s" % (x, unit))


def cmd_report(a):
    s = json.load(open(a.summary))
    args = s["args"]
    verdicts = []  # (name, passed, text)

    def check(name, passed, text):
        verdicts.append((name, bool(passed), text))

    check("failed requests for cached CertIDs", s["failed_hits"] == 0,
          "%d of %d (target 0)" % (s["failed_hits"], sum(p["hits"] for p in s["phases"].values())))
    bad_total = sum(s["outcomes"].get("bad", {}).values())
    bad_fail = s["failures_by_class"]["bad"]
    check("bad input answered 4xx or malformedRequest", bad_fail == 0,
          "%d of %d not (target 0)" % (bad_fail, bad_total))
    other_fail = s["failures_by_class"]["miss"] + s["failures_by_class"]["unauth"]
    check("misses and unknown-issuer requests answered", other_fail == 0,
          "%d failed (good answer or tryLater expected; target 0)" % other_fail)
    r = s["rss_kb"]
    if a.rss_limit is None:
        check("RSS", True, "start %s, middle %s, end %s: not judged (%s)" %
              (mib(r["start"]), mib(r["middle"]), mib(r["end"]), a.rss_note or "disabled"))
    elif r["start"] and r["end"]:
        growth = 100.0 * (r["end"] - r["start"]) / r["start"]
        # The second half alone: a leak keeps growing there, an allocator
        # settling after the first faults does not.
        late = "" if not r["middle"] else ", middle to end %+.1f %%" % (100.0 * (r["end"] - r["middle"]) / r["middle"])
        check("RSS flat", abs(growth) <= a.rss_limit,
              "start %s, middle %s, end %s: %+.1f %% (limit ±%g %%%s)%s; min %s, max %s over the soak" %
              (mib(r["start"]), mib(r["middle"]), mib(r["end"]), growth, a.rss_limit,
               ", " + a.rss_note if a.rss_note else "", late, mib(s["rss_min_kb"]), mib(s["rss_max_kb"])))
    else:
        check("RSS flat", False, "no RSS samples")
    f = s["fds"]
    if f["start"] is not None and f["end"] is not None:
        check("descriptors do not grow", f["end"] <= f["start"] + a.fd_slack,
              "start %d, middle %s, end %d (each the least over %g s; end ≤ start + %d); max %s" %
              (f["start"], fmt(f["middle"]), f["end"], args["fd_window"], a.fd_slack, fmt(s["fds_max"])))
    else:
        check("descriptors do not grow", False, "no descriptor samples")
    check("alive until SIGTERM", s["died_before_term_s"] is None,
          "yes" if s["died_before_term_s"] is None else "ocspcache died %.1f s into the load" % s["died_before_term_s"])
    st = s["sigterm"]
    if st is None:
        check("SIGTERM under load", False, "SIGTERM was never sent")
    else:
        after = st["after"]
        ok = (st["in_flight_answered"] == st["in_flight"] and after["partial"] == 0 and
              st["exit_after_s"] is not None and a.exit_status == 0)
        text = ("%d requests in flight when it came (%d of them misses waiting on the frozen responder), "
                "%d answered completely; after it: %d requests, %d answered, %d refused or closed before any byte "
                "of an answer, %d cut mid-answer or wrongly answered; exited %s with status %s" %
                (st["in_flight"], st["in_flight_misses"], st["in_flight_answered"], after["requests"],
                 after["answered"], after["turned_away"], after["partial"],
                 "after %.2f s" % st["exit_after_s"] if st["exit_after_s"] is not None else "NOT within the wait",
                 a.exit_status))
        if st["in_flight_unanswered"]:
            text += "; unanswered: %s" % st["in_flight_unanswered"][:10]
        check("SIGTERM under load", ok, text)
    if a.log_findings:
        check("daemon log clean", False, a.log_findings)

    passed = all(v[1] for v in verdicts)
    ph_order = ["warm-up", "steady", "responder_down", "responder_back", "redis_down", "after_sighup",
                "responder_frozen"]
    phase_rows = []
    for ph in ph_order + sorted(set(s["phases"]) - set(ph_order)):
        p = s["phases"].get(ph)
        if not p:
            continue
        phase_rows.append((ph, p))
    counts = s["phase_counts"]
    rec = s["recovery_s"]
    faults = []
    if counts.get("responder_down"):
        faults.append("responder `kill -9`ed %d× (restarted on the same port; ocspcache saw it up again %s s after each restart)" %
                      (counts["responder_down"], ", ".join(fmt(x) for x in rec.get("responder_down", []))))
    if counts.get("redis_down"):
        faults.append("redis-server `kill -9`ed %d× (restarted empty; `ocspcache_redis_up` back to 1 %s s after each restart)" %
                      (counts["redis_down"], ", ".join(fmt(x) for x in rec.get("redis_down", []))))
    faults.append("SIGHUP %d× (the config alternates one applied key, and every reload re-reads the issuers and swaps the routes)" % counts.get("sighup", 0))
    outcomes = s["outcomes"]
    total_by_class = {c: sum(v.values()) for c, v in outcomes.items()}

    lines = []
    lines.append("ocspcache soak: backend=%s, %d worker threads, %g s warm-up + %g s soak, offered %g req/s, %s" %
                 (a.backend, a.threads, args["warm"], args["duration"], args["rate"], a.binary))
    lines.append("requests: %d in %.0f s (%s)" % (s["requests"], s["load_seconds"],
                 ", ".join("%s %d" % (c, total_by_class.get(c, 0)) for c in CLASSES)))
    pre = s["info"]["prefill"]
    lines.append("prefill: %d misses until the cache evicted (%s entries, %s bytes, %s evictions); cached set: %d CertIDs" %
                 (pre["requests"], fmt(pre["entries"]), fmt(pre["bytes"]), fmt(pre["evictions"]), s["info"]["cached"]))
    lines.append("faults: " + "; ".join(faults))
    lines.append("")
    lines.append("%-18s %7s %7s %9s %9s %9s %7s %11s %9s" % ("phase", "seconds", "hits", "p50 ms", "p99 ms", "max ms",
                                                         "misses", "misses good", "miss p99"))
    for ph, p in phase_rows:
        lines.append("%-18s %7s %7d %9s %9s %9s %7d %11s %9s" % (
            ph, fmt(p["seconds"]), p["hits"], fmt(p["hit_p50_ms"]), fmt(p["hit_p99_ms"]), fmt(p["hit_max_ms"]),
            p["misses"], "%d" % p["misses_good"], fmt(p["miss_p99_ms"])))
    lines.append("")
    for cls in CLASSES:
        if cls in outcomes:
            lines.append("%-7s %s" % (cls, ", ".join("%s %d" % kv for kv in sorted(outcomes[cls].items()))))
    lines.append("")
    for name, ok, text in verdicts:
        lines.append("%-4s %s: %s" % ("PASS" if ok else "FAIL", name, text))
    if s["failures"]:
        lines.append("")
        lines.append("first failures (seconds into the load, phase, what):")
        for t, ph, d in s["failures"][:20]:
            lines.append("  %8.3f %-16s %s" % (t, ph, d))
    lines.append("")
    lines.append("soak: %s" % ("PASS" if passed else "FAIL"))
    print("\n".join(lines))

    if a.out:
        md = []
        md.append("## Chaos soak (issue 13): %s backend, %s" % (a.backend, a.title or time.strftime("%Y-%m-%d", time.gmtime())))
        md.append("")
        md.append("Command: `%s` (%s). Result: **%s**." % (a.command, a.build, "PASS" if passed else "FAIL"))
        md.append("")
        md.append("Load: %d requests in %.0f s from `bench/soak_load.py` (%d keep-alive connections, %d clients "
                  "opening a connection per request, %d sending bad input; offered %g req/s): %s. "
                  "Cached set: %d CertIDs (good, revoked and unknown; SHA-1 and SHA-256), warmed before the load, "
                  "after the cache was filled to `cache.max_bytes` with %d misses (%s entries, %s evictions by then)." %
                  (s["requests"], s["load_seconds"], args["keepalive"], args["newconn"], args["bad_workers"],
                   args["rate"], ", ".join("%s %d" % (c, total_by_class.get(c, 0)) for c in CLASSES),
                   s["info"]["cached"], s["info"]["prefill"]["requests"],
                   fmt(s["info"]["prefill"]["entries"]), fmt(s["info"]["prefill"]["evictions"])))
        md.append("")
        md.append("Faults: " + "; ".join(faults) + "; then the responder frozen (SIGSTOP) and SIGTERM under load.")
        md.append("")
        md.append("| criterion | result | |")
        md.append("|---|---|---|")
        for name, ok, text in verdicts:
            md.append("| %s | %s | %s |" % (name, text.replace("|", "/"), "pass" if ok else "**FAIL**"))
        md.append("")
        md.append("| phase | seconds | hits | hit p50 ms | hit p99 ms | hit max ms | misses | misses answered good | miss p99 ms |")
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for ph, p in phase_rows:
            md.append("| %s | %s | %d | %s | %s | %s | %d | %d | %s |" % (
                ph, fmt(p["seconds"]), p["hits"], fmt(p["hit_p50_ms"]), fmt(p["hit_p99_ms"]),
                fmt(p["hit_max_ms"]), p["misses"], p["misses_good"], fmt(p["miss_p99_ms"])))
        md.append("")
        md.append("Outcomes by request class: " + "; ".join(
            "%s: %s" % (cls, ", ".join("%s %d" % kv for kv in sorted(outcomes[cls].items())))
            for cls in CLASSES if cls in outcomes) + ".")
        md.append("")
        with open(a.out, "w") as fo:
            fo.write("\n".join(md) + "\n")
    return 0 if passed else 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--admin-port", type=int, required=True)
    r.add_argument("--pid", type=int, required=True)
    r.add_argument("--pki", required=True)
    r.add_argument("--phases", required=True)
    r.add_argument("--ready-file", required=True)
    r.add_argument("--summary", required=True)
    r.add_argument("--warm", type=float, required=True, help="seconds of load before the baseline sample")
    r.add_argument("--duration", type=float, required=True, help="seconds of soak after the warm-up")
    r.add_argument("--freeze-at", type=float, required=True, help="when soak.sh freezes the responder (s from load start)")
    r.add_argument("--term-at", type=float, required=True, help="when SIGTERM is sent (s from load start)")
    r.add_argument("--end-sample-at", type=float, required=True)
    r.add_argument("--rate", type=float, default=1000)
    r.add_argument("--keepalive", type=int, default=6)
    r.add_argument("--newconn", type=int, default=4)
    r.add_argument("--bad-workers", type=int, default=2)
    r.add_argument("--hit-share", type=float, default=0.88)
    r.add_argument("--miss-share", type=float, default=0.08)
    r.add_argument("--cached", type=int, default=128)
    r.add_argument("--prefill-evictions", type=int, default=50)
    r.add_argument("--prefill-max", type=int, default=20000)
    r.add_argument("--timeout", type=float, default=10)
    r.add_argument("--sample-interval", type=float, default=1.0)
    r.add_argument("--fd-window", type=float, default=5.0)
    r.add_argument("--sighup-window", type=float, default=2.0)
    r.add_argument("--drain-wait", type=float, default=15)
    r.add_argument("--after-exit", type=float, default=1.0)
    r.add_argument("--seed", type=int, default=13)
    r.set_defaults(func=cmd_run)
    q = sub.add_parser("report")
    q.add_argument("--summary", required=True)
    q.add_argument("--exit-status", type=int, required=True)
    q.add_argument("--rss-limit", type=float, default=None, help="percent; omit to not judge RSS")
    q.add_argument("--rss-note", default="")
    q.add_argument("--fd-slack", type=int, default=3)
    q.add_argument("--log-findings", default="")
    q.add_argument("--backend", default="memory")
    q.add_argument("--threads", type=int, default=2)
    q.add_argument("--binary", default="")
    q.add_argument("--build", default="")
    q.add_argument("--command", default="bench/soak.sh")
    q.add_argument("--title", default="")
    q.add_argument("--out", default="")
    q.set_defaults(func=cmd_report)
    a = p.parse_args()
    sys.exit(a.func(a))


if __name__ == "__main__":
    main()
