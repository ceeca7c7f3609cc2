#!/bin/bash
# mtls.test.sh - regwarden in "credentials" mode with tls.client_ca: a client
# that presents a certificate signed by that CA may push (skopeo and curl);
# no certificate, or one from another CA, is refused; pulls stay anonymous.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo curl openssl

# ---- a client CA, a client certificate it signs, and a stranger --------
CERTS=$E2E_TMP/certs
mkdir -p "$CERTS/client" "$CERTS/stranger"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-keyout "$CERTS/ca.key" -out "$CERTS/ca.pem" -subj /CN=e2e-client-ca 2>/dev/null ||
	die "cannot make the client CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$CERTS/client/client.key" -out "$CERTS/client.csr" \
	-subj "/O=acme/CN=ci-pusher" 2>/dev/null &&
	openssl x509 -req -in "$CERTS/client.csr" -CA "$CERTS/ca.pem" -CAkey "$CERTS/ca.key" \
	-CAcreateserial -days 1 -out "$CERTS/client/client.cert" 2>/dev/null ||
	die "cannot make the client certificate"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-keyout "$CERTS/stranger/client.key" -out "$CERTS/stranger/client.cert" \
	-subj /CN=stranger 2>/dev/null || die "cannot make the stranger's certificate"

start_registry
start_regwarden "[{\"name\":\"local\",\"url\":\"$REG_URL\",\"insecure\":true,
  \"hosts\":[\"docker.io\"],\"default\":true,\"auth\":\"credentials\"}]" \
	"{\"tls\":{\"client_ca\":\"$CERTS/ca.pem\"}}"
mkimage "$E2E_TMP/img" --layers 1 --layer-size 100k --user 1000

# ---- curl: the gate on an upload -----------------------------------------
U=$RW_URL/v2/e2e/mtls/blobs/uploads/
req POST "$U" -H "Content-Length: 0"
expect_code "upload without a client certificate -> 403" 403
expect_match "the refusal says what is missing" "need a TLS client certificate signed by a CA in tls.client_ca" \
	"$(cat "$R_BODY")"
req POST "$U" -H "Content-Length: 0" --cert "$CERTS/stranger/client.cert" --key "$CERTS/stranger/client.key"
expect_code "upload with a certificate from another CA -> 403" 403
req POST "$U" -H "Content-Length: 0" --cert "$CERTS/client/client.cert" --key "$CERTS/client/client.key"
expect_code "upload with the CA's client certificate -> 202" 202

# ---- skopeo: a whole push with the certificate, then an anonymous pull ----
if out=$(skopeo copy --dest-tls-verify=false --dest-cert-dir "$CERTS/client" \
	"oci:$E2E_TMP/img:1.0" "docker://$RW_HOST/e2e/mtls:1.0" 2>&1); then
	pass "skopeo push with a client certificate"
else
	fail "skopeo push with a client certificate failed: $out"
fi
if grep -q 'identity=cert:CN=ci-pusher,O=acme' "$RW_LOG"; then
	pass "regwarden logs the certificate's subject as the identity"
else
	fail "no identity=cert:CN=ci-pusher,O=acme in regwarden's log"
fi
if out=$(skopeo copy --dest-tls-verify=false --dest-cert-dir "$CERTS/stranger" \
	"oci:$E2E_TMP/img:1.0" "docker://$RW_HOST/e2e/mtls:evil" 2>&1); then
	fail "skopeo push with a stranger's certificate succeeded"
else
	case $out in
	*403*|*denied*|*DENIED*|*authentication*) pass "skopeo push with a stranger's certificate refused" ;;
	*) fail "skopeo push with a stranger's certificate failed for another reason: $out" ;;
	esac
fi
if out=$(skopeo copy --src-tls-verify=false "docker://$RW_HOST/e2e/mtls:1.0" \
	"dir:$E2E_TMP/pulled" 2>&1); then
	pass "anonymous pull of the pushed image"
else
	fail "anonymous pull failed: $out"
fi

stop_regwarden_checked
finish
