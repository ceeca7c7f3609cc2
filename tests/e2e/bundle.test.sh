#!/bin/bash
# bundle.test.sh - Sigstore bundles (cosign v3's signature format) at the
# proxy.  fake_sigstore.py's private deployment makes what cosign v3 makes
# for an image: a v0.3 bundle (DSSE envelope over an in-toto statement, a
# dsse 0.0.1 Rekor entry with a SET and an inclusion proof up to a signed
# checkpoint) pushed as an OCI referrer and listed under the referrers
# tag-schema fallback sha256-<hex> (Debian's distribution 2.8 has no
# referrers API).  The registry objects and the log's signatures are checked
# with curl, openssl and a separate RFC 9162 proof walk; each bundle is
# judged by `regwarden verify-bundle`; then, through regwarden, podman and
# ctr pulls are admitted for a keyless bundle by dev@example.com and a
# key-signed bundle logged in Rekor ("rekor_trusted_root"), and refused for
# a bundle by another identity, a bundle whose statement names another
# digest, an attestation, a tampered SET, a tampered inclusion proof, a
# key-signed bundle under the keyless rule, and no signature at all.
# Attestations in bundles (cosign v3): SLSA provenance from acme's
# repository in a keyless bundle meets a rule's "attestations"; one from a
# fork, or by another identity, is refused with the reason.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo podman ctr containerd curl openssl base64 sha256sum

FAKE=$E2E_DIR/fake_sigstore.py
SIG=$E2E_TMP/sigstore
TR=$SIG/trusted_root.json
ID_SUBJECT=dev@example.com
ID_ISSUER=https://issuer.example
OTHER_SUBJECT=mallory@example.com
BUNDLE_MT=application/vnd.dev.sigstore.bundle.v0.3+json
OCI_MT=application/vnd.oci.image.manifest.v1+json
OCI_IDX=application/vnd.oci.image.index.v1+json
SLSA=https://slsa.dev/provenance/v1
W=$E2E_TMP/work
mkdir -p "$W"

start_registry

# ---- images ---------------------------------------------------------------------
# good: keyless by the trusted identity; otherid: by another identity;
# wrongdig: a bundle whose statement names good's digest; attest: an
# attestation; badset / badproof: tampered log evidence; keyed: signed with
# the release key (its own rule); keyedbadset: the same with a tampered SET;
# keyonly: the release key's bundle under the keyless rule; nosig: nothing.
IMAGES="good otherid wrongdig attest badset badproof keyed keyedbadset keyonly nosig
	provacme provfork provstranger provbig"
seed=61
for name in $IMAGES; do
	mkimage "$E2E_TMP/$name" --seed "$seed" --layers 1 --layer-size 16k --user 1000
	seed_image "$E2E_TMP/$name" "e2e/$name:1.0"
	seed=$((seed + 1))
done
top() { json_get "$E2E_TMP/$1.json" 'j["top"]'; }
GOOD_TOP=$(top good)
pass "images pushed"

# ---- the private deployment and the bundles -------------------------------------
"$PY" "$FAKE" init "$SIG" >"$E2E_TMP/init.json" 2>"$E2E_TMP/init.err" ||
	die "fake_sigstore.py init failed: $(cat "$E2E_TMP/init.err")"
[ -s "$TR" ] || die "fake_sigstore.py init wrote no $TR"
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null |
	openssl pkcs8 -topk8 -nocrypt -out "$E2E_TMP/release.key" &&
	openssl pkey -in "$E2E_TMP/release.key" -pubout -out "$E2E_TMP/release.pub" \
		2>/dev/null || die "cannot make the release key"

# bundle NAME [fake_sigstore options]: a bundle for e2e/NAME's digest,
# pushed as its referrer; the bundle in $W/NAME.bundle.json, the summary
# in $W/NAME.push.json.
bundle() {
	local name=$1 out
	shift
	if out=$("$PY" "$FAKE" bundle "$SIG" --registry "$REG_HOST" --repo "e2e/$name" \
		--digest "$(top "$name")" --out "$W/$name.bundle.json" "$@" 2>&1); then
		printf '%s\n' "$out" >"$W/$name.push.json"
		pass "fake_sigstore.py bundle e2e/$name"
	else
		die "fake_sigstore.py bundle e2e/$name failed: $out"
	fi
}
KEYLESS=(--subject "$ID_SUBJECT" --issuer "$ID_ISSUER")
bundle good "${KEYLESS[@]}"
bundle otherid --subject "$OTHER_SUBJECT" --issuer "$ID_ISSUER"
bundle wrongdig "${KEYLESS[@]}" --statement-digest "$GOOD_TOP"
bundle attest "${KEYLESS[@]}" --predicate-type "$SLSA"
bundle badset "${KEYLESS[@]}" --tamper set
bundle badproof "${KEYLESS[@]}" --tamper proof
bundle keyed --key "$E2E_TMP/release.key"
bundle keyedbadset --key "$E2E_TMP/release.key" --tamper set
bundle keyonly --key "$E2E_TMP/release.key"
# SLSA provenance as cosign v3 attaches it: from acme's repository, from a
# fork, and by another identity.
cat >"$E2E_TMP/prov-acme.json" <<'EOF'
{ "buildDefinition": { "buildType": "https://actions.github.io/buildtypes/workflow/v1",
    "externalParameters": { "workflow": { "ref": "refs/heads/main",
      "repository": "https://github.com/acme/app", "path": ".github/workflows/build.yml" } } },
  "runDetails": { "builder": { "id": "https://github.com/actions/runner" } } }
EOF
sed 's#github.com/acme/app#github.com/mallory/app#' "$E2E_TMP/prov-acme.json" \
	>"$E2E_TMP/prov-fork.json"
bundle provacme "${KEYLESS[@]}" --predicate-type "$SLSA" --predicate "$E2E_TMP/prov-acme.json"
bundle provfork "${KEYLESS[@]}" --predicate-type "$SLSA" --predicate "$E2E_TMP/prov-fork.json"
bundle provstranger --subject "$OTHER_SUBJECT" --issuer "$ID_ISSUER" \
	--predicate-type "$SLSA" --predicate "$E2E_TMP/prov-acme.json"
# A bundle past the 64 KiB of a signature referrer: 3,000 byproducts.
"$PY" -c 'import json,sys
p = json.load(open(sys.argv[1]))
p["runDetails"]["byproducts"] = [{"name": "out/file-%05d" % i, "digest": {"sha256": "%064x" % i}}
                                 for i in range(3000)]
json.dump(p, open(sys.argv[2], "w"))' "$E2E_TMP/prov-acme.json" "$E2E_TMP/prov-big.json"
bundle provbig "${KEYLESS[@]}" --predicate-type "$SLSA" --predicate "$E2E_TMP/prov-big.json"
BIGB=$(wc -c <"$W/provbig.bundle.json")
if [ "$BIGB" -gt 65536 ]; then pass "the big provenance bundle is $BIGB bytes (over 64 KiB)"; else
	fail "the big provenance bundle is only $BIGB bytes"; fi

# ---- what the registry holds ------------------------------------------------------
REF=$(json_get "$W/good.push.json" 'j["referrer"]')
req GET "$REG_URL/v2/e2e/good/manifests/sha256-${GOOD_TOP#sha256:}" -H "Accept: $OCI_IDX"
expect_code "the referrers fallback tag of e2e/good exists" 200
expect_eq "the fallback index lists the referrer with its artifact type" \
	"$REF $OCI_MT $BUNDLE_MT" \
	"$(json_get "$R_BODY" '[" ".join([m["digest"], m["mediaType"], m.get("artifactType", "-")]) for m in j["manifests"]]')"
req GET "$REG_URL/v2/e2e/good/manifests/$REF" -H "Accept: $OCI_MT"
expect_code "the referrer manifest is in the registry" 200
cp "$R_BODY" "$W/ref.json"
expect_eq "the referrer's artifact type, config and one bundle layer" \
	"$BUNDLE_MT application/vnd.oci.empty.v1+json 2 $BUNDLE_MT" \
	"$(json_get "$W/ref.json" '" ".join([j["artifactType"], j["config"]["mediaType"], str(j["config"]["size"])] + [l["mediaType"] for l in j["layers"]])')"
expect_eq "the referrer's subject is the image manifest" \
	"$OCI_MT $GOOD_TOP $(curl -s -H "Accept: $OCI_MT" "$REG_URL/v2/e2e/good/manifests/1.0" | wc -c)" \
	"$(json_get "$W/ref.json" '" ".join(str(j["subject"][k]) for k in ("mediaType", "digest", "size"))')"
expect_eq "the referrer's annotations" \
	"dsse-envelope https://sigstore.dev/cosign/sign/v1" \
	"$(json_get "$W/ref.json" 'j["annotations"]["dev.sigstore.bundle.content"] + " " + j["annotations"]["dev.sigstore.bundle.predicateType"]')"
req GET "$REG_URL/v2/e2e/good/blobs/$(json_get "$W/ref.json" 'j["layers"][0]["digest"]')"
expect_code "the bundle blob is in the registry" 200
expect_eq "the bundle blob is the bundle" "$(sha256sum <"$W/good.bundle.json")" \
	"$(sha256sum <"$R_BODY")"
# A second bundle for the same digest extends the fallback index.
bundle good "${KEYLESS[@]}"
expect_eq "a second bundle is added to the fallback index" 2 \
	"$(json_get "$W/good.push.json" 'j["referrers"]')"

# ---- the bundle's log evidence, without regwarden ----------------------------------
# Taken apart with the trusted root's Rekor key: the SET (openssl), the
# checkpoint signature (openssl) and the inclusion proof (RFC 9162 §2.1.3.2,
# walked here independently of how fake_sigstore.py built the tree).
json_get "$TR" 'j["tlogs"][0]["publicKey"]["rawBytes"]' | base64 -d >"$W/rekor.der"
openssl pkey -pubin -inform DER -in "$W/rekor.der" -out "$W/rekor.pub" 2>/dev/null ||
	die "the trusted root's Rekor key is unreadable"
REKOR_HEX=$(openssl dgst -sha256 -r "$W/rekor.der" | awk '{print $1}')
"$PY" - "$W/good.bundle.json" "$W" "$REKOR_HEX" <<'EOF' || die "cannot take the bundle apart"
import base64, json, sys
b = json.load(open(sys.argv[1]))
w, logid = sys.argv[2], sys.argv[3]
e = b["verificationMaterial"]["tlogEntries"][0]
canon = json.dumps({"body": e["canonicalizedBody"],
                    "integratedTime": int(e["integratedTime"]),
                    "logID": logid, "logIndex": int(e["logIndex"])},
                   sort_keys=True, separators=(",", ":"))
open(w + "/set.json", "w").write(canon)
open(w + "/set.der", "wb").write(base64.b64decode(
    e["inclusionPromise"]["signedEntryTimestamp"]))
note = e["inclusionProof"]["checkpoint"]["envelope"]
text, sigs = note.split("\n\n", 1)
open(w + "/note.txt", "w").write(text + "\n")
name, sig = sigs.rstrip("\n").split(" ")[1:3]
raw = base64.b64decode(sig)
open(w + "/note.hint", "w").write(name + " " + raw[:4].hex())
open(w + "/note.der", "wb").write(raw[4:])
open(w + "/body.json", "wb").write(base64.b64decode(e["canonicalizedBody"]))
EOF
osslv() {	# NAME EXPECTED PUBKEY SIG DATA
	expect_eq "$1" "$2" "$(openssl dgst -sha256 -verify "$3" -signature "$4" "$5" 2>/dev/null | head -n 1)"
}
osslv "the SET verifies with the trusted Rekor key" "Verified OK" \
	"$W/rekor.pub" "$W/set.der" "$W/set.json"
osslv "the checkpoint signature verifies with the trusted Rekor key" "Verified OK" \
	"$W/rekor.pub" "$W/note.der" "$W/note.txt"
expect_eq "the checkpoint is signed as rekor.e2e.invalid with the log id's first 4 bytes" \
	"rekor.e2e.invalid ${REKOR_HEX:0:8}" "$(cat "$W/note.hint")"
expect_eq "the checkpoint's origin is the Rekor v1 form" "rekor.e2e.invalid - 1234" \
	"$(head -n 1 "$W/note.txt")"
expect_eq "the log entry is a dsse 0.0.1 body over the statement" \
	"dsse 0.0.1 $(json_get "$W/good.bundle.json" 'j["dsseEnvelope"]["payload"]' | base64 -d | sha256sum | awk '{print $1}')" \
	"$(json_get "$W/body.json" '" ".join([j["kind"], j["apiVersion"], j["spec"]["payloadHash"]["value"]])')"
expect_eq "the statement names e2e/good's digest as a cosign signature" \
	"${GOOD_TOP#sha256:} https://sigstore.dev/cosign/sign/v1" \
	"$(json_get "$W/good.bundle.json" 'j["dsseEnvelope"]["payload"]' | base64 -d |
		"$PY" -c 'import json,sys; s = json.load(sys.stdin); print(s["subject"][0]["digest"]["sha256"], s["predicateType"])')"
PROOF_PY=$(cat <<'EOT'
import base64, hashlib, json, sys
e = json.load(open(sys.argv[1]))["verificationMaterial"]["tlogEntries"][0]
p = e["inclusionProof"]
fn, sn = int(p["logIndex"]), int(p["treeSize"]) - 1
r = hashlib.sha256(b"\x00" + base64.b64decode(e["canonicalizedBody"])).digest()
for h in (base64.b64decode(x) for x in p["hashes"]):
    if sn == 0:
        sys.exit("proof too long")
    if fn % 2 == 1 or fn == sn:
        r = hashlib.sha256(b"\x01" + h + r).digest()
        while fn % 2 == 0 and fn != 0:
            fn >>= 1; sn >>= 1
    else:
        r = hashlib.sha256(b"\x01" + r + h).digest()
    fn >>= 1; sn >>= 1
root = base64.b64decode(p["rootHash"])
size = p["checkpoint"]["envelope"].split("\n")[1]
print("proof %s in a tree of %s (%d hashes): %s; checkpoint size %s, root %s" % (
    p["logIndex"], p["treeSize"], len(p["hashes"]),
    "reaches the root" if sn == 0 and r == root else "misses the root",
    size, "same" if p["checkpoint"]["envelope"].split("\n")[2] == p["rootHash"] else "other"))
EOT
)
expect_eq "the inclusion proof reaches the checkpoint's root (RFC 9162 walk)" \
	"proof 5 in a tree of 7 (3 hashes): reaches the root; checkpoint size 7, root same" \
	"$("$PY" -c "$PROOF_PY" "$W/good.bundle.json" 2>&1)"
expect_eq "the tampered proof misses the root" \
	"proof 5 in a tree of 7 (3 hashes): misses the root; checkpoint size 7, root same" \
	"$("$PY" -c "$PROOF_PY" "$W/badproof.bundle.json" 2>&1)"

# ---- regwarden verify-bundle -------------------------------------------------------
# vb NAME IDENTITY_ARGS...: sets VB_OUT (stdout and stderr), returns its status.
vb() {
	local name=$1
	shift
	VB_OUT=$("$RW_BIN" verify-bundle --bundle "$W/$name.bundle.json" "$@" \
		--trusted-root "$TR" "$(top "$name")" 2>&1)
}
VB_ID=(--certificate-identity "$ID_SUBJECT" --certificate-oidc-issuer "$ID_ISSUER")
vb good "${VB_ID[@]}"
expect_contains "verify-bundle: the keyless bundle" \
	"verified: signed by $ID_SUBJECT (issuer $ID_ISSUER); logged in rekor.e2e.invalid at index" "$VB_OUT"
log "verify-bundle good: $VB_OUT"
vb keyed --key "$E2E_TMP/release.pub"
expect_contains "verify-bundle: the key-signed bundle" \
	"verified: signed by ECDSA P-256 key sha256:" "$VB_OUT"
log "verify-bundle keyed: $VB_OUT"
vb_refused() {	# LABEL NAME WANT IDENTITY_ARGS...
	local label=$1 name=$2 want=$3
	shift 3
	if vb "$name" "$@"; then
		fail "verify-bundle accepted the $label bundle: $VB_OUT"
	else
		log "verify-bundle $name: $VB_OUT"
		expect_contains "verify-bundle refuses the $label bundle" "$want" "$VB_OUT"
	fi
}
vb_refused "other identity" otherid \
	"bad signature: certificate identity \"$OTHER_SUBJECT\" does not match \"$ID_SUBJECT\"" "${VB_ID[@]}"
vb_refused "other digest" wrongdig \
	"wrong digest: the in-toto statement is about other artifacts, not this one" "${VB_ID[@]}"
vb_refused "tampered SET" badset \
	"log entry 0: its signed entry timestamp does not verify with log key" "${VB_ID[@]}"
vb_refused "tampered proof" badproof \
	"log entry 0: inclusion proof of leaf 5 in a tree of 7 does not lead to its root hash" "${VB_ID[@]}"
vb_refused "key-signed (as keyless)" keyonly \
	"bad signature: the bundle is signed with a key, and no trusted key was given" "${VB_ID[@]}"
vb_refused "key-signed, tampered SET" keyedbadset \
	"log entry 0: its signed entry timestamp does not verify with log key" --key "$E2E_TMP/release.pub"

# ---- through regwarden ---------------------------------------------------------------
rw_only || { pass "the proxy part needs regwarden (E2E_DIRECT=1)"; finish; }
cat >"$E2E_TMP/policy.json" <<EOP
{
  // This test's private Sigstore deployment: a keyless identity judged by
  // its trusted_root.json, and a key whose bundles must be in its Rekor.
  "version": 1,
  "keys": {
    "ci": { "keyless": { "trusted_root": "$TR",
        "issuer": "$ID_ISSUER", "subject": "$ID_SUBJECT" } },
    "release": { "cosign_file": "$E2E_TMP/release.pub", "rekor_trusted_root": "$TR" }
  },
  "rules": [
    { "name": "attested", "match": "docker.io/e2e/prov*", "operations": ["pull"],
      "attestations": [ { "type": "slsaprovenance1", "keys": ["ci"],
        "conditions": [ { "path": "predicate.buildDefinition.externalParameters.workflow.repository",
                          "matches": "https://github.com/acme/.*" } ] } ] },
    { "name": "keyed", "match": "docker.io/e2e/keyed*", "operations": ["pull"],
      "signatures": { "keys": ["release"] } },
    { "name": "keyless", "match": "docker.io/e2e/**", "operations": ["pull"],
      "signatures": { "keys": ["ci"] } }
  ]
}
EOP
start_regwarden_policy "$E2E_TMP/policy.json"
start_containerd
podman_init

admitted() {	# LABEL IMAGE
	if podman_pull "$2"; then
		pass "podman pull of $2 ($1)"
	else
		show_client_line podman "$PODMAN_OUT"
		fail "podman pull of $2 ($1) failed: $PODMAN_OUT"
	fi
	if ctr_pull "$2"; then
		pass "ctr pull of $2 ($1)"
	else
		show_client_line ctr "$CTR_OUT"
		fail "ctr pull of $2 ($1) failed: $CTR_OUT"
	fi
}
# refused LABEL IMAGE WANT...: both clients refused, each WANT in both.
refused() {
	local label=$1 image=$2 want
	shift 2
	if podman_pull "$image"; then
		fail "podman pull of $image ($label) succeeded"
	else
		show_client_line podman "$PODMAN_OUT"
		for want in "$@"; do
			expect_contains "podman shows why $image is refused ($label): $want" \
				"$want" "$PODMAN_OUT"
		done
	fi
	if ctr_pull "$image"; then
		fail "ctr pull of $image ($label) succeeded"
	else
		show_client_line ctr "$CTR_OUT"
		for want in "$@"; do
			expect_contains "ctr shows why $image is refused ($label): $want" \
				"$want" "$CTR_OUT"
		done
	fi
}

admitted "keyless bundle by $ID_SUBJECT" e2e/good:1.0
admitted "key-signed bundle logged in Rekor" e2e/keyed:1.0
REFUSED_KEYLESS="no signature by any key trusted for docker.io/e2e/** (trusted: ci); found 1 signature: 1 "
refused "bundle by another identity" e2e/otherid:1.0 \
	"regwarden: docker.io/e2e/otherid:1.0 refused by rule \"keyless\"" \
	"${REFUSED_KEYLESS}by another identity: mallory@example.com via https://issuer.example"
refused "statement for another digest" e2e/wrongdig:1.0 "${REFUSED_KEYLESS}for another digest"
refused "an attestation" e2e/attest:1.0 "${REFUSED_KEYLESS}not a cosign signature"
# Tampered log evidence: the signer may be the trusted one, but the bundle
# is not proven to be in a trusted log.
refused "tampered SET" e2e/badset:1.0 \
	"regwarden: docker.io/e2e/badset:1.0 refused by rule \"keyless\"" \
	"${REFUSED_KEYLESS}not in a trusted Rekor log"
refused "tampered inclusion proof" e2e/badproof:1.0 \
	"regwarden: docker.io/e2e/badproof:1.0 refused by rule \"keyless\"" \
	"${REFUSED_KEYLESS}not in a trusted Rekor log"
refused "key-signed bundle with a tampered SET" e2e/keyedbadset:1.0 \
	"regwarden: docker.io/e2e/keyedbadset:1.0 refused by rule \"keyed\"" \
	"no signature by any key trusted for docker.io/e2e/keyed* (trusted: release); found 1 signature: 1 not in a trusted Rekor log"
refused "key-signed bundle under the keyless rule" e2e/keyonly:1.0 "${REFUSED_KEYLESS}by an unknown key"
refused unsigned e2e/nosig:1.0 \
	"no signature by any key trusted for docker.io/e2e/** (trusted: ci); the image has no cosign signature (no sha256-" \
	"tag nor Sigstore bundle referrer in the repository)"

# Attestations in bundles (cosign v3): the provenance's conditions judged.
admitted "SLSA provenance in a keyless bundle" e2e/provacme:1.0
admitted "SLSA provenance in a $BIGB-byte keyless bundle" e2e/provbig:1.0
refused "provenance from another repository" e2e/provfork:1.0 \
	"regwarden: docker.io/e2e/provfork:1.0 refused by rule \"attested\"" \
	"no SLSA provenance by a trusted signer (found: 1 provenance by ci, predicate.buildDefinition.externalParameters.workflow.repository https://github.com/mallory/app does not match https://github.com/acme/.*)"
refused "provenance by another identity" e2e/provstranger:1.0 \
	"no SLSA provenance by a trusted signer (found: 1 provenance by an untrusted signer)"
"$RW_BIN" explain -c "$RW_CONF" docker.io/e2e/provacme:1.0 >"$E2E_TMP/x.out" 2>&1
expect_contains "explain judges the bundle's provenance as the proxy does" \
	"PASS attestations: SLSA provenance by ci: predicate.buildDefinition.externalParameters.workflow.repository https://github.com/acme/app matches https://github.com/acme/.*" \
	"$(cat "$E2E_TMP/x.out")"

# The referrer manifest itself is a signature artifact: cosign v3 fetches it.
req GET "$RW_URL/v2/e2e/good/manifests/$REF" -H "Accept: $OCI_MT"
expect_code "the referrer manifest is pullable through regwarden" 200
expect_eq "regwarden serves the referrer byte for byte" "$REF" "$(body_digest)"

stop_regwarden_checked
finish
