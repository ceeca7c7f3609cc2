#!/bin/bash
# policy_reload.test.sh - the policy file changes under a running regwarden:
# a broken edit is logged with file:line:column and the running policy
# stays; a fixed file is picked up by its new mtime without a signal;
# SIGHUP reloads too; decisions taken under an older policy are not reused
# (a pull admitted before is refused by a rule added since).  A policy in a
# Kubernetes ConfigMap volume is updated the kubelet's way (a new timestamped
# directory, then the ..data symlink renamed over) and is picked up too.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo curl
rw_only || { pass "policy tests need regwarden (E2E_DIRECT=1)"; finish; }

start_registry

mkimage "$E2E_TMP/app1" --seed 41 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/app2" --seed 42 --layers 1 --layer-size 20k --user 1000
seed_image "$E2E_TMP/app1" e2e/app:1.0
seed_image "$E2E_TMP/app2" e2e/app:2.0

POLICY=$E2E_TMP/policy.json
# put_policy [MTIME_REF]: stdin becomes the policy file in one rename, so
# regwarden never reads half a file; with MTIME_REF the file has that
# file's mtime from the first moment it is visible.
put_policy() {
	cat >"$POLICY.tmp" || return 1
	[ -z "${1:-}" ] || touch -r "$1" "$POLICY.tmp"
	mv -f "$POLICY.tmp" "$POLICY"
}
# Revision 1: e2e/* admitted when not root.
POLICY_V1='// policy_reload.test.sh, revision 1
{
  "version": 1,
  "default": "deny",
  "rules": [
    {
      "name": "apps",
      "match": "docker.io/e2e/*",
      "image": { "non_root": true }
    }
  ]
}'
printf '%s\n' "$POLICY_V1" | put_policy

start_regwarden_policy "$POLICY"

# log_count FIXED-STRING: lines of regwarden's log holding it.
log_count() { grep -cF -- "$1" "$RW_LOG"; }
log_count_gt() { [ "$(log_count "$1")" -gt "$2" ]; }
# wait_log_count FIXED-STRING N: until the log has more than N such lines
# (bounded: 15 s; regwarden looks at the file about once a second).
wait_log_count() { wait_until 15 log_count_gt "$1" "$2"; }
LOADED="policy $POLICY loaded (revision"
STAYS="policy reload failed; the running policy stays"

if skopeo_pull e2e/app:1.0; then
	pass "revision 1 admits e2e/app:1.0"
else
	die "revision 1 should admit e2e/app:1.0: $SKOPEO_TEXT"
fi

# ---- a broken edit -------------------------------------------------------

# Line 8 lacks its comma: the error is at the start of line 9.
n_stays=$(log_count "$STAYS")
put_policy <<'EOF'
// policy_reload.test.sh, broken edit
{
  "version": 1,
  "default": "deny",
  "rules": [
    {
      "name": "apps",
      "match": "docker.io/e2e/*"
      "image": { "non_root": true }
    }
  ]
}
EOF
if wait_log_count "$STAYS" "$n_stays"; then
	pass "broken policy: regwarden noticed the change and kept the running policy"
else
	fail "broken policy: no \"$STAYS\" in the log within 15 s of the edit"
fi
ERRLINE=$(grep -F "policy: $POLICY:" "$RW_LOG" | tail -n 1)
log "logged: ${ERRLINE#*error }"
expect_match "broken policy: the error is logged as file:line:column" \
	"policy: $POLICY:9:[0-9]+: " "$ERRLINE"
if skopeo_pull e2e/app:1.0; then
	pass "broken policy: the pull admitted before still works"
else
	fail "broken policy: e2e/app:1.0 is no longer admitted: $SKOPEO_TEXT"
fi
# Not decided before: this one is judged by the running revision now.
if skopeo_pull e2e/app:2.0; then
	pass "broken policy: a new pull is judged by the running policy"
else
	fail "broken policy: e2e/app:2.0 refused while revision 1 should run: $SKOPEO_TEXT"
fi

# ---- the fixed file, picked up by mtime ----------------------------------

n_loaded=$(log_count "$LOADED")
put_policy <<'EOF'
// policy_reload.test.sh, revision 2: e2e/app is frozen.
{
  "version": 1,
  "default": "deny",
  "rules": [
    {
      "name": "frozen",
      "match": "docker.io/e2e/app",
      "allow": false,
      "message": "frozen for the release"
    },
    {
      "name": "apps",
      "match": "docker.io/e2e/*",
      "image": { "non_root": true }
    }
  ]
}
EOF
if wait_log_count "$LOADED" "$n_loaded"; then
	pass "fixed policy: loaded after the file changed, without a signal"
else
	fail "fixed policy: not loaded within 15 s of the edit"
fi
L_FROZEN=$(grep -n '"name": "frozen"' "$POLICY" | cut -d: -f1)
# e2e/app:1.0 was admitted (and cached) under revision 1.
if skopeo_pull e2e/app:1.0; then
	fail "revision 2: e2e/app:1.0 still admitted (a decision of revision 1 reused?)"
else
	expect_contains "revision 2: the pull admitted before is refused by the new rule" \
		"regwarden: docker.io/e2e/app:1.0 refused by rule \"frozen\" (policy.json:$L_FROZEN): source docker.io/e2e/app is not allowed (pattern \"docker.io/e2e/app\"); use an image from an approved registry. Frozen for the release." \
		"$SKOPEO_TEXT"
fi
show_client_line skopeo "$SKOPEO_OUT"
req GET "$RW_URL/v2/e2e/app/manifests/2.0" -H 'Accept: application/vnd.oci.image.manifest.v1+json'
expect_oci_error "revision 2: GET by tag of the other admitted tag is refused too" 403 DENIED

# ---- SIGHUP --------------------------------------------------------------

# Revision 3 goes in with revision 2's mtime, so only the signal can
# bring it in.
touch -r "$POLICY" "$E2E_TMP/mtime.ref"
printf '%s\n' "$POLICY_V1" | sed 's/revision 1/revision 3/' | put_policy "$E2E_TMP/mtime.ref"
n_loaded=$(log_count "$LOADED")
n_changed=$(log_count "changed; reloading")
kill -HUP "$RW_PID"
if wait_log_count "$LOADED" "$n_loaded"; then
	pass "SIGHUP: the policy was reloaded"
else
	fail "SIGHUP: no \"$LOADED\" within 15 s of the signal"
fi
expect_eq "SIGHUP: the reload came from the signal, not the file watch" "$n_changed" \
	"$(log_count "changed; reloading")"
if skopeo_pull e2e/app:1.0; then
	pass "revision 3 (after SIGHUP) admits e2e/app:1.0 again"
else
	fail "revision 3: e2e/app:1.0 refused after SIGHUP: $SKOPEO_TEXT"
fi

# A broken file on SIGHUP: reported, and revision 3 stays.
touch -r "$POLICY" "$E2E_TMP/mtime.ref"
printf '{ "version": 1, "rules": [ { "name": "x", "match": "docker.io/e2e/*", } ] }\n' |
	put_policy "$E2E_TMP/mtime.ref"
n_stays=$(log_count "$STAYS")
kill -HUP "$RW_PID"
if wait_log_count "$STAYS" "$n_stays"; then
	pass "SIGHUP with a broken file: reported, the running policy stays"
else
	fail "SIGHUP with a broken file: no \"$STAYS\" within 15 s"
fi
expect_match "SIGHUP with a broken file: file:line:column" \
	"policy: $POLICY:1:[0-9]+: .*trailing comma" "$(grep -F "policy: $POLICY:" "$RW_LOG" | tail -n 1)"
if skopeo_pull e2e/app:2.0; then
	pass "SIGHUP with a broken file: pulls are still admitted by revision 3"
else
	fail "SIGHUP with a broken file: e2e/app:2.0 refused: $SKOPEO_TEXT"
fi

stop_regwarden_checked

# ---- a ConfigMap volume, updated as the kubelet updates it ---------------
# policy.json -> ..data/policy.json, ..data -> ..<timestamp>; an update
# writes a new ..<timestamp> directory and renames a new ..data link over
# the old one (Kubernetes' AtomicWriter), so the path never changes.
CM=$E2E_TMP/configmap
mkdir -p "$CM/..2026_01" "$CM/..2026_02"
printf '%s\n' "$POLICY_V1" >"$CM/..2026_01/policy.json"
ln -s ..2026_01 "$CM/..data"
ln -s ..data/policy.json "$CM/policy.json"
start_regwarden_policy "$CM/policy.json"
if skopeo_pull e2e/app:1.0; then
	pass "ConfigMap: the first version admits e2e/app:1.0"
else
	fail "ConfigMap: e2e/app:1.0 refused: $SKOPEO_TEXT"
fi
n_loaded=$(log_count "policy $CM/policy.json loaded (revision")
printf '%s\n' "$POLICY_V1" | sed 's/"image": { "non_root": true }/"image": { "non_root": true }, "tags": { "deny": ["1.0"] }/' \
	>"$CM/..2026_02/policy.json"
ln -s ..2026_02 "$CM/..data_tmp"
mv -T "$CM/..data_tmp" "$CM/..data"
rm -rf "$CM/..2026_01"
if wait_log_count "policy $CM/policy.json loaded (revision" "$n_loaded"; then
	pass "ConfigMap: the swapped ..data link is picked up without a signal"
else
	fail "ConfigMap: no reload within 15 s of the ..data swap"
fi
if skopeo_pull e2e/app:1.0; then
	fail "ConfigMap: the new version should refuse e2e/app:1.0"
else
	expect_contains "ConfigMap: the new version refuses e2e/app:1.0" \
		'tag "1.0" is not allowed' "$SKOPEO_TEXT"
fi
stop_regwarden_checked
finish
