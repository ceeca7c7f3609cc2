#!/usr/bin/env bash
# scan_pull.sh - manifest pulls whose verdict is cached, under a scan rule,
# side by side with the same pulls under no policy, in one run.
# SPDX-License-Identifier: Apache-2.0
#
# Starts a docker-registry on 127.0.0.1, pushes a small image built by
# tests/e2e/mkimage.py, and runs two regwardens against it: one without a
# policy (a plain proxy) and one whose rule checks scan verdicts
# ("scan": {"max_severity": "high", "unscanned": "deny"}), with a clean Trivy
# report imported for the image.  After one warm-up pull (the decision is
# then cached), wrk GETs the manifest by digest with containerd's Accept
# header for DURATION seconds (-c CONNS) against each, and prints req/s, p50,
# p99 and the ratio.  Loopback only; every run is bounded in time.
#
# Usage: bash bench/scan_pull.sh [--duration S] [--conns N]
# Environment: RW_BIN (default build/regwarden; use a build without
# sanitizers for figures worth comparing).
set -Eeuo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${RW_BIN:-$here/build/regwarden}
. "$here/scripts/lib.sh"
RW_PROG=scan_pull.sh
py=$RW_PY
duration=10
conns=32
while [ $# -gt 0 ]; do
	case $1 in
	--duration) duration=$2; shift 2 ;;
	--conns) conns=$2; shift 2 ;;
	*) echo "usage: $0 [--duration S] [--conns N]" >&2; exit 2 ;;
	esac
done
for t in docker-registry skopeo wrk curl "$bin"; do
	command -v "$t" >/dev/null || { echo "scan_pull.sh: $t is missing" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/rwbench-scanpull.XXXXXX)
cleanup() { rw_stop_all; rm -rf "$tmp"; }
trap cleanup EXIT
say() { rw_say "$@" >&2; }

reg_port=$(rw_free_port)
rw_start_registry "$tmp/registry" "$reg_port"

"$py" "$here/tests/e2e/mkimage.py" --out "$tmp/img" --tag 1.0 --layer-size 64k \
	--user 1000 >/dev/null
skopeo copy --quiet --dest-tls-verify=false "oci:$tmp/img:1.0" \
	"docker://127.0.0.1:$reg_port/bench/scanned:1.0" >/dev/null
accept='application/vnd.oci.image.manifest.v1+json'
manifest=$(curl -s -H "Accept: $accept" "http://127.0.0.1:$reg_port/v2/bench/scanned/manifests/1.0")
digest=sha256:$(printf '%s' "$manifest" | sha256sum | cut -d' ' -f1)
config=$(printf '%s' "$manifest" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["config"]["digest"])')

cat >"$tmp/policy.json" <<'EOF'
{ "version": 1, "default": "deny",
  "rules": [ { "name": "scanned", "match": "docker.io/bench/**",
      "scan": { "max_severity": "high", "unscanned": "deny" } } ] }
EOF

# start_rw NAME EXTRA-JSON: a regwarden on a free port; sets URL_<NAME>.
start_rw() { rw_start_proxy "$bin" "$tmp/$1" "$reg_port" "$2" "URL_$1"; }

start_rw plain '{}'
start_rw scan "{\"policy\": \"$tmp/policy.json\"}"
"$py" "$here/tests/e2e/mkreport.py" --repo docker.io/bench/scanned \
	--manifest "$digest" --config "$config" --out "$tmp/report.json"
"$bin" scans -c "$tmp/scan/config.json" import "$tmp/report.json" >/dev/null

cat >"$tmp/accept.lua" <<EOF
wrk.headers["Accept"] = "$accept"
EOF
run() {	# NAME: prints "req/s p50 p99"
	local url="${!1}/v2/bench/scanned/manifests/$digest" code out
	code=$(curl -sk -o /dev/null -w '%{http_code}' -H "Accept: $accept" "$url")
	[ "$code" = 200 ] || { say "$1: warm-up pull answered $code"; exit 1; }
	out=$(timeout $((duration + 30)) wrk -t2 -c"$conns" -d"${duration}s" --latency \
		-s "$tmp/accept.lua" "$url")
	printf '%s %s %s\n' "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
		"$(awk '$1 == "50%" {print $2}' <<<"$out")" \
		"$(awk '$1 == "99%" {print $2}' <<<"$out")"
}
say "wrk -c$conns -d${duration}s, manifest by digest, no policy"
read -r p_rps p_50 p_99 < <(run URL_plain)
say "wrk -c$conns -d${duration}s, manifest by digest, scan rule, verdict cached"
read -r s_rps s_50 s_99 < <(run URL_scan)
ratio=$("$py" -c "print('%.2f' % ($s_rps / $p_rps))")
printf '%-40s %12s %10s %10s\n' "manifest by digest (cached)" "req/s" "p50" "p99"
printf '%-40s %12s %10s %10s\n' "no policy" "$p_rps" "$p_50" "$p_99"
printf '%-40s %12s %10s %10s\n' "scan rule, cached verdict" "$s_rps" "$s_50" "$s_99"
printf 'BENCH scan_pull plain_rps=%s scan_rps=%s ratio=%s\n' "$p_rps" "$s_rps" "$ratio"
