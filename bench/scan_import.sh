#!/usr/bin/env bash
# scan_import.sh - time `regwarden scans import` of a large Trivy report.
# SPDX-License-Identifier: Apache-2.0
#
# Generates (python3) a Trivy JSON report (SchemaVersion 2) with N distinct
# findings, 5,000 by default, shaped like real ones (title, description,
# references, CVSS, vendor severities; ~2 KiB each), spread over an OS
# package result and a language package result.  Then times, each against a
# fresh database in a temp dir:
#   fresh     the whole command: read, parse, store in one transaction
#   again     the same report once more: parse, then "already imported"
# with hyperfine when it is installed, else a loop of RUNS timed runs whose
# median is printed.  The last line is machine-readable:
#   BENCH scan_import findings=5000 bytes=... fresh_ms=... again_ms=...
#
# Usage: bash bench/scan_import.sh [--findings N] [--runs N] [--keep]
# Environment: RW_BIN (default build/regwarden).  Use a build without
# sanitizers for figures worth comparing.
set -Eeuo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${RW_BIN:-$here/build/regwarden}
findings=5000
runs=10
keep=0

while [ $# -gt 0 ]; do
	case $1 in
	--findings) findings=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	*) echo "usage: $0 [--findings N] [--runs N] [--keep]" >&2; exit 2 ;;
	esac
done
[ -x "$bin" ] || { echo "scan_import.sh: no regwarden at $bin (set RW_BIN)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/rwbench-scans.XXXXXX)
cleanup() { if [ "$keep" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi; }
trap cleanup EXIT
mkdir "$tmp/state"
cat >"$tmp/regwarden.json" <<EOF
{"listen": "127.0.0.1:5443", "state_dir": "$tmp/state",
 "upstreams": [{"name": "hub", "url": "https://registry-1.docker.io",
   "hosts": ["docker.io"], "default": true}]}
EOF

python3 - "$findings" "$tmp/report.json" <<'EOF'
import json, sys, random
n, path = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(42)
sevs = ["LOW", "MEDIUM", "MEDIUM", "HIGH", "CRITICAL", "UNKNOWN"]
words = ("buffer overflow in the parser allows remote attackers to cause a "
         "denial of service or possibly execute arbitrary code via a crafted "
         "input that triggers an out of bounds write").split()

def vuln(i, lang):
    sev = sevs[i % len(sevs)]
    pkg = "pkg%d" % (i % 700)
    fixed = "" if i % 5 == 0 else "%d.%d.%d" % (i % 9 + 1, i % 7, i % 11)
    return {
        "VulnerabilityID": "CVE-%d-%05d" % (2015 + i % 10, i),
        "PkgID": "%s@1.%d.0" % (pkg, i % 13),
        "PkgName": pkg,
        "PkgIdentifier": {"PURL": "pkg:%s/%s@1.%d.0" % ("golang" if lang else "apk/alpine", pkg, i % 13),
                          "UID": "%016x" % rnd.getrandbits(64)},
        "InstalledVersion": "1.%d.0" % (i % 13),
        "FixedVersion": fixed,
        "Status": "fixed" if fixed else "affected",
        "Layer": {"Digest": "sha256:%064x" % rnd.getrandbits(256),
                  "DiffID": "sha256:%064x" % rnd.getrandbits(256)},
        "SeveritySource": "nvd",
        "PrimaryURL": "https://avd.aquasec.com/nvd/cve-%d-%05d" % (2015 + i % 10, i),
        "DataSource": {"ID": "alpine", "Name": "Alpine Secdb", "URL": "https://secdb.alpinelinux.org/"},
        "Title": " ".join(rnd.choice(words) for _ in range(10)),
        "Description": " ".join(rnd.choice(words) for _ in range(60)),
        "Severity": sev,
        "CweIDs": ["CWE-%d" % (100 + i % 700)],
        "VendorSeverity": {"nvd": i % 5, "redhat": (i + 1) % 5, "ubuntu": (i + 2) % 5},
        "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "V3Score": 9.8}},
        "References": ["https://example.org/advisory/%d/%d" % (i, k) for k in range(6)],
        "PublishedDate": "2021-01-01T00:00:00Z",
        "LastModifiedDate": "2023-01-01T00:00:00Z",
    }

half = n // 2
report = {
    "SchemaVersion": 2,
    "CreatedAt": "2024-05-01T12:00:00.123456789Z",
    "ArtifactName": "ghcr.io/example/app:1.0",
    "ArtifactType": "container_image",
    "Trivy": {"Version": "0.50.1"},
    "Metadata": {
        "ImageID": "sha256:%064x" % rnd.getrandbits(256),
        "RepoDigests": ["ghcr.io/example/app@sha256:%064x" % rnd.getrandbits(256)],
    },
    "Results": [
        {"Target": "ghcr.io/example/app:1.0 (alpine 3.19.1)", "Class": "os-pkgs",
         "Type": "alpine", "Vulnerabilities": [vuln(i, False) for i in range(half)]},
        {"Target": "usr/local/bin/app", "Class": "lang-pkgs", "Type": "gobinary",
         "Vulnerabilities": [vuln(i, True) for i in range(half, n)]},
    ],
}
with open(path, "w") as f:
    json.dump(report, f, indent=2)
EOF

bytes=$(stat -c %s "$tmp/report.json")
fresh_db="rm -f $tmp/state/regwarden.db $tmp/state/regwarden.db-wal $tmp/state/regwarden.db-shm"
import_cmd="$bin scans -c $tmp/regwarden.json import $tmp/report.json"
echo "report: $findings findings, $bytes bytes; regwarden: $bin"

# Median of the milliseconds on standard input.
median() { sort -n | awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2); printf "%.1f", v[m] }'; }

# Run CMD RUNS times; PREP before each (untimed).  Prints the median in ms.
time_loop() {
	local prep=$1 cmd=$2 i t0 t1
	for ((i = 0; i < runs; i++)); do
		eval "$prep" >/dev/null
		t0=$(date +%s%N)
		eval "$cmd" >/dev/null
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
	done | median | awk '{ printf "%.1f", $1 / 1000 }'
}

if command -v hyperfine >/dev/null 2>&1; then
	hyperfine --runs "$runs" --prepare "$fresh_db" --export-json "$tmp/fresh.json" \
	    -n fresh "$import_cmd"
	eval "$fresh_db"; eval "$import_cmd" >/dev/null
	hyperfine --runs "$runs" --export-json "$tmp/again.json" -n again "$import_cmd"
	fresh_ms=$(python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' "$tmp/fresh.json")
	again_ms=$(python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' "$tmp/again.json")
else
	echo "(hyperfine not installed: median of $runs timed runs)"
	fresh_ms=$(time_loop "$fresh_db" "$import_cmd")
	again_ms=$(time_loop ":" "$import_cmd")
fi
# The import really stored every finding (a failed run would be fast).
eval "$fresh_db"
out=$(eval "$import_cmd")
case $out in
*", $findings findings ("*) ;;
*) echo "scan_import.sh: unexpected output: $out" >&2; exit 1 ;;
esac
echo "fresh import (median): $fresh_ms ms; re-import of the same report: $again_ms ms"
echo "BENCH scan_import findings=$findings bytes=$bytes fresh_ms=$fresh_ms again_ms=$again_ms"
