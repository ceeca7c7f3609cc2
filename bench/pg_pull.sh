#!/usr/bin/env bash
# pg_pull.sh - decisions with the state in PostgreSQL against SQLite, side by
# side in one run (issue #12): cached verdicts, cold decisions and audit
# writes.
# SPDX-License-Identifier: Apache-2.0
#
# Starts a docker-registry and a PostgreSQL 15 (tests/pglib.sh: initdb in a
# temp dir as the postgres user, loopback port, stopped at the end) and two
# regwardens with the same policy, one on SQLite in its state_dir and one on
# PostgreSQL.  The rule of bench/scanned checks scan verdicts (a clean report
# is imported into each store), so even a cached verdict reads the scans
# revision from the store; bench/cold-N are under "pins": {"enforce": false}
# (a pin lookup, then the decision, manifest and audit rows written).
#  - cached: wrk GETs bench/scanned by digest for DURATION s (-c CONNS);
#  - cold: COLD images (default 80), each pulled once by tag through each
#    regwarden, the two pulls of an image back to back and in turn SQLite
#    first, then PostgreSQL first (A/B, B/A), so that the machine's load
#    drifting during the run weighs on both alike; time_total of one curl
#    making every pull on kept-alive connections.  Printed:
#    each engine's median and p90, their differences, and the median of
#    the per-image differences, each with a 95% bootstrap interval
#    (2,000 resamples of the images, seed fixed);
#  - audit: rows in the audit table written during the cached run, per s.
# req/s counts the answers that served the image; answers refused because
# the audit writer fell 8,192 rows behind (audit or refuse) are reported.
# Target: cached >= 0.9x SQLite; a cold decision adds <= 2 ms.
#
# Usage: bash bench/pg_pull.sh [--duration S] [--conns N] [--cold N]
# Environment: RW_BIN (default build/regwarden, a build without sanitizers).
set -Eeuo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${RW_BIN:-$here/build/regwarden}
. "$here/scripts/lib.sh"
. "$here/tests/pglib.sh"
RW_PROG=pg_pull.sh
py=$RW_PY
duration=10
conns=32
cold=80
while [ $# -gt 0 ]; do
	case $1 in
	--duration) duration=$2; shift 2 ;;
	--conns) conns=$2; shift 2 ;;
	--cold) cold=$2; shift 2 ;;
	*) echo "usage: $0 [--duration S] [--conns N] [--cold N]" >&2; exit 2 ;;
	esac
done
for t in docker-registry skopeo wrk curl psql "$bin"; do
	command -v "$t" >/dev/null || { echo "pg_pull.sh: $t is missing" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/rwbench-pgpull.XXXXXX)
cleanup() { rw_stop_all; pg_kill; rm -rf "$tmp"; }
trap cleanup EXIT
say() { rw_say "$@" >&2; }
say "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

pg_start "$tmp" >/dev/null
pg_psql "CREATE DATABASE bench"
db_url="postgresql://regwarden@127.0.0.1:$PG_PORT/bench"

reg_port=$(rw_free_port)
rw_start_registry "$tmp/registry" "$reg_port"
accept='application/vnd.oci.image.manifest.v1+json'
"$py" "$here/tests/e2e/mkimage.py" --out "$tmp/img" --tag 1.0 --layer-size 16k \
	--user 1000 >/dev/null
skopeo copy --quiet --dest-tls-verify=false "oci:$tmp/img:1.0" \
	"docker://127.0.0.1:$reg_port/bench/scanned:1.0" >/dev/null
for i in $(seq "$cold"); do
	skopeo copy --quiet --dest-tls-verify=false "oci:$tmp/img:1.0" \
		"docker://127.0.0.1:$reg_port/bench/cold-$i:1.0" >/dev/null
done
manifest=$(curl -s -H "Accept: $accept" "http://127.0.0.1:$reg_port/v2/bench/scanned/manifests/1.0")
digest=sha256:$(printf '%s' "$manifest" | sha256sum | cut -d' ' -f1)
config=$(printf '%s' "$manifest" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["config"]["digest"])')

cat >"$tmp/policy.json" <<'EOF'
{ "version": 1, "default": "deny",
  "rules": [
    { "name": "scanned", "match": "docker.io/bench/scanned",
      "scan": { "max_severity": "high", "unscanned": "deny" } },
    { "name": "cold", "match": "docker.io/bench/*", "pins": { "enforce": false } } ] }
EOF
start_rw() { rw_start_proxy "$bin" "$tmp/$1" "$reg_port" "$2" "URL_$1"; }
start_rw sqlite "{\"policy\": \"$tmp/policy.json\"}"
start_rw pg "{\"policy\": \"$tmp/policy.json\", \"database\": {\"url\": \"$db_url\"}}"
"$py" "$here/tests/e2e/mkreport.py" --repo docker.io/bench/scanned \
	--manifest "$digest" --config "$config" --out "$tmp/report.json"
for t in sqlite pg; do
	"$bin" scans -c "$tmp/$t/config.json" import "$tmp/report.json" >/dev/null
done

# audit_rows NAME: rows in NAME's audit table.
audit_rows() {
	if [ "$1" = pg ]; then
		psql -X -q -A -t "$db_url" -c "SELECT count(*) FROM audit"
	else
		"$bin" audit -c "$tmp/sqlite/config.json" --json | wc -l
	fi
}

cat >"$tmp/accept.lua" <<EOF
wrk.headers["Accept"] = "$accept"
EOF
cached() {	# NAME: prints "req/s p50 p99 audit_rows_per_s"
	local url="${!1}/v2/bench/scanned/manifests/$digest" code out before after
	code=$(curl -sk -o /dev/null -w '%{http_code}' -H "Accept: $accept" "$url")
	[ "$code" = 200 ] || { say "$1: warm-up pull answered $code"; exit 1; }
	before=$(audit_rows "${1#URL_}")
	out=$(timeout $((duration + 30)) wrk -t2 -c"$conns" -d"${duration}s" --latency \
		-s "$tmp/accept.lua" "$url")
	# A 503 here is audit-or-refuse at work: the audit writer fell
	# AUDITQ_MAX rows behind and new decisions fail closed.  Counted and
	# shown; req/s below counts only the answers that served the image.
	non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
	non2xx=${non2xx:-0}
	[ "$non2xx" = 0 ] || say "$1: $non2xx answers were not 200: $(grep -o \
		'could not record[^;]*' "$tmp/${1#URL_}/log" | sort | uniq -c | head -1)"
	sleep 1		# the audit writer's last batch
	after=$(audit_rows "${1#URL_}")
	total=$(awk '/requests in/ {print $1}' <<<"$out")
	printf '%s %s %s %s\n' "$("$py" -c "print('%.2f' % (($total - $non2xx) / $duration))")" \
		"$(awk '$1 == "50%" {print $2}' <<<"$out")" \
		"$(awk '$1 == "99%" {print $2}' <<<"$out")" \
		"$("$py" -c "print('%.0f' % (($after - $before) / $duration))")"
}
# One curl for every cold pull, so that the pulls reuse a kept-alive
# connection to each regwarden and no process start or TCP connect lands in
# a figure; the order of the URLs is the order of the pulls.
for i in $(seq "$cold"); do
	if [ $((i % 2)) = 1 ]; then order="URL_sqlite URL_pg"; else order="URL_pg URL_sqlite"; fi
	for n in $order; do
		printf 'url = "%s/v2/bench/cold-%s/manifests/1.0"\noutput = "/dev/null"\n' "${!n}" "$i"
	done
done >"$tmp/cold.curl"
say "cold: $cold images, each pulled once by tag through both, in turn SQLite or PostgreSQL first"
timeout 300 curl -sk -H "Accept: $accept" -w '%{http_code} %{time_total}\n' \
	-K "$tmp/cold.curl" >"$tmp/cold.raw"
# cold.raw: one "code seconds" line per pull -> cold.txt: "sqlite pg" per image
"$py" - "$tmp/cold.raw" >"$tmp/cold.txt" <<'PY' || { say "a cold pull was not answered 200"; exit 1; }
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
if any(code != '200' for code, _ in rows):
    sys.exit(1)
t = [float(x) for _, x in rows]
for i in range(0, len(t), 2):
    first, second = t[i], t[i + 1]
    if (i // 2) % 2 == 0:       # odd images: SQLite first
        print(first, second)
    else:
        print(second, first)
PY
# cold_stats FILE: "sqlite pg" seconds a line -> the cold table's lines and
# a last line "c_sqlite c_pg added_ms"
cold_stats() {
	"$py" - "$1" <<'PY'
import math, random, sys
pairs = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
def q(xs, f):           # nearest-rank quantile
    xs = sorted(xs)
    return xs[max(0, math.ceil(f * len(xs)) - 1)]
def stats(ps):
    s = [a for a, b in ps]; p = [b for a, b in ps]
    return (q(p, .5) - q(s, .5), q(p, .9) - q(s, .9),
            q([b - a for a, b in ps], .5))
rnd = random.Random(12)
boot = [stats([rnd.choice(pairs) for _ in pairs]) for _ in range(2000)]
est = stats(pairs)
s = [a for a, b in pairs]; p = [b for a, b in pairs]
print('%-44s %12.2f %12.2f' % ('cold decision by tag, median ms', q(s, .5) * 1e3, q(p, .5) * 1e3))
print('%-44s %12.2f %12.2f' % ('cold decision by tag, p90 ms', q(s, .9) * 1e3, q(p, .9) * 1e3))
names = ('PG - SQLite, medians', 'PG - SQLite, p90s', 'median of per-image PG - SQLite')
for i, n in enumerate(names):
    b = sorted(x[i] for x in boot)
    print('%-44s %+9.2f ms  (95%% CI %+.2f .. %+.2f, %d images)' % (n, est[i] * 1e3,
          q(b, .025) * 1e3, q(b, .975) * 1e3, len(pairs)))
print('%.6f %.6f %.2f %.2f' % (q(s, .5), q(p, .5), est[0] * 1e3, est[2] * 1e3))
PY
}
cold_stats "$tmp/cold.txt" >"$tmp/cold.out"
read -r c_sqlite c_pg added paired < <(tail -1 "$tmp/cold.out")
say "wrk -c$conns -d${duration}s, manifest by digest, scan rule, verdict cached"
read -r s_rps s_50 s_99 s_audit < <(cached URL_sqlite)
read -r p_rps p_50 p_99 p_audit < <(cached URL_pg)
ratio=$("$py" -c "print('%.2f' % ($p_rps / $s_rps))")
printf '%-44s %12s %12s %10s\n' "" "SQLite" "PostgreSQL" "PG/SQLite"
printf '%-44s %12s %12s %10s\n' "cached verdict by digest, req/s" "$s_rps" "$p_rps" "$ratio"
printf '%-44s %12s %12s\n' "cached verdict, p50 / p99" "$s_50/$s_99" "$p_50/$p_99"
head -n -1 "$tmp/cold.out"
printf '%-44s %12s %12s\n' "audit rows written per s (cached run)" "$s_audit" "$p_audit"
mark() { "$py" -c "print('PASS' if $1 else 'MISS')"; }
printf 'cached >= 0.9x SQLite: %s; cold adds <= 2 ms (median of per-image differences): %s\n' \
	"$(mark "$ratio >= 0.9")" "$(mark "$paired <= 2")"
say "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine: other work runs alongside)"
printf 'BENCH pg_pull sqlite_rps=%s pg_rps=%s ratio=%s cold_sqlite=%s cold_pg=%s cold_added_ms=%s cold_paired_ms=%s\n' \
	"$s_rps" "$p_rps" "$ratio" "$c_sqlite" "$c_pg" "$added" "$paired"
