#!/usr/bin/env python3
"""Writes the hand-made seeds of corpus/frontend_fuzz/ (frontend_fuzz.cc).

Each seed is two bytes of mode (the driver's header comment says what each
bit does) followed by what a client sends. The OCSP requests in them are
made by `openssl ocsp -reqout` for the driver's fixed CA
(frontend_fuzz_pki.h), so they route to a configured issuer and reach the
miss and hit paths; one comes from corpus/request_decode_fuzz/ and names an
issuer that is not configured (unauthorized). Rewrites only the files it
names (seed_*): inputs the fuzzer found stay. Rerun only to change seeds.
"""
import base64
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "frontend_fuzz")

# Mode byte (first): bit 0 forward proxy, 1 nonce passthrough, 2 small
# limits, 3-4 responder (good, revoked, HTTP 500, timeout), 5-6 answer
# delay (1, 2, 5, 17 turns), 7 drain.
FORWARD, PASSTHROUGH, SMALL = 0x01, 0x02, 0x04
REVOKED, HTTP500, TIMEOUT = 0x08, 0x10, 0x18
DELAY2, DELAY5, DELAY17 = 0x20, 0x40, 0x60
DRAIN = 0x80
# Write byte (second): bits 0-5 bytes per write (0: all at once), bit 6
# half-close only once the server is quiet, bit 7 slow reader (the server's
# sends take 97 bytes a turn).
QUIET, SLOW = 0x40, 0x80


def ca_pem():
    text = open(os.path.join(HERE, "frontend_fuzz_pki.h")).read()
    m = re.search(r'kCaCertPem\[\] = R"PEM\((.*?)\)PEM"', text, re.S)
    return m.group(1).strip() + "\n"


def requests(work):
    ca = os.path.join(work, "ca.pem")
    open(ca, "w").write(ca_pem())

    def req(name, *args):
        path = os.path.join(work, name)
        subprocess.run(["openssl", "ocsp", "-issuer", ca, *args, "-reqout", path],
                       check=True, capture_output=True)
        return open(path, "rb").read()

    return {
        "a": req("a.der", "-no_nonce", "-serial", "0x1001"),
        "b": req("b.der", "-no_nonce", "-serial", "0x1002"),
        "sha256": req("s.der", "-no_nonce", "-sha256", "-serial", "0x8F3A0011"),
        "two": req("two.der", "-no_nonce", "-serial", "0x1001", "-serial", "0x1002"),
        "nonce": req("n.der", "-serial", "0x1001"),
        # Another CA's request (make_seeds.sh): not a configured issuer.
        "foreign": open(os.path.join(HERE, "corpus", "request_decode_fuzz", "req_sha1.der"),
                        "rb").read(),
    }


def b64(der):
    return base64.b64encode(der).decode()


def get(target, extra="", version="1.1", method="GET"):
    return f"{method} {target} HTTP/{version}\r\n{extra}\r\n".encode()


def post(der, extra="", target="/", version="1.1"):
    head = (f"POST {target} HTTP/{version}\r\nContent-Type: application/ocsp-request\r\n"
            f"Content-Length: {len(der)}\r\n{extra}\r\n")
    return head.encode() + der


def chunked(der, extra="", target="/", ext="", trailer=""):
    half = len(der) // 2
    body = (f"{half:x}{ext}\r\n".encode() + der[:half] + b"\r\n" +
            f"{len(der) - half:X}\r\n".encode() + der[half:] + b"\r\n" +
            f"0\r\n{trailer}\r\n".encode())
    head = (f"POST {target} HTTP/1.1\r\nContent-Type: application/ocsp-request\r\n"
            f"Transfer-Encoding: chunked\r\n{extra}\r\n")
    return head.encode() + body


def seeds(r):
    a, b = r["a"], r["b"]
    ga = "/" + b64(a)
    esc = "/ocsp/" + urllib.parse.quote(b64(r["two"]), safe="")
    s = {}
    # The plain cases, each answered by the fake responder (a miss).
    s["get"] = (0, 0, get(ga, "Host: ocsp.example\r\n"))
    s["get_escaped_two"] = (0, 0, get(esc))
    s["get_sha256_revoked"] = (REVOKED, 0, get("/" + b64(r["sha256"])))
    s["post"] = (0, 0, post(a))
    s["post_http500"] = (HTTP500, 0, post(b))
    s["post_timeout"] = (TIMEOUT, 0, post(a))
    s["post_foreign_issuer"] = (0, 0, post(r["foreign"]))
    s["post_empty"] = (0, 0, post(b""))
    s["chunked_ext_trailer"] = (0, 0, chunked(a, ext=";name=value", trailer="X-Trailer: 1\r\n"))
    s["head"] = (0, 0, get(ga, method="HEAD"))
    s["http10_keepalive"] = (0, 0, post(a, "Connection: keep-alive\r\n", version="1.0") +
                             get(ga, version="1.0"))
    s["http10_close"] = (0, 0, get(ga, version="1.0"))
    # Pipelining: a miss, a miss, then hits (conditional too), split in
    # small writes while answers take 17 turns.
    s["pipelined_slow"] = (DELAY17, 7, get(ga) + post(b) + get(ga, "If-None-Match: *\r\n") +
                           post(b) + get(ga, "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT\r\n"))
    s["pipelined_quiet"] = (DELAY5, QUIET | 0, get(ga) + chunked(b) + get(ga, method="HEAD") +
                            get("/not-base64"))
    s["pipelined_close"] = (0, 0, get(ga, "Connection: close\r\n") + get(ga))
    s["pipelined_drain"] = (DRAIN | DELAY2, 13, get(ga) + post(b) + get(ga))
    # A slow reader: answers go out in pieces, reads wait for them.
    s["slow_reader_pipelined"] = (DELAY2, SLOW | 0, get(ga) + get(ga) + get(ga, method="HEAD") +
                                  post(b) + get(ga, "Connection: close\r\n"))
    s["slow_reader_errors"] = (SMALL, SLOW | 11, get(ga) + b"DELETE / HTTP/1.1\r\n\r\n" +
                               get("/" + "A" * 700))
    s["many_small"] = (0, 0, b"GET / HTTP/1.1\r\n\r\n" * 40)
    s["nonce_passthrough"] = (PASSTHROUGH, 0, post(r["nonce"]) + post(r["nonce"]))
    s["nonce_cached"] = (0, 0, post(r["nonce"]) + post(r["nonce"]))
    # Expect: 100-continue, the body sent only once the head is in.
    s["expect_continue"] = (0, QUIET | 40, post(a, "Expect: 100-continue\r\n"))
    s["expect_continue_http10"] = (0, 0, post(a, "Expect: 100-continue\r\n", version="1.0"))
    # Limits (small: 512 header bytes, 256 body bytes).
    s["header_too_large"] = (SMALL, 0, get(ga, "X-Pad: " + "p" * 600 + "\r\n"))
    s["target_too_long"] = (SMALL, 0, get("/" + "A" * 700))
    s["body_too_large"] = (0, 0, b"POST / HTTP/1.1\r\nContent-Length: 100000\r\n\r\n" + a)
    s["chunked_too_large"] = (SMALL, 16, chunked(a * 4))
    # Malformed framing.
    s["bad_request_line"] = (0, 0, b"GARBAGE\r\n\r\n")
    s["bad_version"] = (0, 0, b"GET / HTTP/9.9\r\n\r\n")
    s["bad_method"] = (0, 0, b"DELETE / HTTP/1.1\r\n\r\n" + get(ga))
    s["bare_lf"] = (0, 0, get(ga, "Host: x\r\n").replace(b"\r\n", b"\n"))
    s["obs_fold"] = (0, 0, get(ga, "Host: x\r\n folded\r\nIf-None-Match: \"a\",\r\n \"b\"\r\n"))
    s["dup_content_length"] = (0, 0, post(a, f"Content-Length: {len(a)}\r\n"))
    s["te_and_cl"] = (0, 0, chunked(a, f"Content-Length: {len(a)}\r\n"))
    s["bad_chunk_size"] = (0, 0, b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + a)
    s["huge_chunk_size"] = (0, 0, b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                            b"ffffffffffffffffff\r\n" + a)
    s["truncated_body"] = (0, 5, post(a)[:-10])
    # Forward-proxy mode (allow_hosts: 192.0.2.1, 2001:db8::1).
    s["fwd_absolute_post"] = (FORWARD, 0, post(a, "Host: 192.0.2.1\r\n",
                                               target="http://192.0.2.1/ocsp"))
    s["fwd_absolute_get"] = (FORWARD, 0, get("http://192.0.2.1:8080/ocsp/" + b64(a)))
    s["fwd_ipv6_delay"] = (FORWARD | DELAY5, 9, post(b, target="http://[2001:db8::1]/") +
                           post(b, target="http://[2001:db8::1]/"))
    s["fwd_host_header"] = (FORWARD, 0, post(a, "Host: 192.0.2.1\r\n"))
    s["fwd_refused"] = (FORWARD, 0, post(a, target="http://ocsp.example.net/") +
                        get("https://192.0.2.1/" + b64(a)) + get("http://10.0.0.1/" + b64(a)) +
                        get(ga, "Host: localhost\r\n"))
    s["fwd_connect"] = (FORWARD, 0, b"CONNECT 192.0.2.1:443 HTTP/1.1\r\nHost: 192.0.2.1\r\n\r\n"
                        b"\x16\x03\x01")
    s["fwd_head"] = (FORWARD, 0, get("http://192.0.2.1/" + b64(a), method="HEAD") +
                     get("http://nope.example/", method="HEAD"))
    return s


def main():
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        r = requests(work)
    for name, (mode, write, data) in seeds(r).items():
        with open(os.path.join(OUT, "seed_" + name), "wb") as f:
            f.write(bytes([mode, write]) + data)
    print(f"{len(seeds(r))} seeds in {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
