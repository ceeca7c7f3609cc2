#!/bin/bash
# scan_grace.test.sh - scan.grace_days (issue #17): an image admitted
# before a new report finds a critical CVE in it stays admitted, with a
# warning naming the CVE and the end of its grace period (the Warning
# header, the audit row, the decision's log line; what podman and ctr
# print is logged), while an image never admitted before is refused for
# the same CVE; with grace_days 0 the admitted image is refused too.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo podman containerd ctr curl sha256sum
rw_only || { pass "grace periods need regwarden (E2E_DIRECT=1)"; finish; }

start_registry
mkimage "$E2E_TMP/used" --seed 61 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/newcomer" --seed 62 --layers 1 --layer-size 20k --user 1000
USED_TOP=$(json_get "$E2E_TMP/used.json" 'j["top"]')
seed_image "$E2E_TMP/used" e2e/used:1.0
seed_image "$E2E_TMP/newcomer" e2e/newcomer:1.0

# A clean report for used (admitted on its first pull), then one with a
# critical CVE for both, scanned at a fixed time so messages are exact.
image_report "$E2E_TMP/used" docker.io/e2e/used --created 2026-12-07T08:00:00Z
CLEAN_REPORT=$REPORT
cp "$CLEAN_REPORT" "$E2E_TMP/used.clean.json"
image_report "$E2E_TMP/used" docker.io/e2e/used --created 2026-12-07T09:00:00Z \
	--vuln CVE-2026-1234 CRITICAL openssl 3.0.1 3.0.9
CVE_USED=$REPORT
image_report "$E2E_TMP/newcomer" docker.io/e2e/newcomer --created 2026-12-07T09:00:00Z \
	--vuln CVE-2026-1234 CRITICAL openssl 3.0.1 3.0.9
CVE_NEW=$REPORT

POLICY=$E2E_TMP/policy.json
write_policy() {
	cat >"$POLICY" <<EOF
// scan_grace.test.sh: new findings on an image in use get $1 days.
{
  "version": 1,
  "default": "deny",
  "rules": [
    { "name": "apps", "match": "docker.io/e2e/*",
      "scan": { "max_severity": "high", "unscanned": "deny", "grace_days": $1 } }
  ]
}
EOF
}
write_policy 14
L_APPS=$(grep -n '"name": "apps"' "$POLICY" | cut -d: -f1)

start_regwarden_policy "$POLICY"
start_containerd
podman_init
ACCEPT=(-H 'Accept: application/vnd.oci.image.manifest.v1+json')

OUT=$(rw_admin scans import "$E2E_TMP/used.clean.json" 2>&1) ||
	die "scans import of the clean report failed: $OUT"
if podman_pull e2e/used:1.0; then
	pass "clean report: podman pull e2e/used:1.0 admitted (its first admission)"
else
	fail "clean report: podman pull e2e/used:1.0 failed: $PODMAN_OUT"
fi

# The new report comes in at least a second after the first admission.
sleep 1.1
OUT=$(rw_admin scans import "$CVE_USED" "$CVE_NEW" 2>&1) ||
	die "scans import of the CVE reports failed: $OUT"
# The grace period runs from the import of the first report with the CVE.
IMPORTED=$(rw_admin scans ls --json 2>/dev/null | "$PY" -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if "e2e/used" in json.dumps(r["images"]) and r["findings"] > 0:
        print(r["imported_at"])' | sort | head -n 1)
[ -n "$IMPORTED" ] || die "scans ls shows no report with findings for e2e/used"
UNTIL=$(date -u -d "@$(( $(date -u -d "$IMPORTED" +%s) + 14 * 86400 ))" +%Y-%m-%dT%H:%M:%SZ)
log "CVE report imported $IMPORTED; grace until $UNTIL"

TAIL="; scanned 2026-12-07T09:00:00Z by trivy 0.50.1; upgrade the packages, or ask for an exception: regwarden exceptions add CVE-2026-1234 --repo docker.io/e2e/used --expires 30d --reason \"<why>\""
W_MSG="regwarden: warning: docker.io/e2e/used:1.0 admitted by rule \"apps\" (policy.json:$L_APPS): 1 new finding within the grace period until $UNTIL (scan.grace_days 14): CVE-2026-1234 (critical, openssl 3.0.1 → 3.0.9); fix it before then$TAIL."

# A header carries ASCII: the arrow is "->" there, and quotes are escaped.
W_HDR=${W_MSG//→/->}
W_HDR=${W_HDR//\"/\\\"}
req GET "$RW_URL/v2/e2e/used/manifests/1.0" "${ACCEPT[@]}"
expect_code "within the grace period: GET of e2e/used:1.0 is served" 200
expect_eq "within the grace period: the manifest served is the real one" "$USED_TOP" \
	"sha256:$(sha256sum "$R_BODY" | awk '{print $1}')"
expect_eq "within the grace period: the Warning header names the CVE and the date" \
	"299 - \"$W_HDR\"" "$(hdr Warning)"
log "Warning: $(hdr Warning)"

if podman_pull e2e/used:1.0; then
	pass "within the grace period: podman pull e2e/used:1.0 admitted"
else
	fail "within the grace period: podman pull e2e/used:1.0 failed: $PODMAN_OUT"
fi
# podman and ctr do not show a Warning header: logged for the reader.
printf '%s\n' "$PODMAN_OUT" | sed 's/^/#   podman: /' | head -n 8
if ctr_pull e2e/used:1.0; then
	pass "within the grace period: ctr pull docker.io/e2e/used:1.0 admitted"
else
	fail "within the grace period: ctr pull failed: $CTR_OUT"
fi
printf '%s\n' "$CTR_OUT" | grep -v '^\s*$' | tail -n 3 | sed 's/^/#   ctr: /'

# The audit trail and the log say what the clients do not show.
AUDIT_JSON=$E2E_TMP/audit.jsonl
rw_admin audit --json >"$AUDIT_JSON" 2>"$E2E_TMP/audit.err" ||
	fail "regwarden audit --json failed: $(cat "$E2E_TMP/audit.err")"
add_log "$AUDIT_JSON"
expect_eq "audit: the pulls within the grace period are rows with verdict warn and the warning" \
	"warn $W_MSG" "$("$PY" -c 'import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if r.get("repo") == "e2e/used" and r.get("reference") == "1.0" and r.get("verdict") != "allow"]
print(rows[0]["verdict"], rows[0]["message"]) if rows else print("none")' "$AUDIT_JSON")"
expect_match "audit: the reasons hold the failed scan.grace check" '"check": *"scan.grace", *"failed": *true' \
	"$(grep -F 'within the grace period' "$AUDIT_JSON" | head -n 1)"
expect_match "log: the decision line has verdict=warn and the message" \
	"verdict=warn .*message=.*1 new finding within the grace period until $UNTIL" \
	"$(grep -F 'decision' "$RW_LOG" | grep -F 'e2e/used' | grep -F 'verdict=warn' | head -n 1)"

# explain reads the same facts from the state database.
XOUT=$("$RW_BIN" explain -c "$RW_CONF" docker.io/e2e/used:1.0 2>&1)
XRC=$?
printf '%s\n' "$XOUT" | sed 's/^/#   explain: /' | grep -E 'decision|scan'
expect_contains "explain: the decision is a warning" "decision:   warn (would be served with a warning)" "$XOUT"
expect_contains "explain: the failed scan.grace check, as the server decided it (non-ASCII escaped)" \
	"FAIL scan.grace: 1 new finding within the grace period until $UNTIL (scan.grace_days 14): CVE-2026-1234 (critical, openssl 3.0.1 \\xe2\\x86\\x92 3.0.9); fix it before then$TAIL" "$XOUT"
log "explain exited $XRC"

# Never admitted before: the same CVE refuses it, no grace.
if podman_pull e2e/newcomer:1.0; then
	fail "never admitted: podman pull e2e/newcomer:1.0 was admitted"
else
	expect_contains "never admitted: podman pull refused with the CVE named" \
		"regwarden: docker.io/e2e/newcomer:1.0 refused by rule \"apps\" (policy.json:$L_APPS): 1 finding above high: CVE-2026-1234 (critical, openssl 3.0.1 → 3.0.9); scanned 2026-12-07T09:00:00Z by trivy 0.50.1; upgrade the packages, or ask for an exception: regwarden exceptions add CVE-2026-1234 --repo docker.io/e2e/newcomer --expires 30d --reason \"<why>\"." \
		"$PODMAN_OUT"
fi
show_client_line podman "$PODMAN_OUT"

# grace_days 0: the admitted image is refused as any other.
touch -r "$POLICY" "$E2E_TMP/mtime.ref"
write_policy 0
n_loaded=$(grep -cF "policy $POLICY loaded (revision" "$RW_LOG")
kill -HUP "$RW_PID"
wait_until 15 eval '[ "$(grep -cF "policy $POLICY loaded (revision" "$RW_LOG")" -gt '"$n_loaded"' ]' ||
	fail "grace_days 0: the policy was not reloaded within 15 s of SIGHUP"
R_MSG="regwarden: docker.io/e2e/used:1.0 refused by rule \"apps\" (policy.json:$L_APPS): 1 finding above high: CVE-2026-1234 (critical, openssl 3.0.1 → 3.0.9)$TAIL."
if podman_pull e2e/used:1.0; then
	fail "grace_days 0: podman pull e2e/used:1.0 still admitted"
else
	expect_contains "grace_days 0: podman pull refused with the CVE named" "$R_MSG" "$PODMAN_OUT"
fi
show_client_line podman "$PODMAN_OUT"
if ctr_pull e2e/used:1.0; then
	fail "grace_days 0: ctr pull docker.io/e2e/used:1.0 still admitted"
else
	expect_contains "grace_days 0: ctr shows the refusal" \
		"refused by rule \"apps\" (policy.json:$L_APPS): 1 finding above high: CVE-2026-1234" "$CTR_OUT"
fi
show_client_line ctr "$CTR_OUT"

stop_regwarden_checked
finish
