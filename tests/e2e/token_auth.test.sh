#!/bin/bash
# token_auth.test.sh - regwarden in "credentials" mode: it authenticates to
# the upstream with its own account (token flow against distribution's
# `auth: token`, and Basic against an htpasswd registry), clients push with
# Basic auth against regwarden's htpasswd and pull anonymously.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo curl sha256sum
BOT=regwarden-bot BOT_PW=bot-s3cret-pw
BOT2=basic-bot BOT2_PW=basic-s3cret-pw
DEV=dev DEV_PW=dev-pw-123

# ---- token issuer and a token-auth registry -----------------------------
TOK_PORT=$(free_port)
TOK_CERT=$E2E_TMP/token-cert.pem
TOK_REQS=$E2E_TMP/token.requests
bg_start "$E2E_TMP/token.log" "$PY" "$E2E_DIR/token_issuer.py" --port "$TOK_PORT" \
	--cert-out "$TOK_CERT" --log "$TOK_REQS" --user "$BOT" --password "$BOT_PW" \
	--anonymous-pull --issuer e2e-issuer --service e2e-registry
add_log "$TOK_REQS"
wait_until 10 test -s "$TOK_CERT" || die "token_issuer.py did not write $TOK_CERT within 10 s"
wait_until 10 code_is 200 "http://127.0.0.1:$TOK_PORT/token?service=e2e-registry" ||
	die "token_issuer.py does not answer on port $TOK_PORT"

start_registry --name tokreg --token "http://127.0.0.1:$TOK_PORT/token" e2e-registry e2e-issuer "$TOK_CERT"
TREG_URL=$REG_URL TREG_HOST=$REG_HOST TREG_LOG=$REG_LOG
req GET "$TREG_URL/v2/"
expect_match "token registry challenges with Bearer" '^Bearer realm=' "$(hdr WWW-Authenticate)"

# ---- an htpasswd registry ------------------------------------------------
write_htpasswd "$E2E_TMP/registry.htpasswd" "$BOT2" "$BOT2_PW" || die "cannot write htpasswd"
start_registry --name basicreg --htpasswd "$E2E_TMP/registry.htpasswd"
BREG_URL=$REG_URL BREG_HOST=$REG_HOST BREG_LOG=$REG_LOG

# ---- regwarden: credentials mode, client htpasswd ------------------------
printf '{"username":"%s","password":"%s"}\n' "$BOT" "$BOT_PW" >"$E2E_TMP/tok.creds"
printf '{"username":"%s","password":"%s"}\n' "$BOT2" "$BOT2_PW" >"$E2E_TMP/basic.creds"
chmod 600 "$E2E_TMP/tok.creds" "$E2E_TMP/basic.creds"
write_htpasswd "$E2E_TMP/clients.htpasswd" "$DEV" "$DEV_PW" || die "cannot write htpasswd"
REG_URL=$TREG_URL REG_HOST=$TREG_HOST REG_LOG=$TREG_LOG
start_regwarden "[
 {\"name\":\"local\",\"url\":\"$TREG_URL\",\"insecure\":true,\"hosts\":[\"docker.io\"],\"default\":true,
  \"auth\":\"credentials\",\"credentials_file\":\"$E2E_TMP/tok.creds\"},
 {\"name\":\"basic\",\"url\":\"$BREG_URL\",\"insecure\":true,\"hosts\":[\"basic.example\"],
  \"auth\":\"credentials\",\"credentials_file\":\"$E2E_TMP/basic.creds\"}]" \
	"{\"htpasswd\":\"$E2E_TMP/clients.htpasswd\"}"
if rw_only; then
	CLIENT_CREDS=$DEV:$DEV_PW BASIC_CREDS=$DEV:$DEV_PW
	BASIC_BASE=$RW_HOST/basic
	log "regwarden answers an anonymous GET /v2/ with $(http_code "$RW_URL/v2/")"
else
	# Direct mode: the client itself holds the upstream accounts.
	CLIENT_CREDS=$BOT:$BOT_PW BASIC_CREDS=$BOT2:$BOT2_PW
	BASIC_BASE=$BREG_HOST
fi

mkimage "$E2E_TMP/img" --layers 2 --layer-size 100k
TOP=$(json_get "$E2E_TMP/img.json" 'j["top"]')

# ---- token upstream ------------------------------------------------------
if out=$(skopeo copy --dest-tls-verify=false --dest-creds "$CLIENT_CREDS" \
	"oci:$E2E_TMP/img:1.0" "docker://$RW_HOST/e2e/app:1.0" 2>&1); then
	pass "push with client Basic credentials (token upstream)"
else
	fail "push through regwarden with --dest-creds failed: $out"
fi
# Anonymous read of the registry itself proves the push landed.
expect_eq "registry has e2e/app:1.0" "$TOP" \
	"$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$TREG_HOST/e2e/app:1.0" 2>&1)"
if rw_only; then
	grep -q "\"user\": \"$BOT\", \"status\": 200, \"granted\": \[[^]]*\"push\"" "$TOK_REQS" &&
		pass "token issuer granted push to regwarden's account" ||
		fail "token issuer never granted push to $BOT: $(cat "$TOK_REQS")"
	grep -q "\"user\": \"$DEV\"" "$TOK_REQS" &&
		fail "the client's credentials reached the token issuer: $(grep "\"user\": \"$DEV\"" "$TOK_REQS")" ||
		pass "the client's credentials never reached the token issuer"
fi

LAYER0=$(json_get "$E2E_TMP/img.json" 'j["manifests"][0]["layers"][0]')
if rw_only; then
	# No Authorization header at all: regwarden fetches with its account.
	req GET "$RW_URL/v2/e2e/app/manifests/1.0" -H "Accept: application/vnd.oci.image.manifest.v1+json"
	expect_eq "anonymous curl GET manifest (token upstream)" "200|$TOP" "$R_CODE|$(hdr Docker-Content-Digest)"
	req GET "$RW_URL/v2/e2e/app/blobs/$LAYER0"
	expect_eq "anonymous curl GET blob (token upstream)" "200|$LAYER0" \
		"$R_CODE|sha256:$(sha256sum <"$R_BODY" | awk '{print $1}')"
fi
# skopeo, after the Basic challenge on /v2/, sends "Authorization: Basic Og=="
# (empty user and password) when it has no credentials.
if out=$(skopeo copy --src-tls-verify=false "docker://$RW_HOST/e2e/app:1.0" "dir:$E2E_TMP/pulled" 2>&1); then
	pass "anonymous pull (token upstream)"
	expect_eq "anonymous pull: manifest digest" "$TOP" \
		"sha256:$(sha256sum <"$E2E_TMP/pulled/manifest.json" | awk '{print $1}')"
else
	fail "anonymous pull through regwarden failed: $out"
fi

if rw_only; then
	req POST "$RW_URL/v2/e2e/app/blobs/uploads/" -H "Content-Length: 0"
	if [ "$R_CODE" = 401 ] && hdr WWW-Authenticate | grep -qi '^basic'; then
		pass "upload without client credentials -> 401 with a Basic challenge"
	else
		fail "POST /v2/e2e/app/blobs/uploads/ without credentials: expected 401 + WWW-Authenticate: Basic, got $(describe_resp)"
	fi
	req POST "$RW_URL/v2/e2e/app/blobs/uploads/" -H "Content-Length: 0" -u "$DEV:wrong-password"
	expect_code "upload with a wrong password -> 401" 401
	req PUT "$RW_URL/v2/e2e/app/manifests/evil" -H "Content-Type: application/vnd.oci.image.manifest.v1+json" \
		--data-binary "@$E2E_TMP/img/blobs/sha256/${TOP#sha256:}"
	expect_code "manifest PUT without client credentials -> 401" 401
	expect_eq "the registry did not get tag evil" "" \
		"$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$TREG_HOST/e2e/app:evil" 2>/dev/null)"
	if out=$(skopeo copy --dest-tls-verify=false "oci:$E2E_TMP/img:1.0" "docker://$RW_HOST/e2e/app:anon" 2>&1); then
		fail "skopeo push without credentials succeeded"
	else
		pass "skopeo push without credentials is refused"
	fi
	req GET "$RW_URL/v2/e2e/app/manifests/1.0" -H "Authorization: Bearer forged-token" \
		-H "Accept: application/vnd.oci.image.manifest.v1+json"
	if grep -q forged-token "$TREG_LOG" "$TOK_REQS"; then
		fail "a client's bearer token was forwarded upstream"
	else
		pass "a client's bearer token is not forwarded upstream (HTTP $R_CODE)"
	fi
fi

# ---- htpasswd upstream (path prefix /v2/basic/...) ------------------------
if out=$(skopeo copy --dest-tls-verify=false --dest-creds "$BASIC_CREDS" \
	"oci:$E2E_TMP/img:1.0" "docker://$BASIC_BASE/e2e/app:1.0" 2>&1); then
	pass "push with client credentials (htpasswd upstream)"
else
	fail "push to docker://$BASIC_BASE/e2e/app:1.0 failed: $out"
fi
expect_eq "htpasswd registry has e2e/app:1.0" "$TOP" \
	"$(skopeo inspect --tls-verify=false --creds "$BOT2:$BOT2_PW" --format '{{.Digest}}' "docker://$BREG_HOST/e2e/app:1.0" 2>&1)"
if rw_only; then
	req GET "$RW_URL/v2/basic/e2e/app/manifests/1.0" -H "Accept: application/vnd.oci.image.manifest.v1+json"
	expect_eq "anonymous curl GET manifest (htpasswd upstream)" "200|$TOP" "$R_CODE|$(hdr Docker-Content-Digest)"
	if out=$(skopeo copy --src-tls-verify=false "docker://$BASIC_BASE/e2e/app:1.0" "dir:$E2E_TMP/pulled2" 2>&1); then
		pass "anonymous pull (htpasswd upstream, regwarden's account)"
	else
		fail "anonymous pull of docker://$BASIC_BASE/e2e/app:1.0 failed: $out"
	fi
	grep -q "auth.user.name=$BOT2" "$BREG_LOG" &&
		pass "htpasswd registry saw regwarden's account" ||
		fail "htpasswd registry log never shows auth.user.name=$BOT2"
	grep -q "auth.user.name=$DEV" "$BREG_LOG" &&
		fail "the client's account reached the htpasswd registry" ||
		pass "the client's account never reached the htpasswd registry"
fi

# ---- failed logins are limited per client (limits.failed_logins: 10) --------
if rw_only; then
	# From 127.0.0.3 (its own client address): ten wrong passwords are
	# answered 401, the eleventh attempt 429 without a password check, and
	# then even the right password waits; 127.0.0.1 is not affected.
	codes=""
	for i in $(seq 1 10); do
		req POST "$RW_URL/v2/e2e/app/blobs/uploads/" -H "Content-Length: 0" \
			--interface 127.0.0.3 -u "$DEV:guess-$i"
		codes="$codes$R_CODE "
	done
	expect_eq "ten wrong passwords from one client -> 401 each" \
		"401 401 401 401 401 401 401 401 401 401 " "$codes"
	req POST "$RW_URL/v2/e2e/app/blobs/uploads/" -H "Content-Length: 0" \
		--interface 127.0.0.3 -u "$DEV:guess-11"
	expect_code "the eleventh attempt -> 429" 429
	ra=$(hdr Retry-After)
	if [ "$ra" -ge 1 ] 2>/dev/null && [ "$ra" -le 60 ]; then
		pass "Retry-After: $ra (the rest of the minute)"
	else
		fail "Retry-After should be 1..60, got '$ra': $(describe_resp)"
	fi
	expect_contains "429 body names the reason" \
		"\"code\":\"TOOMANYREQUESTS\",\"message\":\"regwarden: too many failed logins from 127.0.0.3; try again in $ra s\"" \
		"$(cat "$R_BODY")"
	req POST "$RW_URL/v2/e2e/app/blobs/uploads/" -H "Content-Length: 0" \
		--interface 127.0.0.3 -u "$DEV:$DEV_PW"
	expect_code "the right password from the same client waits too -> 429" 429
	req POST "$RW_URL/v2/e2e/app/blobs/uploads/" -H "Content-Length: 0" \
		--interface 127.0.0.1 -u "$DEV:$DEV_PW"
	expect_code "another client with the right password -> 202" 202
fi

stop_regwarden_checked
finish
