#!/usr/bin/python3
# notation_push.py - push an OCI layout's image and a Notation signature
# artifact for it into a plain-HTTP registry, using the referrers tag-schema
# fallback (for registries without the OCI 1.1 referrers API, such as
# Debian's distribution 2.8).
# SPDX-License-Identifier: Apache-2.0
#
#   notation_push.py REGISTRY REPO LAYOUT_DIR ENVELOPE MEDIA_TYPE
#
# REGISTRY is host:port (http:// assumed) or a URL; MEDIA_TYPE is the
# envelope's: application/jose+json (JWS) or application/cose (COSE).
#
# What it pushes, in the order the registry needs (distribution 2.8 refuses
# a manifest whose blobs, or an index whose manifests, are missing):
#  1. the image's config and layer blobs, then its manifest's exact bytes by
#     digest and under the tag "v2";
#  2. the envelope blob, the empty config blob `{}`, and the signature
#     manifest (artifactType application/vnd.cncf.notary.signature,
#     subject = the image manifest) by digest;
#  3. the fallback index at tag sha256-<hex of the image digest>, listing the
#     signature manifest (an index already there is extended, not replaced).
# Prints one JSON object: image, signature, index digests and the tag.
#
# The layout is checked before anything is pushed: when the manifest names
# blobs that blobs/ lacks (or holds with other bytes), it prints
# {"missing": [...]} and exits 3 having pushed nothing.  Other errors exit 1.
import hashlib
import json
import os
import sys
import urllib.error
import urllib.request

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
NOTARY_SIG = "application/vnd.cncf.notary.signature"
EMPTY = {"mediaType": "application/vnd.oci.empty.v1+json",
         "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
         "size": 2}
ENVELOPE_TYPES = ("application/jose+json", "application/cose")
IMAGE_TAG = "v2"


class PushError(Exception):
    pass


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def request(method, url, data=None, headers=None):
    """(status, headers, body); HTTP errors are answers, not exceptions."""
    req = urllib.request.Request(url, data=data, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


class Registry:
    def __init__(self, base, repo):
        self.base = base.rstrip("/")
        self.repo = repo

    def url(self, path):
        return "%s/v2/%s/%s" % (self.base, self.repo, path)

    def put_blob(self, data):
        """Monolithic upload (POST, then PUT ?digest=); skipped when present."""
        d = digest_of(data)
        st, _, _ = request("HEAD", self.url("blobs/" + d))
        if st == 200:
            return d
        st, hdrs, body = request("POST", self.url("blobs/uploads/"), b"")
        loc = hdrs.get("Location") if st == 202 else None
        if not loc:
            raise PushError("upload start for %s: HTTP %d %s" % (d, st, body[:200]))
        if loc.startswith("/"):
            loc = self.base + loc
        loc += ("&" if "?" in loc else "?") + "digest=" + d
        st, _, body = request("PUT", loc, data,
                              {"Content-Type": "application/octet-stream"})
        if st != 201:
            raise PushError("blob %s: HTTP %d %s" % (d, st, body[:200]))
        return d

    def put_manifest(self, ref, data, media_type):
        st, _, body = request("PUT", self.url("manifests/" + ref), data,
                              {"Content-Type": media_type})
        if st != 201:
            raise PushError("manifest %s (%s): HTTP %d %s"
                            % (ref, media_type, st, body[:300]))

    def get_index(self, tag):
        """The index at TAG, or None when the tag does not exist."""
        st, _, body = request("GET", self.url("manifests/" + tag), None,
                              {"Accept": OCI_INDEX})
        if st == 404:
            return None
        if st != 200:
            raise PushError("GET %s: HTTP %d %s" % (tag, st, body[:200]))
        j = json.loads(body)
        if not isinstance(j.get("manifests"), list):
            raise PushError("tag %s holds something other than an index" % tag)
        return j


def canonical(obj):
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def read_blob(layout, digest):
    """The blob's bytes, or None when absent or not matching its digest."""
    algo, _, hexpart = digest.partition(":")
    path = os.path.join(layout, "blobs", algo, hexpart)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    return data if digest_of(data) == digest else None


def image_descriptor(layout):
    """The index.json entry of the image: an image manifest that is not
    itself a referrer (no subject)."""
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    for desc in index.get("manifests", []):
        if desc.get("mediaType") != OCI_MANIFEST:
            continue
        data = read_blob(layout, desc["digest"])
        if data is None:
            raise PushError("manifest %s is missing from %s/blobs"
                            % (desc["digest"], layout))
        if "subject" not in json.loads(data):
            return desc, data
    raise PushError("no image manifest in %s/index.json" % layout)


def push_image(reg, layout):
    """Blobs, then the manifest by digest and as IMAGE_TAG; its descriptor."""
    desc, data = image_descriptor(layout)
    man = json.loads(data)
    needed = [man["config"]] + man.get("layers", [])
    blobs, missing = [], []
    for b in needed:
        content = read_blob(layout, b["digest"])
        if content is None or len(content) != b["size"]:
            missing.append({"digest": b["digest"], "mediaType": b["mediaType"],
                            "size": b["size"]})
        else:
            blobs.append(content)
    if missing:
        print(json.dumps({"image": desc["digest"], "missing": missing}))
        print("notation_push: the layout lacks %d blob(s) the manifest names; "
              "pushed nothing" % len(missing), file=sys.stderr)
        sys.exit(3)
    for content in blobs:
        reg.put_blob(content)
    reg.put_manifest(desc["digest"], data, OCI_MANIFEST)
    reg.put_manifest(IMAGE_TAG, data, OCI_MANIFEST)
    return {"mediaType": OCI_MANIFEST, "digest": desc["digest"],
            "size": len(data)}


def push_signature(reg, subject, envelope, media_type):
    """Envelope and empty config blobs, then the signature manifest; its
    descriptor as the fallback index lists it."""
    env_digest = reg.put_blob(envelope)
    if reg.put_blob(b"{}") != EMPTY["digest"]:
        raise PushError("the empty config blob has an unexpected digest")
    sig = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": NOTARY_SIG,
        "config": EMPTY,
        "layers": [{"mediaType": media_type, "digest": env_digest,
                    "size": len(envelope)}],
        "subject": subject,
    }
    data = canonical(sig)
    d = digest_of(data)
    reg.put_manifest(d, data, OCI_MANIFEST)
    return {"mediaType": OCI_MANIFEST, "digest": d, "size": len(data),
            "artifactType": NOTARY_SIG}


def push_fallback(reg, subject, sig_desc):
    """The referrers tag schema: sha256-<hex> holds an index of referrers."""
    tag = subject["digest"].replace(":", "-", 1)
    index = reg.get_index(tag) or {"schemaVersion": 2, "mediaType": OCI_INDEX,
                                   "manifests": []}
    if not any(m.get("digest") == sig_desc["digest"] for m in index["manifests"]):
        index["manifests"].append(sig_desc)
    data = canonical(index)
    reg.put_manifest(tag, data, OCI_INDEX)
    return tag, digest_of(data), len(index["manifests"])


def main(argv):
    if len(argv) != 6:
        print("usage: notation_push.py REGISTRY REPO LAYOUT_DIR ENVELOPE "
              "MEDIA_TYPE", file=sys.stderr)
        return 2
    base, repo, layout, env_path, media_type = argv[1:]
    if media_type not in ENVELOPE_TYPES:
        print("notation_push: MEDIA_TYPE must be one of %s"
              % ", ".join(ENVELOPE_TYPES), file=sys.stderr)
        return 2
    if "://" not in base:
        base = "http://" + base
    with open(env_path, "rb") as f:
        envelope = f.read()
    reg = Registry(base, repo)
    try:
        subject = push_image(reg, layout)
        sig_desc = push_signature(reg, subject, envelope, media_type)
        tag, index_digest, n = push_fallback(reg, subject, sig_desc)
    except (PushError, OSError, ValueError, KeyError) as e:
        print("notation_push: %s" % e, file=sys.stderr)
        return 1
    print(json.dumps({"image": subject["digest"], "tag": IMAGE_TAG,
                      "signature": sig_desc["digest"],
                      "envelope": digest_of(envelope),
                      "fallback_tag": tag, "index": index_digest,
                      "referrers": n}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
