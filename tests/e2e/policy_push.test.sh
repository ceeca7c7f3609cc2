#!/bin/bash
# policy_push.test.sh - admission on push and tag pins: a root-user image
# pushed with skopeo through regwarden is refused before the registry gets
# its manifest; immutable tags refuse a moved tag but not the same digest
# again; a tag pinned with `regwarden pins add` to another digest is
# refused with both digests; pin_on_first_pull records the first digest
# (pins ls: source first-pull) and refuses the tag once it moves.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo podman curl sha256sum
rw_only || { pass "policy tests need regwarden (E2E_DIRECT=1)"; finish; }

start_registry

mkimage "$E2E_TMP/root" --seed 31 --layers 1 --layer-size 20k
mkimage "$E2E_TMP/good1" --seed 32 --layers 1 --layer-size 20k --user 65532
mkimage "$E2E_TMP/good2" --seed 33 --layers 1 --layer-size 20k --user 65532
ROOT_TOP=$(json_get "$E2E_TMP/root.json" 'j["top"]')
G1=$(json_get "$E2E_TMP/good1.json" 'j["top"]')
G2=$(json_get "$E2E_TMP/good2.json" 'j["top"]')

POLICY=$E2E_TMP/policy.json
cat >"$POLICY" <<'EOF'
// policy_push.test.sh: push admission, immutable tags and pins.
{
  "version": 1,
  "default": "deny",
  "rules": [
    {
      "name": "ci-push",
      "match": "docker.io/ci/**",
      "operations": ["push"],
      "immutable_tags": true,
      "image": { "non_root": true }
    },
    { "name": "ci-pull", "match": "docker.io/ci/**", "operations": ["pull"] },
    {
      "name": "pinned",
      "match": "docker.io/pinned/*",
      "operations": ["pull"],
      "pins": { "enforce": true }
    },
    {
      "name": "tofu",
      "match": "docker.io/tofu/*",
      "operations": ["pull"],
      "pins": { "pin_on_first_pull": true }
    }
  ]
}
EOF
L_PUSH=$(grep -n '"name": "ci-push"' "$POLICY" | cut -d: -f1)
L_PINNED=$(grep -n '"name": "pinned"' "$POLICY" | cut -d: -f1)
L_TOFU=$(grep -n '"name": "tofu"' "$POLICY" | cut -d: -f1)

start_regwarden_policy "$POLICY"
podman_init

# rw_push LAYOUT REPO:TAG: skopeo copy through regwarden; output in
# PUSH_OUT (raw) and PUSH_TEXT (logrus quoting undone).
rw_push() {
	local rc
	PUSH_OUT=$(timeout 120 skopeo copy --dest-tls-verify=false \
		"oci:$1" "docker://$RW_HOST/$2" 2>&1)
	rc=$?
	PUSH_TEXT=$(logrus_text "$PUSH_OUT")
	return $rc
}
# reg_tag_digest REPO TAG: the digest the registry itself has for the tag,
# or its HTTP status when it has none.
reg_tag_digest() {
	req HEAD "$REG_URL/v2/$1/manifests/$2" \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json'
	if [ "$R_CODE" = 200 ]; then hdr Docker-Content-Digest; else echo "HTTP $R_CODE"; fi
}

# ---- push admission ------------------------------------------------------

if rw_push "$E2E_TMP/root" ci/app:1.0.0; then
	fail "push of a root-user image to ci/app:1.0.0 succeeded"
else
	expect_contains "push of a root image: skopeo shows the refusal" \
		"regwarden: push of docker.io/ci/app:1.0.0 refused by rule \"ci-push\" (policy.json:$L_PUSH): image runs as root (User is empty); rebuild with USER set to a non-root user, e.g. USER 65532." \
		"$PUSH_TEXT"
fi
show_client_line "skopeo push" "$PUSH_OUT"
expect_eq "push of a root image: the registry never got the manifest" "HTTP 404" \
	"$(reg_tag_digest ci/app 1.0.0)"
req GET "$REG_URL/v2/ci/app/manifests/$ROOT_TOP" \
	-H 'Accept: application/vnd.oci.image.manifest.v1+json'
expect_code "push of a root image: not in the registry by digest either" 404

if rw_push "$E2E_TMP/good1" ci/app:1.0.0; then
	pass "push of a non-root image to ci/app:1.0.0"
else
	fail "push of a non-root image failed: $PUSH_OUT"
fi
expect_eq "the registry has ci/app:1.0.0 at the pushed digest" "$G1" "$(reg_tag_digest ci/app 1.0.0)"

# ---- immutable tags ------------------------------------------------------

if rw_push "$E2E_TMP/good2" ci/app:1.0.0; then
	fail "moving ci/app:1.0.0 to another image succeeded"
else
	expect_contains "immutable tag: the refusal names the tag, its digest and the fix" \
		"regwarden: push of docker.io/ci/app:1.0.0 refused by rule \"ci-push\" (policy.json:$L_PUSH): tag \"1.0.0\" already points to $G1 and tags are immutable here; push under a new tag." \
		"$PUSH_TEXT"
fi
show_client_line "skopeo push" "$PUSH_OUT"
expect_eq "immutable tag: the registry still has the first digest" "$G1" "$(reg_tag_digest ci/app 1.0.0)"
if rw_push "$E2E_TMP/good1" ci/app:1.0.0; then
	pass "immutable tag: pushing the same digest again is fine"
else
	fail "immutable tag: re-pushing the same image failed: $PUSH_OUT"
fi
if rw_push "$E2E_TMP/good2" ci/app:1.0.1; then
	pass "immutable tag: the other image under a new tag is fine"
else
	fail "push of ci/app:1.0.1 failed: $PUSH_OUT"
fi
expect_eq "the registry has ci/app:1.0.1 at the second digest" "$G2" "$(reg_tag_digest ci/app 1.0.1)"
if skopeo_pull ci/app:1.0.0; then
	pass "the pushed image pulls back through regwarden"
else
	fail "skopeo copy of ci/app:1.0.0 failed: $SKOPEO_OUT"
fi

# ---- pins added with the CLI ---------------------------------------------

seed_image "$E2E_TMP/good1" pinned/app:1.0
if out=$(rw_admin pins add docker.io/pinned/app:1.0 "$G2" 2>&1); then
	pass "regwarden pins add docker.io/pinned/app:1.0 (another digest)"
else
	fail "regwarden pins add failed: $out"
fi
M_MOVED="regwarden: docker.io/pinned/app:1.0 refused by rule \"pinned\" (policy.json:$L_PINNED): tag \"1.0\" moved: pinned to $G2, now $G1; pull the pinned image docker.io/pinned/app@$G2 or update the pin with \"regwarden pins add docker.io/pinned/app:1.0 $G1\"."
if skopeo_pull pinned/app:1.0; then
	fail "pull of a tag pinned to another digest succeeded"
else
	expect_contains "pinned elsewhere: skopeo shows both digests" "$M_MOVED" "$SKOPEO_TEXT"
fi
show_client_line skopeo "$SKOPEO_OUT"
if podman_pull pinned/app:1.0; then
	fail "podman pull of a tag pinned to another digest succeeded"
else
	expect_contains "pinned elsewhere: podman shows both digests" "$M_MOVED" "$PODMAN_OUT"
fi
# Pins change while regwarden runs (the message itself says to run pins
# add): the next pull must follow the database, not an earlier decision.
rw_admin pins add docker.io/pinned/app:1.0 "$G1" >/dev/null 2>&1 ||
	fail "regwarden pins add (to the current digest) failed"
if skopeo_pull pinned/app:1.0; then
	pass "after pins add to the current digest the next pull is admitted"
else
	fail "pull right after re-pinning to the current digest $G1 was refused (an earlier decision was reused?): $(printf '%s\n' "$SKOPEO_TEXT" | tail -n 1)"
fi
seed_image "$E2E_TMP/good1" pinned/web:1.0
rw_admin pins add docker.io/pinned/web:1.0 "$G1" >/dev/null 2>&1 ||
	fail "regwarden pins add docker.io/pinned/web:1.0 failed"
if skopeo_pull pinned/web:1.0; then
	pass "a tag pinned to its digest is admitted"
else
	fail "pull of pinned/web:1.0 (pinned to its own digest) failed: $SKOPEO_TEXT"
fi
rw_admin pins add docker.io/pinned/web:1.0 "$G2" >/dev/null 2>&1 ||
	fail "regwarden pins add docker.io/pinned/web:1.0 (another digest) failed"
if skopeo_pull pinned/web:1.0; then
	fail "pull right after pinning pinned/web:1.0 to another digest was admitted (an earlier decision was reused?)"
else
	expect_contains "a pin added after an admitted pull is enforced at once" \
		"tag \"1.0\" moved: pinned to $G2, now $G1" "$SKOPEO_TEXT"
fi

# ---- pin on first pull ---------------------------------------------------

seed_image "$E2E_TMP/good1" tofu/app:1.0
if skopeo_pull tofu/app:1.0; then
	pass "pin_on_first_pull: the first pull is admitted"
else
	fail "pin_on_first_pull: the first pull failed: $SKOPEO_OUT"
fi
PINS_JSON=$(rw_admin pins ls --json 2>&1)
PINS=$(rw_admin pins ls 2>&1)
echo "$PINS" | sed 's/^/#   pins ls: /'
expect_match "pins ls shows the first-pull pin" \
	"docker\.io/tofu/app:1\.0 +$G1 +first-pull" "$PINS"
expect_contains "pins ls --json has the pin with source first-pull" "first-pull" \
	"$(printf '%s\n' "$PINS_JSON" | grep -F 'tofu/app')"
seed_image "$E2E_TMP/good2" tofu/app:1.0
if skopeo_pull tofu/app:1.0; then
	fail "pin_on_first_pull: the moved tag was admitted"
else
	expect_contains "pin_on_first_pull: the moved tag is refused with both digests" \
		"regwarden: docker.io/tofu/app:1.0 refused by rule \"tofu\" (policy.json:$L_TOFU): tag \"1.0\" moved: pinned to $G1, now $G2;" \
		"$SKOPEO_TEXT"
fi
show_client_line skopeo "$SKOPEO_OUT"
expect_match "pins ls still shows the first digest" \
	"docker\.io/tofu/app:1\.0 +$G1 +first-pull" "$(rw_admin pins ls 2>&1)"

stop_regwarden_checked
finish
