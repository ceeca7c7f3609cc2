#!/bin/bash
# replicas.test.sh - two regwarden replicas (A and B) sharing one PostgreSQL
# (issue #12): a pin added through A (`regwarden pins -c A add`) is enforced
# by B on the next pull (podman), and moving it refuses on B; a report posted
# to A's POST /scans changes B's decision; an exception added through A
# admits on B within a second; concurrent pin_on_first_pull pulls through
# both leave exactly one pin; twenty concurrent held pulls spread over both
# run the scanner once; the audit table holds the rows of both.  Then
# PostgreSQL is stopped for about 30 s while pulls go on: no undecided image
# is ever served (503 "could not decide" or "could not record"), /readyz
# says not ready, and after the restart both replicas reconnect by
# themselves, pulls are admitted again, and every pull that was answered 200
# has its audit row (matched by request id).
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"
. "$RW_SOURCE_DIR/tests/pglib.sh"

need_tools docker-registry skopeo podman curl psql sha256sum
rw_only || { pass "replica tests need regwarden (E2E_DIRECT=1)"; finish; }
[ -x "$PG_BIN/initdb" ] || die "PostgreSQL 15 is not installed ($PG_BIN)"

E2E_CLEANUPS+=("pg_kill")
pg_start "$E2E_TMP" || die "could not start PostgreSQL"
add_log "$PG_SOCK/pg.log"
pg_psql "CREATE DATABASE regwarden" || die "CREATE DATABASE failed"
DB_URL="postgresql://regwarden@127.0.0.1:$PG_PORT/regwarden"
# count SQL: one number from the shared database.
count() { psql -X -q -A -t "$DB_URL" -c "$1" 2>/dev/null; }
# codes_of GLOB: "CODE x N; ..." over the curl status files GLOB names.
codes_of() {
	for f in $1; do cat "$f"; echo; done | sort | uniq -c |
		awk '{printf "%s x %s; ", $2, $1}'
}

start_registry
for spec in pinned:61 pinned2:62 first:63 scan-crit:64 scan-fresh:65 \
	held:66 count:67 down:68 down2:69 legacy:70; do
	mkimage "$E2E_TMP/${spec%%:*}" --seed "${spec##*:}" --layers 1 \
		--layer-size 8k --user 1000
done
seed_image "$E2E_TMP/pinned" e2e/pinned:1.0.0
seed_image "$E2E_TMP/pinned2" e2e/pinned:2.0.0
for n in first scan-crit scan-fresh held count down down2 legacy; do
	seed_image "$E2E_TMP/$n" "e2e/$n:1.0.0"
done
top_of() { json_get "$E2E_TMP/$1.json" 'j["top"]'; }
P1=$(top_of pinned)
P2=$(top_of pinned2)
HELD_TOP=$(top_of held)
image_report "$E2E_TMP/scan-crit" docker.io/e2e/scan-crit \
	--from "$SCAN_FIXTURES/trivy-alpine-39-high-critical.json"
CRIT_REPORT=$REPORT
image_report "$E2E_TMP/scan-fresh" docker.io/e2e/scan-fresh
FRESH_REPORT=$REPORT

POLICY=$E2E_TMP/policy.json
cat >"$POLICY" <<'EOF'
// replicas.test.sh: pins, first-pull pins, scans and held scans.
{
  "version": 1,
  "default": "deny",
  "rules": [
    { "name": "pinned", "match": "docker.io/e2e/pinned", "pins": {} },
    { "name": "legacy", "match": "docker.io/e2e/legacy", "pins": {} },
    { "name": "first", "match": "docker.io/e2e/first",
      "pins": { "pin_on_first_pull": true } },
    { "name": "scanned", "match": "docker.io/e2e/scan-*",
      "scan": { "max_severity": "high", "unscanned": "deny" } },
    { "name": "held", "match": "docker.io/e2e/held",
      "scan": { "max_severity": "high", "unscanned": "hold" } },
    { "name": "down2", "match": "docker.io/e2e/down2",
      "pins": { "enforce": false } },
    { "name": "open", "match": "docker.io/e2e/*" }
  ]
}
EOF

# The scanner both replicas are given: one line per run in RUNS.
RUNS=$E2E_TMP/scanner.runs
: >"$RUNS"
SCANNER_CMD=$("$PY" -c 'import json,sys; print(json.dumps(sys.argv[1:]))' \
	"$PY" "$E2E_DIR/fake_scanner.py" --registry "$REG_URL" --runs "$RUNS" \
	--done "$E2E_TMP/scanner.done" --sleep "e2e/held@=2" '{ref}' '{digest}')

# start_replica NAME: regwarden NAME on the shared database, with an admin
# listener; its RW_*/ADMIN_* saved as NAME_URL, NAME_HOST, NAME_CONF, ...
start_replica() {
	local name=$1
	admin_section
	RW_INSTANCE=$name start_regwarden "$(default_upstreams)" "{
	  \"policy\": \"$POLICY\",
	  \"admin\": $ADMIN_JSON,
	  \"database\": { \"url\": \"$DB_URL\" },
	  \"scanner\": { \"command\": $SCANNER_CMD, \"hold_seconds\": 20 }
	}"
	printf -v "${name}_URL" %s "$RW_URL"
	printf -v "${name}_HOST" %s "$RW_HOST"
	printf -v "${name}_CONF" %s "$RW_CONF"
	printf -v "${name}_PID" %s "$RW_PID"
	printf -v "${name}_LOG" %s "$RW_LOG"
	printf -v "${name}_ADMIN" %s "$ADMIN_URL"
	printf -v "${name}_TOKEN" %s "$ADMIN_TOKEN"
}
# use NAME: point RW_URL, RW_HOST, RW_CONF, ADMIN_URL, ... at replica NAME.
use() {
	local v
	for v in URL HOST CONF PID LOG; do
		eval "RW_$v=\${$1_$v}"
	done
	eval "ADMIN_URL=\${$1_ADMIN}; ADMIN_TOKEN=\${$1_TOKEN}"
}
# ---- an existing SQLite installation, migrated ------------------------------

LEGACY=$E2E_TMP/legacy
mkdir -p "$LEGACY/state"
printf '{"state_dir": "%s", "plain_proxy": true, "upstreams": %s}\n' \
	"$LEGACY/state" "$(default_upstreams)" >"$LEGACY/config.json"
OUT=$("$RW_BIN" pins -c "$LEGACY/config.json" add docker.io/e2e/legacy:1.0.0 \
	"$(top_of legacy)" 2>&1) || die "pins add on the SQLite installation failed: $OUT"
"$RW_BIN" exceptions -c "$LEGACY/config.json" add CVE-2000-0001 \
	--repo 'docker.io/e2e/**' --expires 1h --reason legacy >/dev/null 2>&1 ||
	die "exceptions add on the SQLite installation failed"
OUT=$("$RW_BIN" db migrate --from "$LEGACY/state" --to "$DB_URL" 2>&1)
expect_eq "db migrate --from STATE_DIR --to URL exits 0" 0 $?
log "db migrate:"
printf '%s\n' "$OUT" | sed 's/^/#   /'
expect_contains "...names both stores" "copying $LEGACY/state into $DB_URL (postgresql)" "$OUT"
expect_contains "...copies the pin" "pins             1 read, 1 added" "$OUT"
expect_contains "...and the exception" "exceptions       1 read, 1 added" "$OUT"
OUT=$("$RW_BIN" db migrate --from "$LEGACY/state/regwarden.db" --to "$DB_URL" 2>&1)
expect_match "db migrate again (from the file) adds nothing" \
	'^done: [0-9]+ rows read, 0 added$' "$(printf '%s\n' "$OUT" | tail -1)"

start_replica A
start_replica B
OUT=$("$RW_BIN" db -c "$A_CONF" status 2>&1)
log "db status:"
printf '%s\n' "$OUT" | sed 's/^/#   /'
expect_contains "db status names the backend" "backend: postgresql $DB_URL" "$OUT"
expect_contains "...and the schema version" "schema version: 7 (this regwarden: 7)" "$OUT"
expect_contains "...and counts the rows" "pins             1" "$OUT"
use B
get_manifest e2e/legacy 1.0.0
expect_code "B admits e2e/legacy:1.0.0 on the pin migrated from SQLite" 200
expect_contains "A logs its database (password never shown)" \
	"database: postgresql $DB_URL" "$(cat "$A_LOG")"
podman_init

# ---- pins: added through A, enforced by B ---------------------------------

use B
if podman_pull e2e/pinned:1.0.0; then
	fail "B admitted e2e/pinned:1.0.0 before it was pinned"
else
	expect_contains "B refuses the unpinned tag" "not pinned" "$PODMAN_OUT"
fi
OUT=$("$RW_BIN" pins -c "$A_CONF" add docker.io/e2e/pinned:1.0.0 "$P1" 2>&1) ||
	fail "regwarden pins -c A add failed: $OUT"
if podman_pull e2e/pinned:1.0.0; then
	pass "a pin added through A admits on B at the next podman pull"
else
	fail "B still refuses e2e/pinned:1.0.0 after pins add on A: $PODMAN_OUT"
fi
OUT=$("$RW_BIN" pins -c "$A_CONF" add docker.io/e2e/pinned:1.0.0 "$P2" 2>&1) ||
	fail "regwarden pins -c A add (move) failed: $OUT"
if podman_pull e2e/pinned:1.0.0; then
	fail "B admitted e2e/pinned:1.0.0 after A moved its pin elsewhere"
else
	expect_contains "a pin moved through A refuses on B" "$P2" "$PODMAN_OUT"
	show_client_line podman "$PODMAN_OUT"
fi
expect_contains "pins ls through B lists A's pin" "$P2" \
	"$("$RW_BIN" pins -c "$B_CONF" ls 2>&1)"

# ---- scans: a report posted to A changes B's decision ---------------------

use B
get_manifest e2e/scan-fresh 1.0.0
expect_oci_error "B refuses the unscanned e2e/scan-fresh" 403
use A
post_scans "$FRESH_REPORT"
expect_code "POST /scans to A imports the report" 201
# B learns of the import by A's NOTIFY, sent at commit: its refusal may be
# served until the notification arrives (CI saw one such pull right after).
use B
t0=$(date +%s%N)
ok=0
for _ in $(seq 10); do
	get_manifest e2e/scan-fresh 1.0.0
	[ "$R_CODE" = 200 ] && { ok=1; break; }
	sleep 0.1
done
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$ok" = 1 ] && [ "$ms" -le 1000 ]; then
	pass "B admits e2e/scan-fresh within a second of A importing its report ($ms ms)"
else
	fail "B did not admit e2e/scan-fresh within a second of A's import (last $R_CODE after $ms ms)"
fi

# ---- exceptions: added through A, admitting on B within a second ----------

use A
post_scans "$CRIT_REPORT"
expect_code "POST /scans (critical CVE) to A" 201
use B
get_manifest e2e/scan-crit 1.0.0
expect_oci_error "B refuses e2e/scan-crit on A's report" 403
expect_contains "...naming the CVE" "CVE-2019-14697" "$(cat "$R_BODY")"
OUT=$("$RW_BIN" exceptions -c "$A_CONF" add CVE-2019-14697 \
	--repo docker.io/e2e/scan-crit --expires 1h --reason "e2e" 2>&1) ||
	fail "regwarden exceptions -c A add failed: $OUT"
t0=$(date +%s%N)
ok=0
for _ in $(seq 10); do
	get_manifest e2e/scan-crit 1.0.0
	[ "$R_CODE" = 200 ] && { ok=1; break; }
	sleep 0.1
done
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$ok" = 1 ] && [ "$ms" -le 1000 ]; then
	pass "an exception added through A admits on B within a second ($ms ms)"
else
	fail "B did not admit e2e/scan-crit within a second of the exception (last $R_CODE after $ms ms)"
fi

# ---- pin_on_first_pull: concurrent first pulls through both ---------------

pids=()
for i in $(seq 10); do
	if ((i % 2)); then url=$A_URL; else url=$B_URL; fi
	curl -sk -o /dev/null -w '%{http_code}' --max-time 60 \
		-H "Accept: $CTR_ACCEPT" "$url/v2/e2e/first/manifests/1.0.0" \
		>"$E2E_TMP/first.$i.code" 2>/dev/null &
	pids+=($!)
done
wait "${pids[@]}"
codes=$(codes_of "$E2E_TMP/first.*.code")
expect_eq "ten concurrent first pulls through A and B all admitted" "200 x 10; " "$codes"
expect_eq "...and exactly one pin recorded" 1 \
	"$(count "SELECT count(*) FROM pins WHERE repo = 'e2e/first'")"
expect_eq "...a first-pull pin of the real digest" "$(top_of first) first-pull" \
	"$(count "SELECT digest || ' ' || source FROM pins WHERE repo = 'e2e/first'")"

# ---- twenty held pulls over both replicas, one scanner run ----------------

pids=()
for i in $(seq 20); do
	if ((i % 2)); then url=$A_URL; else url=$B_URL; fi
	curl -sk -o "$E2E_TMP/held.$i.body" -w '%{http_code}' --max-time 60 \
		-H "Accept: $CTR_ACCEPT" "$url/v2/e2e/held/manifests/1.0.0" \
		>"$E2E_TMP/held.$i.code" 2>/dev/null &
	pids+=($!)
done
wait "${pids[@]}"
codes=$(codes_of "$E2E_TMP/held.*.code")
expect_eq "twenty concurrent held pulls through A and B all admitted" "200 x 20; " "$codes"
bodies=$(for i in $(seq 20); do sha256sum "$E2E_TMP/held.$i.body" | awk '{print "sha256:" $1}'; done | sort -u)
expect_eq "...all with the real manifest" "$HELD_TOP" "$bodies"
expect_eq "...and exactly one scanner run across both replicas" 1 \
	"$(grep -c '^docker\.io/e2e/held@' "$RUNS")"

# ---- the audit log holds the rows of both ---------------------------------

for i in 1 2 3; do use A; get_manifest e2e/count 1.0.0; done
for i in 1 2; do use B; get_manifest e2e/count 1.0.0; done
wait_until 5 test "$(count "SELECT count(*) FROM audit WHERE repo = 'e2e/count'")" = 5
expect_eq "three pulls through A and two through B: five audit rows" 5 \
	"$(count "SELECT count(*) FROM audit WHERE repo = 'e2e/count'")"
use B
OUT=$("$RW_BIN" audit -c "$B_CONF" --repo 'e2e/count' 2>&1)
expect_eq "regwarden audit -c B lists them" 5 "$(printf '%s\n' "$OUT" | grep -c 'e2e/count')"

# ---- PostgreSQL stopped for ~30 s, then back -------------------------------

LEDGER=$E2E_TMP/ledger
: >"$LEDGER"
# pull NAME REPO: a pull through replica NAME, recorded in LEDGER.
pull() {
	use "$1"
	get_manifest "$2" 1.0.0
	echo "$1 $R_CODE $(hdr X-Request-Id) $2 $(body_digest)" >>"$LEDGER"
}
pull A e2e/down
pull B e2e/down
# Pulls go on while PostgreSQL shuts down: a row taken just before it went
# away is kept and written after the restart.
pg_down &
stopper=$!
for _ in $(seq 20); do
	pull A e2e/down
	pull B e2e/down
	kill -0 "$stopper" 2>/dev/null || break
done
wait "$stopper" || die "pg_ctl stop failed"
log "PostgreSQL stopped"
down_start=$(date +%s)
served_undecided=0
while [ $(($(date +%s) - down_start)) -lt 30 ]; do
	for r in A B; do
		pull "$r" e2e/down2
		[ "$R_CODE" = 200 ] && served_undecided=$((served_undecided + 1))
		pull "$r" e2e/down
	done
	sleep 2
done
expect_eq "with PostgreSQL down, an image whose decision needs the database is never served" 0 "$served_undecided"
codes=$(awk '$4 == "e2e/down2" {print $2}' "$LEDGER" | sort -u | tr '\n' ' ')
expect_eq "...it is answered 503 throughout" "503 " "$codes"
use A
get_manifest e2e/down2 1.0.0
expect_contains "...with \"could not decide\" or \"could not record\"" "could not" \
	"$(cat "$R_BODY")"
log "while down: $(cat "$R_BODY" | head -c 300)"
req GET "$A_ADMIN/readyz" -H "Authorization: Bearer $A_TOKEN"
expect_eq "A's /readyz says not ready while PostgreSQL is down" 503 "$R_CODE"
log "readyz while down: $(cat "$R_BODY")"
pg_up || die "pg_ctl start failed"
log "PostgreSQL started again after $(($(date +%s) - down_start)) s"
ready_in() { req GET "$1/readyz" -H "Authorization: Bearer $2"; [ "$R_CODE" = 200 ]; }
if wait_until 15 ready_in "$A_ADMIN" "$A_TOKEN" && wait_until 15 ready_in "$B_ADMIN" "$B_TOKEN"; then
	pass "both replicas are ready again within 15 s of the restart"
else
	fail "a replica did not become ready again after PostgreSQL came back"
fi
ok_in() { use "$1"; get_manifest e2e/down2 1.0.0; [ "$R_CODE" = 200 ]; }
wait_until 10 ok_in A; pull A e2e/down2
expect_eq "after the restart A admits e2e/down2" 200 "$R_CODE"
wait_until 10 ok_in B; pull B e2e/down2
expect_eq "after the restart B admits e2e/down2" 200 "$R_CODE"

# Every answered-200 pull of the whole outage has its row, by request id.
ids=$(awk '$2 == 200 && $3 != "" {print $3}' "$LEDGER")
n_ids=$(printf '%s\n' "$ids" | grep -c .)
missing=0
check_rows() {
	missing=0
	for id in $ids; do
		[ "$(count "SELECT count(*) FROM audit WHERE request_id = '$id'")" = 1 ] ||
			missing=$((missing + 1))
	done
	[ "$missing" = 0 ]
}
wait_until 10 check_rows
expect_eq "every one of the $n_ids pulls served around the outage has exactly one audit row" 0 "$missing"
log "ledger: $(awk '{print $1, $2, $4}' "$LEDGER" | sort | uniq -c | tr '\n' ';')"

for r in A B; do
	use "$r"
	stop_regwarden_checked
done
pg_down
finish
