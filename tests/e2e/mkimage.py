#!/usr/bin/python3
# mkimage.py - write a deterministic OCI image layout for the e2e tests.
# SPDX-License-Identifier: Apache-2.0
#
# The same options always give the same bytes (hence the same digests).
# Layer contents are incompressible bytes from a seeded PRNG, generated and
# gzip'd in 1 MiB steps so a 200 MiB layer never sits in memory.  Each layer
# is a gzip'd tar holding one regular file; its diff_id is the sha256 of the
# uncompressed tar.  Prints a JSON summary of every digest on stdout.
import argparse
import hashlib
import json
import os
import random
import sys
import tarfile
import zlib

CHUNK = 1 << 20
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def size_arg(s):
    mult = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    s = s.strip().lower().rstrip("ib")
    if s and s[-1] in mult:
        return int(float(s[:-1]) * mult[s[-1]])
    return int(s)


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


class Layout:
    def __init__(self, root):
        self.root = root
        self.blobdir = os.path.join(root, "blobs", "sha256")
        os.makedirs(self.blobdir, exist_ok=True)

    def put(self, data):
        d = hashlib.sha256(data).hexdigest()
        with open(os.path.join(self.blobdir, d), "wb") as f:
            f.write(data)
        return "sha256:" + d, len(data)

    def layer(self, name, size, seed, level):
        """Stream a one-file tar through gzip into a blob; returns
        (digest, compressed size, diff_id)."""
        rng = random.Random(seed)
        tmp = os.path.join(self.blobdir, ".tmp-layer")
        comp = zlib.compressobj(level, zlib.DEFLATED, 31)  # gzip, mtime 0
        h_gz, h_tar = hashlib.sha256(), hashlib.sha256()
        total = 0

        with open(tmp, "wb") as out:
            def emit(raw):
                nonlocal total
                h_tar.update(raw)
                z = comp.compress(raw)
                if z:
                    h_gz.update(z)
                    out.write(z)
                    total += len(z)

            ti = tarfile.TarInfo(name)
            ti.size, ti.mode, ti.mtime = size, 0o644, 0
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = "root"
            emit(ti.tobuf(format=tarfile.USTAR_FORMAT))
            left = size
            while left > 0:
                n = min(CHUNK, left)
                emit(rng.randbytes(n))
                left -= n
            pad = (-size) % 512
            # Pad the file, then the two zero blocks ending the archive.
            emit(b"\0" * (pad + 1024))
            z = comp.flush()
            h_gz.update(z)
            out.write(z)
            total += len(z)
        digest = "sha256:" + h_gz.hexdigest()
        os.replace(tmp, os.path.join(self.blobdir, h_gz.hexdigest()))
        return digest, total, "sha256:" + h_tar.hexdigest()


def build_image(lay, args, arch, seed_base):
    layers, diff_ids, history = [], [], []
    for i in range(args.layers):
        d, n, diff = lay.layer("layer-%d-%s.bin" % (i, arch),
                               args.layer_size, seed_base + i, args.gzip_level)
        layers.append({"mediaType": MT_LAYER, "digest": d, "size": n})
        diff_ids.append(diff)
        history.append({"created": "1970-01-01T00:00:00Z",
                        "created_by": "mkimage.py layer %d" % i})
    cfg = {"config": {}}
    if args.user is not None:
        cfg["config"]["User"] = args.user
    if args.env:
        cfg["config"]["Env"] = args.env
    if args.label:
        cfg["config"]["Labels"] = dict(kv.split("=", 1) for kv in args.label)
    cfg.update({"architecture": arch, "os": args.os,
                "created": "1970-01-01T00:00:00Z",
                "rootfs": {"type": "layers", "diff_ids": diff_ids},
                "history": history})
    cdig, csize = lay.put(canonical(cfg))
    man = {"schemaVersion": 2, "mediaType": MT_MANIFEST,
           "config": {"mediaType": MT_CONFIG, "digest": cdig, "size": csize},
           "layers": layers}
    mdig, msize = lay.put(canonical(man))
    summary = {"digest": mdig, "size": msize, "arch": arch, "os": args.os,
               "config": cdig, "layers": [x["digest"] for x in layers],
               "diff_ids": diff_ids}
    return summary


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True, help="layout directory")
    ap.add_argument("--tag", default="1.0", help="org.opencontainers.image.ref.name")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--layer-size", type=size_arg, default=size_arg("64k"),
                    help="uncompressed bytes per layer file (k/m/g suffixes)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--user", default=None)
    ap.add_argument("--env", action="append", default=[], help="K=V, repeatable")
    ap.add_argument("--label", action="append", default=[], help="K=V, repeatable")
    ap.add_argument("--arch", default="amd64")
    ap.add_argument("--os", default="linux")
    ap.add_argument("--index", action="store_true",
                    help="multi-arch index with amd64 and arm64 images")
    ap.add_argument("--gzip-level", type=int, default=1)
    args = ap.parse_args()

    lay = Layout(args.out)
    with open(os.path.join(args.out, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    annot = {"org.opencontainers.image.ref.name": args.tag}
    out = {"tag": args.tag}
    if args.index:
        images = [build_image(lay, args, arch, args.seed * 1000 + k * 100)
                  for k, arch in enumerate(("amd64", "arm64"))]
        idx = {"schemaVersion": 2, "mediaType": MT_INDEX,
               "manifests": [{"mediaType": MT_MANIFEST, "digest": im["digest"],
                              "size": im["size"],
                              "platform": {"architecture": im["arch"],
                                           "os": im["os"]}}
                             for im in images]}
        idig, isize = lay.put(canonical(idx))
        top = {"mediaType": MT_INDEX, "digest": idig, "size": isize,
               "annotations": annot}
        out.update(top=idig, top_media_type=MT_INDEX, manifests=images)
    else:
        im = build_image(lay, args, args.arch, args.seed * 1000)
        top = {"mediaType": MT_MANIFEST, "digest": im["digest"],
               "size": im["size"], "annotations": annot}
        out.update(top=im["digest"], top_media_type=MT_MANIFEST, manifests=[im])
    with open(os.path.join(args.out, "index.json"), "wb") as f:
        f.write(canonical({"schemaVersion": 2, "manifests": [top]}))
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
