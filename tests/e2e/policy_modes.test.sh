#!/bin/bash
# policy_modes.test.sh - rule modes and the audit log: a warn-mode rule
# serves the image with a `Warning: 299 - "regwarden: ..."` header, an
# audit-mode rule serves it silently and records what it would have
# refused, a request no rule matches gets the default's refusal, and
# `regwarden audit --denied` lists the refusals with the rule's file:line.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo podman containerd ctr curl sha256sum
rw_only || { pass "policy tests need regwarden (E2E_DIRECT=1)"; finish; }

start_registry

# Root images (no --user) fail non_root; distinct seeds, distinct blobs.
mkimage "$E2E_TMP/warned" --seed 21 --layers 1 --layer-size 20k
mkimage "$E2E_TMP/audited" --seed 22 --layers 1 --layer-size 20k
mkimage "$E2E_TMP/other" --seed 23 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/rootapp" --seed 24 --layers 1 --layer-size 20k
mkimage "$E2E_TMP/okapp" --seed 25 --layers 1 --layer-size 20k --user 1000
WARNED_TOP=$(json_get "$E2E_TMP/warned.json" 'j["top"]')
AUDITED_TOP=$(json_get "$E2E_TMP/audited.json" 'j["top"]')
seed_image "$E2E_TMP/warned" e2e/warned:1.0.0
seed_image "$E2E_TMP/audited" e2e/audited:1.0.0
seed_image "$E2E_TMP/other" other/thing:1.0
seed_image "$E2E_TMP/rootapp" e2e/app:1.0.0
seed_image "$E2E_TMP/okapp" e2e/app:2.0.0

POLICY=$E2E_TMP/policy.json
cat >"$POLICY" <<'EOF'
// policy_modes.test.sh: the same check in warn, audit and enforce mode.
{
  "version": 1,
  "default": "deny",
  "default_message": "ask #platform in chat to add a registry",
  "rules": [
    {
      "name": "warned",
      "match": "docker.io/e2e/warned",
      "mode": "warn",
      "image": { "non_root": true },
      "message": "this rule is enforced from 2030-01-01"
    },
    {
      "name": "audited",
      "match": "docker.io/e2e/audited",
      "mode": "audit",
      "image": { "non_root": true }
    },
    {
      "name": "apps",
      "match": "docker.io/e2e/app",
      "image": { "non_root": true }
    }
  ]
}
EOF
L_WARNED=$(grep -n '"name": "warned"' "$POLICY" | cut -d: -f1)
L_AUDITED=$(grep -n '"name": "audited"' "$POLICY" | cut -d: -f1)
L_APPS=$(grep -n '"name": "apps"' "$POLICY" | cut -d: -f1)

start_regwarden_policy "$POLICY"
start_containerd
podman_init
ACCEPT=(-H 'Accept: application/vnd.oci.image.manifest.v1+json')

# ---- warn ----------------------------------------------------------------

W_MSG="regwarden: warning: docker.io/e2e/warned:1.0.0 would be refused by rule \\\"warned\\\" (policy.json:$L_WARNED, warn mode): image runs as root (User is empty); rebuild with USER set to a non-root user, e.g. USER 65532. This rule is enforced from 2030-01-01."
req GET "$RW_URL/v2/e2e/warned/manifests/1.0.0" "${ACCEPT[@]}"
expect_code "warn: GET of the manifest by tag is served" 200
expect_eq "warn: the manifest served is the real one" "$WARNED_TOP" \
	"sha256:$(sha256sum "$R_BODY" | awk '{print $1}')"
expect_eq "warn: Warning header (quotes escaped as RFC 9110 wants)" "299 - \"$W_MSG\"" "$(hdr Warning)"
log "Warning: $(hdr Warning)"
req GET "$RW_URL/v2/e2e/warned/manifests/$WARNED_TOP" "${ACCEPT[@]}"
expect_code "warn: GET by digest is served" 200
expect_contains "warn: GET by digest carries the warning too" \
	"would be refused by rule \\\"warned\\\" (policy.json:$L_WARNED, warn mode): image runs as root" "$(hdr Warning)"

if podman_pull e2e/warned:1.0.0; then
	pass "warn: podman pull succeeds"
else
	fail "warn: podman pull failed: $PODMAN_OUT"
fi
if skopeo_pull e2e/warned:1.0.0; then
	expect_eq "warn: skopeo copy gets the image" "$WARNED_TOP" \
		"sha256:$(sha256sum "$E2E_TMP/skopeo-pull/manifest.json" | awk '{print $1}')"
else
	fail "warn: skopeo copy failed: $SKOPEO_OUT"
fi
if ctr_pull e2e/warned:1.0.0; then
	pass "warn: ctr pull succeeds"
else
	fail "warn: ctr pull failed: $CTR_OUT"
fi

# ---- audit ---------------------------------------------------------------

req GET "$RW_URL/v2/e2e/audited/manifests/1.0.0" "${ACCEPT[@]}"
expect_code "audit: GET of the manifest is served" 200
expect_eq "audit: the manifest served is the real one" "$AUDITED_TOP" \
	"sha256:$(sha256sum "$R_BODY" | awk '{print $1}')"
expect_eq "audit: no Warning header" "" "$(hdr Warning)"
if podman_pull e2e/audited:1.0.0; then
	pass "audit: podman pull succeeds"
	expect_lacks "audit: podman shows nothing of regwarden" "regwarden" "$PODMAN_OUT"
else
	fail "audit: podman pull failed: $PODMAN_OUT"
fi
if skopeo_pull e2e/audited:1.0.0; then
	pass "audit: skopeo copy succeeds"
else
	fail "audit: skopeo copy failed: $SKOPEO_OUT"
fi

# ---- default deny and an enforced refusal ---------------------------------

D_MSG="regwarden: docker.io/other/thing:1.0 refused: no rule in policy.json matches docker.io/other/thing (default: deny). Ask #platform in chat to add a registry."
if podman_pull other/thing:1.0; then
	fail "default deny: podman pull of other/thing:1.0 succeeded"
else
	expect_contains "default deny: podman shows the message" "$D_MSG" "$PODMAN_OUT"
fi
show_client_line podman "$PODMAN_OUT"
if skopeo_pull other/thing:1.0; then
	fail "default deny: skopeo copy of other/thing:1.0 succeeded"
else
	expect_contains "default deny: skopeo shows the message" "$D_MSG" "$SKOPEO_TEXT"
fi
show_client_line skopeo "$SKOPEO_OUT"
if ctr_pull other/thing:1.0; then
	fail "default deny: ctr pull of docker.io/other/thing:1.0 succeeded"
else
	expect_contains "default deny: ctr shows the reason" \
		"refused: no rule in policy.json matches docker.io/other/thing (default: deny). Ask #platform in chat to add a registry." "$CTR_OUT"
fi
show_client_line ctr "$CTR_OUT"

if skopeo_pull e2e/app:1.0.0; then
	fail "enforce: skopeo copy of the root image e2e/app:1.0.0 succeeded"
else
	expect_contains "enforce: skopeo shows the refusal" \
		"regwarden: docker.io/e2e/app:1.0.0 refused by rule \"apps\" (policy.json:$L_APPS): image runs as root" "$SKOPEO_TEXT"
fi
if skopeo_pull e2e/app:2.0.0; then
	pass "enforce: a compliant image of the same repository is admitted"
else
	fail "enforce: skopeo copy of e2e/app:2.0.0 failed: $SKOPEO_OUT"
fi

# ---- the audit log -------------------------------------------------------

AUDIT_JSON=$E2E_TMP/audit.jsonl
rw_admin audit --json >"$AUDIT_JSON" 2>"$E2E_TMP/audit.err" ||
	fail "regwarden audit --json failed: $(cat "$E2E_TMP/audit.err")"
add_log "$AUDIT_JSON"
# audit_rows FILTER: "verdict mode rule rule_line operation" of each row
# whose repo/reference match (Python expression over the row `r`).
audit_rows() {
	"$PY" -c 'import json, sys
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    r = json.loads(line)
    if eval(sys.argv[2]):
        print(r["verdict"], r["mode"], r["rule"], r["rule_line"], r["operation"])' \
		"$AUDIT_JSON" "$1" | sort -u
}
# POLICY.md: audit mode's verdict is allow with the reasons recorded; the
# failed check and the "would be refused" message say what enforce would do.
expect_eq "audit log: the audit-mode pulls are recorded with mode audit (verdict allow, per POLICY.md)" \
	"allow audit audited $L_AUDITED pull" \
	"$(audit_rows 'r["repo"] == "e2e/audited"')"
expect_eq "audit log: the audit row's reasons hold the failed check" "image.non_root" \
	"$("$PY" -c 'import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line) if line.strip() else {}
    if r.get("repo") == "e2e/audited" and r.get("reasons"):
        print(" ".join(x["check"] for x in r["reasons"] if x.get("failed"))); break' "$AUDIT_JSON")"
AMSG=$("$PY" -c 'import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line) if line.strip() else {}
    if r.get("repo") == "e2e/audited" and r.get("reference") == "1.0.0":
        print(r["message"]); break' "$AUDIT_JSON")
expect_eq "audit log: the audit row's message" \
	"regwarden: audit: docker.io/e2e/audited:1.0.0 would be refused by rule \"audited\" (policy.json:$L_AUDITED, audit mode): image runs as root (User is empty); rebuild with USER set to a non-root user, e.g. USER 65532." \
	"$AMSG"
# ctr resolves with HEAD first: that decision is a row of its own, "resolve".
expect_eq "audit log: the warn-mode pulls are recorded as warn" \
	"warn warn warned $L_WARNED pull"$'\n'"warn warn warned $L_WARNED resolve" \
	"$(audit_rows 'r["repo"] == "e2e/warned"')"
expect_eq "audit log: the default deny is recorded under rule \"default\"" \
	"deny enforce default 0 pull"$'\n'"deny enforce default 0 resolve" \
	"$(audit_rows 'r["repo"] == "other/thing"')"

DENIED=$(rw_admin audit --denied 2>&1)
echo "$DENIED" | sed 's/^/#   audit --denied: /' | head -n 12
expect_match "audit --denied lists the enforced refusal with its rule and file:line" \
	"deny +enforce +pull +[^ ]+ +docker\.io/e2e/app:1\.0\.0 +apps \([^ ]*policy\.json:$L_APPS\) +docker\.io/e2e/app:1\.0\.0 refused by rule" "$DENIED"
expect_match "audit --denied lists the default deny" \
	"docker\.io/other/thing:1\.0 .*refused: no rule in policy\.json matches" "$DENIED"
expect_lacks "audit --denied leaves out admitted pulls" "docker.io/e2e/app:2.0.0" "$DENIED"
expect_lacks "audit --denied leaves out served warn-mode pulls" "docker.io/e2e/warned" "$DENIED"
expect_lacks "audit --denied leaves out audit-mode pulls (verdict allow)" "docker.io/e2e/audited" "$DENIED"

stop_regwarden_checked
finish
