#!/usr/bin/python3
# dsse_attest.py - an independent cosign-style attester for the e2e tests:
# wraps an in-toto statement in a DSSE envelope signed with an EC P-256 key
# (Python `cryptography`, ECDSA with SHA-256 over the DSSE PAE, as cosign
# signs), and appends it as a layer of the image's `sha256-<hex>.att`
# manifest in a plain-HTTP registry (cosign's layout: layer media type
# application/vnd.dsse.envelope.v1+json, "predicateType" annotation).
# Shares no code with regwarden.
# SPDX-License-Identifier: Apache-2.0
import argparse
import base64
import hashlib
import json
import sys
import urllib.error
import urllib.request

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DSSE = "application/vnd.dsse.envelope.v1+json"
INTOTO = "application/vnd.in-toto+json"


def http(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def put_blob(reg, repo, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    st, h, _ = http("POST", f"{reg}/v2/{repo}/blobs/uploads/")
    if st != 202:
        sys.exit(f"blob upload start: {st}")
    loc = h["Location"]
    if loc.startswith("/"):
        loc = reg + loc
    sep = "&" if "?" in loc else "?"
    st, _, body = http("PUT", f"{loc}{sep}digest={digest}", data,
                       {"Content-Type": "application/octet-stream"})
    if st != 201:
        sys.exit(f"blob upload: {st} {body[:200]!r}")
    return digest, len(data)


def pae(ptype, payload):
    t = ptype.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--registry", required=True)  # http://127.0.0.1:port
    ap.add_argument("--repo", required=True)
    ap.add_argument("--digest", required=True)    # the image's
    ap.add_argument("--subject", help="digest the statement names "
                    "(default: --digest)")
    ap.add_argument("--key", required=True)       # PEM private key
    ap.add_argument("--type", required=True)      # predicate type URI
    ap.add_argument("--predicate", required=True)  # JSON file
    a = ap.parse_args()

    subject = a.subject or a.digest
    stmt = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": a.repo,
                     "digest": {"sha256": subject.split(":", 1)[1]}}],
        "predicateType": a.type,
        "predicate": json.load(open(a.predicate)),
    }
    payload = json.dumps(stmt, separators=(",", ":")).encode()
    key = serialization.load_pem_private_key(open(a.key, "rb").read(), None)
    sig = key.sign(pae(INTOTO, payload), ec.ECDSA(hashes.SHA256()))
    env = json.dumps({
        "payloadType": INTOTO,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [{"keyid": "", "sig": base64.b64encode(sig).decode()}],
    }).encode()

    reg, repo = a.registry, a.repo
    tag = "sha256-" + a.digest.split(":", 1)[1] + ".att"
    st, _, body = http("GET", f"{reg}/v2/{repo}/manifests/{tag}", None,
                       {"Accept": OCI_MANIFEST})
    if st == 200:
        man = json.loads(body)
    elif st == 404:
        man = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "layers": []}
    else:
        sys.exit(f"reading {tag}: {st}")
    d, n = put_blob(reg, repo, env)
    man["layers"].append({"mediaType": DSSE, "size": n, "digest": d,
                          "annotations": {"predicateType": a.type}})
    cfg = json.dumps({"architecture": "", "os": "", "config": {},
                      "rootfs": {"type": "layers", "diff_ids": [
                          l["digest"] for l in man["layers"]]}}).encode()
    cd, cn = put_blob(reg, repo, cfg)
    man["config"] = {"mediaType": "application/vnd.oci.image.config.v1+json",
                     "size": cn, "digest": cd}
    st, _, body = http("PUT", f"{reg}/v2/{repo}/manifests/{tag}",
                       json.dumps(man).encode(),
                       {"Content-Type": OCI_MANIFEST})
    if st != 201:
        sys.exit(f"manifest put: {st} {body[:200]!r}")
    print(f"attested {repo}@{a.digest} ({a.type}) as layer "
          f"{len(man['layers'])} of {tag}")


if __name__ == "__main__":
    main()
