#!/usr/bin/python3
# slow_proxy.py - a plain HTTP proxy in front of the test registry that
# answers GETs of the blobs named with --slow only after --sleep seconds:
# an upstream slower than regwarden's content.hold_seconds.
# Usage: slow_proxy.py --listen PORT --registry URL --slow DIGEST --sleep S
# SPDX-License-Identifier: Apache-2.0
import argparse
import http.server
import time
import urllib.error
import urllib.request

HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer",
       "upgrade", "proxy-authorization", "proxy-authenticate"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--registry", required=True)
    ap.add_argument("--slow", action="append", default=[])
    ap.add_argument("--sleep", type=float, default=5)
    args = ap.parse_args()

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            print("slow_proxy: " + fmt % a, flush=True)

        def forward(self):
            if any(self.path.endswith("/blobs/" + d) for d in args.slow):
                time.sleep(args.sleep)
            hdrs = {k: v for k, v in self.headers.items()
                    if k.lower() not in HOP and k.lower() != "host"}
            req = urllib.request.Request(args.registry + self.path,
                                         method=self.command, headers=hdrs)
            try:
                r = urllib.request.urlopen(req, timeout=30)
                status, body, rh = r.status, r.read(), r.headers
            except urllib.error.HTTPError as e:
                status, body, rh = e.code, e.read(), e.headers
            self.send_response(status)
            for k, v in rh.items():
                if k.lower() not in HOP and k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_HEAD = forward

    http.server.ThreadingHTTPServer(("127.0.0.1", args.listen),
                                    H).serve_forever()


if __name__ == "__main__":
    main()
