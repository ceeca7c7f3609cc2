#!/usr/bin/python3
# hostile.py - raw HTTP/1.1 over TLS for hostile.test.sh: requests no
# well-behaved client sends, and connections that dribble a header.
# SPDX-License-Identifier: Apache-2.0
#
#   hostile.py raw PORT REQUEST [--src ADDR]
#       REQUEST is Python string-escape text ("\r\n" for CRLF).  Prints
#       "status N", "body ...", then "closed" when the server closed the
#       connection within 3 s of its answer, else "open"; or "noanswer"
#       when nothing came within 10 s.
#   hostile.py smuggle PORT HOST REPO TAG MANIFEST_FILE
#       POST /v2/REPO/blobs/uploads/ with Content-Length: 5 AND
#       Transfer-Encoding: chunked, whose chunked body is 5 bytes and then
#       a complete manifest PUT of REPO:TAG.  Prints like raw.
#   hostile.py slow PORT COUNT SECONDS [--src ADDR]
#       COUNT connections that complete TLS, then send a request header
#       one byte a second for SECONDS.  Prints "opened N" (TLS done),
#       then at the end "alive N" (still open).
#   hostile.py deadline PORT [--tls | --keepalive] [--src ADDR]
#       One connection (TLS done with --tls, else bare TCP that sends
#       nothing) dribbling a header byte a second; prints "closed_after S"
#       (seconds until the server closed it) or "open_after 20".  With
#       --keepalive a first request is answered on it, and S counts from
#       the second request's line.
# Every wait is bounded; nothing runs longer than its arguments say.
import argparse
import codecs
import socket
import ssl
import sys
import time


def connect(port, src=None, tls=True, timeout=10):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if src:
        s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    if not tls:
        return s
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx.wrap_socket(s, server_hostname="127.0.0.1")


def recv_some(s):
    try:
        return s.recv(65536)
    except (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError,
            BrokenPipeError, ssl.SSLError):
        return b""


def read_answer(s, linger=True):
    """Status and body of one response, and whether the server then
    closed the connection."""
    buf = b""
    deadline = time.monotonic() + 10
    while b"\r\n\r\n" not in buf:
        if time.monotonic() > deadline:
            return None, b"", False
        try:
            d = recv_some(s)
        except socket.timeout:
            return None, b"", False
        if not d:
            return (None, b"", True) if not buf else (None, buf, True)
        buf += d
    head, body = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    want = int(hdrs.get("content-length", "0"))
    while len(body) < want and time.monotonic() < deadline:
        d = recv_some(s)
        if not d:
            break
        body += d
    closed = False
    if not linger:
        return status, body[:want], closed
    s.settimeout(3)
    try:
        closed = recv_some(s) == b""
    except socket.timeout:
        closed = False
    return status, body[:want], closed


def report(status, body, closed):
    if status is None:
        print("noanswer")
        return
    print("status %d" % status)
    print("body %s" % body.decode("utf-8", "replace"))
    print("closed" if closed else "open")


def cmd_raw(a):
    s = connect(a.port, a.src)
    s.sendall(codecs.decode(a.request, "unicode_escape").encode("latin-1"))
    report(*read_answer(s))


def cmd_smuggle(a):
    manifest = open(a.manifest, "rb").read()
    inner = ("PUT /v2/%s/manifests/%s HTTP/1.1\r\nHost: %s\r\n"
             "Content-Type: application/vnd.oci.image.manifest.v1+json\r\n"
             "Content-Length: %d\r\n\r\n" % (a.repo, a.tag, a.host,
                                             len(manifest))).encode() + manifest
    # The first 5 bytes are what Content-Length: 5 claims; the rest is
    # the next request to whoever believes that header.
    inner = b"hello" + inner
    body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(inner), inner)
    outer = ("POST /v2/%s/blobs/uploads/ HTTP/1.1\r\nHost: %s\r\n"
             "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
             % (a.repo, a.host)).encode()
    s = connect(a.port)
    s.sendall(outer + body)
    report(*read_answer(s))


def cmd_slow(a):
    conns = []
    for _ in range(a.count):
        try:
            c = connect(a.port, a.src, timeout=5)
            c.sendall(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n")
            conns.append(c)
        except OSError:
            pass
    print("opened %d" % len(conns), flush=True)
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        time.sleep(1)
        for c in list(conns):
            try:
                c.sendall(b"X")
            except OSError:
                conns.remove(c)
    alive = 0
    for c in conns:
        c.setblocking(False)
        try:
            alive += 1 if c.recv(1) else 0
        except (ssl.SSLWantReadError, BlockingIOError):
            alive += 1
        except OSError:
            pass
    print("alive %d" % alive)


def cmd_deadline(a):
    t0 = time.monotonic()
    s = connect(a.port, a.src, tls=a.tls or a.keepalive)
    if a.keepalive:
        s.sendall(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n")
        status, _, closed = read_answer(s, linger=False)
        if status != 200 or closed:
            print("first request failed: %s" % status)
            return
        t0 = time.monotonic()
    if a.tls or a.keepalive:
        s.sendall(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n")
    s.settimeout(1)
    while time.monotonic() - t0 < 20:
        try:
            if a.tls or a.keepalive:
                s.sendall(b"X")
            if recv_some(s) == b"":
                print("closed_after %.1f" % (time.monotonic() - t0))
                return
        except socket.timeout:
            continue
        except OSError:
            print("closed_after %.1f" % (time.monotonic() - t0))
            return
    print("open_after 20")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("raw")
    p.add_argument("port", type=int)
    p.add_argument("request")
    p.add_argument("--src")
    p.set_defaults(fn=cmd_raw)
    p = sub.add_parser("smuggle")
    for n in ("port", "host", "repo", "tag", "manifest"):
        p.add_argument(n, type=int if n == "port" else str)
    p.set_defaults(fn=cmd_smuggle)
    p = sub.add_parser("slow")
    p.add_argument("port", type=int)
    p.add_argument("count", type=int)
    p.add_argument("seconds", type=int)
    p.add_argument("--src")
    p.set_defaults(fn=cmd_slow)
    p = sub.add_parser("deadline")
    p.add_argument("port", type=int)
    p.add_argument("--tls", action="store_true")
    p.add_argument("--keepalive", action="store_true")
    p.add_argument("--src")
    p.set_defaults(fn=cmd_deadline)
    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
