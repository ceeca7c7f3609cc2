#!/usr/bin/python3
# mkreport.py - write a vulnerability scanner report (Trivy SchemaVersion 2
# or Grype JSON) naming the digests of an image the e2e tests pushed.
# SPDX-License-Identifier: Apache-2.0
#
# Two ways to get the findings:
#   --from FIXTURE   a real Trivy report (e.g. tests/fixtures/scan-reports/
#                    trivy-alpine-39-high-critical.json): its findings are kept,
#                    its digests replaced by ours;
#   --vuln ID SEV PKG INSTALLED FIXED   (repeatable; FIXED may be "") for a
#                    minimal report built from scratch; none gives a clean one.
# The digests: --manifest (platform manifest), --config (image ID), --index
# (what a multi-arch tag resolved to).  Trivy writes the manifest (or index)
# digest into Metadata.RepoDigests as "REPO@digest" and the config into
# Metadata.ImageID; Grype into source.target.manifestDigest, imageID and
# repoDigests.  The report goes to stdout (or --out).  fake_scanner.py
# imports build() from here.
import argparse
import copy
import datetime
import json
import sys


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def _repo_digests(repo, manifest, index):
    top = index or manifest
    return ["%s@%s" % (repo, top)] if top else []


def trivy(repo, manifest=None, config=None, index=None, vulns=(),
          created=None, version="0.50.1", fixture=None):
    """A Trivy SchemaVersion 2 report as a dict."""
    if fixture is not None:
        rep = copy.deepcopy(fixture)
    else:
        rep = {"SchemaVersion": 2, "Trivy": {"Version": version},
               "ArtifactType": "container_image",
               "Metadata": {"OS": {"Family": "alpine", "Name": "3.9.4"}},
               "Results": []}
        rows = [{"VulnerabilityID": vid, "PkgName": pkg,
                 "InstalledVersion": inst, "FixedVersion": fixed,
                 "Status": "fixed" if fixed else "affected",
                 "Severity": sev.upper()}
                for vid, sev, pkg, inst, fixed in vulns]
        for r in rows:
            if not r["FixedVersion"]:
                del r["FixedVersion"]
        res = {"Target": "%s (alpine 3.9.4)" % repo, "Class": "os-pkgs",
               "Type": "alpine"}
        if rows:
            res["Vulnerabilities"] = rows
        rep["Results"].append(res)
    if created is not None or fixture is None:
        rep["CreatedAt"] = created or now_rfc3339()
    rep["ArtifactName"] = repo
    md = rep.setdefault("Metadata", {})
    md.pop("ImageID", None)
    md["RepoDigests"] = _repo_digests(repo, manifest, index)
    md["RepoTags"] = []
    if config:
        md["ImageID"] = config
    return rep


def grype(repo, manifest=None, config=None, index=None, vulns=(),
          created=None, version="0.87.0"):
    """A Grype JSON report as a dict."""
    matches = []
    for vid, sev, pkg, inst, fixed in vulns:
        fix = {"versions": [fixed] if fixed else [],
               "state": "fixed" if fixed else "not-fixed"}
        matches.append({
            "vulnerability": {"id": vid, "dataSource": "", "namespace":
                              "alpine:distro:alpine:3.9",
                              "severity": sev.capitalize(), "fix": fix},
            "artifact": {"id": "%s-%s" % (pkg, inst), "name": pkg,
                         "version": inst, "type": "apk"}})
    target = {"userInput": repo,
              "repoDigests": _repo_digests(repo, manifest, index)}
    if manifest:
        target["manifestDigest"] = manifest
    if config:
        target["imageID"] = config
    return {"matches": matches,
            "source": {"type": "image", "target": target},
            "distro": {"name": "alpine", "version": "3.9.4"},
            "descriptor": {"name": "grype", "version": version,
                           "timestamp": created or now_rfc3339(),
                           "db": {"built": "2025-06-01T00:00:00Z",
                                  "schemaVersion": 5}}}


def build(fmt, **kw):
    return grype(**kw) if fmt == "grype" else trivy(**kw)


def main():
    ap = argparse.ArgumentParser(description="write a Trivy or Grype report")
    ap.add_argument("--format", choices=("trivy", "grype"), default="trivy")
    ap.add_argument("--repo", required=True,
                    help="host/repository, e.g. docker.io/e2e/app")
    ap.add_argument("--manifest", help="platform manifest digest")
    ap.add_argument("--config", help="config digest (image ID)")
    ap.add_argument("--index", help="index digest the tag resolved to")
    ap.add_argument("--created", help="scan time (RFC 3339); default now, "
                    "or the fixture's")
    ap.add_argument("--from", dest="fixture", help="Trivy report to reuse")
    ap.add_argument("--vuln", nargs=5, action="append", default=[],
                    metavar=("ID", "SEV", "PKG", "INSTALLED", "FIXED"))
    ap.add_argument("--out", help="file to write (default stdout)")
    a = ap.parse_args()
    if not (a.manifest or a.config or a.index):
        ap.error("name at least one digest")
    kw = dict(repo=a.repo, manifest=a.manifest, config=a.config,
              index=a.index, vulns=[tuple(v) for v in a.vuln],
              created=a.created)
    if a.fixture:
        if a.format != "trivy" or a.vuln:
            ap.error("--from takes a Trivy report and no --vuln")
        with open(a.fixture) as f:
            kw["fixture"] = json.load(f)
    text = json.dumps(build(a.format, **kw), indent=1) + "\n"
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
