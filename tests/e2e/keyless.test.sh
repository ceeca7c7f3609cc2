#!/bin/bash
# keyless.test.sh - cosign keyless signatures from the tests' own private
# Sigstore deployment (fake_sigstore.py: a Fulcio-like CA, a Rekor key and a
# CT log key described in a custom trusted_root.json).  An image is pushed
# to a real docker-registry and signed as dev@example.com /
# https://issuer.example; the .sig manifest, the payload, the certificate,
# the SCT and the Rekor SET are then checked offline with the openssl
# command line (and the SCT with python3-cryptography), independently of
# regwarden's code, including checks that must fail (tampered payload,
# another key, another time, a SET from a log the trusted root lacks).
#
# Left for the proxy part (see the variables below): the trusted root
# $SIG/trusted_root.json, identity $ID_SUBJECT / $ID_ISSUER, e2e/keyless:1.0
# signed by that identity, e2e/badlog:1.0 signed by the same identity with
# a SET from an untrusted Rekor key, e2e/nosig:1.0 unsigned.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo curl openssl base64 sha256sum

FAKE=$E2E_DIR/fake_sigstore.py
SIG=$E2E_TMP/sigstore
ID_SUBJECT=dev@example.com
ID_ISSUER=https://issuer.example
SIGMT=application/vnd.dev.cosign.simplesigning.v1+json
OCI_MT=application/vnd.oci.image.manifest.v1+json

start_registry

# ---- images ------------------------------------------------------------------
seed=41
for name in keyless badlog nosig; do
	mkimage "$E2E_TMP/$name" --seed "$seed" --layers 1 --layer-size 16k --user 1000
	seed_image "$E2E_TMP/$name" "e2e/$name:1.0"
	seed=$((seed + 1))
done
KEYLESS_TOP=$(json_get "$E2E_TMP/keyless.json" 'j["top"]')
BADLOG_TOP=$(json_get "$E2E_TMP/badlog.json" 'j["top"]')
pass "images pushed"

# ---- the private deployment ----------------------------------------------------
"$PY" "$FAKE" init "$SIG" >"$E2E_TMP/init.json" 2>"$E2E_TMP/init.err" ||
	die "fake_sigstore.py init failed: $(cat "$E2E_TMP/init.err")"
TR=$SIG/trusted_root.json
[ -s "$TR" ] || die "fake_sigstore.py init wrote no $TR"

# tr_der EXPR OUT: base64-decode a rawBytes field of the trusted root.
tr_der() {
	json_get "$TR" "$1" | base64 -d >"$2"
}
# The trust material, taken from trusted_root.json (never from the layer).
T=$E2E_TMP/trust
mkdir -p "$T"
tr_der 'j["certificateAuthorities"][0]["certChain"]["certificates"][0]["rawBytes"]' "$T/inter.der"
tr_der 'j["certificateAuthorities"][0]["certChain"]["certificates"][1]["rawBytes"]' "$T/root.der"
tr_der 'j["tlogs"][0]["publicKey"]["rawBytes"]' "$T/rekor.der"
tr_der 'j["ctlogs"][0]["publicKey"]["rawBytes"]' "$T/ctlog.der"
if ! { openssl x509 -inform DER -in "$T/root.der" -out "$T/root.pem" &&
	openssl x509 -inform DER -in "$T/inter.der" -out "$T/inter.pem" &&
	openssl pkey -pubin -inform DER -in "$T/rekor.der" -out "$T/rekor.pub" &&
	openssl pkey -pubin -inform DER -in "$T/ctlog.der" -out "$T/ctlog.pub"; } 2>/dev/null; then
	die "trusted_root.json holds unreadable certificates or keys"
fi

expect_eq "trusted root media type" \
	"application/vnd.dev.sigstore.trustedroot+json;version=0.1" \
	"$(json_get "$TR" 'j["mediaType"]')"
expect_eq "Rekor key details" PKIX_ECDSA_P256_SHA_256 \
	"$(json_get "$TR" 'j["tlogs"][0]["publicKey"]["keyDetails"]')"
expect_eq "tlog keyId is the SHA-256 of the key's DER SPKI" \
	"$(openssl dgst -sha256 -binary "$T/rekor.der" | base64)" \
	"$(json_get "$TR" 'j["tlogs"][0]["logId"]["keyId"]')"
expect_eq "ctlog keyId is the SHA-256 of the key's DER SPKI" \
	"$(openssl dgst -sha256 -binary "$T/ctlog.der" | base64)" \
	"$(json_get "$TR" 'j["ctlogs"][0]["logId"]["keyId"]')"
expect_eq "CA chain: the intermediate is issued by the self-signed root" \
	"$T/inter.pem: OK" \
	"$(openssl verify -CAfile "$T/root.pem" "$T/inter.pem" 2>&1)"
expect_eq "every validFor has a start" "ok" "$(json_get "$TR" \
	'"ok" if all("start" in e["validFor"] for e in j["certificateAuthorities"]) and all("start" in e["publicKey"]["validFor"] for e in j["tlogs"] + j["ctlogs"]) else "missing"')"
REKOR_HEX=$(openssl dgst -sha256 -r "$T/rekor.der" | awk '{print $1}')

# ---- signing -------------------------------------------------------------------
# keyless_sign NAME DIGEST [fake_sigstore options]: summary in $E2E_TMP/NAME.sign.json
keyless_sign() {
	local name=$1 digest=$2 out
	shift 2
	if out=$("$PY" "$FAKE" sign "$SIG" --registry "$REG_HOST" --repo "e2e/$name" \
		--digest "$digest" --subject "$ID_SUBJECT" --issuer "$ID_ISSUER" "$@" 2>&1); then
		printf '%s\n' "$out" >"$E2E_TMP/$name.sign.json"
		pass "fake_sigstore.py sign e2e/$name"
	else
		die "fake_sigstore.py sign e2e/$name failed: $out"
	fi
}
keyless_sign keyless "$KEYLESS_TOP"
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null |
	openssl pkcs8 -topk8 -nocrypt -out "$E2E_TMP/stranger-rekor.key" ||
	die "cannot make the stranger Rekor key"
keyless_sign badlog "$BADLOG_TOP" --tlog-key "$E2E_TMP/stranger-rekor.key"

# ---- what the registry holds ---------------------------------------------------
W=$E2E_TMP/work
mkdir -p "$W"
TAG=sha256-${KEYLESS_TOP#sha256:}.sig
expect_eq "summary names the .sig tag" "$TAG" \
	"$(json_get "$E2E_TMP/keyless.sign.json" 'j["tag"]')"
req GET "$REG_URL/v2/e2e/keyless/manifests/$TAG" -H "Accept: $OCI_MT"
expect_eq "registry serves e2e/keyless:$TAG" 200 "$R_CODE"
cp "$R_BODY" "$W/manifest.json"
expect_eq "manifest digest as the summary says" \
	"$(json_get "$E2E_TMP/keyless.sign.json" 'j["manifest_digest"]')" \
	"sha256:$(sha256sum "$W/manifest.json" | awk '{print $1}')"
expect_eq "manifest media type" "$OCI_MT" "$(json_get "$W/manifest.json" 'j["mediaType"]')"
expect_eq "one layer" 1 "$(json_get "$W/manifest.json" 'len(j["layers"])')"
expect_eq "layer media type" "$SIGMT" "$(json_get "$W/manifest.json" 'j["layers"][0]["mediaType"]')"
expect_eq "the four annotations" \
	"dev.cosignproject.cosign/signature dev.sigstore.cosign/bundle dev.sigstore.cosign/certificate dev.sigstore.cosign/chain" \
	"$(json_get "$W/manifest.json" '" ".join(sorted(j["layers"][0]["annotations"]))')"
ann() { json_get "$W/manifest.json" "j[\"layers\"][0][\"annotations\"][\"$1\"]"; }
ann dev.cosignproject.cosign/signature >"$W/sig.b64"
ann dev.sigstore.cosign/certificate >"$W/leaf.pem"
ann dev.sigstore.cosign/chain >"$W/chain.pem"
ann dev.sigstore.cosign/bundle >"$W/bundle.json"
base64 -d "$W/sig.b64" >"$W/sig.der" || fail "signature annotation is not base64"

PAYLOAD_DIGEST=$(json_get "$W/manifest.json" 'j["layers"][0]["digest"]')
CONFIG_DIGEST=$(json_get "$W/manifest.json" 'j["config"]["digest"]')
req GET "$REG_URL/v2/e2e/keyless/blobs/$CONFIG_DIGEST"
expect_eq "config blob is in the registry" 200 "$R_CODE"
req GET "$REG_URL/v2/e2e/keyless/blobs/$PAYLOAD_DIGEST"
expect_eq "payload blob is in the registry" 200 "$R_CODE"
cp "$R_BODY" "$W/payload"
expect_eq "payload digest matches its descriptor" "$PAYLOAD_DIGEST" \
	"sha256:$(sha256sum "$W/payload" | awk '{print $1}')"
expect_eq "payload size matches its descriptor" \
	"$(json_get "$W/manifest.json" 'j["layers"][0]["size"]')" "$(stat -c %s "$W/payload")"
expect_eq "payload bytes as cosign writes them" \
	"{\"critical\":{\"identity\":{\"docker-reference\":\"$REG_HOST/e2e/keyless\"},\"image\":{\"docker-manifest-digest\":\"$KEYLESS_TOP\"},\"type\":\"cosign container image signature\"},\"optional\":null}" \
	"$(cat "$W/payload")"

# ---- the leaf certificate --------------------------------------------------------
TEXT=$(openssl x509 -in "$W/leaf.pem" -noout -text 2>&1)
expect_contains "leaf SAN is the identity" "email:$ID_SUBJECT" "$TEXT"
expect_contains "leaf SAN is critical" "X509v3 Subject Alternative Name: critical" "$TEXT"
expect_contains "leaf is for code signing" "Code Signing" "$TEXT"
expect_contains "leaf carries an SCT" "CT Precertificate SCTs" "$TEXT"
expect_eq "leaf subject is empty" "subject=" "$(openssl x509 -in "$W/leaf.pem" -noout -subject)"
# ext_val OID: extension OID's value in the leaf as asn1parse shows it,
# ":text" when printable, "[HEX DUMP]:..." otherwise.
ext_val() {
	openssl asn1parse -in "$W/leaf.pem" 2>/dev/null |
		awk -v oid="$1" '$0 ~ ":" oid "$" {getline; print}' | sed 's/.*prim: OCTET STRING *//'
}
hex_of() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n' | tr a-f A-F; }
# .1.1 holds the issuer's raw bytes; .1.8 DER: UTF8String tag, length, text.
expect_eq "leaf issuer extension .1.1 holds the raw issuer" \
	":$ID_ISSUER" "$(ext_val '1\.3\.6\.1\.4\.1\.57264\.1\.1')"
expect_eq "leaf issuer extension .1.8 is a DER UTF8String" \
	"[HEX DUMP]:0C$(printf "%02X" ${#ID_ISSUER})$(hex_of "$ID_ISSUER")" "$(ext_val '1\.3\.6\.1\.4\.1\.57264\.1\.8')"
NB=$(date -d "$(openssl x509 -in "$W/leaf.pem" -noout -startdate | cut -d= -f2)" +%s)
NA=$(date -d "$(openssl x509 -in "$W/leaf.pem" -noout -enddate | cut -d= -f2)" +%s)
expect_eq "leaf is valid for 10 minutes" 600 "$((NA - NB))"
expect_eq "chain annotation is the intermediate then the root" \
	"$(cat "$T/inter.pem" "$T/root.pem")" "$(cat "$W/chain.pem")"

# ---- the Rekor bundle --------------------------------------------------------------
ITIME=$(json_get "$W/bundle.json" 'j["Payload"]["integratedTime"]')
LOGIDX=$(json_get "$W/bundle.json" 'j["Payload"]["logIndex"]')
expect_eq "bundle logID is the trusted Rekor key's" "$REKOR_HEX" \
	"$(json_get "$W/bundle.json" 'j["Payload"]["logID"]')"
expect_eq "integratedTime is the summary's" \
	"$(json_get "$E2E_TMP/keyless.sign.json" 'j["integrated_time"]')" "$ITIME"
if [ "$ITIME" -ge "$NB" ] && [ "$ITIME" -le "$NA" ]; then
	pass "integratedTime lies inside the leaf's validity"
else
	fail "integratedTime $ITIME outside [$NB, $NA]"
fi
json_get "$W/bundle.json" 'j["Payload"]["body"]' | base64 -d >"$W/body.json" ||
	fail "bundle body is not base64"
expect_eq "entry kind and version" "hashedrekord 0.0.1" \
	"$(json_get "$W/body.json" 'j["kind"] + " " + j["apiVersion"]')"
expect_eq "entry hashes the payload" \
	"sha256 $(sha256sum "$W/payload" | awk '{print $1}')" \
	"$(json_get "$W/body.json" 'j["spec"]["data"]["hash"]["algorithm"] + " " + j["spec"]["data"]["hash"]["value"]')"
expect_eq "entry holds the layer's signature" "$(cat "$W/sig.b64")" \
	"$(json_get "$W/body.json" 'j["spec"]["signature"]["content"]')"
expect_eq "entry holds the layer's certificate" "$(cat "$W/leaf.pem")" \
	"$(json_get "$W/body.json" 'j["spec"]["signature"]["publicKey"]["content"]' | base64 -d)"

# canon BUNDLE OUT [TIME_DELTA]: the four members the SET signs, RFC 8785.
canon() {
	"$PY" -c 'import json,sys
p = json.load(open(sys.argv[1]))["Payload"]
c = {k: p[k] for k in ("body", "integratedTime", "logID", "logIndex")}
c["integratedTime"] += int(sys.argv[3])
open(sys.argv[2], "w").write(json.dumps(c, sort_keys=True, separators=(",", ":")))' \
		"$1" "$2" "${3:-0}"
}
canon "$W/bundle.json" "$W/canon.json"
expect_eq "canonical JSON of the SET" \
	"{\"body\":\"$(json_get "$W/bundle.json" 'j["Payload"]["body"]')\",\"integratedTime\":$ITIME,\"logID\":\"$REKOR_HEX\",\"logIndex\":$LOGIDX}" \
	"$(cat "$W/canon.json")"
json_get "$W/bundle.json" 'j["SignedEntryTimestamp"]' | base64 -d >"$W/set.der" ||
	fail "SignedEntryTimestamp is not base64"

# ---- signatures, with openssl -------------------------------------------------------
# osslv NAME EXPECTED PUBKEY SIG DATA
osslv() {
	expect_eq "$1" "$2" "$(openssl dgst -sha256 -verify "$3" -signature "$4" "$5" 2>/dev/null | head -n 1)"
}
openssl x509 -in "$W/leaf.pem" -noout -pubkey >"$W/leaf.pub" || fail "no key in the leaf"
osslv "payload signature verifies with the leaf key" "Verified OK" "$W/leaf.pub" "$W/sig.der" "$W/payload"
cp "$W/payload" "$W/payload.bad"
printf ' ' >>"$W/payload.bad"
osslv "tampered payload does not verify" "Verification failure" "$W/leaf.pub" "$W/sig.der" "$W/payload.bad"
osslv "SET verifies with the trusted Rekor key" "Verified OK" "$T/rekor.pub" "$W/set.der" "$W/canon.json"
osslv "SET does not verify with the CT log key" "Verification failure" "$T/ctlog.pub" "$W/set.der" "$W/canon.json"
canon "$W/bundle.json" "$W/canon.later" 1
osslv "SET does not verify for another integratedTime" "Verification failure" "$T/rekor.pub" "$W/set.der" "$W/canon.later"

# The chain from the trusted root's certificates only, at the log's time.
expect_eq "leaf chains to the trusted root at integratedTime" "$W/leaf.pem: OK" \
	"$(openssl verify -attime "$ITIME" -CAfile "$T/root.pem" -untrusted "$T/inter.pem" "$W/leaf.pem" 2>&1)"
expect_contains "leaf does not chain an hour later (expired)" \
	"certificate has expired" \
	"$(openssl verify -attime "$((ITIME + 3600))" -CAfile "$T/root.pem" -untrusted "$T/inter.pem" "$W/leaf.pem" 2>&1)"
expect_contains "leaf does not chain without the intermediate" \
	"unable to get local issuer certificate" \
	"$(openssl verify -attime "$ITIME" -CAfile "$T/root.pem" "$W/leaf.pem" 2>&1)"

# The SCT (RFC 6962 §3.2): openssl's CLI cannot check it against a private
# log, so python3-cryptography rebuilds the signed precertificate entry.
SCT_PY=$(cat <<'EOT'
import datetime, hashlib, struct, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.exceptions import InvalidSignature
leaf = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
inter = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
log = serialization.load_der_public_key(open(sys.argv[3], "rb").read())
der = log.public_bytes(serialization.Encoding.DER,
                       serialization.PublicFormat.SubjectPublicKeyInfo)
ikh = hashlib.sha256(inter.public_key().public_bytes(
    serialization.Encoding.DER,
    serialization.PublicFormat.SubjectPublicKeyInfo)).digest()
scts = leaf.extensions.get_extension_for_class(
    x509.PrecertificateSignedCertificateTimestamps).value
tbs = leaf.tbs_precertificate_bytes
for s in scts:
    if s.log_id != hashlib.sha256(der).digest():
        print("SCT from another log")
        continue
    ms = int(s.timestamp.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
    msg = (struct.pack(">BBQH", 0, 0, ms, 1) + ikh +
           len(tbs).to_bytes(3, "big") + tbs + struct.pack(">H", len(s.extension_bytes)) +
           s.extension_bytes)
    try:
        log.verify(s.signature, msg, ec.ECDSA(hashes.SHA256()))
        print("SCT verified")
    except InvalidSignature:
        print("SCT signature invalid")
EOT
)
expect_eq "SCT verifies with the trusted CT log key" "SCT verified" \
	"$("$PY" -c "$SCT_PY" "$W/leaf.pem" "$T/inter.pem" "$T/ctlog.der" 2>&1)"
expect_eq "SCT does not verify with the Rekor key" "SCT from another log" \
	"$("$PY" -c "$SCT_PY" "$W/leaf.pem" "$T/inter.pem" "$T/rekor.der" 2>&1)"

# ---- the image whose SET comes from a log the trusted root lacks ----------------------
req GET "$REG_URL/v2/e2e/badlog/manifests/sha256-${BADLOG_TOP#sha256:}.sig" -H "Accept: $OCI_MT"
expect_eq "registry serves e2e/badlog's .sig" 200 "$R_CODE"
json_get "$R_BODY" 'j["layers"][0]["annotations"]["dev.sigstore.cosign/bundle"]' >"$W/bad.bundle.json"
expect_lacks "untrusted log's bundle names another logID" "$REKOR_HEX" \
	"$(json_get "$W/bad.bundle.json" 'j["Payload"]["logID"]')"
canon "$W/bad.bundle.json" "$W/bad.canon.json"
json_get "$W/bad.bundle.json" 'j["SignedEntryTimestamp"]' | base64 -d >"$W/bad.set.der"
osslv "untrusted log's SET does not verify with the trusted Rekor key" \
	"Verification failure" "$T/rekor.pub" "$W/bad.set.der" "$W/bad.canon.json"
openssl pkey -in "$E2E_TMP/stranger-rekor.key" -pubout -out "$W/stranger.pub" 2>/dev/null
osslv "untrusted log's SET verifies with its own key" "Verified OK" \
	"$W/stranger.pub" "$W/bad.set.der" "$W/bad.canon.json"

req GET "$REG_URL/v2/e2e/nosig/manifests/sha256-$(json_get "$E2E_TMP/nosig.json" 'j["top"]' | cut -d: -f2).sig" -H "Accept: $OCI_MT"
expect_eq "e2e/nosig has no signature" 404 "$R_CODE"

log "trusted root: $TR; identity: $ID_SUBJECT / $ID_ISSUER"

# ---- through regwarden: a keyless identity in the policy ----------------------------
if rw_only && command -v podman >/dev/null; then
	write_policy() {	# FILE SUBJECT
		cat >"$1" <<EOP
{
  // The private Sigstore deployment of this test: its trusted_root.json.
  "version": 1,
  "keys": { "ci": { "keyless": { "trusted_root": "$TR",
      "issuer": "$ID_ISSUER", "subject": "$2" } } },
  "rules": [ { "name": "keyless", "match": "docker.io/e2e/**", "operations": ["pull"],
      "signatures": { "keys": ["ci"] } } ]
}
EOP
	}
	write_policy "$E2E_TMP/keyless-policy.json" "$ID_SUBJECT"
	start_regwarden_policy "$E2E_TMP/keyless-policy.json"
	podman_init
	if podman_pull e2e/keyless:1.0; then
		pass "podman pull of the keyless-signed image under identity $ID_SUBJECT"
	else
		fail "podman pull of the keyless-signed image failed: $PODMAN_OUT"
	fi
	if podman_pull e2e/badlog:1.0; then
		fail "podman pull of e2e/badlog (SET from an untrusted log) succeeded"
	else
		show_client_line podman "$PODMAN_OUT"
		expect_contains "the refusal says the log is not trusted" \
			"not in a trusted Rekor log" "$PODMAN_OUT"
	fi
	if podman_pull e2e/nosig:1.0; then
		fail "podman pull of the unsigned image succeeded"
	else
		expect_contains "the unsigned image is refused" "has no cosign signature" "$PODMAN_OUT"
	fi
	stop_regwarden_checked
	# The same signature under a policy that trusts another identity.
	write_policy "$E2E_TMP/other-policy.json" "someone-else@example.com"
	start_regwarden_policy "$E2E_TMP/other-policy.json"
	if podman_pull e2e/keyless:1.0; then
		fail "podman pull succeeded under another identity"
	else
		show_client_line podman "$PODMAN_OUT"
		expect_contains "the refusal names the identity that signed" \
			"by another identity: $ID_SUBJECT via $ID_ISSUER" "$PODMAN_OUT"
	fi
	stop_regwarden_checked
fi
finish
