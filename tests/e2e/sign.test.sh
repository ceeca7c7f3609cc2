#!/bin/bash
# sign.test.sh - `regwarden sign` against a real docker-registry: the .sig
# manifest and payload blob as cosign writes them (checked with curl), a
# second key appending a layer, the same key twice pushing nothing, RSA and
# Ed25519 keys, token and Basic upstreams, and every signature checked
# offline with the openssl command line, independently of regwarden's code.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo curl openssl base64 sha256sum
rw_only || { pass "sign needs regwarden (E2E_DIRECT=1: nothing to do)"; finish; }
[ -x "$RW_BIN" ] || die "regwarden binary not found or not executable: $RW_BIN"

BOT=sign-bot BOT_PW=sign-s3cret-pw
BOT2=basic-bot BOT2_PW=basic-s3cret-pw
SIGMT=application/vnd.dev.cosign.simplesigning.v1+json
ANN=dev.cosignproject.cosign/signature

# ---- registries ------------------------------------------------------------
start_registry
PLAIN_URL=$REG_URL PLAIN_HOST=$REG_HOST
TOK_PORT=$(free_port)
TOK_CERT=$E2E_TMP/token-cert.pem
TOK_REQS=$E2E_TMP/token.requests
bg_start "$E2E_TMP/token.log" "$PY" "$E2E_DIR/token_issuer.py" --port "$TOK_PORT" \
	--cert-out "$TOK_CERT" --log "$TOK_REQS" --user "$BOT" --password "$BOT_PW" \
	--issuer e2e-issuer --service e2e-registry
add_log "$TOK_REQS"
wait_until 10 test -s "$TOK_CERT" || die "token_issuer.py did not write $TOK_CERT within 10 s"
start_registry --name tokreg --token "http://127.0.0.1:$TOK_PORT/token" e2e-registry e2e-issuer "$TOK_CERT"
TREG_URL=$REG_URL TREG_HOST=$REG_HOST
write_htpasswd "$E2E_TMP/registry.htpasswd" "$BOT2" "$BOT2_PW" || die "cannot write htpasswd"
start_registry --name basicreg --htpasswd "$E2E_TMP/registry.htpasswd"
BREG_URL=$REG_URL BREG_HOST=$REG_HOST

# ---- images ----------------------------------------------------------------
mkimage "$E2E_TMP/app" --layers 1 --layer-size 16k --user 1000
mkimage "$E2E_TMP/other" --layers 1 --layer-size 16k --seed 2
mkimage "$E2E_TMP/multi" --index --layers 1 --layer-size 16k --seed 3
APP=$(json_get "$E2E_TMP/app.json" 'j["top"]')
OTHER=$(json_get "$E2E_TMP/other.json" 'j["top"]')

# push IMAGE HOST/REPO:TAG [CREDS]
push() {
	local out
	out=$(skopeo copy --all --dest-tls-verify=false ${3:+--dest-creds "$3"} \
		"oci:$E2E_TMP/$1:1.0" "docker://$2" 2>&1) ||
		die "skopeo copy $1 -> $2 failed: $out"
}
push app "$PLAIN_HOST/e2e/app:1.0"
push other "$PLAIN_HOST/e2e/other:1.0"
push other "$PLAIN_HOST/e2e/keys:1.0"
# The .sig tag of e2e/other already holds something that is no signature.
push multi "$PLAIN_HOST/e2e/other:sha256-${OTHER#sha256:}.sig"
push app "$TREG_HOST/e2e/app:1.0" "$BOT:$BOT_PW"
push app "$BREG_HOST/e2e/app:1.0" "$BOT2:$BOT2_PW"
pass "images pushed to the registries"

# ---- config and keys -------------------------------------------------------
printf '{"username":"%s","password":"%s"}\n' "$BOT" "$BOT_PW" >"$E2E_TMP/tok.creds"
printf '{"username":"%s","password":"%s"}\n' "$BOT2" "$BOT2_PW" >"$E2E_TMP/basic.creds"
chmod 600 "$E2E_TMP/tok.creds" "$E2E_TMP/basic.creds"
mkdir -p "$E2E_TMP/state"
CONF=$E2E_TMP/config.json
cat >"$CONF" <<EOF
{ "listen": "127.0.0.1:5443", "state_dir": "$E2E_TMP/state",
  "upstreams": [
    { "name": "local", "url": "$PLAIN_URL", "insecure": true,
      "hosts": ["$PLAIN_HOST"], "default": true },
    { "name": "tok", "url": "$TREG_URL", "insecure": true, "hosts": ["tok.example"],
      "auth": "credentials", "credentials_file": "$E2E_TMP/tok.creds" },
    { "name": "basic", "url": "$BREG_URL", "insecure": true, "hosts": ["basic.example"],
      "auth": "credentials", "credentials_file": "$E2E_TMP/basic.creds" },
    { "name": "anon", "url": "$TREG_URL", "insecure": true, "hosts": ["anon.example"] }
  ] }
EOF

K=$E2E_TMP/keys
mkdir -p "$K"
umask 077
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$K/k1.pem" 2>/dev/null &&
	openssl ecparam -name prime256v1 -genkey -noout -out "$K/k2.pem" 2>/dev/null &&
	openssl genrsa -traditional -out "$K/rsa.pem" 2048 2>/dev/null &&
	openssl genpkey -algorithm ed25519 -out "$K/ed.pem" 2>/dev/null ||
	die "openssl could not make the test keys"
umask 022
for k in k1 k2 rsa ed; do
	openssl pkey -in "$K/$k.pem" -pubout -out "$K/$k.pub" 2>/dev/null ||
		die "openssl pkey -pubout $k"
	eval "KID_$k=sha256:$(openssl pkey -in "$K/$k.pem" -pubout -outform DER 2>/dev/null | sha256sum | awk '{print $1}')"
done
expect_eq "key 2 is a SEC1 \"EC PRIVATE KEY\", key 1 PKCS#8, the RSA key PKCS#1" \
	"-----BEGIN EC PRIVATE KEY-----|-----BEGIN PRIVATE KEY-----|-----BEGIN RSA PRIVATE KEY-----" \
	"$(head -1 "$K/k2.pem")|$(head -1 "$K/k1.pem")|$(head -1 "$K/rsa.pem")"

# sign ARGS...: runs regwarden sign; sets S_RC, S_OUT, S_ERR.
sign() {
	"$RW_BIN" sign -c "$CONF" "$@" >"$E2E_TMP/s.out" 2>"$E2E_TMP/s.err"
	S_RC=$?
	S_OUT=$(cat "$E2E_TMP/s.out")
	S_ERR=$(cat "$E2E_TMP/s.err")
}

# sigman URL REPO DIGEST [CURL ARGS]: fetch the .sig manifest into
# $E2E_TMP/sig.json; sets M_CODE and M_CTYPE.
sigman() {
	req GET "$1/v2/$2/manifests/sha256-${3#sha256:}.sig" \
		-H "Accept: application/vnd.oci.image.manifest.v1+json" "${@:4}"
	cp "$R_BODY" "$E2E_TMP/sig.json"
	M_CODE=$R_CODE
	M_CTYPE=$(hdr Content-Type)
}

# layer_files URL REPO N NAME [CURL ARGS]: layer N of sig.json into
# NAME.payload (the blob, checked against its digest) and NAME.sig (the
# decoded signature annotation).
layer_files() {
	local d
	d=$(json_get "$E2E_TMP/sig.json" "j['layers'][$3]['digest']")
	curl -sfL -o "$E2E_TMP/$4.payload" "${@:5}" "$1/v2/$2/blobs/$d" ||
		{ fail "layer $3: blob $d not fetched"; return 1; }
	expect_eq "layer $3: the blob hashes to its descriptor's digest" "$d" \
		"sha256:$(sha256sum <"$E2E_TMP/$4.payload" | awk '{print $1}')"
	json_get "$E2E_TMP/sig.json" "j['layers'][$3]['annotations']['$ANN']" |
		base64 -d >"$E2E_TMP/$4.sig"
}

# ossl_verify PUB NAME: the openssl CLI's verdict on NAME.sig over
# NAME.payload (SHA-256 for ECDSA and RSA; pure Ed25519 with pkeyutl).
ossl_verify() {
	if grep -q "ED25519" <(openssl pkey -pubin -in "$1" -text -noout 2>&1); then
		openssl pkeyutl -verify -pubin -inkey "$1" -rawin \
			-in "$E2E_TMP/$2.payload" -sigfile "$E2E_TMP/$2.sig" 2>&1
	else
		openssl dgst -sha256 -verify "$1" -signature "$E2E_TMP/$2.sig" \
			"$E2E_TMP/$2.payload" 2>&1
	fi
}

# payload REF DIGEST [OPTIONAL]: the exact bytes cosign signs.
payload() {
	printf '{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":%s}' \
		"$1" "$2" "${3:-null}"
}

SIGTAG=sha256-${APP#sha256:}.sig

# ---- first signature ---------------------------------------------------------
sign --key "$K/k1.pem" "$PLAIN_HOST/e2e/app:1.0"
expect_eq "sign: exit 0, the line naming digest, key and tag, nothing on stderr" \
	"0|signed $PLAIN_HOST/e2e/app@$APP with key $KID_k1 (ECDSA P-256): pushed $PLAIN_HOST/e2e/app:$SIGTAG|" \
	"$S_RC|$S_OUT|$S_ERR"
sigman "$PLAIN_URL" e2e/app "$APP"
expect_eq "the .sig tag holds an OCI image manifest" \
	"200|application/vnd.oci.image.manifest.v1+json|2|application/vnd.oci.image.manifest.v1+json" \
	"$M_CODE|$M_CTYPE|$(json_get "$E2E_TMP/sig.json" 'j["schemaVersion"]')|$(json_get "$E2E_TMP/sig.json" 'j["mediaType"]')"
expect_eq "one layer of the simple-signing type with the signature annotation only" \
	"1|$SIGMT|[\"$ANN\"]" \
	"$(json_get "$E2E_TMP/sig.json" 'len(j["layers"])')|$(json_get "$E2E_TMP/sig.json" 'j["layers"][0]["mediaType"]')|$(json_get "$E2E_TMP/sig.json" 'json.dumps(sorted(j["layers"][0]["annotations"]))')"
layer_files "$PLAIN_URL" e2e/app 0 l0
expect_eq "the payload blob holds exactly the bytes cosign writes" \
	"$(payload "$PLAIN_HOST/e2e/app" "$APP")" "$(cat "$E2E_TMP/l0.payload")"
expect_eq "the layer size is the payload's" "$(stat -c %s "$E2E_TMP/l0.payload")" \
	"$(json_get "$E2E_TMP/sig.json" 'j["layers"][0]["size"]')"
CFGD=$(json_get "$E2E_TMP/sig.json" 'j["config"]["digest"]')
expect_eq "the config blob: go-containerregistry's empty image with the layer" \
	"{\"architecture\":\"\",\"created\":\"0001-01-01T00:00:00Z\",\"history\":[{\"created\":\"0001-01-01T00:00:00Z\"}],\"os\":\"\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"$(json_get "$E2E_TMP/sig.json" 'j["layers"][0]["digest"]')\"]},\"config\":{}}|application/vnd.oci.image.config.v1+json" \
	"$(curl -sfL "$PLAIN_URL/v2/e2e/app/blobs/$CFGD")|$(json_get "$E2E_TMP/sig.json" 'j["config"]["mediaType"]')"
expect_eq "openssl verifies layer 0 with key 1" "Verified OK" "$(ossl_verify "$K/k1.pub" l0)"
out=$(ossl_verify "$K/k2.pub" l0)
expect_eq "openssl refuses layer 0 with key 2 (the check can fail)" "1|Verification failure" \
	"$?|$(printf '%s\n' "$out" | head -1)"

# ---- the same key again: nothing pushed --------------------------------------
BEFORE=$(sha256sum <"$E2E_TMP/sig.json")
sign --key "$K/k1.pem" "$PLAIN_HOST/e2e/app@$APP"
expect_eq "same key, same payload (by digest): already signed, exit 0" \
	"0|already signed $PLAIN_HOST/e2e/app@$APP with key $KID_k1 (ECDSA P-256): nothing pushed to $PLAIN_HOST/e2e/app:$SIGTAG|" \
	"$S_RC|$S_OUT|$S_ERR"
sigman "$PLAIN_URL" e2e/app "$APP"
expect_eq "the .sig manifest is unchanged" "$BEFORE" "$(sha256sum <"$E2E_TMP/sig.json")"

# ---- a second key, with annotations: appended --------------------------------
sign --key "$K/k2.pem" -a team=platform -a "note=<a&b>" --annotations build=42 \
	"$PLAIN_HOST/e2e/app:1.0"
expect_eq "second key: exit 0, pushed" \
	"0|signed $PLAIN_HOST/e2e/app@$APP with key $KID_k2 (ECDSA P-256): pushed $PLAIN_HOST/e2e/app:$SIGTAG|" \
	"$S_RC|$S_OUT|$S_ERR"
sigman "$PLAIN_URL" e2e/app "$APP"
expect_eq "two layers now" "2" "$(json_get "$E2E_TMP/sig.json" 'len(j["layers"])')"
layer_files "$PLAIN_URL" e2e/app 0 m0
layer_files "$PLAIN_URL" e2e/app 1 m1
expect_eq "layer 0 is still the first signature" "$(base64 <"$E2E_TMP/l0.sig")" \
	"$(base64 <"$E2E_TMP/m0.sig")"
expect_eq "layer 1: annotations in \"optional\", keys sorted, <>& escaped as Go does" \
	"$(payload "$PLAIN_HOST/e2e/app" "$APP" '{"build":"42","note":"\u003ca\u0026b\u003e","team":"platform"}')" \
	"$(cat "$E2E_TMP/m1.payload")"
expect_eq "openssl verifies layer 0 with key 1" "Verified OK" "$(ossl_verify "$K/k1.pub" m0)"
expect_eq "openssl verifies layer 1 with key 2" "Verified OK" "$(ossl_verify "$K/k2.pub" m1)"
expect_eq "the config lists both layers" "2|2" \
	"$(curl -sfL "$PLAIN_URL/v2/e2e/app/blobs/$(json_get "$E2E_TMP/sig.json" 'j["config"]["digest"]')" | "$PY" -c 'import json,sys; j=json.load(sys.stdin); print(len(j["rootfs"]["diff_ids"]), len(j["history"]), sep="|")')"

# ---- RSA and Ed25519 keys ----------------------------------------------------
sign --key "$K/rsa.pem" "$PLAIN_HOST/e2e/keys:1.0"
expect_eq "RSA key (PKCS#1 PEM): signed" \
	"0|signed $PLAIN_HOST/e2e/keys@$OTHER with key $KID_rsa (RSA 2048): pushed $PLAIN_HOST/e2e/keys:sha256-${OTHER#sha256:}.sig" \
	"$S_RC|$S_OUT"
sign --key "$K/ed.pem" "$PLAIN_HOST/e2e/keys:1.0"
expect_eq "Ed25519 key: signed" \
	"0|signed $PLAIN_HOST/e2e/keys@$OTHER with key $KID_ed (Ed25519): pushed $PLAIN_HOST/e2e/keys:sha256-${OTHER#sha256:}.sig" \
	"$S_RC|$S_OUT"
sigman "$PLAIN_URL" e2e/keys "$OTHER"
layer_files "$PLAIN_URL" e2e/keys 0 r0
layer_files "$PLAIN_URL" e2e/keys 1 e1
expect_eq "openssl verifies the RSA signature (PKCS#1 v1.5, SHA-256)" "Verified OK" \
	"$(ossl_verify "$K/rsa.pub" r0)"
expect_eq "openssl verifies the Ed25519 signature (pure)" "Signature Verified Successfully" \
	"$(ossl_verify "$K/ed.pub" e1)"

# ---- token and Basic upstreams -----------------------------------------------
sign --key "$K/k1.pem" tok.example/e2e/app:1.0
expect_eq "token upstream: signed with the configured credentials" \
	"0|signed tok.example/e2e/app@$APP with key $KID_k1 (ECDSA P-256): pushed tok.example/e2e/app:$SIGTAG|" \
	"$S_RC|$S_OUT|$S_ERR"
expect_contains "token upstream: the token was asked for pull and push" \
	'"query": "account=sign-bot&scope=repository%3Ae2e%2Fapp%3Apull%2Cpush&service=e2e-registry"' \
	"$(cat "$TOK_REQS")"
TOKEN=$(curl -sf -u "$BOT:$BOT_PW" "http://127.0.0.1:$TOK_PORT/token?service=e2e-registry&scope=repository:e2e/app:pull" |
	"$PY" -c 'import json,sys; print(json.load(sys.stdin)["token"])')
sigman "$TREG_URL" e2e/app "$APP" -H "Authorization: Bearer $TOKEN"
layer_files "$TREG_URL" e2e/app 0 t0 -H "Authorization: Bearer $TOKEN"
expect_eq "token upstream: openssl verifies the pushed signature" "Verified OK" \
	"$(ossl_verify "$K/k1.pub" t0)"
expect_eq "token upstream: the payload names tok.example" \
	"$(payload tok.example/e2e/app "$APP")" "$(cat "$E2E_TMP/t0.payload")"
sign --key "$K/k2.pem" basic.example/e2e/app:1.0
expect_eq "Basic upstream: signed" \
	"0|signed basic.example/e2e/app@$APP with key $KID_k2 (ECDSA P-256): pushed basic.example/e2e/app:$SIGTAG|" \
	"$S_RC|$S_OUT|$S_ERR"
sigman "$BREG_URL" e2e/app "$APP" -u "$BOT2:$BOT2_PW"
layer_files "$BREG_URL" e2e/app 0 b0 -u "$BOT2:$BOT2_PW"
expect_eq "Basic upstream: openssl verifies the pushed signature" "Verified OK" \
	"$(ossl_verify "$K/k2.pub" b0)"
sign --key "$K/k1.pem" anon.example/e2e/app:1.0
expect_eq "no credentials for a token upstream: exit 1, the registry's refusal" \
	"1||regwarden: cannot sign anon.example/e2e/app:1.0: upstream anon answered 401 for manifest e2e/app:1.0 (UNAUTHORIZED: authentication required)" \
	"$S_RC|$S_OUT|$S_ERR"

# ---- refusals ----------------------------------------------------------------
sign --key "$K/k1.pem" "$PLAIN_HOST/e2e/other:1.0"
expect_eq "the .sig tag holds an index: refused, nothing overwritten" \
	"1|regwarden: cannot sign $PLAIN_HOST/e2e/other:1.0: $PLAIN_HOST/e2e/other:sha256-${OTHER#sha256:}.sig: the tag holds application/vnd.oci.image.index.v1+json, not a signature manifest" \
	"$S_RC|$S_ERR"
req GET "$PLAIN_URL/v2/e2e/other/manifests/sha256-${OTHER#sha256:}.sig" \
	-H "Accept: application/vnd.oci.image.index.v1+json"
expect_eq "the index is still there" "200|$(json_get "$E2E_TMP/multi.json" 'j["top"]')" \
	"$R_CODE|$(hdr Docker-Content-Digest)"
sign --key "$K/k1.pem" "$PLAIN_HOST/e2e/app:2.0"
expect_eq "unknown tag: exit 1, the registry's answer" \
	"1|regwarden: cannot sign $PLAIN_HOST/e2e/app:2.0: upstream local answered 404 for manifest e2e/app:2.0 (MANIFEST_UNKNOWN: manifest unknown)" \
	"$S_RC|$S_ERR"
ZERO=sha256:$(printf '0%.0s' $(seq 64))
sign --key "$K/k1.pem" "$PLAIN_HOST/e2e/app@$ZERO"
expect_eq "unknown digest: exit 1" \
	"1|regwarden: cannot sign $PLAIN_HOST/e2e/app@$ZERO: upstream local answered 404 for manifest e2e/app@$ZERO (MANIFEST_UNKNOWN: manifest unknown)" \
	"$S_RC|$S_ERR"
cp "$K/k1.pem" "$K/open.pem"
chmod 644 "$K/open.pem"
sign --key "$K/open.pem" "$PLAIN_HOST/e2e/app:1.0"
expect_eq "a key file others can read: exit 1, refused before any request" \
	"1|regwarden: cannot sign $PLAIN_HOST/e2e/app:1.0: $K/open.pem: mode 0644 is too open: it must not be accessible by group or others (chmod 600)" \
	"$S_RC|$S_ERR"
{
	echo "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"
	printf '{"kdf":{"name":"scrypt"}}' | base64
	echo "-----END ENCRYPTED SIGSTORE PRIVATE KEY-----"
} >"$K/cosign.key"
chmod 600 "$K/cosign.key"
sign --key "$K/cosign.key" "$PLAIN_HOST/e2e/app:1.0"
expect_eq "cosign's encrypted key: exit 1, what to do instead" \
	"1|regwarden: cannot sign $PLAIN_HOST/e2e/app:1.0: $K/cosign.key: an encrypted cosign key (ENCRYPTED SIGSTORE PRIVATE KEY) needs NaCl secretbox, which OpenSSL lacks: export it as an unencrypted PEM key (see README, \"Signing images\")" \
	"$S_RC|$S_ERR"
sign "$PLAIN_HOST/e2e/app:1.0"
expect_eq "no --key: usage error, exit 2" "2|regwarden: missing --key (a PEM private key file)" \
	"$S_RC|$(printf '%s\n' "$S_ERR" | head -1)"
sigman "$PLAIN_URL" e2e/app "$APP"
expect_eq "after all that, e2e/app still has its two signatures" "2" \
	"$(json_get "$E2E_TMP/sig.json" 'len(j["layers"])')"

finish
