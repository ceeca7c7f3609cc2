#!/bin/bash
# notation.test.sh - Notation signatures at the proxy.  The fixture layout's
# image (notation-go's testdata) and a signature artifact for it are pushed
# with notation_push.py: the JWS envelope into e2e/notation, the COSE one into
# e2e/notation-cose, each listed under the referrers tag-schema fallback
# (sha256-<hex>), since Debian's distribution 2.8 has no referrers API.
# The registry objects are checked with curl first; then, through regwarden,
# a pull rule requiring the "notary" trust store admits both images with
# the envelope's own certificate as the store and refuses them ("untrusted")
# with a store holding another root; an unsigned copy is refused too.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo podman curl openssl

FIX=$RW_SOURCE_DIR/tests/fixtures/notation/internal-testdata
LAYOUT=$FIX/oci-layout
[ -f "$LAYOUT/index.json" ] || die "Notation fixture layout not found at $LAYOUT"
OCI_MAN=application/vnd.oci.image.manifest.v1+json
OCI_IDX=application/vnd.oci.image.index.v1+json

start_registry

# ---- push the image and its signature artifacts ---------------------------
push() {	# REPO ENVELOPE MEDIA_TYPE OUT
	local rc
	"$PY" "$E2E_DIR/notation_push.py" "$REG_HOST" "$1" "$LAYOUT" "$2" "$3" \
		>"$4" 2>"$4.err"
	rc=$?
	if [ $rc = 3 ]; then
		die "the fixture layout lacks blobs its manifest names: $(cat "$4")"
	elif [ $rc != 0 ]; then
		die "notation_push.py $1 failed: $(cat "$4.err")"
	fi
	pass "pushed the image and its $3 signature to $1 ($(json_get "$4" 'j["fallback_tag"]'))"
}
push e2e/notation "$FIX/jws_signature.sig" application/jose+json "$E2E_TMP/jws.json"
push e2e/notation-cose "$FIX/cose_signature.sig" application/cose "$E2E_TMP/cose.json"

# The same image with no signature at all.
seed_image "$LAYOUT" e2e/notation-unsigned:v2
pass "copied the image unsigned to e2e/notation-unsigned"

IMAGE=$(json_get "$E2E_TMP/jws.json" 'j["image"]')
expect_eq "the pushed image is the layout's manifest" \
	"$(json_get "$LAYOUT/index.json" 'j["manifests"][0]["digest"]')" "$IMAGE"
expect_eq "both repositories hold the same image" \
	"$IMAGE" "$(json_get "$E2E_TMP/cose.json" 'j["image"]')"

# ---- the registry's view, with curl ---------------------------------------
# REPO OUT_JSON ENVELOPE_MEDIA_TYPE
check_registry() {
	local repo=$1 out=$2 mt=$3 sig
	sig=$(json_get "$out" 'j["signature"]')
	req GET "$REG_URL/v2/$repo/manifests/v2" -H "Accept: $OCI_MAN"
	expect_code "$repo:v2 is in the registry" 200
	expect_eq "$repo:v2 is served byte for byte" "$IMAGE" "$(body_digest)"

	req GET "$REG_URL/v2/$repo/manifests/sha256-${IMAGE#sha256:}" -H "Accept: $OCI_IDX"
	expect_code "$repo: the referrers fallback tag exists" 200
	expect_eq "$repo: the fallback tag lists the signature manifest" \
		"$sig $OCI_MAN application/vnd.cncf.notary.signature" \
		"$(json_get "$R_BODY" '[" ".join([m["digest"], m["mediaType"], m.get("artifactType", "-")]) for m in j["manifests"] if m["digest"] == "'"$sig"'"]')"

	req GET "$REG_URL/v2/$repo/manifests/$sig" -H "Accept: $OCI_MAN"
	expect_code "$repo: the signature manifest is in the registry" 200
	expect_eq "$repo: the signature manifest's subject is the image" \
		"$OCI_MAN $IMAGE 481" \
		"$(json_get "$R_BODY" '" ".join(str(j["subject"][k]) for k in ("mediaType", "digest", "size"))')"
	expect_eq "$repo: the signature manifest's artifact type and envelope" \
		"application/vnd.cncf.notary.signature $mt" \
		"$(json_get "$R_BODY" 'j["artifactType"] + " " + j["layers"][0]["mediaType"]')"
	req GET "$REG_URL/v2/$repo/blobs/$(json_get "$R_BODY" 'j["layers"][0]["digest"]')"
	expect_code "$repo: the envelope blob is in the registry" 200
}
check_registry e2e/notation "$E2E_TMP/jws.json" application/jose+json
check_registry e2e/notation-cose "$E2E_TMP/cose.json" application/cose

# Pushing again changes nothing: the fallback index is extended, not
# duplicated or replaced.
"$PY" "$E2E_DIR/notation_push.py" "$REG_HOST" e2e/notation "$LAYOUT" \
	"$FIX/jws_signature.sig" application/jose+json >"$E2E_TMP/again.json" 2>&1
expect_eq "a second push keeps one referrer in the fallback index" 1 \
	"$(json_get "$E2E_TMP/again.json" 'j["referrers"]')"
# Both envelopes into one repository: the second push adds to the index.
push e2e/notation-both "$FIX/jws_signature.sig" application/jose+json "$E2E_TMP/both1.json"
push e2e/notation-both "$FIX/cose_signature.sig" application/cose "$E2E_TMP/both2.json"
req GET "$REG_URL/v2/e2e/notation-both/manifests/sha256-${IMAGE#sha256:}" -H "Accept: $OCI_IDX"
expect_eq "the fallback index lists both signature manifests, in push order" \
	"$(json_get "$E2E_TMP/both1.json" 'j["signature"]') $(json_get "$E2E_TMP/both2.json" 'j["signature"]')" \
	"$(json_get "$R_BODY" '" ".join(m["digest"] for m in j["manifests"])')"

# ---- trust stores -----------------------------------------------------------
# The envelopes' signing certificate is self-signed (notation-go's test root):
# x5c[0] of the JWS unprotected header (standard base64 DER).  The COSE
# envelope carries the same certificate.
"$PY" - "$FIX/jws_signature.sig" "$FIX/cose_signature.sig" "$E2E_TMP/store.pem" <<'EOF' ||
import base64, json, sys, textwrap
jws = json.load(open(sys.argv[1]))
der = base64.b64decode(jws["header"]["x5c"][0])
assert der in open(sys.argv[2], "rb").read(), "COSE envelope has another certificate"
b64 = base64.b64encode(der).decode()
with open(sys.argv[3], "w") as f:
    f.write("-----BEGIN CERTIFICATE-----\n" + "\n".join(textwrap.wrap(b64, 64)) +
            "\n-----END CERTIFICATE-----\n")
EOF
	die "cannot extract the signing certificate from the JWS envelope"
check "the trust store PEM is the fixture's self-signed root" \
	openssl verify -CAfile "$E2E_TMP/store.pem" -purpose any "$E2E_TMP/store.pem"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$E2E_TMP/other.key" \
	-subj "/O=e2e/CN=another root" -days 2 -out "$E2E_TMP/other.pem" \
	>/dev/null 2>&1 || die "cannot make another root certificate"

# policy_with STORE_PEM_FILE OUT: pulls of docker.io/e2e/** need a Notation
# signature chaining to a root in STORE ("trust_store" is a path).
policy_with() {
	"$PY" - "$1" "$2" <<'EOF' || die "cannot write the policy"
import json, sys
json.dump({"version": 1,
           "keys": {"notary": {"notation": {"trust_store": sys.argv[1]}}},
           "rules": [{"name": "notary", "match": "docker.io/e2e/**",
                      "operations": ["pull"],
                      "signatures": {"keys": ["notary"]}}]},
          open(sys.argv[2], "w"), indent=1)
EOF
}

# With E2E_DIRECT=1 the admitted pulls below go straight to the registry.
podman_init
policy_with "$E2E_TMP/store.pem" "$E2E_TMP/policy.json"
start_regwarden_policy "$E2E_TMP/policy.json"

for repo in e2e/notation e2e/notation-cose; do
	if podman_pull "$repo:v2"; then
		pass "podman pull of $repo:v2 with the fixture's trust store"
	else
		show_client_line podman "$PODMAN_OUT"
		fail "podman pull of $repo:v2 with the fixture's trust store failed: $PODMAN_OUT"
	fi
done
get_manifest e2e/notation v2
expect_code "GET e2e/notation:v2 through regwarden (fixture's trust store)" 200
expect_eq "regwarden serves the image manifest byte for byte" "$IMAGE" "$(body_digest)"
if rw_only; then
	if podman_pull e2e/notation-unsigned:v2; then
		fail "podman pull of the unsigned copy succeeded"
	else
		show_client_line podman "$PODMAN_OUT"
		expect_contains "podman shows regwarden's refusal of the unsigned copy" \
			"regwarden: docker.io/e2e/notation-unsigned:v2 refused" "$PODMAN_OUT"
		expect_contains "podman shows that the unsigned copy has no Notation signature" \
			"the image has no Notation signature (no referrer of type application/vnd.cncf.notary.signature)" \
			"$PODMAN_OUT"
	fi
	get_manifest e2e/notation-unsigned v2
	expect_code "GET e2e/notation-unsigned:v2 through regwarden" 403
fi
stop_regwarden_checked

# ---- another root in the trust store: refused --------------------------------
rw_only || { pass "refusals need regwarden (E2E_DIRECT=1)"; finish; }
policy_with "$E2E_TMP/other.pem" "$E2E_TMP/policy.json"
rm -rf "$E2E_TMP/rw"	# a fresh state dir: no cached verdicts
start_regwarden_policy "$E2E_TMP/policy.json"
for repo in e2e/notation e2e/notation-cose; do
	if podman_pull "$repo:v2"; then
		fail "podman pull of $repo:v2 with another root in the trust store succeeded"
	else
		show_client_line podman "$PODMAN_OUT"
		expect_contains "podman shows why $repo:v2 is refused (another root)" \
			"1 Notation signature by an untrusted certificate" "$PODMAN_OUT"
	fi
done
get_manifest e2e/notation v2
expect_code "GET e2e/notation:v2 through regwarden (another root)" 403
stop_regwarden_checked
finish
