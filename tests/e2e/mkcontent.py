#!/usr/bin/python3
# mkcontent.py - write an OCI image layout whose layers hold chosen files,
# for the content tests: a distroless-style base layer, then what KIND
# adds (a private key, an AWS credentials file deleted by the top layer,
# a shell, a setuid binary, openssh-server in dpkg's status, rpm's sqlite
# database given with --rpmdb (made by tests/content/mkrpmdb.sh), nothing,
# or a clean layer of its own: "crowd", "slow", "private").
# With --index ARM64KIND, the top is a two-platform OCI index: KIND for
# linux/amd64, ARM64KIND for linux/arm64, and a buildkit-style attestation
# entry (unknown/unknown, an in-toto layer that is not a tar stream).
# Deterministic (mtime 0, fixed gzip header).  Prints a JSON summary:
# {"top": manifest (or index) digest, "layers": [digests, bottom first],
# with --index also "platforms": {"amd64": {"digest", "layers"}, ...}}.
# SPDX-License-Identifier: Apache-2.0
import argparse
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_INTOTO = "application/vnd.in-toto+json"

# Spelled in pieces so that this file holds no key itself.
PEM = ("-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAtest\n"
       "-----END RSA PRIVATE KEY-----\n")
AWS = ("[default]\naws_access_key_id = AKIA" + "IOSFODNN7EXAMPLE\n"
       "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
DPKG = ("Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\n\n"
        "Package: openssh-server\nStatus: install ok installed\n"
        "Version: 1:9.2p1-2+deb12u3\n")


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def entry(tar, path, data=b"", mode=0o644, kind=tarfile.REGTYPE, link=""):
    ti = tarfile.TarInfo(path)
    ti.type, ti.mode, ti.mtime, ti.linkname = kind, mode, 0, link
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    tar.addfile(ti, io.BytesIO(data) if ti.size else None)


def layer(files):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for f in files:
            entry(t, *f)
    tar = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as z:
        z.write(tar)
    return gz.getvalue(), "sha256:" + hashlib.sha256(tar).hexdigest()


BASE = [("etc/", b"", 0o755, tarfile.DIRTYPE),
        ("etc/passwd", b"root:x:0:0:root:/root:/sbin/nologin\n"
         b"nonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n"),
        ("app/", b"", 0o755, tarfile.DIRTYPE),
        ("app/server", b"\x7fELF not really a program\n", 0o755)]

KINDS = {
    "clean": [],
    # The key in the middle of three layers (the index tests).
    "sshkey3": [[("root/", b"", 0o700, tarfile.DIRTYPE),
                 ("root/.ssh/", b"", 0o700, tarfile.DIRTYPE),
                 ("root/.ssh/id_ed25519", PEM.encode(), 0o600)],
                [("app/VERSION", b"3\n")]],
    "sshkey": [[("root/", b"", 0o700, tarfile.DIRTYPE),
                ("root/.ssh/", b"", 0o700, tarfile.DIRTYPE),
                ("root/.ssh/id_rsa", PEM.encode(), 0o600)]],
    "awsdeleted": [[("root/.aws/", b"", 0o700, tarfile.DIRTYPE),
                    ("root/.aws/credentials", AWS.encode(), 0o600)],
                   [("root/.aws/.wh.credentials", b"")]],
    "shell": [[("bin/", b"", 0o755, tarfile.DIRTYPE),
               ("bin/dash", b"\x7fELF dash\n", 0o755),
               ("bin/sh", b"", 0o777, tarfile.SYMTYPE, "dash")]],
    "setuid": [[("usr/bin/", b"", 0o755, tarfile.DIRTYPE),
                ("usr/bin/su", b"\x7fELF su\n", 0o4755)]],
    "openssh": [[("var/lib/dpkg/", b"", 0o755, tarfile.DIRTYPE),
                 ("var/lib/dpkg/status", DPKG.encode())]],
    # Clean, with a layer no other image has: read fresh by regwarden.
    "crowd": [[("app/crowd.txt", b"crowd\n")]],
    "slow": [[("app/slow.txt", b"slow\n")]],
    "private": [[("app/private.txt", b"private\n")]],
    "rpm": None,    # var/lib/rpm/rpmdb.sqlite from --rpmdb
}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--kind", required=True, choices=sorted(KINDS))
    ap.add_argument("--tag", default="1.0")
    ap.add_argument("--rpmdb", help="the rpm database of --kind rpm")
    ap.add_argument("--index", metavar="ARM64KIND", choices=sorted(KINDS),
                    help="write an index: KIND for amd64, this for arm64")
    args = ap.parse_args()
    kinds = dict(KINDS)
    if args.kind == "rpm":
        if not args.rpmdb:
            ap.error("--kind rpm needs --rpmdb FILE")
        with open(args.rpmdb, "rb") as f:
            kinds["rpm"] = [[("var/", b"", 0o755, tarfile.DIRTYPE),
                             ("var/lib/", b"", 0o755, tarfile.DIRTYPE),
                             ("var/lib/rpm/", b"", 0o755, tarfile.DIRTYPE),
                             ("var/lib/rpm/rpmdb.sqlite", f.read())]]
    blobs = os.path.join(args.out, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)

    def put(data):
        d = hashlib.sha256(data).hexdigest()
        with open(os.path.join(blobs, d), "wb") as f:
            f.write(data)
        return "sha256:" + d, len(data)

    def image(kind, arch):
        layers, diff_ids = [], []
        for files in [BASE] + kinds[kind]:
            gz, diff = layer(files)
            d, n = put(gz)
            layers.append({"mediaType": MT_LAYER, "digest": d, "size": n})
            diff_ids.append(diff)
        cfg = {"architecture": arch, "os": "linux",
               "config": {"User": "65532"},
               "created": "1970-01-01T00:00:00Z",
               "rootfs": {"type": "layers", "diff_ids": diff_ids}}
        cd, cn = put(canonical(cfg))
        man = {"schemaVersion": 2, "mediaType": MT_MANIFEST,
               "config": {"mediaType": MT_CONFIG, "digest": cd, "size": cn},
               "layers": layers}
        md, mn = put(canonical(man))
        return {"mediaType": MT_MANIFEST, "digest": md, "size": mn}, \
            [x["digest"] for x in layers]

    def attestation(subject):
        stmt = canonical({"_type": "https://in-toto.io/Statement/v0.1",
                          "predicateType": "https://spdx.dev/Document",
                          "subject": [{"name": "img", "digest": {
                              "sha256": subject[7:]}}],
                          "predicate": {}})
        sd, sn = put(stmt)
        cd, cn = put(b"{}")
        man = {"schemaVersion": 2, "mediaType": MT_MANIFEST,
               "config": {"mediaType": MT_CONFIG, "digest": cd, "size": cn},
               "layers": [{"mediaType": MT_INTOTO, "digest": sd,
                           "size": sn}]}
        md, mn = put(canonical(man))
        return {"mediaType": MT_MANIFEST, "digest": md, "size": mn,
                "platform": {"os": "unknown", "architecture": "unknown"},
                "annotations": {
                    "vnd.docker.reference.type": "attestation-manifest",
                    "vnd.docker.reference.digest": subject}}

    top, layers = image(args.kind, "amd64")
    summary = {"top": top["digest"], "layers": layers}
    if args.index:
        arm, arm_layers = image(args.index, "arm64")
        top["platform"] = {"os": "linux", "architecture": "amd64"}
        arm["platform"] = {"os": "linux", "architecture": "arm64"}
        summary["platforms"] = {
            "amd64": {"digest": top["digest"], "layers": layers},
            "arm64": {"digest": arm["digest"], "layers": arm_layers}}
        idx = {"schemaVersion": 2, "mediaType": MT_INDEX,
               "manifests": [top, arm, attestation(top["digest"])]}
        d, n = put(canonical(idx))
        top = {"mediaType": MT_INDEX, "digest": d, "size": n}
        summary["top"] = d
    with open(os.path.join(args.out, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    top["annotations"] = {"org.opencontainers.image.ref.name": args.tag}
    with open(os.path.join(args.out, "index.json"), "wb") as f:
        f.write(canonical({"schemaVersion": 2, "manifests": [top]}))
    json.dump(summary, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
