#!/usr/bin/python3
# fake_upstream.py - misbehaving registries for the integrity tests.
# SPDX-License-Identifier: Apache-2.0
#
# --mode liar: answers GET /v2/ with 200 and every manifest GET/HEAD with a
#   well-formed OCI manifest whose bytes do NOT hash to what was asked for:
#   by digest it echoes the requested digest in Docker-Content-Digest, by tag
#   it sends a Docker-Content-Digest that is not the digest of the body.
#   Everything else is 404 BLOB_UNKNOWN / NAME_UNKNOWN.
# --mode redirect: proxies every request to --upstream (a real registry),
#   except blob GET/HEAD, which get 307 to http://TARGET_ADDR:TARGET_PORT/
#   storage/<name>/blobs/<digest>?sig=e2e; that second listener (another
#   loopback address, so another host) serves the real bytes fetched from
#   --upstream, honouring Range.
#   With --corrupt, the target flips one byte of every blob it serves (the
#   length stays right, so only hashing the bytes can tell).
# --mode proxy: proxies every request to --upstream.  With --lie-304 DIGEST,
#   a manifest GET/HEAD carrying If-None-Match is answered 304 Not Modified
#   with Docker-Content-Digest DIGEST instead (a 304 that contradicts itself).
# In redirect and proxy modes GET /v2/<name>/tags/list pages the upstream's
#   list itself (distribution 2.8 ignores n and last): tags sorted, `last`
#   exclusive, and `Link: </v2/<name>/tags/list?last=<t>&n=<n>>; rel="next"`
#   when more follow.
# Every request on every listener is logged to --log as one JSON line:
# {"listener": "main"|"target", "method", "path", "query",
#  "authorization": null or the scheme word ("bearer", "basic", ...)}.
import argparse
import hashlib
import http.client
import json
import re
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
LIE_MANIFEST = json.dumps({
    "schemaVersion": 2, "mediaType": MT_MANIFEST,
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
               "digest": "sha256:" + "1" * 64, "size": 2},
    "layers": []}, sort_keys=True, separators=(",", ":")).encode()
LIE_DIGEST = "sha256:" + hashlib.sha256(b"not the body").hexdigest()
HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
       "te", "trailers", "transfer-encoding", "upgrade", "host"}
BLOB_RE = re.compile(r"^/v2/(.+)/blobs/(sha256:[a-f0-9]{64})$")
MANIFEST_RE = re.compile(r"^/v2/(.+)/manifests/([^/]+)$")
TAGS_RE = re.compile(r"^/v2/(.+)/tags/list$")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


class Base(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "e2e-fake-upstream"
    listener = "main"

    def log_message(self, fmt, *args):
        pass

    def record(self):
        url = urllib.parse.urlsplit(self.path)
        auth = self.headers.get("Authorization")
        line = json.dumps({"listener": self.listener, "method": self.command,
                           "path": url.path, "query": url.query,
                           "authorization": auth.split(" ")[0].lower() if auth else None})
        with self.server.log_lock, open(self.server.opts.log, "a") as f:
            f.write(line + "\n")

    def send_body(self, status, body, headers):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, code, msg):
        body = json.dumps({"errors": [{"code": code, "message": msg}]}).encode()
        self.send_body(status, body, [("Content-Type", "application/json")])

    def proxy(self, url, corrupt=False):
        """Forward this request to URL and stream the answer back.  Uses
        http.client so repeated headers (several Accept lines, as
        containers/image sends) go out unchanged."""
        n = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(n) if n else None
        u = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        try:
            # Host goes through unchanged, as through any transparent
            # proxy: the registry builds upload Locations from it.
            conn.putrequest(self.command, u.path + ("?" + u.query if u.query else ""),
                            skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", self.headers.get("Host") or u.netloc)
            for k, v in self.headers.items():
                if k.lower() not in HOP and k.lower() != "content-length":
                    conn.putheader(k, v)
            if data is not None or self.command in ("PUT", "POST", "PATCH"):
                conn.putheader("Content-Length", str(n))
            conn.endheaders(data)
            resp = conn.getresponse()
            self.send_response(resp.status)
            length = None
            for k, v in resp.getheaders():
                if k.lower() in HOP:
                    continue
                if k.lower() == "content-length":
                    length = v
                self.send_header(k, v)
            if length is None and self.command != "HEAD":
                # Without a length we must close to delimit the body.
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command == "HEAD":
                return
            while True:
                chunk = resp.read(1 << 16)
                if not chunk:
                    break
                if corrupt and resp.status in (200, 206):
                    chunk = bytes([chunk[0] ^ 0xFF]) + chunk[1:]
                    corrupt = False
                self.wfile.write(chunk)
        finally:
            conn.close()


class MainHandler(Base):
    def handle_any(self):
        self.record()
        o = self.server.opts
        path = urllib.parse.urlsplit(self.path).path
        if o.mode == "liar":
            self.liar(path)
            return
        if TAGS_RE.match(path) and self.command == "GET":
            self.tags_page()
            return
        if (o.lie_304 and self.headers.get("If-None-Match")
                and "/manifests/" in path):
            self.send_body(304, b"", [("Docker-Content-Digest", o.lie_304)])
            return
        m = BLOB_RE.match(path)
        if o.mode == "redirect" and m and self.command in ("GET", "HEAD"):
            loc = "http://%s:%d/storage/%s/blobs/%s?sig=e2e" % (
                o.target_addr, o.target_port, m.group(1), m.group(2))
            self.send_body(307, b"", [("Location", loc),
                                      ("Docker-Distribution-API-Version", "registry/2.0")])
            return
        self.proxy(o.upstream + self.path)

    def tags_page(self):
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        rq = urllib.request.Request(self.server.opts.upstream + url.path)
        if self.headers.get("Authorization"):
            rq.add_header("Authorization", self.headers["Authorization"])
        try:
            with OPENER.open(rq, timeout=60) as resp:
                full = json.load(resp)
        except urllib.error.HTTPError as e:
            body = e.read()
            self.send_body(e.code, body, [("Content-Type", e.headers.get("Content-Type", "application/json"))])
            return
        tags = sorted(full.get("tags") or [])
        if "last" in q:
            tags = [t for t in tags if t > q["last"][0]]
        headers = [("Content-Type", "application/json"),
                   ("Docker-Distribution-API-Version", "registry/2.0")]
        if "n" in q:
            n = int(q["n"][0])
            if len(tags) > n:
                tags = tags[:n]
                if n > 0:
                    headers.append(("Link", '<%s?last=%s&n=%d>; rel="next"' %
                                    (url.path, tags[-1], n)))
            else:
                tags = tags[:n]
        body = json.dumps({"name": full.get("name"), "tags": tags}).encode()
        self.send_body(200, body, headers)

    def liar(self, path):
        if path in ("/v2/", "/v2"):
            self.send_body(200, b"{}", [("Content-Type", "application/json"),
                                         ("Docker-Distribution-API-Version", "registry/2.0")])
            return
        m = MANIFEST_RE.match(path)
        if m and self.command in ("GET", "HEAD"):
            ref = m.group(2)
            dcd = ref if ref.startswith("sha256:") else LIE_DIGEST
            self.send_body(200, LIE_MANIFEST, [("Content-Type", MT_MANIFEST),
                                               ("Docker-Content-Digest", dcd),
                                               ("Docker-Distribution-API-Version", "registry/2.0")])
            return
        if BLOB_RE.match(path):
            self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
            return
        self.error(404, "NAME_UNKNOWN", "repository name not known to registry")

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


class TargetHandler(Base):
    listener = "target"

    def handle_any(self):
        self.record()
        url = urllib.parse.urlsplit(self.path)
        if not url.path.startswith("/storage/") or self.command not in ("GET", "HEAD"):
            self.error(404, "NOT_FOUND", "no such object")
            return
        # Fetch from the real registry without whatever credentials came here.
        self.proxy_clean(self.server.opts.upstream + "/v2/" + url.path[len("/storage/"):])

    def proxy_clean(self, url):
        if "Authorization" in self.headers:
            del self.headers["Authorization"]
        self.proxy(url, corrupt=self.server.opts.corrupt)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


def serve(addr, port, handler, opts, lock):
    srv = ThreadingHTTPServer((addr, port), handler)
    srv.daemon_threads = True
    srv.opts = opts
    srv.log_lock = lock
    return srv


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=("liar", "redirect", "proxy"), required=True)
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--upstream", help="real registry URL (redirect mode)")
    ap.add_argument("--target-addr", default="127.0.0.2")
    ap.add_argument("--target-port", type=int)
    ap.add_argument("--corrupt", action="store_true",
                    help="redirect target flips a byte of each blob")
    ap.add_argument("--lie-304", metavar="DIGEST",
                    help="proxy mode: answer conditional manifest GETs 304 naming DIGEST")
    o = ap.parse_args()
    if o.mode == "redirect" and not (o.upstream and o.target_port):
        ap.error("redirect mode needs --upstream and --target-port")
    if o.mode == "proxy" and not o.upstream:
        ap.error("proxy mode needs --upstream")
    o.upstream = (o.upstream or "").rstrip("/")
    open(o.log, "a").close()
    lock = threading.Lock()
    servers = [serve(o.addr, o.port, MainHandler, o, lock)]
    if o.mode == "redirect":
        servers.append(serve(o.target_addr, o.target_port, TargetHandler, o, lock))
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print("listening", flush=True)
    servers[0].serve_forever()


if __name__ == "__main__":
    sys.exit(main())
