#!/bin/bash
# content_index.test.sh - a "content" rule judging a multi-arch OCI index
# pulled by tag: every platform it lists is read (the buildkit-style
# attestation entry is not), and a secret in one platform refuses the whole
# index, the platform named.  Images by mkcontent.py --index: linux/amd64
# clean and linux/arm64 with a private key in layer 2 of 3; and a clean
# index, admitted on ctr and podman.  explain judges the index alike, each
# reason naming its platform.  An index past the cap on platforms (32)
# fails closed.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo podman containerd ctr curl
rw_only || { pass "content tests need regwarden (E2E_DIRECT=1)"; finish; }
MT_OCI_INDEX=application/vnd.oci.image.index.v1+json

start_registry
"$PY" "$E2E_DIR/mkcontent.py" --out "$E2E_TMP/multikey" --kind clean \
	--index sshkey3 >"$E2E_TMP/multikey.json" || die "mkcontent.py failed"
"$PY" "$E2E_DIR/mkcontent.py" --out "$E2E_TMP/multiclean" --kind clean \
	--index crowd >"$E2E_TMP/multiclean.json" || die "mkcontent.py failed"
seed_image "$E2E_TMP/multikey" e2e/multikey:1.0
seed_image "$E2E_TMP/multiclean" e2e/multiclean:1.0
KEY_IDX=$(json_get "$E2E_TMP/multikey.json" 'j["top"]')
KEY_ARM=$(json_get "$E2E_TMP/multikey.json" 'j["platforms"]["arm64"]["digest"]')
KEY_ARM_L1=$(json_get "$E2E_TMP/multikey.json" 'j["platforms"]["arm64"]["layers"][1]')
CLEAN_ARM_L1=$(json_get "$E2E_TMP/multiclean.json" 'j["platforms"]["arm64"]["layers"][1]')

POLICY=$E2E_TMP/policy.json
cat >"$POLICY" <<'EOF2'
// content_index.test.sh: every platform's layers decide.
{
  "version": 1,
  "default": "deny",
  "rules": [
    { "name": "apps", "match": "docker.io/e2e/*",
      "content": { "no_secrets": true, "no_shell": true } }
  ]
}
EOF2
L=$(grep -n '"name": "apps"' "$POLICY" | cut -d: -f1)
start_regwarden_policy "$POLICY" '{"content": {"hold_seconds": 30}}'
start_containerd
podman_init

# blob_gets DIGEST: how often the registry served blob DIGEST.
blob_gets() {
	grep 'msg="response completed"' "$REG_LOG" |
		grep 'http.request.method=GET ' |
		grep -c "http.request.uri=\"/v2/[^\"]*/blobs/$1\""
}

T_KEY="refused by rule \"apps\" (policy.json:$L): linux/arm64: layer 2 of 3 holds a private key: /root/.ssh/id_ed25519 (PEM RSA PRIVATE KEY); remove it from the image and mount secrets at run time."

# ---- ctr and podman: the index by tag ---------------------------------------

if ctr_pull e2e/multikey:1.0; then
	fail "ctr pull e2e/multikey:1.0 (a key in linux/arm64) succeeded"
else
	expect_contains "ctr pull e2e/multikey:1.0 refused, the platform named" \
		"$T_KEY" "$CTR_OUT"
fi
show_client_line ctr "$CTR_OUT"
expect_eq "...the arm64 layer holding the key was read by regwarden (the host is amd64)" \
	1 "$(blob_gets "$KEY_ARM_L1")"
if podman_pull e2e/multikey:1.0; then
	fail "podman pull e2e/multikey:1.0 succeeded"
else
	expect_contains "podman pull e2e/multikey:1.0 refused, the platform named" \
		"$T_KEY" "$PODMAN_OUT"
fi
show_client_line podman "$PODMAN_OUT"
expect_eq "...from the stored indexes: the layer was not fetched again" \
	1 "$(blob_gets "$KEY_ARM_L1")"

if ctr_pull e2e/multiclean:1.0; then
	pass "ctr pull e2e/multiclean:1.0 (both platforms clean) is admitted"
else
	fail "ctr pull e2e/multiclean:1.0 failed: $CTR_OUT"
fi
expect_eq "...its arm64 layer was read too" 1 "$(blob_gets "$CLEAN_ARM_L1")"
if podman_pull e2e/multiclean:1.0; then
	pass "podman pull e2e/multiclean:1.0 is admitted"
else
	fail "podman pull e2e/multiclean:1.0 failed: $PODMAN_OUT"
fi

oci_message() {
	json_get "$R_BODY" 'j["errors"][0]["message"]' 2>/dev/null
}
# The index by digest, as a pinned reference pulls it: the same verdict.
get_manifest e2e/multikey "$KEY_IDX"
expect_oci_error "GET the index by digest: refused" 403
expect_eq "...with the same reason" \
	"regwarden: docker.io/e2e/multikey@$KEY_IDX $T_KEY (request $(hdr X-Request-Id))" \
	"$(oci_message)"
# The platform manifest alone is judged on its own layers.
get_manifest e2e/multikey "$KEY_ARM"
expect_oci_error "GET the arm64 manifest by digest: refused" 403
expect_eq "...its layer named without a platform" \
	"regwarden: docker.io/e2e/multikey@$KEY_ARM refused by rule \"apps\" (policy.json:$L): layer 2 of 3 holds a private key: /root/.ssh/id_ed25519 (PEM RSA PRIVATE KEY); remove it from the image and mount secrets at run time. (request $(hdr X-Request-Id))" \
	"$(oci_message)"
OUT=$("$RW_BIN" audit -c "$RW_CONF" --denied --repo e2e/multikey 2>&1)
expect_contains "audit: the index's refusal, the platform named" \
	"linux/arm64: layer 2 of 3 holds a private key" "$OUT"
expect_contains "...under the index's digest" "$KEY_IDX" "$OUT"

# ---- explain ---------------------------------------------------------------

OUT=$("$RW_BIN" explain -c "$RW_CONF" docker.io/e2e/multikey:1.0 2>&1)
expect_eq "explain e2e/multikey:1.0 exits 3 (refused)" 3 "$?"
expect_contains "...naming the platform whose layer holds the key" \
	"linux/arm64: layer 2 of 3 holds a private key: /root/.ssh/id_ed25519 (PEM RSA PRIVATE KEY)" "$OUT"
expect_contains "...and what passed on the other" \
	"linux/amd64: no private keys or credentials in the 1 layer" "$OUT"
printf '%s\n' "$OUT" | grep -F 'linux/' | sed 's/^/#   explain: /'
"$RW_BIN" explain -c "$RW_CONF" docker.io/e2e/multiclean:1.0 >"$E2E_TMP/explain.out" 2>&1
expect_eq "explain e2e/multiclean:1.0 exits 0 (admitted)" 0 "$?"

# ---- past the cap on platforms ----------------------------------------------

# 33 platform entries (the clean amd64 manifest under 33 architectures),
# put in the registry directly.
"$PY" - "$E2E_TMP/multiclean" >"$E2E_TMP/wide.json" <<'EOF2'
import json, os, sys
lay = sys.argv[1]
top = json.load(open(os.path.join(lay, "index.json")))["manifests"][0]
idx = json.load(open(os.path.join(lay, "blobs/sha256", top["digest"][7:])))
amd = idx["manifests"][0]
ms = [dict(amd, platform={"os": "linux", "architecture": "arch%d" % i})
      for i in range(33)]
print(json.dumps({"schemaVersion": 2,
                  "mediaType": "application/vnd.oci.image.index.v1+json",
                  "manifests": ms}))
EOF2
req PUT "$REG_URL/v2/e2e/multiclean/manifests/wide" \
	-H "Content-Type: $MT_OCI_INDEX" --data-binary "@$E2E_TMP/wide.json"
expect_code "the 33-platform index is in the registry" 201
get_manifest e2e/multiclean wide
expect_oci_error "an index of 33 platforms fails closed" 503
expect_contains "...saying what the cap is" \
	"regwarden: could not decide on docker.io/e2e/multiclean:wide: the index lists 33 platforms; at most 32 are checked" \
	"$(cat "$R_BODY")"

stop_regwarden_checked
finish
