#!/bin/bash
# signatures.test.sh - cosign key-based signatures at the proxy: an image
# signed with `regwarden sign` is admitted on ctr and podman pulls under a
# rule that requires the "release" key; the same rule refuses an unsigned
# image, one signed by an untrusted key and one whose signature names
# another digest, with the reason in the clients' stderr.  A multi-arch
# index signed as a whole admits its platform manifests (ctr pulls them by
# digest).  A signature pushed after a refusal is seen once the cached
# denial expires (decision_cache.deny_ttl_seconds).  The signature tags
# themselves stay pullable.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo podman containerd ctr curl openssl
rw_only || { pass "signature tests need regwarden (E2E_DIRECT=1)"; finish; }

start_registry

# ---- keys: the trusted one and a stranger's --------------------------------
KEYS=$E2E_TMP/keys
make_keys "$KEYS" release stranger

# ---- images ------------------------------------------------------------------
mkimage "$E2E_TMP/signed" --seed 31 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/unsigned" --seed 32 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/stranger" --seed 33 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/copied" --seed 34 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/multi" --seed 35 --layers 1 --layer-size 20k --user 1000 --index
mkimage "$E2E_TMP/late" --seed 36 --layers 1 --layer-size 20k --user 1000
for i in signed unsigned stranger copied multi late; do
	seed_image "$E2E_TMP/$i" "e2e/$i:1.0"
done
SIGNED_TOP=$(json_get "$E2E_TMP/signed.json" 'j["top"]')
COPIED_TOP=$(json_get "$E2E_TMP/copied.json" 'j["top"]')

cat >"$E2E_TMP/policy.json" <<EOF
{
  // Only images signed with the release key are pulled from e2e/.
  "version": 1,
  "keys": { "release": { "cosign_file": "$KEYS/release.pub" } },
  "rules": [
    { "name": "signed", "match": "docker.io/e2e/**", "operations": ["pull"],
      "signatures": { "keys": ["release"] } },
    { "name": "pushes", "match": "docker.io/e2e/**", "operations": ["push"] }
  ]
}
EOF
DENY_TTL=4
start_regwarden_policy "$E2E_TMP/policy.json" \
	"{\"decision_cache\": {\"deny_ttl_seconds\": $DENY_TTL}}"

# ---- signing, through regwarden's own command -------------------------------
sign() {	# KEY IMAGE
	if out=$("$RW_BIN" sign -c "$RW_CONF" --key "$KEYS/$1.key" "docker.io/$2" 2>&1); then
		pass "regwarden sign --key $1 $2: $(printf '%s' "$out" | tail -n 1)"
	else
		fail "regwarden sign --key $1 $2 failed: $out"
	fi
}
sign release e2e/signed:1.0
sign stranger e2e/stranger:1.0
sign release e2e/multi:1.0
sign release e2e/copied:1.0
# A signature for another digest: the signed image's .sig under the copied
# image's signature tag (a replayed signature must not count).
if out=$(skopeo copy --src-tls-verify=false --dest-tls-verify=false \
	"docker://$REG_HOST/e2e/signed:sha256-${SIGNED_TOP#sha256:}.sig" \
	"docker://$REG_HOST/e2e/copied:sha256-${COPIED_TOP#sha256:}.sig" 2>&1); then
	pass "replayed the signed image's signature onto e2e/copied"
else
	fail "cannot replay the signature: $out"
fi

# ---- the clients ---------------------------------------------------------------
start_containerd
podman_init

if ctr_pull e2e/signed:1.0; then pass "ctr pull of the signed image"; else
	fail "ctr pull of the signed image failed: $CTR_OUT"; fi
if podman_pull e2e/signed:1.0; then pass "podman pull of the signed image"; else
	fail "podman pull of the signed image failed: $PODMAN_OUT"; fi
if ctr_pull e2e/multi:1.0; then
	pass "ctr pull of a multi-arch index signed as a whole (platform manifest by digest)"
else
	fail "ctr pull of the signed index failed: $CTR_OUT"
fi

refused() {	# LABEL IMAGE WANT
	if ctr_pull "$2"; then
		fail "ctr pull of $2 ($1) succeeded"
	else
		show_client_line ctr "$CTR_OUT"
		expect_contains "ctr shows why $2 is refused ($1)" "$3" "$CTR_OUT"
	fi
	if podman_pull "$2"; then
		fail "podman pull of $2 ($1) succeeded"
	else
		show_client_line podman "$PODMAN_OUT"
		expect_contains "podman shows why $2 is refused ($1)" "$3" "$PODMAN_OUT"
	fi
}
refused unsigned e2e/unsigned:1.0 "has no cosign signature"
refused "untrusted key" e2e/stranger:1.0 "1 by an unknown key"
refused "signature for another digest" e2e/copied:1.0 "for another digest"
expect_contains "the refusal names the trusted keys" "(trusted: release)" "$PODMAN_OUT"

# ---- a signature pushed later: seen when the cached denial expires ----------------
MT_ACCEPT="Accept: application/vnd.oci.image.manifest.v1+json"
req GET "$RW_URL/v2/e2e/late/manifests/1.0" -H "$MT_ACCEPT"
expect_code "e2e/late, unsigned, is refused" 403
sign release e2e/late:1.0
req GET "$RW_URL/v2/e2e/late/manifests/1.0" -H "$MT_ACCEPT"
expect_code "right after signing, the cached denial still answers" 403
sleep $((DENY_TTL + 1))
req GET "$RW_URL/v2/e2e/late/manifests/1.0" -H "$MT_ACCEPT"
expect_code "after deny_ttl_seconds ($DENY_TTL s) the new signature admits it" 200
if podman_pull e2e/late:1.0; then pass "podman pull of the late-signed image"; else
	fail "podman pull of the late-signed image failed: $PODMAN_OUT"; fi

# ---- signature tags stay pullable ------------------------------------------------
req GET "$RW_URL/v2/e2e/signed/manifests/sha256-${SIGNED_TOP#sha256:}.sig" \
	-H "Accept: application/vnd.oci.image.manifest.v1+json"
expect_code "the signature manifest is pullable through regwarden" 200

stop_regwarden_checked
finish
