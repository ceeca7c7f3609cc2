#!/usr/bin/python3
# token_issuer.py - a tiny token server for distribution's `auth: token`.
# SPDX-License-Identifier: Apache-2.0
#
# At start it makes a fresh signing key and a self-signed certificate, writes
# the certificate to --cert-out (the registry's rootcertbundle), then serves
#   GET  /token?service=S&scope=repository:NAME:ACTIONS[&scope=...]
#   POST /token  (OAuth2 form: grant_type=password, username, password, scope)
# It grants `pull` to anyone when --anonymous-pull is given, and every
# requested action (push, delete, *) only to --user/--password.  Wrong
# credentials get 401.  Each request is logged to --log as one JSON line:
# {"method","path","query","authorization": "none"|"basic"|"bearer"|...,
#  "user", "status", "granted"}.
# The JWT header names the key with `x5c` (the certificate chain; what
# distribution 2.8 verifies against rootcertbundle) or, with --kid, with a
# libtrust key id.
import argparse
import base64
import datetime
import hashlib
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def libtrust_kid(pub):
    """Key id as libtrust computes it: base32 of the first 240 bits of the
    SHA-256 of the DER SubjectPublicKeyInfo, in groups of four."""
    der = pub.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    s = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(s[i:i + 4] for i in range(0, len(s), 4))


class Signer:
    def __init__(self, alg, use_kid):
        self.alg = alg
        if alg == "ES256":
            self.key = ec.generate_private_key(ec.SECP256R1())
        else:
            self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "e2e token issuer")])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (x509.CertificateBuilder()
                     .subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key())
                     .serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(hours=1))
                     .not_valid_after(now + datetime.timedelta(days=1))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                     .sign(self.key, hashes.SHA256()))
        self.header = {"typ": "JWT", "alg": alg}
        if use_kid:
            self.header["kid"] = libtrust_kid(self.key.public_key())
        else:
            der = self.cert.public_bytes(serialization.Encoding.DER)
            self.header["x5c"] = [base64.b64encode(der).decode()]

    def cert_pem(self):
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def sign(self, claims):
        signing_input = (b64url(json.dumps(self.header).encode()) + "." +
                         b64url(json.dumps(claims).encode())).encode()
        if self.alg == "ES256":
            der = self.key.sign(signing_input, ec.ECDSA(hashes.SHA256()))
            r, s = decode_dss_signature(der)
            sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")  # JWS form
        else:
            sig = self.key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return signing_input.decode() + "." + b64url(sig)


def parse_scope(s):
    # type:name:actions where name may contain ':' (host:port/...)
    typ, rest = s.split(":", 1)
    name, actions = rest.rsplit(":", 1)
    return typ, name, [a for a in actions.split(",") if a]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "e2e-token-issuer"

    def log_message(self, fmt, *args):  # quiet stderr; we log JSON lines
        pass

    def record(self, query, auth_kind, user, status, granted):
        line = json.dumps({"method": self.command, "path": self.path.split("?")[0],
                           "query": query, "authorization": auth_kind,
                           "user": user, "status": status, "granted": granted})
        with self.server.log_lock, open(self.server.opts.log, "a") as f:
            f.write(line + "\n")

    def reply(self, status, obj, extra=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        auth = self.headers.get("Authorization")
        kind, user, password = "none", None, None
        if auth:
            scheme, _, cred = auth.partition(" ")
            kind = scheme.lower()
            if kind == "basic":
                try:
                    user, _, password = base64.b64decode(cred).decode().partition(":")
                except Exception:
                    user = password = None
        self.issue(url.path, url.query, q, kind, user, password)

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(n).decode(), keep_blank_values=True)
        user = form.get("username", [None])[0]
        password = form.get("password", [None])[0]
        kind = "form" if user is not None else "none"
        self.issue(url.path, url.query, form, kind, user, password, oauth=True)

    def issue(self, path, rawq, q, kind, user, password, oauth=False):
        o = self.server.opts
        if path != "/token":
            self.record(rawq, kind, user, 404, [])
            self.reply(404, {"error": "not found"})
            return
        authed = False
        if user is not None:
            if user != o.user or password != o.password:
                self.record(rawq, kind, user, 401, [])
                self.reply(401, {"errors": [{"code": "UNAUTHORIZED",
                                             "message": "bad credentials"}]},
                           {"WWW-Authenticate": 'Basic realm="e2e-token"'})
                return
            authed = True
        access = []
        for s in q.get("scope", []):
            for one in s.split(" "):
                try:
                    typ, name, actions = parse_scope(one)
                except ValueError:
                    continue
                ok = [a for a in actions
                      if authed or (a == "pull" and o.anonymous_pull)]
                if ok:
                    access.append({"type": typ, "name": name, "actions": ok})
        now = int(time.time())
        claims = {"iss": o.issuer, "sub": user or "", "aud": q.get("service", [o.service])[0],
                  "exp": now + 300, "nbf": now - 10, "iat": now,
                  "jti": b64url(hashlib.sha256(("%s%f" % (rawq, time.time())).encode()).digest()[:12]),
                  "access": access}
        token = self.server.signer.sign(claims)
        self.record(rawq, kind, user, 200, access)
        resp = {"access_token": token, "expires_in": 300,
                "issued_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        if not oauth:
            resp["token"] = token
        self.reply(200, resp)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert-out", required=True, help="PEM certificate for rootcertbundle")
    ap.add_argument("--log", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--issuer", default="e2e-issuer")
    ap.add_argument("--service", default="e2e-registry")
    ap.add_argument("--anonymous-pull", action="store_true")
    ap.add_argument("--alg", choices=("ES256", "RS256"), default="ES256")
    ap.add_argument("--kid", action="store_true", help="libtrust kid instead of x5c")
    o = ap.parse_args()

    srv = ThreadingHTTPServer((o.addr, o.port), Handler)
    srv.daemon_threads = True
    srv.opts = o
    srv.log_lock = threading.Lock()
    srv.signer = Signer(o.alg, o.kid)
    open(o.log, "a").close()
    tmp = o.cert_out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(srv.signer.cert_pem())
    os.replace(tmp, o.cert_out)  # the test waits for this file
    print("listening on %s:%d" % (o.addr, o.port), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
