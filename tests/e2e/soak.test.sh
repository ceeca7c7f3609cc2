#!/bin/bash
# soak.test.sh - a bounded soak: several clients at once against regwarden
# with a policy (curl pulls of manifests and blobs, skopeo pulls, skopeo
# pushes admitted and refused, refusals for a blocked source, a critical CVE
# and a root image, bad names, SIGHUP reloads and POST /scans imports) for
# SOAK_SECONDS (default 120; `--minutes N` for longer), in two phases:
# warm-up (a quarter of the time, at least 20 s), then the rest.
#
# Asserts: every answer is the right one or a documented refusal (each
# worker writes one line per answer, "ok" or "bad" with what it got); after
# the run regwarden's live heap less SQLite's own memory (its page cache
# fills up to its 2000 KiB bound as the audit table grows; both read with
# gdb) is within 10% of what it was after warm-up, VmRSS within a third, and
# its open file descriptors are no more than then, sockets give or take
# libcurl's idle upstream connections (all read with every client stopped,
# so in-flight connections do not count); its audit rows are exactly its logged decisions (HEADs included:
# operation "resolve"), one row per request id;
# and it survives, exits on SIGTERM and reports no sanitizer error.
#
# Under ASan, RSS includes the allocator's quarantine of freed memory
# (256 MiB by default, plus 1 MiB per thread, filling over minutes):
# regwarden runs here with a 1 MiB quarantine and 64 KiB per thread, full
# within seconds.  Even so its RSS crept up 7-9% in 90 s where the live
# heap stayed within 0.1% (measured here); the release build's crept 3%
# in 180 s, all but 0.5 MiB of it SQLite's cache.  So the live heap is
# the 10% check, and RSS only a coarse one.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

SOAK_SECONDS=${SOAK_SECONDS:-120}
while [ $# -gt 0 ]; do
	case $1 in
	--minutes) SOAK_SECONDS=$(($2 * 60)); shift ;;
	--seconds) SOAK_SECONDS=$2; shift ;;
	*) die "unknown argument: $1 (--minutes N | --seconds N)" ;;
	esac
	shift
done
case $SOAK_SECONDS in '' | *[!0-9]*) die "SOAK_SECONDS must be a number" ;; esac
[ "$SOAK_SECONDS" -ge 40 ] || die "SOAK_SECONDS must be at least 40"
WARM=$((SOAK_SECONDS / 4))
[ "$WARM" -ge 20 ] || WARM=20
MAIN=$((SOAK_SECONDS - WARM))

need_tools docker-registry skopeo curl sha256sum gdb
rw_only || { pass "the soak needs regwarden (E2E_DIRECT=1)"; finish; }
CRIT=$SCAN_FIXTURES/trivy-alpine-39-high-critical.json
[ -f "$CRIT" ] || die "scan report fixture missing: $CRIT"

start_registry
mkimage "$E2E_TMP/ok" --seed 61 --layers 2 --layer-size 64k --user 1000
mkimage "$E2E_TMP/vuln" --seed 62 --layers 1 --layer-size 16k --user 1000
mkimage "$E2E_TMP/root" --seed 63 --layers 1 --layer-size 16k
mkimage "$E2E_TMP/blk" --seed 64 --layers 1 --layer-size 16k --user 1000
mkimage "$E2E_TMP/pushme" --seed 65 --layers 1 --layer-size 32k --user 1000
OK_TOP=$(json_get "$E2E_TMP/ok.json" 'j["top"]')
ROOT_TOP=$(json_get "$E2E_TMP/root.json" 'j["top"]')
OK_LAYER=$(json_get "$E2E_TMP/ok.json" 'j["manifests"][0]["layers"][0]')
seed_image "$E2E_TMP/ok" e2e/ok:1.0
seed_image "$E2E_TMP/vuln" e2e/vuln:1.0
seed_image "$E2E_TMP/root" e2e/root:1.0
seed_image "$E2E_TMP/blk" e2e/blocked/x:1.0
image_report "$E2E_TMP/ok" docker.io/e2e/ok
OK_REPORT=$REPORT
image_report "$E2E_TMP/root" docker.io/e2e/root
ROOT_REPORT=$REPORT
image_report "$E2E_TMP/vuln" docker.io/e2e/vuln --from "$CRIT"
VULN_REPORT=$REPORT

POLICY=$E2E_TMP/policy.json
cat >"$POLICY" <<'EOF'
// soak.test.sh: a blocked source, push admission, scans and non-root.
{
  "version": 1,
  "default": "deny",
  "rules": [
    { "name": "blocked", "match": "docker.io/e2e/blocked/**", "allow": false },
    {
      "name": "push",
      "match": "docker.io/e2e/push/**",
      "operations": ["push"],
      "image": { "non_root": true }
    },
    { "name": "push-pull", "match": "docker.io/e2e/push/**", "operations": ["pull"] },
    {
      "name": "apps",
      "match": "docker.io/e2e/*",
      "image": { "non_root": true },
      "scan": { "max_severity": "high", "unscanned": "deny" }
    }
  ]
}
EOF

admin_section
# Quarantines kept small so that RSS means live memory (see the header);
# the rest as scripts/test.sh sets it.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}:quarantine_size_mb=1:thread_local_quarantine_size_kb=64:malloc_context_size=5"
start_regwarden_policy "$POLICY" \
	"{\"admin\": $ADMIN_JSON, \"log\": {\"format\": \"json\", \"level\": \"info\"}}"
wait_until 10 code_is 200 "$ADMIN_URL/healthz" ||
	die "the admin listener did not answer $ADMIN_URL/healthz within 10 s"
for r in "$OK_REPORT" "$ROOT_REPORT" "$VULN_REPORT"; do
	post_scans "$r"
	[ "$R_CODE" = 201 ] || die "POST /scans of $r: $(describe_resp)"
done
pass "three reports imported before the soak"

SOAK=$E2E_TMP/soak
mkdir -p "$SOAK"
T_CVE=CVE-2019-14697

# ---- workers ---------------------------------------------------------------
# Each runs until the file $SOAK/stop exists (and at most 100000 rounds),
# appends one line per answer to $SOAK/NAME.res ("ok WHAT" or "bad WHAT:
# what came back") and its own scratch files in $SOAK/NAME.*.  Clients run
# at nice 10: regwarden and the registry come first on the shared cores.

# got NAME WHAT CONDITION DETAIL: record one answer.
got() {
	if [ "$3" = 1 ]; then echo "ok $2"; else echo "bad $2: $4"; fi >>"$SOAK/$1.res"
}

# curl_get NAME URL [ARGS]: code into C, body in $SOAK/NAME.b.
curl_get() {
	local n=$1 url=$2
	shift 2
	C=$(nice -n 10 curl -sk -o "$SOAK/$n.b" -D "$SOAK/$n.h" -w '%{http_code}' \
		--max-time 30 "$@" "$url" 2>/dev/null)
}

w_curl() {
	local n=curl i d
	for ((i = 0; i < 100000; i++)); do
		[ -e "$SOAK/stop" ] && return
		curl_get $n "$RW_URL/v2/e2e/ok/manifests/1.0" -H "Accept: $CTR_ACCEPT"
		d="sha256:$(sha256sum "$SOAK/$n.b" | awk '{print $1}')"
		got $n "GET ok:1.0" "$([ "$C" = 200 ] && [ "$d" = "$OK_TOP" ] && echo 1)" "$C $d"
		curl_get $n "$RW_URL/v2/e2e/ok/blobs/$OK_LAYER"
		d="sha256:$(sha256sum "$SOAK/$n.b" | awk '{print $1}')"
		got $n "GET ok layer" "$([ "$C" = 200 ] && [ "$d" = "$OK_LAYER" ] && echo 1)" "$C $d"
		curl_get $n "$RW_URL/v2/e2e/vuln/manifests/1.0" -H "Accept: $CTR_ACCEPT"
		got $n "GET vuln:1.0 refused" "$([ "$C" = 403 ] &&
			grep -q "$T_CVE" "$SOAK/$n.b" && grep -q '"DENIED"' "$SOAK/$n.b" && echo 1)" \
			"$C $(head -c 300 "$SOAK/$n.b")"
		curl_get $n "$RW_URL/v2/e2e/blocked/x/manifests/1.0" -H "Accept: $CTR_ACCEPT"
		got $n "GET blocked refused" "$([ "$C" = 403 ] &&
			grep -q 'refused by rule \\"blocked\\"' "$SOAK/$n.b" && echo 1)" \
			"$C $(head -c 300 "$SOAK/$n.b")"
		# HEAD of a refused tag: 200 with a denial document's digest,
		# never the image's (design.md, "Showing the reason").
		curl_get $n "$RW_URL/v2/e2e/root/manifests/1.0" -I -H "Accept: $CTR_ACCEPT"
		d=$(tr -d '\r' <"$SOAK/$n.h" | awk 'tolower($1) == "docker-content-digest:" {print $2}')
		got $n "HEAD root:1.0" "$([ "$C" = 200 ] && [ -n "$d" ] && [ "$d" != "$ROOT_TOP" ] && echo 1)" "$C $d"
		curl_get $n "$RW_URL/v2/e2e/Bad/manifests/1.0"
		got $n "bad name refused" "$([ "$C" = 400 ] && grep -q NAME_INVALID "$SOAK/$n.b" && echo 1)" "$C"
	done
}

w_skopeo() {
	local n=skopeo i out rc
	for ((i = 0; i < 100000; i++)); do
		[ -e "$SOAK/stop" ] && return
		rm -rf "$SOAK/$n.dir"
		out=$(nice -n 10 timeout 60 skopeo copy --src-tls-verify=false \
			"docker://$RW_HOST/e2e/ok:1.0" "dir:$SOAK/$n.dir" 2>&1)
		rc=$?
		got $n "skopeo pull ok:1.0" "$([ $rc = 0 ] &&
			[ "$(sha256sum "$SOAK/$n.dir/manifest.json" | awk '{print "sha256:" $1}')" = "$OK_TOP" ] &&
			echo 1)" "$(printf '%s' "$out" | tail -n 1)"
		rm -rf "$SOAK/$n.dir"
		out=$(nice -n 10 timeout 60 skopeo copy --src-tls-verify=false \
			"docker://$RW_HOST/e2e/vuln:1.0" "dir:$SOAK/$n.dir" 2>&1)
		rc=$?
		got $n "skopeo pull vuln:1.0 refused" "$([ $rc != 0 ] &&
			printf '%s' "$out" | grep -q "regwarden: docker.io/e2e/vuln:1.0 refused" &&
			printf '%s' "$out" | grep -q "$T_CVE" && echo 1)" "$(printf '%s' "$out" | tail -n 1)"
	done
}

w_push() {
	local n=push i out tag rc
	for ((i = 0; i < 100000; i++)); do
		[ -e "$SOAK/stop" ] && return
		# Five tags in turn: the state a push leaves stays bounded.
		tag=t$((i % 5))
		out=$(nice -n 10 timeout 60 skopeo copy --dest-tls-verify=false \
			"oci:$E2E_TMP/pushme" "docker://$RW_HOST/e2e/push/app:$tag" 2>&1)
		rc=$?
		got $n "push app:$tag" "$([ $rc = 0 ] && echo 1)" "$(printf '%s' "$out" | tail -n 1)"
		out=$(nice -n 10 timeout 60 skopeo copy --dest-tls-verify=false \
			"oci:$E2E_TMP/root" "docker://$RW_HOST/e2e/push/root:$tag" 2>&1)
		rc=$?
		got $n "push root:$tag refused" "$([ $rc != 0 ] &&
			printf '%s' "$out" | grep -q 'image runs as root' && echo 1)" \
			"$(printf '%s' "$out" | tail -n 1)"
	done
}

# The control worker: every 5 s a reload (SIGHUP) and a POST /scans (the
# same report again: "already imported"; a fresh one for e2e/ok: imported).
w_control() {
	local n=control i k
	for ((i = 0; i < 100000; i++)); do
		[ -e "$SOAK/stop" ] && return
		kill -HUP "$RW_PID"
		curl_get $n "$ADMIN_URL/scans" -X POST -H "Authorization: Bearer $ADMIN_TOKEN" \
			-H 'Content-Type: application/json' --data-binary "@$VULN_REPORT"
		got $n "POST /scans again" "$([ "$C" = 200 ] && grep -q 'already imported' "$SOAK/$n.b" && echo 1)" "$C"
		# A scan time no report had: 2025-01-01 plus a counter that
		# goes on across phases.
		k=$(($(cat "$SOAK/$n.k" 2>/dev/null || echo 0) + 1))
		echo "$k" >"$SOAK/$n.k"
		"$PY" "$E2E_DIR/mkreport.py" --repo docker.io/e2e/ok --manifest "$OK_TOP" \
			--config "$(json_get "$E2E_TMP/ok.json" 'j["manifests"][0]["config"]')" \
			--created "$(date -u -d "@$((1735689600 + k))" +%Y-%m-%dT%H:%M:%SZ)" \
			--out "$SOAK/$n.report" ||
			echo "bad mkreport" >>"$SOAK/$n.res"
		curl_get $n "$ADMIN_URL/scans" -X POST -H "Authorization: Bearer $ADMIN_TOKEN" \
			-H 'Content-Type: application/json' --data-binary "@$SOAK/$n.report"
		got $n "POST /scans fresh" "$([ "$C" = 201 ] && echo 1)" "$C"
		curl_get $n "$ADMIN_URL/healthz"
		got $n "healthz" "$([ "$C" = 200 ] && echo 1)" "$C"
		echo "$SECONDS $(rss_kb)" >>"$SOAK/rss"
		sleep 5
	done
}

# phase NAME SECONDS: run the four workers for SECONDS, then stop them
# (each finishes its round) and let regwarden settle.
phase() {
	local pids=() p t0=$SECONDS
	rm -f "$SOAK/stop"
	w_curl & pids+=($!)
	w_skopeo & pids+=($!)
	w_push & pids+=($!)
	w_control & pids+=($!)
	E2E_PIDS+=("${pids[@]}")
	sleep "$2"
	touch "$SOAK/stop"
	# Bounded: a round ends within its clients' timeouts (60 s each).
	for p in "${pids[@]}"; do
		wait "$p"
	done
	log "$1: $((SECONDS - t0)) s"
	sleep 2
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$RW_PID/status"; }
# heap_kb: regwarden's live heap less what SQLite holds, in kB, read with
# gdb attached for a moment: ASan's own count of allocated bytes
# (__sanitizer_get_current_allocated_bytes: no quarantine, no freed
# chunks, no fragmentation) less sqlite3_memory_used(), whose page cache
# fills as the audit table grows, up to its bound (cache_size, 2000 KiB by
# default).  Prints "HEAP SQLITE", or nothing when gdb cannot read them
# (a build without ASan).
heap_kb() {
	gdb -batch -p "$RW_PID" \
		-ex 'print (unsigned long)__sanitizer_get_current_allocated_bytes()' \
		-ex 'print (long long)sqlite3_memory_used()' 2>/dev/null |
		awk '/^\$[12] = [0-9]+$/ {v[++n] = int($3 / 1024)}
			END {if (n == 2) print v[1] - v[2], v[2]}'
}
# fd_snap FILE: what each open fd is (sockets and epolls by kind), sorted;
# prints how many.
fd_snap() {
	ls -l "/proc/$RW_PID/fd" | tail -n +2 | awk '{print $NF}' |
		sed -E 's/:\[[0-9]+\]$//' | sort >"$1"
	wc -l <"$1"
}

log "soak: warm-up ${WARM} s, then ${MAIN} s"
RSS0=$(rss_kb)
read -r HEAP0 _ <<<"$(heap_kb)"
phase warm-up "$WARM"
RSS_W=$(rss_kb)
read -r HEAP_W SQL_W <<<"$(heap_kb)"
[ -n "$SQL_W" ] || die "cannot read the live heap with gdb (an ASan build is needed)"
FD_W=$(fd_snap "$SOAK/fd.warm")
N_W=$(cat "$SOAK"/*.res | wc -l)
log "after warm-up: VmRSS ${RSS_W} kB (${RSS0} kB at start), live heap ${HEAP_W} kB (${HEAP0:-?} kB at start) and SQLite ${SQL_W} kB, ${FD_W} fds, $N_W answers"
phase main "$MAIN"
RSS_E=$(rss_kb)
read -r HEAP_E SQL_E <<<"$(heap_kb)"
[ -n "$SQL_E" ] || die "cannot read the live heap with gdb (an ASan build is needed)"
FD_E=$(fd_snap "$SOAK/fd.end")
N_E=$(cat "$SOAK"/*.res | wc -l)
log "at the end: VmRSS ${RSS_E} kB, live heap ${HEAP_E} kB and SQLite ${SQL_E} kB, ${FD_E} fds, $N_E answers in all"

log "VmRSS samples (s, kB): $(awk 'NR % 4 == 1 {printf "%s %s; ", $1, $2}' "$SOAK/rss")"
for w in curl skopeo push control; do
	log "$w: $(grep -c '^ok' "$SOAK/$w.res") right answers: $(sed 's/:.*//' "$SOAK/$w.res" | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
done
BAD=$(grep -h '^bad' "$SOAK"/*.res | sort | uniq -c | sort -rn | head -n 10)
if [ -z "$BAD" ]; then
	pass "all $N_E answers right or documented refusals"
else
	fail "wrong answers during the soak: $BAD"
fi
for w in curl skopeo push control; do
	[ "$(grep -c '^ok' "$SOAK/$w.res")" -gt 0 ] || fail "worker $w made no round"
done
# The live heap (less SQLite) after the run within 10% of after warm-up:
# a leak or an unbounded cache grows with the requests.  VmRSS itself is
# logged but under ASan it also moves with the allocator's size classes and
# shadow pages; it may not grow by more than a third.
if [ "$HEAP_E" -le $((HEAP_W * 110 / 100)) ]; then
	pass "live heap less SQLite flat after warm-up: ${HEAP_W} kB -> ${HEAP_E} kB (limit +10%)"
else
	fail "live heap less SQLite grew after warm-up: ${HEAP_W} kB -> ${HEAP_E} kB (over +10%)"
fi
if [ "$RSS_E" -le $((RSS_W * 133 / 100)) ]; then
	pass "VmRSS after warm-up ${RSS_W} kB, at the end ${RSS_E} kB (limit +33%)"
else
	fail "VmRSS grew after warm-up: ${RSS_W} kB -> ${RSS_E} kB (over +33%)"
fi
# Files, pipes, epolls and eventfds may not grow at all; sockets by no more
# than one per client worker: libcurl keeps idle upstream connections
# (one per concurrent transfer) and may not have met the peak concurrency
# by the end of a short warm-up.  A leak of one per request is thousands.
SOCK_W=$(grep -c '^socket' "$SOAK/fd.warm")
SOCK_E=$(grep -c '^socket' "$SOAK/fd.end")
if [ "$((FD_E - SOCK_E))" -le "$((FD_W - SOCK_W))" ] && [ "$SOCK_E" -le $((SOCK_W + 4)) ]; then
	pass "no fd growth: $FD_W after warm-up ($SOCK_W sockets), $FD_E at the end ($SOCK_E sockets)"
else
	fail "fds grew after warm-up: $FD_W -> $FD_E: $(diff "$SOAK/fd.warm" "$SOAK/fd.end" | grep '^[<>]' | tr '\n' ' ')"
fi

stop_regwarden_checked

# Audit rows against decisions: every "decision" line of the log (a HEAD
# too: it is recorded as operation "resolve") has exactly one audit row,
# by request id, and no row is without its decision.
AUDIT=$E2E_TMP/audit.json
rw_admin audit --json --limit 10000000 >"$AUDIT" 2>"$E2E_TMP/audit.err" ||
	fail "regwarden audit --json failed: $(cat "$E2E_TMP/audit.err")"
if OUT=$("$PY" - "$RW_LOG" "$AUDIT" <<'EOF' 2>&1
import json, sys
method, decided = {}, []
for line in open(sys.argv[1], errors="replace"):
    if not line.startswith("{"):
        continue
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event") == "request":
        method[e.get("req")] = e.get("method")
    elif e.get("event") == "decision":
        decided.append(e.get("req"))
want = sorted(decided)
heads = sum(1 for r in decided if method.get(r) == "HEAD")
# One JSON object a line.
rows = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
got = sorted(r.get("request_id") for r in rows)
print(f"{len(decided)} decisions logged ({heads} of them HEAD), {len(got)} audit rows")
if got != want:
    print("missing: %s; extra: %s" % (sorted(set(want) - set(got))[:5], sorted(set(got) - set(want))[:5]))
    sys.exit(1)
EOF
); then
	pass "one audit row per decision: $OUT"
else
	fail "audit rows and decisions differ: $OUT"
fi
finish
