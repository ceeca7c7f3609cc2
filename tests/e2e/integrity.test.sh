#!/bin/bash
# integrity.test.sh - regwarden in front of misbehaving upstreams: a "liar"
# whose manifests do not hash to what was asked must be refused, and an
# upstream that redirects blobs to another host must get the bytes served
# without the client's Authorization reaching that other host.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo curl sha256sum
MT_OCI=application/vnd.oci.image.manifest.v1+json
CLIENT_TOKEN=e2e-client-token-4711

start_registry
mkimage "$E2E_TMP/img" --layers 2 --layer-size 150k
TOP=$(json_get "$E2E_TMP/img.json" 'j["top"]')
LAYER0=$(json_get "$E2E_TMP/img.json" 'j["manifests"][0]["layers"][0]')
skopeo copy --dest-tls-verify=false "oci:$E2E_TMP/img:1.0" "docker://$REG_HOST/e2e/app:1.0" \
	>"$E2E_TMP/seed.log" 2>&1 || die "seeding the registry failed: $(cat "$E2E_TMP/seed.log")"

start_fake liar liar
LIAR_URL=$FAKE_URL LIAR_REQS=$FAKE_REQS
TARGET_PORT=$(free_port 127.0.0.2)
start_fake redirect redirect --upstream "$REG_URL" --target-addr 127.0.0.2 --target-port "$TARGET_PORT"
REDIR_URL=$FAKE_URL REDIR_REQS=$FAKE_REQS
CTARGET_PORT=$(free_port 127.0.0.2)
start_fake corrupt redirect --upstream "$REG_URL" --target-addr 127.0.0.2 --target-port "$CTARGET_PORT" --corrupt
CORRUPT_URL=$FAKE_URL

start_regwarden "[
 {\"name\":\"liar\",\"url\":\"$LIAR_URL\",\"insecure\":true,\"hosts\":[\"liar.example\"],\"default\":true,\"auth\":\"passthrough\"},
 {\"name\":\"redir\",\"url\":\"$REDIR_URL\",\"insecure\":true,\"hosts\":[\"redir.example\"],\"auth\":\"passthrough\"},
 {\"name\":\"corrupt\",\"url\":\"$CORRUPT_URL\",\"insecure\":true,\"hosts\":[\"corrupt.example\"],\"auth\":\"passthrough\"}]" \
	'{"verify_blobs": true}'
if rw_only; then
	LIAR_BASE=$RW_URL/v2/liar REDIR_BASE=$RW_URL/v2/redir REDIR_HOSTPATH=$RW_HOST/redir
else
	LIAR_BASE=$LIAR_URL/v2 REDIR_BASE=$REDIR_URL/v2 REDIR_HOSTPATH=127.0.0.1:${REDIR_URL##*:}
fi

# ---- the liar -----------------------------------------------------------
# refused LABEL: the last answer is an error (not 200, not a 3xx) whose
# body mentions the digest, and it did not hand out the liar's bytes.
refused() {
	local label=$1
	if [ "$R_CODE" -ge 400 ] 2>/dev/null && grep -qi digest "$R_BODY" &&
		! grep -q '"schemaVersion"' "$R_BODY"; then
		pass "$label: refused with HTTP $R_CODE ($(head -c 200 "$R_BODY"))"
	else
		fail "$label: expected a 4xx/5xx whose body mentions the digest mismatch, got $(describe_resp)"
	fi
}
WANT=sha256:$(printf 'wanted' | sha256sum | awk '{print $1}')
if rw_only; then
	req GET "$LIAR_BASE/e2e/app/manifests/$WANT" -H "Accept: $MT_OCI"
	refused "liar: GET manifest by digest"
	req GET "$LIAR_BASE/e2e/app/manifests/1.0" -H "Accept: $MT_OCI"
	refused "liar: GET manifest by tag (wrong Docker-Content-Digest)"
	# Asked again: still refused (nothing was cached as verified).
	req GET "$LIAR_BASE/e2e/app/manifests/$WANT" -H "Accept: $MT_OCI"
	refused "liar: GET by digest again"
	grep -q "\"path\": \"/v2/e2e/app/manifests/$WANT\"" "$LIAR_REQS" &&
		pass "liar: the upstream was asked (refusal came from verification)" ||
		fail "liar: the upstream never saw GET /v2/e2e/app/manifests/$WANT"
	if out=$(skopeo copy --src-tls-verify=false "docker://$RW_HOST/liar/e2e/app:1.0" "dir:$E2E_TMP/lie" 2>&1); then
		fail "liar: skopeo pull succeeded"
	else
		pass "liar: skopeo pull fails ($(printf '%s' "$out" | tail -1 | cut -c1-200))"
	fi
else
	req GET "$LIAR_BASE/e2e/app/manifests/$WANT" -H "Accept: $MT_OCI"
	expect_eq "liar (direct): serves bytes that do not match" "200|$WANT|no" \
		"$R_CODE|$(hdr Docker-Content-Digest)|$([ "sha256:$(sha256sum <"$R_BODY" | awk '{print $1}')" = "$WANT" ] && echo yes || echo no)"
fi

# ---- the redirecting upstream ---------------------------------------------
AUTH=(-H "Authorization: Bearer $CLIENT_TOKEN")
FOLLOW=()
rw_only || FOLLOW=(-L)   # direct mode: curl itself follows
# The manifest first (regwarden serves a blob only for an admitted image).
req GET "$REDIR_BASE/e2e/app/manifests/1.0" -H "Accept: $MT_OCI" "${AUTH[@]}"
expect_eq "redirect upstream: manifest" "200|$TOP" "$R_CODE|$(hdr Docker-Content-Digest)"
req GET "$REDIR_BASE/e2e/app/blobs/$LAYER0" "${AUTH[@]}" "${FOLLOW[@]}"
expect_eq "redirect upstream: blob GET returns the right bytes" "200|$LAYER0" \
	"$R_CODE|sha256:$(sha256sum <"$R_BODY" | awk '{print $1}')"
[ "$R_CODE" = 307 ] && log "regwarden passed the 307 to the client: Location $(hdr Location)"

if grep -q "\"listener\": \"main\", \"method\": \"GET\", \"path\": \"/v2/e2e/app/blobs/$LAYER0\".*\"authorization\": \"bearer\"" "$REDIR_REQS"; then
	pass "redirect upstream: the client's Authorization reached the upstream itself (pass-through)"
else
	fail "redirect upstream: the blob request reached the upstream without the client's Authorization (or not at all): $(grep blobs "$REDIR_REQS" | head -3)"
fi
target_lines=$(grep "\"listener\": \"target\".*\"path\": \"/storage/e2e/app/blobs/$LAYER0\"" "$REDIR_REQS")
if [ -z "$target_lines" ]; then
	fail "redirect upstream: the redirect target (127.0.0.2:$TARGET_PORT) was never asked for the blob"
elif printf '%s\n' "$target_lines" | grep -qv '"authorization": null'; then
	fail "redirect upstream: Authorization reached the redirect target on another host: $target_lines"
else
	pass "redirect upstream: the redirect target got no Authorization"
fi

if out=$(skopeo copy --src-tls-verify=false --src-registry-token "$CLIENT_TOKEN" \
	"docker://$REDIR_HOSTPATH/e2e/app:1.0" "dir:$E2E_TMP/pulled" 2>&1); then
	pass "redirect upstream: skopeo pull"
	expect_eq "redirect upstream: pulled blobs" \
		"$( (json_get "$E2E_TMP/img.json" 'j["manifests"][0]["layers"]'; json_get "$E2E_TMP/img.json" 'j["manifests"][0]["config"]') | sort)" \
		"$(dir_blob_digests "$E2E_TMP/pulled")"
else
	fail "redirect upstream: skopeo pull of $REDIR_HOSTPATH/e2e/app:1.0 failed: $out"
fi
if grep '"listener": "target"' "$REDIR_REQS" | grep -qv '"authorization": null'; then
	fail "Authorization reached the redirect target during the skopeo pull: $(grep '"listener": "target"' "$REDIR_REQS" | grep -v '"authorization": null' | head -2)"
else
	pass "no request to the redirect target carried Authorization"
fi

# ---- a redirect target that corrupts blobs ---------------------------------
# Same length, one byte flipped: regwarden hashes while streaming and must
# not complete the response (an error status, or an aborted body).
if rw_only; then
	CORRUPT_BASE=$RW_URL/v2/corrupt
	req GET "$CORRUPT_BASE/e2e/app/manifests/1.0" -H "Accept: $MT_OCI"
	expect_eq "corrupt upstream: manifest is fine" "200|$TOP" "$R_CODE|$(hdr Docker-Content-Digest)"
	code=$(curl -sk -o "$E2E_TMP/corrupt.bin" -w '%{http_code}' --max-time 60 \
		"$CORRUPT_BASE/e2e/app/blobs/$LAYER0")
	rc=$?
	got=sha256:$(sha256sum <"$E2E_TMP/corrupt.bin" | awk '{print $1}')
	if [ "$rc" = 0 ] && [ "$code" = 200 ]; then
		fail "corrupt upstream: blob GET completed with 200 (curl exit 0); body $got, expected $LAYER0 or an aborted transfer"
	else
		pass "corrupt upstream: blob GET not completed (HTTP $code, curl exit $rc)"
	fi
	if out=$(skopeo copy --src-tls-verify=false "docker://$RW_HOST/corrupt/e2e/app:1.0" "dir:$E2E_TMP/corrupt" 2>&1); then
		fail "corrupt upstream: skopeo pull succeeded"
	else
		pass "corrupt upstream: skopeo pull fails ($(printf '%s' "$out" | tail -1 | cut -c1-160))"
	fi
	# The same blob from the honest upstream still works afterwards.
	req GET "$REDIR_BASE/e2e/app/blobs/$LAYER0"
	expect_eq "honest upstream still serves the blob" "200|$LAYER0" \
		"$R_CODE|sha256:$(sha256sum <"$R_BODY" | awk '{print $1}')"
fi

stop_regwarden_checked

# ---- the same with the blob cache ------------------------------------------
# The cache trusts the transfer engine's digest check instead of hashing the
# bytes a second time: a corrupted blob must still never be kept, and the
# honest upstream's copy of the same blob is.
if rw_only; then
	cat >"$E2E_TMP/all.json" <<'EOF'
{ "version": 1, "default": "deny", "rules": [ { "name": "all", "match": "**" } ] }
EOF
	CDIR=$E2E_TMP/blobcache
	RW_INSTANCE=cached start_regwarden "[
 {\"name\":\"corrupt\",\"url\":\"$CORRUPT_URL\",\"insecure\":true,\"hosts\":[\"corrupt.example\"],\"default\":true,\"auth\":\"passthrough\"},
 {\"name\":\"redir\",\"url\":\"$REDIR_URL\",\"insecure\":true,\"hosts\":[\"redir.example\"],\"auth\":\"passthrough\"}]" \
		"{\"verify_blobs\": true, \"policy\": \"$E2E_TMP/all.json\", \"cache\": {\"dir\": \"$CDIR\", \"max_bytes\": 104857600, \"min_free_bytes\": 0}}"
	req GET "$RW_URL/v2/e2e/app/manifests/1.0" -H "Accept: $MT_OCI"
	expect_eq "cached, corrupt upstream: manifest admitted" "200|$TOP" "$R_CODE|$(hdr Docker-Content-Digest)"
	code=$(curl -sk -o "$E2E_TMP/corrupt2.bin" -w '%{http_code}' --max-time 60 \
		"$RW_URL/v2/e2e/app/blobs/$LAYER0")
	rc=$?
	if [ "$rc" = 0 ] && [ "$code" = 200 ]; then
		fail "cached, corrupt upstream: blob GET completed with 200 (curl exit 0)"
	else
		pass "cached, corrupt upstream: blob GET not completed (HTTP $code, curl exit $rc)"
	fi
	# The copy was begun before the client's first byte; its temporary
	# file goes when the server is done with it (kept or dropped).
	wait_until 5 eval '[ -z "$(ls "$CDIR/tmp")" ]' || true
	expect_eq "cached, corrupt upstream: nothing left in the cache's tmp folder" "" "$(ls "$CDIR/tmp")"
	check "cached, corrupt upstream: the blob is not in the cache" test ! -e "$CDIR/blobs/sha256/${LAYER0#sha256:}"
	req GET "$RW_URL/v2/redir/e2e/app/manifests/1.0" -H "Accept: $MT_OCI"
	req GET "$RW_URL/v2/redir/e2e/app/blobs/$LAYER0"
	expect_eq "cached, honest upstream: the blob is served" "200|$LAYER0" \
		"$R_CODE|sha256:$(sha256sum <"$R_BODY" | awk '{print $1}')"
	# Kept once the server saw the response complete, a moment after the
	# client has its last byte.
	wait_until 5 test -f "$CDIR/blobs/sha256/${LAYER0#sha256:}" || true
	if [ -f "$CDIR/blobs/sha256/${LAYER0#sha256:}" ] &&
		[ "sha256:$(sha256sum "$CDIR/blobs/sha256/${LAYER0#sha256:}" | awk '{print $1}')" = "$LAYER0" ]; then
		pass "cached, honest upstream: the blob is kept, its bytes hashing to its name"
	else
		fail "cached, honest upstream: the blob is not in the cache (or is corrupt): $(ls -R "$CDIR" | head -8)"
	fi
	stop_regwarden_checked
fi
finish
