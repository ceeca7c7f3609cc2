#!/bin/bash
# audit_full.test.sh - audit or refuse (issue #9, item 5).  regwarden's
# state_dir is a 2 MiB tmpfs; after a warm-up a filler file takes every
# free byte.  Then no manifest GET is answered 200 without its audit row:
# the first pull after the disk filled is served (its row was queued while
# the store still looked healthy) and its row is kept; once the writer's
# COMMIT fails, pulls by tag, by digest and of a new image answer 503
# "regwarden: could not record the decision on ... in the audit log: ...",
# and a refusal is still a 403; a HEAD (recorded as "resolve") is refused too.
# `regwarden audit` reads while the disk is full.  The filler is deleted: pulls answer 200 again within seconds, the
# kept row is written, the new image's blobs pass the blob gate (its
# decision is recorded again, not remembered from the full period), and
# after a clean SIGTERM exit the audit table holds exactly one row per 200
# and per recorded refusal, matched by request id.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo curl sha256sum mount umount dd df
rw_only || { pass "audit tests need regwarden (E2E_DIRECT=1)"; finish; }
[ "$(id -u)" = 0 ] || die "needs root to mount a tmpfs"

start_registry
mkimage "$E2E_TMP/app" --seed 81 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/new" --seed 82 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/other" --seed 83 --layers 1 --layer-size 20k --user 1000
APP_TOP=$(json_get "$E2E_TMP/app.json" 'j["top"]')
NEW_LAYER=$(json_get "$E2E_TMP/new.json" 'j["manifests"][0]["layers"][0]')
seed_image "$E2E_TMP/app" e2e/app:1.0
seed_image "$E2E_TMP/new" e2e/app:2.0
seed_image "$E2E_TMP/other" other/thing:1.0

POLICY=$E2E_TMP/policy.json
cat >"$POLICY" <<'EOF'
// audit_full.test.sh: e2e/app is admitted, anything else refused.
{
  "version": 1,
  "default": "deny",
  "rules": [
    { "name": "apps", "match": "docker.io/e2e/app", "image": { "non_root": true } }
  ]
}
EOF

STATE=$E2E_TMP/rw/state
mkdir -p "$STATE"
mount -t tmpfs -o size=2m,mode=0700 rw-e2e-audit-full "$STATE" ||
	die "cannot mount a tmpfs on $STATE"
E2E_CLEANUPS+=("umount -l '$STATE'")
ADMIN_PORT=$(free_port)
start_regwarden_policy "$POLICY" "{\"admin\": {\"listen\": \"127.0.0.1:$ADMIN_PORT\"}}"
# metric SERIES: its value on /metrics now.
metric() {
	curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" |
		awk -v s="$1" '$1 == s { v = $2 } END { print (v == "" ? "missing" : v) }'
}
expect_eq "metrics before: no audit row dropped" 0 "$(metric regwarden_audit_rows_dropped_total)"
ACCEPT=(-H 'Accept: application/vnd.oci.image.manifest.v1+json')

# Every manifest GET of the test goes in LEDGER as "phase code request-id
# what", so the rows can be matched request by request at the end.
LEDGER=$E2E_TMP/ledger
: >"$LEDGER"
add_log "$LEDGER"
PHASE=warm
get() {
	req GET "$RW_URL/v2/$1/manifests/$2" "${ACCEPT[@]}"
	echo "$PHASE $R_CODE $(hdr X-Request-Id) $1:$2" >>"$LEDGER"
}
oci_message() {
	"$PY" -c 'import json,sys
try:
    print(json.load(open(sys.argv[1]))["errors"][0]["message"])
except Exception:
    print("")' "$R_BODY"
}
audit_rows() { rw_admin audit --json 2>"$E2E_TMP/audit.err" | grep -c '^{'; }

DENY_MSG="regwarden: docker.io/other/thing:1.0 refused: no rule in policy.json matches docker.io/other/thing (default: deny)."
WHY="its last write failed (sqlite3_step COMMIT: database or disk is full)"
unaudited() {
	echo "regwarden: could not record the decision on docker.io/$1 in the audit log: $WHY; refusing to serve it unaudited"
}

# ---- warm-up: the disk has room ---------------------------------------------

get e2e/app 1.0
expect_code "warm: GET by tag is admitted" 200
get e2e/app "$APP_TOP"
expect_code "warm: GET by digest is admitted" 200
get other/thing 1.0
expect_oci_error "warm: a refused image is 403" 403 DENIED
wait_until 10 eval '[ "$(audit_rows)" = 3 ]' ||
	fail "warm: expected 3 audit rows, got $(audit_rows) ($(cat "$E2E_TMP/audit.err"))"

# ---- the disk fills up ------------------------------------------------------

PHASE=full
dd if=/dev/zero of="$STATE/filler" bs=64k 2>/dev/null
expect_eq "full: no byte left in state_dir" 0 \
	"$(df --output=avail -B1 "$STATE" | tail -n 1 | tr -d ' ')"
log "state_dir: $(ls -l "$STATE" | tr '\n' ' ')"

get e2e/app 1.0
expect_code "full: the first pull is served: its row was queued while the store looked healthy" 200
FIRST_FULL_ID=$(hdr X-Request-Id)
# The writer learns at its next COMMIT (within 20 ms); from then on no
# decision is taken.  Bounded: 50 pulls.
for _ in $(seq 50); do
	get e2e/app 1.0
	[ "$R_CODE" = 200 ] || break
	sleep 0.05
done
expect_oci_error "full: a pull by tag (a cached decision) is refused with 503" 503 UNAVAILABLE
MSG=$(oci_message)
expect_eq "full: the 503 says the decision could not be recorded" "$(unaudited e2e/app:1.0)" "$MSG"
log "by tag: $MSG"
get e2e/app "$APP_TOP"
expect_oci_error "full: a pull by digest is refused with 503" 503 UNAVAILABLE
expect_eq "full: by digest, the message names the digest" "$(unaudited "e2e/app@$APP_TOP")" "$(oci_message)"
req HEAD "$RW_URL/v2/e2e/app/manifests/1.0" "${ACCEPT[@]}"
expect_code "full: HEAD is refused too (a node holding the image pulls on it alone)" 503
expect_eq "full: the refused HEAD names no digest" "" "$(hdr Docker-Content-Digest)"
get e2e/app 2.0
expect_oci_error "full: a pull of an image not decided before is refused with 503" 503 UNAVAILABLE
expect_eq "full: the new image's message" "$(unaudited e2e/app:2.0)" "$(oci_message)"
get other/thing 1.0
expect_oci_error "full: a refusal is still a 403 (it serves nothing)" 403 DENIED
expect_eq "full: with the policy's message and the request id" \
	"$DENY_MSG (request $(hdr X-Request-Id))" "$(oci_message)"
DENY_FULL_ID=$(hdr X-Request-Id)
# Three 503s and the refusal above could not queue their rows.
DROPPED=$(metric regwarden_audit_rows_dropped_total)
if [ "$DROPPED" != missing ] && [ "$DROPPED" -ge 4 ]; then
	pass "metrics: regwarden_audit_rows_dropped_total moved to $DROPPED"
else
	fail "metrics: regwarden_audit_rows_dropped_total is $DROPPED, expected at least 4"
fi
DEPTH=$(metric regwarden_audit_queue_depth)
if [ "$DEPTH" != missing ] && [ "$DEPTH" -ge 1 ]; then
	pass "metrics: regwarden_audit_queue_depth $DEPTH (the rows kept while the disk is full)"
else
	fail "metrics: regwarden_audit_queue_depth is $DEPTH while rows wait"
fi
expect_contains "full: the refusal's missing audit row is logged" \
	"request $DENY_FULL_ID: no audit row for its deny verdict on other/thing: $WHY" \
	"$(cat "$RW_LOG")"
# How many rows were queued before the writer knew depends on timing.
expect_eq "full: the writer's failure is logged once" 1 \
	"$(grep -cE 'cannot write the audit log \(sqlite3_step COMMIT: database or disk is full\): [0-9]+ rows? kept and tried again every 200 ms; until a write succeeds, decisions are refused rather than served unaudited$' "$RW_LOG")"

AUDIT_OUT=$(rw_admin audit 2>&1)
AUDIT_RC=$?
expect_eq "full: regwarden audit still reads (exit status)" 0 "$AUDIT_RC"
expect_eq "full: regwarden audit lists the rows written before" 3 \
	"$(printf '%s\n' "$AUDIT_OUT" | grep -c ' pull ')"

# ---- room again -------------------------------------------------------------

PHASE=freed
rm -f "$STATE/filler"
RECOVERED=0
for _ in $(seq 100); do	# bounded: 100 pulls over at least 10 s
	get e2e/app 1.0
	if [ "$R_CODE" = 200 ]; then
		RECOVERED=1
		break
	fi
	sleep 0.1
done
expect_eq "freed: pulls are admitted again within 10 s" 1 "$RECOVERED"
expect_eq "freed: the recovery is logged once" 1 \
	"$(grep -cE 'the audit log is written again: the [0-9]+ rows? that waited (is|are) in$' "$RW_LOG")"
get e2e/app "$APP_TOP"
expect_code "freed: GET by digest is admitted" 200
get e2e/app 2.0
expect_code "freed: the new image is admitted" 200
req GET "$RW_URL/v2/e2e/app/blobs/$NEW_LAYER"
expect_code "freed: its layer passes the blob gate (the decision is recorded now)" 200
get other/thing 1.0
expect_oci_error "freed: the refusal is a 403" 403 DENIED

stop_regwarden_checked

# ---- after a clean exit: one row per 200 and per recorded refusal -----------

rw_admin audit --json >"$E2E_TMP/audit.jsonl" 2>"$E2E_TMP/audit.err" ||
	fail "regwarden audit --json after the exit: $(cat "$E2E_TMP/audit.err")"
add_log "$E2E_TMP/audit.jsonl"
log "ledger: $(awk '{print $1 "/" $2}' "$LEDGER" | sort | uniq -c | tr '\n' ' ')"
CHECK=$("$PY" - "$LEDGER" "$E2E_TMP/audit.jsonl" "$DENY_FULL_ID" <<'EOF'
import json, sys
ledger = [l.split() for l in open(sys.argv[1]) if l.strip()]
rows = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
deny_full = sys.argv[3]
ids = [r["request_id"] for r in rows]
out = []
served = [e for e in ledger if e[1] == "200"]
refused = [e for e in ledger if e[1] == "403" and e[2] != deny_full]
out.append("served without a row: %s" % ([e for e in served if e[2] not in ids] or "none"))
out.append("503s with a row: %s" % ([e for e in ledger if e[1] == "503" and e[2] in ids] or "none"))
out.append("refusals without a row: %s" % ([e for e in refused if e[2] not in ids] or "none"))
out.append("rows of no request in the ledger: %s" % ([i for i in ids if i not in [e[2] for e in ledger]] or "none"))
print("\n".join(out))
print("count %d %d" % (len(rows), len(served) + len(refused)))
EOF
)
printf '%s\n' "$CHECK" | sed 's/^/#   /'
expect_contains "after exit: every 200 has its audit row" "served without a row: none" "$CHECK"
expect_contains "after exit: no refused-unaudited pull has a row" "503s with a row: none" "$CHECK"
expect_contains "after exit: every 403 decided while the store worked has its row" \
	"refusals without a row: none" "$CHECK"
N_ROWS=$(printf '%s\n' "$CHECK" | awk '/^count / {print $2}')
N_WANT=$(printf '%s\n' "$CHECK" | awk '/^count / {print $3}')
expect_contains "after exit: no row of a request the test did not make" \
	"rows of no request in the ledger: none" "$CHECK"
expect_eq "after exit: rows = 200s + refusals decided while the store worked" \
	"$N_WANT" "$N_ROWS"
expect_eq "after exit: the first pull after the disk filled has its row" 1 \
	"$(grep -c "\"request_id\":\"$FIRST_FULL_ID\"" "$E2E_TMP/audit.jsonl")"
expect_eq "after exit: the refusal while the disk was full has none" 0 \
	"$(grep -c "\"request_id\":\"$DENY_FULL_ID\"" "$E2E_TMP/audit.jsonl")"
finish
