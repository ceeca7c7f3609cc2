#!/bin/bash
# policy_messages.test.sh - what a developer reads when regwarden refuses an
# image: the same "regwarden: ..." message in the stderr of ctr (containerd
# resolving with HEAD, then GET by digest), podman and skopeo, for a blocked
# source, a refused tag (deny list and pattern) and a refused image config
# (root user; a secret in Env, whose value must never be shown).  Also: an
# admitted image pulls with all three, the blob gate refuses a denied
# image's layer by digest, and cosign signature tags stay pullable.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo podman containerd ctr curl sha256sum
rw_only || { pass "policy tests need regwarden (E2E_DIRECT=1)"; finish; }

start_registry

# The secret values: neither may appear in any client's output, in
# regwarden's log or in the audit log.  The second is refused by its value
# (a GitHub token format) under an innocent name.
SECRET_PW="e2e-Sup3rS3cret-pw-4471"
SECRET_TOK="ghp_E2eTokenValue0123456789abcdefghijKLM"

# Distinct seeds: every image has its own layers, so a blob shared with an
# admitted image cannot open the gate for a denied one.
mkimage "$E2E_TMP/ok" --seed 11 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/latest" --seed 12 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/badtag" --seed 13 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/blocked" --seed 14 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/root" --seed 15 --layers 1 --layer-size 20k
mkimage "$E2E_TMP/secret" --seed 16 --layers 1 --layer-size 20k --user 1000 \
	--env "DB_PASSWORD=$SECRET_PW" --env "SETTING=$SECRET_TOK" --env PATH=/bin
OK_TOP=$(json_get "$E2E_TMP/ok.json" 'j["top"]')
LATEST_TOP=$(json_get "$E2E_TMP/latest.json" 'j["top"]')
BADTAG_TOP=$(json_get "$E2E_TMP/badtag.json" 'j["top"]')
ROOT_TOP=$(json_get "$E2E_TMP/root.json" 'j["top"]')
BLOCKED_TOP=$(json_get "$E2E_TMP/blocked.json" 'j["top"]')
SECRET_TOP=$(json_get "$E2E_TMP/secret.json" 'j["top"]')
ROOT_LAYER=$(json_get "$E2E_TMP/root.json" 'j["manifests"][0]["layers"][0]')
OK_LAYER=$(json_get "$E2E_TMP/ok.json" 'j["manifests"][0]["layers"][0]')
seed_image "$E2E_TMP/ok" e2e/app:1.2.3
seed_image "$E2E_TMP/latest" e2e/app:latest
seed_image "$E2E_TMP/badtag" e2e/app:1.0
seed_image "$E2E_TMP/blocked" e2e/blocked:1.0.0
seed_image "$E2E_TMP/root" e2e/rootimg:1.0.0
seed_image "$E2E_TMP/secret" e2e/secret:1.0.0

# A cosign-style signature of the admitted image, under cosign's tag
# scheme: a simple-signing payload layer and a config without a User (so
# the image checks would refuse it if it were judged as an image).
SIG_TAG="sha256-${OK_TOP#sha256:}.sig"
sig_push() {
	local payload config manifest pd cd t
	payload=$(printf '{"critical":{"identity":{"docker-reference":"docker.io/e2e/app"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":null}' "$OK_TOP")
	printf '%s' "$payload" >"$E2E_TMP/sig.payload"
	pd=$(reg_put_blob e2e/app "$E2E_TMP/sig.payload") || return 1
	config=$(printf '{"architecture":"","config":{},"created":"0001-01-01T00:00:00Z","os":"","rootfs":{"type":"layers","diff_ids":["%s"]}}' "$pd")
	printf '%s' "$config" >"$E2E_TMP/sig.config"
	cd=$(reg_put_blob e2e/app "$E2E_TMP/sig.config") || return 1
	manifest=$(printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":%d,"digest":"%s"},"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":%d,"digest":"%s","annotations":{"dev.cosignproject.cosign/signature":"MEUCIQDe2e"}}]}' \
		"${#config}" "$cd" "${#payload}" "$pd")
	SIG_DIGEST="sha256:$(printf '%s' "$manifest" | sha256sum | awk '{print $1}')"
	SIG_PAYLOAD=$pd
	for t in "$SIG_TAG" "${SIG_TAG%.sig}.evil"; do
		curl -sf -o /dev/null -X PUT --data-binary "$manifest" \
			-H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
			"$REG_URL/v2/e2e/app/manifests/$t" || return 1
	done
}
sig_push || die "pushing the signature manifest to the registry failed"

POLICY=$E2E_TMP/policy.json
cat >"$POLICY" <<'EOF'
// policy_messages.test.sh: one rule per kind of refusal.
{
  "version": 1,
  "default": "deny",
  "rules": [
    {
      "name": "blocked",
      "match": "docker.io/e2e/blocked",
      "allow": false,
      "message": "blocked after incident INC-1"
    },
    {
      "name": "apps",
      "match": "docker.io/e2e/*",
      "tags": { "deny": ["latest"], "pattern": "^\\d+\\.\\d+\\.\\d+$" },
      "image": { "non_root": true, "no_secrets": true }
    }
  ]
}
EOF
L_BLOCKED=$(grep -n '"name": "blocked"' "$POLICY" | cut -d: -f1)
L_APPS=$(grep -n '"name": "apps"' "$POLICY" | cut -d: -f1)

start_regwarden_policy "$POLICY"
start_containerd
podman_init

# The messages, as POLICY.md words them (digests in full): what follows
# "regwarden: <image> ".
PAT='^\d+\.\d+\.\d+$'
T_BLOCKED="refused by rule \"blocked\" (policy.json:$L_BLOCKED): source docker.io/e2e/blocked is not allowed (pattern \"docker.io/e2e/blocked\"); use an image from an approved registry. Blocked after incident INC-1."
T_LATEST="refused by rule \"apps\" (policy.json:$L_APPS): tag \"latest\" is not allowed; pin the digest: docker.io/e2e/app@$LATEST_TOP or use a tag matching $PAT."
T_BADTAG="refused by rule \"apps\" (policy.json:$L_APPS): tag \"1.0\" does not match $PAT; pin the digest: docker.io/e2e/app@$BADTAG_TOP or use a matching tag."
T_ROOT="refused by rule \"apps\" (policy.json:$L_APPS): image runs as root (User is empty); rebuild with USER set to a non-root user, e.g. USER 65532."
T_SECRET="refused by rule \"apps\" (policy.json:$L_APPS): image sets secret-looking environment variables: DB_PASSWORD, SETTING (value looks like a GitHub token); remove them from the image and pass secrets at run time."

ALL_OUT=$E2E_TMP/all-client-output.txt
: >"$ALL_OUT"

# refused_by_all LABEL REPO TAG DIGEST TAIL: every client fails and shows
# "regwarden: docker.io/REPO:TAG TAIL".  ctr asks for the digest after
# resolving the tag with HEAD; its GET may be judged by digest, so its
# message may name docker.io/REPO@DIGEST instead (same rule and reason).
refused_by_all() {
	local label=$1 repo=$2 tag=$3 digest=$4 tail=$5
	local m_tag="regwarden: docker.io/$repo:$tag $tail"
	local m_dig="regwarden: docker.io/$repo@$digest $tail"
	if ctr_pull "$repo:$tag"; then
		fail "$label: ctr pull of docker.io/$repo:$tag succeeded"
	else
		expect_contains_any "$label: ctr pull shows the message" "$CTR_OUT" "$m_tag" "$m_dig"
	fi
	show_client_line "ctr" "$CTR_OUT"
	if podman_pull "$repo:$tag"; then
		fail "$label: podman pull of $repo:$tag succeeded"
	else
		expect_contains "$label: podman pull shows the message" "$m_tag" "$PODMAN_OUT"
	fi
	show_client_line "podman" "$PODMAN_OUT"
	if skopeo_pull "$repo:$tag"; then
		fail "$label: skopeo copy of $repo:$tag succeeded"
	else
		expect_contains "$label: skopeo copy shows the message" "$m_tag" "$SKOPEO_TEXT"
	fi
	show_client_line "skopeo" "$SKOPEO_OUT"
	printf '%s\n%s\n%s\n' "$CTR_OUT" "$PODMAN_OUT" "$SKOPEO_OUT" >>"$ALL_OUT"
	shows_request_id "$label: ctr" "$CTR_OUT"
	shows_request_id "$label: podman" "$PODMAN_OUT"
	shows_request_id "$label: skopeo" "$SKOPEO_TEXT"
}

# shows_request_id LABEL OUTPUT: the client's message ends with "(request
# <id>)", and regwarden logged a deny decision under that id.
shows_request_id() {
	local id
	id=$(printf '%s\n' "$2" | grep -F 'regwarden: ' | grep -oE '\(request [0-9a-f]{16}\)' |
		tail -n 1 | tr -d '()' | awk '{print $2}')
	if [ -z "$id" ]; then
		fail "$1 shows no \"(request <id>)\": $2"
		return
	fi
	if grep -E "req=$id decision .*verdict=deny" "$RW_LOG" >/dev/null; then
		pass "$1 shows (request $id), the id of a deny decision in the log"
	else
		fail "$1 shows (request $id), but no deny decision has that id in the log"
	fi
}

# ---- an admitted image ---------------------------------------------------

if ctr_pull e2e/app:1.2.3; then
	pass "admitted: ctr pull docker.io/e2e/app:1.2.3"
else
	fail "admitted: ctr pull docker.io/e2e/app:1.2.3 failed: $CTR_OUT"
fi
if podman_pull e2e/app:1.2.3; then
	pass "admitted: podman pull e2e/app:1.2.3"
else
	fail "admitted: podman pull e2e/app:1.2.3 failed: $PODMAN_OUT"
fi
if skopeo_pull e2e/app:1.2.3; then
	expect_eq "admitted: skopeo copy e2e/app:1.2.3 got the image" "$OK_TOP" \
		"sha256:$(sha256sum "$E2E_TMP/skopeo-pull/manifest.json" | awk '{print $1}')"
else
	fail "admitted: skopeo copy e2e/app:1.2.3 failed: $SKOPEO_OUT"
fi

# ---- refusals ------------------------------------------------------------

refused_by_all "blocked source" e2e/blocked 1.0.0 "$BLOCKED_TOP" "$T_BLOCKED"
refused_by_all "denied tag latest" e2e/app latest "$LATEST_TOP" "$T_LATEST"
refused_by_all "tag not matching the pattern" e2e/app 1.0 "$BADTAG_TOP" "$T_BADTAG"
refused_by_all "root user" e2e/rootimg 1.0.0 "$ROOT_TOP" "$T_ROOT"
refused_by_all "secret in Env" e2e/secret 1.0.0 "$SECRET_TOP" "$T_SECRET"

# SETTING is refused for its value (a GitHub token format), not its name;
# the message names both variables and no value may show anywhere.
expect_lacks "secret: the password value is in no client output" "$SECRET_PW" "$(cat "$ALL_OUT")"
expect_lacks "secret: the token value is in no client output" "$SECRET_TOK" "$(cat "$ALL_OUT")"
expect_lacks "secret: the password value is not in regwarden's log" "$SECRET_PW" "$(cat "$RW_LOG")"
expect_lacks "secret: the token value is not in regwarden's log" "$SECRET_TOK" "$(cat "$RW_LOG")"
AUDIT=$(rw_admin audit --json 2>&1)
expect_contains "audit log has the secret refusal" "docker.io/e2e/secret" "$AUDIT"
expect_lacks "secret: the password value is not in the audit log" "$SECRET_PW" "$AUDIT"
expect_lacks "secret: the token value is not in the audit log" "$SECRET_TOK" "$AUDIT"

# ---- the blob gate -------------------------------------------------------

req GET "$RW_URL/v2/e2e/rootimg/blobs/$ROOT_LAYER"
expect_oci_error "blob gate: GET of a denied image's layer is refused" 403 DENIED
expect_contains "blob gate: the refusal names the blob" \
	"blob $ROOT_LAYER of docker.io/e2e/rootimg is not part of an image this policy admits" \
	"$(cat "$R_BODY")"
req HEAD "$RW_URL/v2/e2e/rootimg/blobs/$ROOT_LAYER"
expect_code "blob gate: HEAD of that layer is answered" 200
req HEAD "$RW_URL/v2/e2e/rootimg/manifests/1.0.0" \
	-H 'Accept: application/vnd.oci.image.manifest.v1+json'
expect_code "HEAD of the denied tag is answered" 200
DENIAL=$(hdr Docker-Content-Digest)
expect_eq "HEAD of the denied tag names a sha256 digest" yes \
	"$([[ $DENIAL =~ ^sha256:[0-9a-f]{64}$ ]] && echo yes)"
expect_lacks "HEAD of the denied tag never names the real digest" "$ROOT_TOP" "$DENIAL $(hdr ETag)"
req GET "$RW_URL/v2/e2e/rootimg/manifests/$DENIAL" \
	-H 'Accept: application/vnd.oci.image.manifest.v1+json'
expect_oci_error "GET of the denial digest is refused" 403 DENIED
expect_contains "GET of the denial digest carries the tag's message" \
	"regwarden: docker.io/e2e/rootimg:1.0.0 refused by rule \\\"apps\\\" (policy.json:$L_APPS): image runs as root" \
	"$(cat "$R_BODY")"
expect_lacks "the 403 body names no server path" "$E2E_TMP" "$(cat "$R_BODY")"
expect_contains "the 403 body names the policy file relative to the config" \
	'"file":"policy.json"' "$(cat "$R_BODY")"
req HEAD "$RW_URL/v2/e2e/rootimg/manifests/$ROOT_TOP" \
	-H 'Accept: application/vnd.oci.image.manifest.v1+json'
expect_code "HEAD by digest of the refused image is refused" 403
expect_eq "HEAD by digest of the refused image names no digest" "" "$(hdr Docker-Content-Digest)"
req GET "$RW_URL/v2/e2e/app/manifests/1.0.0?ns=quay.io"
expect_oci_error "a registry no upstream serves is refused" 403 DENIED
expect_contains "the refusal names the registry and what to do" \
	'regwarden: registry \"quay.io\" is not served here: images from it are not allowed through this proxy; use an allowed registry, or ask the regwarden admin to add an upstream for it' \
	"$(cat "$R_BODY")"
req GET "$RW_URL/v2/e2e/app/blobs/$OK_LAYER"
expect_code "blob gate: a layer of the admitted image is served" 200
expect_eq "blob gate: the admitted layer's bytes" "$OK_LAYER" \
	"sha256:$(sha256sum "$R_BODY" | awk '{print $1}')"

# ---- signature artifacts -------------------------------------------------

if skopeo_pull "e2e/app:$SIG_TAG"; then
	pass "signature tag $SIG_TAG is pullable although the tag rule refuses it"
	expect_eq "signature: the manifest skopeo got" "$SIG_DIGEST" \
		"sha256:$(sha256sum "$E2E_TMP/skopeo-pull/manifest.json" | awk '{print $1}')"
else
	fail "skopeo copy of the signature tag failed: $SKOPEO_OUT"
fi
req GET "$RW_URL/v2/e2e/app/blobs/$SIG_PAYLOAD"
expect_code "signature: its payload blob is served" 200
# The same manifest under a tag that only looks like cosign's is judged.
req GET "$RW_URL/v2/e2e/app/manifests/sha256-${OK_TOP#sha256:}.evil" \
	-H 'Accept: application/vnd.oci.image.manifest.v1+json'
expect_oci_error "a tag sha256-<hex>.evil is judged like any tag" 403 DENIED

stop_regwarden_checked
finish
