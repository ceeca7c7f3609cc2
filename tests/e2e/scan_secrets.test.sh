#!/bin/bash
# scan_secrets.test.sh - Trivy secret findings under a rule's scan "secrets",
# with the real registry, ctr and podman: an image whose imported Trivy
# report (`regwarden scans import`) has secret findings is refused under
# "secrets": "deny" with the files and rule titles in each client's output
# and no byte of a match anywhere (log, state database); one whose report
# came by POST /scans is served under "secrets": "warn" (podman shows the
# warning); an image whose report has no secrets is admitted.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo podman containerd ctr curl
rw_only || { pass "scan tests need regwarden (E2E_DIRECT=1)"; finish; }
SECRETS=$RW_SOURCE_DIR/tests/scanreport/data/trivy-secrets.json
CLEAN=$SCAN_FIXTURES/trivy-alpine-distroless.json
[ -f "$SECRETS" ] && [ -f "$CLEAN" ] || die "scan report fixtures missing"

start_registry
mkimage "$E2E_TMP/leaky" --seed 61 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/warned" --seed 62 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/clean" --seed 63 --layers 1 --layer-size 20k --user 1000
LEAKY_TOP=$(json_get "$E2E_TMP/leaky.json" 'j["top"]')
seed_image "$E2E_TMP/leaky" e2e/leaky:1.0.0
seed_image "$E2E_TMP/warned" e2e-warn/warned:1.0.0
seed_image "$E2E_TMP/clean" e2e/clean:1.0.0

# The secrets fixture's findings on leaky's and warned's digests (the
# vulnerability it carries is medium: max_severity high passes it).
image_report "$E2E_TMP/leaky" docker.io/e2e/leaky --from "$SECRETS"
LEAKY_REPORT=$REPORT
image_report "$E2E_TMP/warned" docker.io/e2e-warn/warned --from "$SECRETS"
WARNED_REPORT=$REPORT
image_report "$E2E_TMP/clean" docker.io/e2e/clean --from "$CLEAN"
CLEAN_REPORT=$REPORT
for f in "$LEAKY_REPORT" "$WARNED_REPORT"; do
	grep -q 'ghp_SENTINEL' "$f" || die "mkreport.py dropped the fixture's secrets: $f"
done

POLICY=$E2E_TMP/policy.json
cat >"$POLICY" <<'EOF'
// scan_secrets.test.sh: no secret a scanner found, or a warning for one.
{
  "version": 1,
  "default": "deny",
  "rules": [
    {
      "name": "apps",
      "match": "docker.io/e2e/*",
      "scan": { "max_severity": "high", "secrets": "deny" }
    },
    {
      "name": "legacy",
      "match": "docker.io/e2e-warn/*",
      "scan": { "secrets": "warn" }
    }
  ]
}
EOF
L_APPS=$(grep -n '"name": "apps"' "$POLICY" | cut -d: -f1)
L_LEGACY=$(grep -n '"name": "legacy"' "$POLICY" | cut -d: -f1)

admin_section
start_regwarden_policy "$POLICY" "{\"admin\": $ADMIN_JSON}"
wait_until 10 code_is 200 "$ADMIN_URL/healthz" ||
	die "the admin listener did not answer $ADMIN_URL/healthz within 10 s"
start_containerd
podman_init

OUT=$(rw_admin scans import "$LEAKY_REPORT" "$CLEAN_REPORT" 2>&1)
expect_contains "scans import counts the secrets apart" \
	"imported $LEAKY_REPORT: trivy dev, 1 finding (medium 1), 3 secrets, digest" "$OUT"
log "scans import: $(printf '%s' "$OUT" | tr '\n' '|')"
post_scans "$WARNED_REPORT"
expect_eq "POST /scans of a report with secrets: 201 imported" 201 "$R_CODE"

FILES="/app/deploy.sh (AWS Access Key ID), /app/deploy.sh (GitHub Personal Access Token), /root/.ssh/id_rsa (Asymmetric Private Key)"
TAIL="trivy found 3 secrets in the image: $FILES; remove them from the image, rotate them and mount secrets at run time."

# ---- deny -------------------------------------------------------------------

M_LEAKY="refused by rule \"apps\" (policy.json:$L_APPS): $TAIL"
if ctr_pull e2e/leaky:1.0.0; then
	fail "secrets deny: ctr pull of docker.io/e2e/leaky:1.0.0 succeeded"
else
	expect_contains_any "secrets deny: ctr shows the files and rules" "$CTR_OUT" \
		"regwarden: docker.io/e2e/leaky:1.0.0 $M_LEAKY" \
		"regwarden: docker.io/e2e/leaky@$LEAKY_TOP $M_LEAKY"
fi
show_client_line ctr "$CTR_OUT"
if podman_pull e2e/leaky:1.0.0; then
	fail "secrets deny: podman pull of e2e/leaky:1.0.0 succeeded"
else
	expect_contains "secrets deny: podman shows the files and rules" \
		"regwarden: docker.io/e2e/leaky:1.0.0 $M_LEAKY" "$PODMAN_OUT"
fi
show_client_line podman "$PODMAN_OUT"

# ---- warn and clean -----------------------------------------------------------

if podman_pull e2e-warn/warned:1.0.0; then
	pass "secrets warn: podman pull e2e-warn/warned:1.0.0 served"
else
	fail "secrets warn: podman pull e2e-warn/warned:1.0.0 failed: $PODMAN_OUT"
fi
get_manifest e2e-warn/warned 1.0.0
expect_contains "secrets warn: the Warning header names the files" \
	"299 - \"regwarden: warning: docker.io/e2e-warn/warned:1.0.0 admitted by rule \\\"legacy\\\" (policy.json:$L_LEGACY): $TAIL" \
	"$(hdr Warning)"
if ctr_pull e2e/clean:1.0.0; then
	pass "no secrets: ctr pull docker.io/e2e/clean:1.0.0 admitted"
else
	fail "no secrets: ctr pull docker.io/e2e/clean:1.0.0 failed: $CTR_OUT"
fi
if podman_pull e2e/clean:1.0.0; then
	pass "no secrets: podman pull e2e/clean:1.0.0 admitted"
else
	fail "no secrets: podman pull e2e/clean:1.0.0 failed: $PODMAN_OUT"
fi

# ---- what is kept -------------------------------------------------------------

DB=$E2E_TMP/rw/state/regwarden.db
OUT=$("$PY" -c 'import sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
q = ("SELECT target, rule_id, line FROM scan_secrets s JOIN scans c "
     "ON c.id = s.scan_id WHERE c.artifact = ? ORDER BY 1, 2, 3")
print("|".join("%s %s %d" % r for r in c.execute(q, (sys.argv[2],))))
with open(sys.argv[3], "w") as f:
    f.write("\n".join(c.iterdump()))' "$DB" docker.io/e2e/leaky "$E2E_TMP/state.sql" 2>&1)
expect_eq "the store keeps file, rule and line of each secret" \
	"/app/deploy.sh aws-access-key-id 3|/app/deploy.sh github-pat 5|/root/.ssh/id_rsa private-key 1" \
	"$OUT"
# The fixture's GitHub match is not redacted: none of it may be kept.
for f in "$E2E_TMP/state.sql" "$RW_LOG"; do
	if grep -q 'SENTINEL\|AWS_ACCESS_KEY_ID=' "$f"; then
		fail "a secret's match is in $(basename "$f")"
	else
		pass "no byte of a match in $(basename "$f")"
	fi
done
OUT=$(rw_admin audit --denied 2>&1)
expect_contains "audit --denied has the refusal" "$TAIL" "$OUT"

stop_regwarden_checked
finish
