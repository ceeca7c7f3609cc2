#!/bin/bash
# scans_gate.test.sh - scan verdicts at pull time, with the real registry,
# ctr and podman: an image whose imported Trivy report has a critical CVE is
# refused with the CVE named in the client's stderr; `regwarden exceptions
# add` admits it on the next pull (no restart); an exception that expires
# admits the image and, from its expiry on, no longer does (the refusal says
# when it expired); an unscanned image under "unscanned": "deny" is refused
# until a report posted to the admin listener's POST /scans admits it; and
# `regwarden scans ls --failing` and `regwarden audit --denied` show what was
# blocked by which CVE.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo podman containerd ctr curl sha256sum date
rw_only || { pass "scan tests need regwarden (E2E_DIRECT=1)"; finish; }
FIXTURE=$SCAN_FIXTURES/trivy-alpine-39-high-critical.json
[ -f "$FIXTURE" ] || die "scan report fixture missing: $FIXTURE"

start_registry

# Distinct seeds, distinct blobs: no layer is shared between the images.
mkimage "$E2E_TMP/clean" --seed 41 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/crit" --seed 42 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/brief" --seed 43 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/fresh" --seed 44 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/gr" --seed 45 --layers 1 --layer-size 20k --user 1000
CRIT_TOP=$(json_get "$E2E_TMP/crit.json" 'j["top"]')
BRIEF_TOP=$(json_get "$E2E_TMP/brief.json" 'j["top"]')
FRESH_TOP=$(json_get "$E2E_TMP/fresh.json" 'j["top"]')
seed_image "$E2E_TMP/clean" e2e/clean:1.0.0
seed_image "$E2E_TMP/crit" e2e/crit:1.0.0
seed_image "$E2E_TMP/brief" e2e/brief:1.0.0
seed_image "$E2E_TMP/fresh" e2e/fresh:1.0.0
seed_image "$E2E_TMP/gr" e2e/gr:1.0.0

# crit and brief get the fixture's findings (CVE-2019-14697, critical, in
# musl and musl-utils; scanned 2021-08-25T12:20:30Z by trivy "dev") on their
# own digests; clean a report without findings.
image_report "$E2E_TMP/crit" docker.io/e2e/crit --from "$FIXTURE"
CRIT_REPORT=$REPORT
image_report "$E2E_TMP/brief" docker.io/e2e/brief --from "$FIXTURE"
BRIEF_REPORT=$REPORT
image_report "$E2E_TMP/clean" docker.io/e2e/clean
CLEAN_REPORT=$REPORT
image_report "$E2E_TMP/fresh" docker.io/e2e/fresh --created 2025-06-01T00:00:00Z
FRESH_REPORT=$REPORT
# A Grype report: one critical finding (Grype's title-case severity).
image_report "$E2E_TMP/gr" docker.io/e2e/gr --format grype \
	--created 2025-06-01T00:00:00Z \
	--vuln GHSA-jfh8-c2jp-5v3q Critical log4j-core 2.14.1 2.15.0 \
	--vuln CVE-2024-0003 Medium busybox 1.36.1-r0 ""
GR_REPORT=$REPORT

POLICY=$E2E_TMP/policy.json
cat >"$POLICY" <<'EOF'
// scans_gate.test.sh: nothing above high, and no pull without a verdict.
{
  "version": 1,
  "default": "deny",
  "rules": [
    {
      "name": "apps",
      "match": "docker.io/e2e/*",
      "scan": { "max_severity": "high", "unscanned": "deny" }
    }
  ]
}
EOF
L_APPS=$(grep -n '"name": "apps"' "$POLICY" | cut -d: -f1)

admin_section
start_regwarden_policy "$POLICY" "{\"admin\": $ADMIN_JSON}"
wait_until 10 code_is 200 "$ADMIN_URL/healthz" ||
	die "the admin listener did not answer $ADMIN_URL/healthz within 10 s"
start_containerd
podman_init

# ---- import with the CLI, into the running server -------------------------

if OUT=$(rw_admin scans import "$CRIT_REPORT" "$BRIEF_REPORT" "$CLEAN_REPORT" 2>&1); then
	pass "regwarden scans import of three Trivy reports"
else
	fail "regwarden scans import failed: $OUT"
fi
log "scans import: $(printf '%s' "$OUT" | tr '\n' '|')"

# ---- the gate --------------------------------------------------------------

# A clean report admits: the refusals below are the findings' doing.
if podman_pull e2e/clean:1.0.0; then
	pass "clean report: podman pull e2e/clean:1.0.0 admitted"
else
	fail "clean report: podman pull e2e/clean:1.0.0 failed: $PODMAN_OUT"
fi
if ctr_pull e2e/clean:1.0.0; then
	pass "clean report: ctr pull docker.io/e2e/clean:1.0.0 admitted"
else
	fail "clean report: ctr pull docker.io/e2e/clean:1.0.0 failed: $CTR_OUT"
fi

# scan_tail REPO [EXPIRED]: what follows "refused by rule ..." for the
# fixture's findings (EXPIRED: the date the exception covering them ended).
scan_tail() {
	local x=""
	[ -n "${2:-}" ] && x="; exception expired $2"
	printf '2 findings above high: CVE-2019-14697 (critical, musl 1.1.20-r4 → 1.1.20-r5%s), CVE-2019-14697 (critical, musl-utils 1.1.20-r4 → 1.1.20-r5%s); scanned 2021-08-25T12:20:30Z by trivy dev; upgrade the packages, or ask for an exception: regwarden exceptions add CVE-2019-14697 --repo docker.io/%s --expires 30d --reason "<why>".' \
		"$x" "$x" "$1"
}

# refused_scan LABEL REPO DIGEST [EXPIRED]: ctr and podman pulls of
# REPO:1.0.0 fail, and each client shows the whole message.  ctr resolves
# the tag with HEAD and fetches by digest, so its message may name the
# digest instead of the tag.
refused_scan() {
	local label=$1 repo=$2 digest=$3 tail
	tail="refused by rule \"apps\" (policy.json:$L_APPS): $(scan_tail "$repo" "${4:-}")"
	if ctr_pull "$repo:1.0.0"; then
		fail "$label: ctr pull of docker.io/$repo:1.0.0 succeeded"
	else
		expect_contains_any "$label: ctr pull names the CVE" "$CTR_OUT" \
			"regwarden: docker.io/$repo:1.0.0 $tail" \
			"regwarden: docker.io/$repo@$digest $tail"
	fi
	show_client_line ctr "$CTR_OUT"
	if podman_pull "$repo:1.0.0"; then
		fail "$label: podman pull of $repo:1.0.0 succeeded"
	else
		expect_contains "$label: podman pull names the CVE" \
			"regwarden: docker.io/$repo:1.0.0 $tail" "$PODMAN_OUT"
	fi
	show_client_line podman "$PODMAN_OUT"
}

# admitted LABEL REPO: ctr and podman pulls of REPO:1.0.0 succeed.
admitted() {
	if ctr_pull "$2:1.0.0"; then
		pass "$1: ctr pull docker.io/$2:1.0.0 admitted"
	else
		fail "$1: ctr pull docker.io/$2:1.0.0 failed: $CTR_OUT"
	fi
	if podman_pull "$2:1.0.0"; then
		pass "$1: podman pull $2:1.0.0 admitted"
	else
		fail "$1: podman pull $2:1.0.0 failed: $PODMAN_OUT"
	fi
}

refused_scan "critical CVE" e2e/crit "$CRIT_TOP"
refused_scan "critical CVE (second image)" e2e/brief "$BRIEF_TOP"

# ---- exceptions ------------------------------------------------------------

if OUT=$(rw_admin exceptions add CVE-2019-14697 --repo docker.io/e2e/crit \
	--expires 1h --reason "musl is not used by the app (e2e)" 2>&1); then
	pass "regwarden exceptions add CVE-2019-14697 --repo docker.io/e2e/crit --expires 1h"
else
	fail "regwarden exceptions add failed: $OUT"
fi
log "exceptions add: $OUT"
admitted "exception for crit" e2e/crit
LS=$(rw_admin exceptions ls 2>&1)
log "exceptions ls:"
printf '%s\n' "$LS" | sed 's/^/#   /'
expect_contains "exceptions ls lists the exception's reason" \
	"musl is not used by the app (e2e)" "$LS"

# The exception is scoped to docker.io/e2e/crit: brief is still refused.
req GET "$RW_URL/v2/e2e/brief/manifests/1.0.0" -H "Accept: $CTR_ACCEPT"
expect_oci_error "the crit exception does not cover e2e/brief" 403 DENIED

# A short exception, as an absolute time a few seconds ahead (the CLI also
# takes durations, as above).  A manifest GET is quick; its being admitted
# depends on nothing slower than that.
EXPIRES=$(date -u -d '+6 seconds' +%Y-%m-%dT%H:%M:%SZ)
if OUT=$(rw_admin exceptions add cve-2019-14697 --repo 'docker.io/e2e/b*' \
	--expires "$EXPIRES" --reason "short e2e exception" 2>&1); then
	pass "regwarden exceptions add cve-2019-14697 --repo docker.io/e2e/b* --expires $EXPIRES"
else
	fail "regwarden exceptions add (short) failed: $OUT"
fi
get_manifest e2e/brief 1.0.0
if [ "$R_CODE" = 200 ]; then
	pass "a short exception admits e2e/brief (id compared without case)"
	expect_eq "short exception: the manifest served" "$BRIEF_TOP" "$(body_digest)"
else
	fail "a short exception should admit e2e/brief (exception expires $EXPIRES, now $(date -u +%FT%TZ)): $(describe_resp)"
fi
# Wait until the expiry has passed (bounded: 15 s), then it no longer applies.
past() { [ "$(date -u +%s)" -ge "$1" ]; }
wait_until 15 past "$(date -u -d "$EXPIRES" +%s)" ||
	die "the clock did not pass $EXPIRES"
# From the expiry second on it no longer applies (POLICY.md), also to a
# decision cached while it did.
get_manifest e2e/brief 1.0.0
log "GET e2e/brief:1.0.0 at $(date -u +%T.%N | cut -c1-12), exception expired $EXPIRES: HTTP $R_CODE"
expect_oci_error "from $EXPIRES on the exception no longer admits e2e/brief" 403 DENIED
refused_scan "expired exception" e2e/brief "$BRIEF_TOP" "$EXPIRES"

# ---- POST /scans, unscanned: deny ------------------------------------------

T_FRESH="regwarden: docker.io/e2e/fresh:1.0.0 refused by rule \"apps\" (policy.json:$L_APPS): image has no scan verdict; scan it (trivy image docker.io/e2e/fresh@$FRESH_TOP) and import the report with regwarden scans import."
if podman_pull e2e/fresh:1.0.0; then
	fail "unscanned: podman pull e2e/fresh:1.0.0 succeeded"
else
	expect_contains "unscanned: podman pull is refused with the advice" "$T_FRESH" "$PODMAN_OUT"
fi
show_client_line podman "$PODMAN_OUT"

req POST "$ADMIN_URL/scans" -H "Authorization: Bearer ${ADMIN_TOKEN}x" \
	--data-binary "@$FRESH_REPORT"
expect_code "POST /scans with a wrong token is refused" 401
req POST "$ADMIN_URL/scans" --data-binary "@$FRESH_REPORT"
expect_code "POST /scans without a token is refused" 401
printf '{"SchemaVersion": 2, "Metadata": ' >"$E2E_TMP/truncated.json"
post_scans "$E2E_TMP/truncated.json"
expect_code "POST /scans of a truncated report is refused" 400
log "truncated report: $(head -c 300 "$R_BODY")"
get_manifest e2e/fresh 1.0.0
expect_oci_error "the refused POSTs changed nothing: e2e/fresh still refused" 403 DENIED

post_scans "$FRESH_REPORT"
expect_code "POST /scans of a clean report for e2e/fresh" 201
expect_eq "POST /scans answers" "imported" "$(tr -d '\r\n' <"$R_BODY")"
post_scans "$FRESH_REPORT"
expect_code "POST /scans of the same report again" 200
expect_eq "POST /scans again answers" "already imported" "$(tr -d '\r\n' <"$R_BODY")"
admitted "after POST /scans" e2e/fresh

# A Grype report posted the same way refuses its image.
get_manifest e2e/gr 1.0.0
expect_oci_error "e2e/gr has no verdict yet" 403 DENIED
post_scans "$GR_REPORT"
expect_code "POST /scans of a Grype report" 201
T_GR="regwarden: docker.io/e2e/gr:1.0.0 refused by rule \"apps\" (policy.json:$L_APPS): 1 finding above high: GHSA-jfh8-c2jp-5v3q (critical, log4j-core 2.14.1 → 2.15.0); scanned 2025-06-01T00:00:00Z by grype 0.87.0; upgrade the packages, or ask for an exception: regwarden exceptions add GHSA-jfh8-c2jp-5v3q --repo docker.io/e2e/gr --expires 30d --reason \"<why>\"."
if podman_pull e2e/gr:1.0.0; then
	fail "podman pull e2e/gr:1.0.0 succeeded although its Grype report has a critical finding"
else
	expect_contains "Grype report: podman pull names the finding" "$T_GR" "$PODMAN_OUT"
fi
show_client_line podman "$PODMAN_OUT"

# ---- one exception command for every finding --------------------------------

# Two critical findings under two ids: the refusal suggests --from-scan with
# the image's digest, and that one command admits it.
mkimage "$E2E_TMP/multi" --seed 46 --layers 1 --layer-size 20k --user 1000
seed_image "$E2E_TMP/multi" e2e/multi:1.0.0
MULTI_TOP=$(json_get "$E2E_TMP/multi.json" 'j["top"]')
image_report "$E2E_TMP/multi" docker.io/e2e/multi --created 2025-06-01T00:00:00Z \
	--vuln CVE-2024-1111 CRITICAL openssl 3.0.1 3.0.2 \
	--vuln CVE-2024-2222 HIGH curl 8.0.0 8.1.0 \
	--vuln CVE-2024-3333 CRITICAL zlib 1.2.13 1.3
post_scans "$REPORT"
expect_code "POST /scans of the report with two critical ids" 201
T_MULTI="regwarden: docker.io/e2e/multi:1.0.0 refused by rule \"apps\" (policy.json:$L_APPS): 2 findings above high: CVE-2024-1111 (critical, openssl 3.0.1 → 3.0.2), CVE-2024-3333 (critical, zlib 1.2.13 → 1.3); scanned 2025-06-01T00:00:00Z by trivy 0.50.1; upgrade the packages, or ask for an exception: regwarden exceptions add --from-scan $MULTI_TOP --repo docker.io/e2e/multi --expires 30d --reason \"<why>\"."
if podman_pull e2e/multi:1.0.0; then
	fail "podman pull e2e/multi:1.0.0 succeeded with two critical findings"
else
	expect_contains "two ids: podman shows one --from-scan command for both" "$T_MULTI" "$PODMAN_OUT"
fi
show_client_line podman "$PODMAN_OUT"
CMD=$(printf '%s\n' "$PODMAN_OUT" | grep -o 'regwarden exceptions add --from-scan [^"]*' | head -n1 | sed 's/ --reason $//')
# The suggested command as printed, with -c and a reason.
read -r -a WORDS <<<"$CMD"
OUT=$(rw_admin "${WORDS[@]:1}" --reason "e2e: accepted for the test" 2>&1)
expect_eq "the suggested command adds one exception per id of the scan" \
	"added exception N: CVE-2024-1111 in docker.io/e2e/multi until T
added exception N: CVE-2024-2222 in docker.io/e2e/multi until T
added exception N: CVE-2024-3333 in docker.io/e2e/multi until T" \
	"$(printf '%s\n' "$OUT" | sed -E 's/exception [0-9]+:/exception N:/; s/until .*/until T/' | sort)"
admitted "after exceptions add --from-scan" e2e/multi
ZERO=sha256:$(printf '%064d' 0)
OUT=$(rw_admin exceptions add --from-scan "$ZERO" --repo docker.io/e2e/multi \
	--expires 1d --reason x 2>&1)
expect_eq "--from-scan of a digest no scan names" \
	"1|regwarden: exceptions add: no scan names $ZERO; import its report first (regwarden scans import)" "$?|$OUT"

# ---- what was blocked by which CVE -----------------------------------------

CLEAN_TOP=$(json_get "$E2E_TMP/clean.json" 'j["top"]')
OUT=$(rw_admin scans ls --failing 2>&1)
log "scans ls --failing:"
printf '%s\n' "$OUT" | sed 's/^/#   /'
expect_contains "scans ls --failing lists crit's manifest" "$CRIT_TOP" "$OUT"
expect_contains "scans ls --failing lists brief's manifest" "$BRIEF_TOP" "$OUT"
expect_lacks "scans ls --failing leaves out the clean image" "$CLEAN_TOP" "$OUT"
expect_lacks "scans ls --failing leaves out the fresh image" "$FRESH_TOP" "$OUT"
OUT=$(rw_admin scans ls --failing --repo docker.io/e2e/crit 2>&1)
expect_contains "scans ls --failing --repo docker.io/e2e/crit lists crit" "$CRIT_TOP" "$OUT"
expect_lacks "scans ls --failing --repo docker.io/e2e/crit leaves out brief" "$BRIEF_TOP" "$OUT"
OUT=$(rw_admin scans ls 2>&1)
expect_contains "scans ls (all) lists the clean image" "$CLEAN_TOP" "$OUT"
expect_contains "scans ls (all) lists the report posted for fresh" "$FRESH_TOP" "$OUT"

OUT=$(rw_admin scans ls --findings --repo docker.io/e2e/multi 2>&1)
log "scans ls --findings --repo docker.io/e2e/multi:"
printf '%s\n' "$OUT" | sed 's/^/#   /'
expect_eq "scans ls --findings: a VULNERABILITIES column" VULNERABILITIES \
	"$(printf '%s\n' "$OUT" | head -n1 | awk '{print $NF}')"
expect_match "scans ls --findings: the CVE ids, worst first" \
	"current .* CVE-2024-1111, CVE-2024-3333, CVE-2024-2222$" "$(printf '%s\n' "$OUT" | sed -n 2p)"
OUT=$(rw_admin scans ls --findings --json --repo docker.io/e2e/multi 2>&1)
expect_eq "scans ls --findings --json: each finding" \
	"CVE-2024-1111 critical openssl 3.0.1 3.0.2|CVE-2024-3333 critical zlib 1.2.13 1.3|CVE-2024-2222 high curl 8.0.0 8.1.0|" \
	"$(printf '%s\n' "$OUT" | "$PY" -c 'import json,sys
for l in sys.stdin:
    for f in json.loads(l)["vulnerabilities"]:
        sys.stdout.write("%s %s %s %s %s|" % (f["id"], f["severity"], f["package"], f["installed"], f["fixed"]))')"
OUT=$(rw_admin scans ls --findings --repo docker.io/e2e/crit 2>&1)
expect_contains "scans ls --findings: crit's CVE" "CVE-2019-14697" "$OUT"

OUT=$(rw_admin audit --denied 2>&1)
log "audit --denied:"
printf '%s\n' "$OUT" | head -n 12 | cut -c1-400 | sed 's/^/#   /'
AUDIT=$E2E_TMP/audit-denied.json
rw_admin audit --denied --json >"$AUDIT" 2>&1 || fail "regwarden audit --denied --json failed: $(head -c 400 "$AUDIT")"
# audit_messages REPO: the distinct messages of the denied rows for REPO.
audit_messages() {
	"$PY" -c 'import json,sys
seen = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("repo") == sys.argv[2] and r["message"] not in seen:
        seen.append(r["message"])
print("\n".join(seen))' "$AUDIT" "$1"
}
M_CRIT="regwarden: docker.io/e2e/crit:1.0.0 refused by rule \"apps\" (policy.json:$L_APPS): $(scan_tail e2e/crit)"
# (by tag or by digest: ctr's GET by digest is judged on its own)
M_BRIEF_X="refused by rule \"apps\" (policy.json:$L_APPS): $(scan_tail e2e/brief "$EXPIRES")"
OUT=$(audit_messages e2e/crit)
expect_contains "audit --denied: crit refused for CVE-2019-14697 (whole message)" "$M_CRIT" "$OUT"
OUT=$(audit_messages e2e/brief)
expect_contains "audit --denied: brief refused with the expired exception named" "$M_BRIEF_X" "$OUT"
OUT=$(audit_messages e2e/fresh)
expect_contains "audit --denied: fresh refused for having no verdict" "$T_FRESH" "$OUT"
OUT=$(audit_messages e2e/clean)
expect_eq "audit --denied: the clean image was never refused" "" "$OUT"

stop_regwarden_checked
finish
