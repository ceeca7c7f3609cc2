#!/usr/bin/python3
# fake_scanner.py - the scanner command regwarden runs for held pulls
# ("scanner": {"command": [..., "{ref}", "{digest}"]}) in the e2e tests.
# SPDX-License-Identifier: Apache-2.0
#
#   fake_scanner.py --registry URL --runs FILE [--done FILE]
#                   [--sleep SUBSTR=SECONDS]... [--fail SUBSTR]...
#                   [--vuln ID SEV PKG INSTALLED FIXED]... [--vuln-for SUBSTR]...
#                   REF DIGEST
#
# Each run appends one line "REF DIGEST" to --runs (so a test counts runs),
# sleeps SECONDS when REF contains SUBSTR (to be slower than the hold time),
# fetches the manifest DIGEST straight from the registry (plain HTTP, the
# repository is REF without its host) to learn the config digest, and
# prints a Trivy report naming both digests: with the --vuln findings when
# REF contains a --vuln-for SUBSTR, else a clean one.  When done it appends
# the same line to --done.  With --fail SUBSTR matching REF it exits 1
# without a report.
import argparse
import hashlib
import json
import os
import sys
import time
import urllib.request

# mkreport.py sits beside this file; no __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mkreport  # noqa: E402

ACCEPT = ", ".join((
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json"))
INDEX_TYPES = ("application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json")


def append_line(path, line):
    # One write on an O_APPEND descriptor: lines of concurrent runs never
    # interleave.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def config_of(registry, repo, digest):
    """The config digest of manifest DIGEST, or None for an index."""
    url = "%s/v2/%s/manifests/%s" % (registry.rstrip("/"), repo, digest)
    rq = urllib.request.Request(url, headers={"Accept": ACCEPT})
    with urllib.request.urlopen(rq, timeout=10) as r:
        body = r.read()
    got = "sha256:" + hashlib.sha256(body).hexdigest()
    if got != digest:
        raise ValueError("%s: body digest is %s" % (url, got))
    man = json.loads(body)
    if man.get("mediaType") in INDEX_TYPES or "manifests" in man:
        return None
    return man["config"]["digest"]


def main():
    ap = argparse.ArgumentParser(description="scanner stand-in for e2e tests")
    ap.add_argument("--registry", required=True)
    ap.add_argument("--runs", required=True)
    ap.add_argument("--done")
    ap.add_argument("--sleep", action="append", default=[])
    ap.add_argument("--fail", action="append", default=[])
    ap.add_argument("--vuln", nargs=5, action="append", default=[])
    ap.add_argument("--vuln-for", action="append", default=[])
    ap.add_argument("ref")
    ap.add_argument("digest")
    a = ap.parse_args()

    line = "%s %s" % (a.ref, a.digest)
    append_line(a.runs, line)
    for rule in a.sleep:
        sub, secs = rule.rsplit("=", 1)
        if sub in a.ref:
            time.sleep(float(secs))
    if any(sub in a.ref for sub in a.fail):
        sys.stderr.write("fake_scanner: failing on purpose for %s\n" % a.ref)
        return 1
    name = a.ref.split("@", 1)[0]
    repo = name.partition("/")[2]  # the registry has no host part
    cfg = config_of(a.registry, repo, a.digest)
    vulns = [tuple(v) for v in a.vuln
             if any(sub in a.ref for sub in a.vuln_for)]
    rep = mkreport.trivy(repo=name, manifest=a.digest, config=cfg,
                         vulns=vulns)
    sys.stdout.write(json.dumps(rep) + "\n")
    sys.stdout.flush()
    if a.done:
        append_line(a.done, line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
