#!/bin/bash
# tag_revalidate.test.sh - a pull by tag asks the upstream "still this
# digest?" (If-None-Match) when the manifest the tag was last fetched as is
# cached, and answers a 304 from the cache (issue #15).  With a real
# registry behind htpasswd (pass-through credentials):
#  - the second GET and a HEAD by tag are revalidated: the registry answered
#    304 (its log), regwarden's log says "revalidated", and the client gets
#    the same bytes and digest as the first time;
#  - a tag moved in the registry is served as its new digest at once, and
#    moved back, as the old one: the hint never decides;
#  - a pinned tag moved in the registry is refused as drift, as before;
#  - a client without credentials, or with a wrong password, gets the
#    registry's 401, never the cached manifest;
#  - a client whose Accept does not name the cached type gets what the
#    registry answers it directly (no 304 skips the registry's own choice);
#  - an upstream whose 304 names another digest than the one asked about
#    gets a 502 DIGEST_INVALID (fake_upstream.py --lie-304), not the cache;
#  - ctr pulls the tag twice through the revalidated path.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo containerd ctr curl sha256sum
rw_only || { pass "revalidation needs regwarden (E2E_DIRECT=1)"; finish; }

HTP=$E2E_TMP/htpasswd
write_htpasswd "$HTP" dev s3cret || die "cannot write $HTP"
start_registry --htpasswd "$HTP"
CREDS=(-u dev:s3cret)

mkimage "$E2E_TMP/one" --seed 81 --layers 1 --layer-size 8k --user 1000
mkimage "$E2E_TMP/two" --seed 82 --layers 1 --layer-size 8k --user 1000
ONE=$(json_get "$E2E_TMP/one.json" 'j["top"]')
TWO=$(json_get "$E2E_TMP/two.json" 'j["top"]')
# seed DIR NAME:TAG: push the layout straight into the registry.
seed() {
	skopeo copy --all --dest-tls-verify=false --dest-creds dev:s3cret \
		"oci:$1" "docker://$REG_HOST/$2" >"$E2E_TMP/seed.log" 2>&1 ||
		die "seeding $2 failed: $(cat "$E2E_TMP/seed.log")"
}
seed "$E2E_TMP/one" e2e/app:1.0.0
seed "$E2E_TMP/one" e2e/pinned:1.0.0

POLICY=$E2E_TMP/policy.json
cat >"$POLICY" <<'EOF'
{
  "version": 1,
  "default": "deny",
  "rules": [
    { "name": "pinned", "match": "docker.io/e2e/pinned",
      "pins": { "enforce": true } },
    { "name": "apps", "match": "docker.io/e2e/*" },
    { "name": "liar", "match": "lie.example/e2e/*" }
  ]
}
EOF
# lie.example: the same registry behind a proxy whose 304s name $TWO.
start_fake lie proxy --upstream "$REG_URL" --lie-304 "$TWO"
UPS=$("$PY" -c 'import json,sys
u = json.loads(sys.argv[1])
u.append({"name": "lie", "url": sys.argv[2], "insecure": True,
          "hosts": ["lie.example"], "auth": "passthrough"})
print(json.dumps(u))' "$(default_upstreams)" "$FAKE_URL") || die "cannot write the upstreams"
ADMIN_PORT=$(free_port)
start_regwarden "$UPS" "{\"policy\": \"$POLICY\", \"admin\": {\"listen\": \"127.0.0.1:$ADMIN_PORT\"}}"
wait_until 10 code_is 200 "http://127.0.0.1:$ADMIN_PORT/healthz" ||
	die "the admin listener did not answer"
# tag_lookups RESULT: regwarden_cache_lookups_total{cache="tag"}'s value.
tag_lookups() {
	curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" |
		sed -n "s/^regwarden_cache_lookups_total{cache=\"tag\",result=\"$1\"} //p"
}
rw_admin pins add docker.io/e2e/pinned:1.0.0 "$ONE" >/dev/null 2>&1 ||
	die "regwarden pins add failed"

# reg_304s: how many 304 answers the registry has logged.
reg_304s() { grep -c 'http.response.status=304' "$REG_LOG" || true; }
reg_304s_above() { [ "$(reg_304s)" -gt "$1" ]; }
# revalidated: how many requests regwarden logged as answered after a 304.
revalidated() { grep -c 'note="\{0,1\}revalidated' "$RW_LOG" || true; }

# ---- the second pull by tag is a 304 upstream ----------------------------

get_manifest e2e/app 1.0.0 "${CREDS[@]}"
expect_code "first GET by tag" 200
expect_eq "first GET by tag: the image's digest" "$ONE" "$(body_digest)"
r0=$(reg_304s) v0=$(revalidated) h0=$(tag_lookups hit) m0=$(tag_lookups miss)
expect_eq "the first GET by tag counted as a tag miss" 1 "$m0"
get_manifest e2e/app 1.0.0 "${CREDS[@]}"
expect_code "second GET by tag" 200
expect_eq "second GET by tag: the same bytes" "$ONE" "$(body_digest)"
expect_eq "second GET by tag: Docker-Content-Digest" "$ONE" "$(hdr Docker-Content-Digest)"
expect_eq "regwarden logged the second GET as revalidated" $((v0 + 1)) "$(revalidated)"
if wait_until 5 reg_304s_above "$r0"; then
	pass "the registry answered the second GET by tag with 304"
else
	fail "the registry logged no 304 for the second GET by tag (had $r0)"
fi
expect_eq "the second GET by tag counted as a tag hit" $((h0 + 1)) "$(tag_lookups hit)"

req HEAD "$RW_URL/v2/e2e/app/manifests/1.0.0" -H "Accept: $CTR_ACCEPT" "${CREDS[@]}"
expect_code "HEAD by tag" 200
expect_eq "HEAD by tag: Docker-Content-Digest" "$ONE" "$(hdr Docker-Content-Digest)"
expect_eq "HEAD by tag revalidated" $((v0 + 2)) "$(revalidated)"

# ---- a moved tag is never answered from the hint -------------------------

seed "$E2E_TMP/two" e2e/app:1.0.0
get_manifest e2e/app 1.0.0 "${CREDS[@]}"
expect_code "GET of the moved tag" 200
expect_eq "the moved tag is served as its new digest" "$TWO" "$(body_digest)"
expect_eq "the moved tag: Docker-Content-Digest" "$TWO" "$(hdr Docker-Content-Digest)"
expect_eq "the moved tag was not revalidated" $((v0 + 2)) "$(revalidated)"
seed "$E2E_TMP/one" e2e/app:1.0.0
get_manifest e2e/app 1.0.0 "${CREDS[@]}"
expect_eq "moved back: the first digest again" "$ONE" "$(body_digest)"

# ---- a pin still judges the tag ----------------------------------------

get_manifest e2e/pinned 1.0.0 "${CREDS[@]}"
expect_code "pinned tag at its pin" 200
get_manifest e2e/pinned 1.0.0 "${CREDS[@]}"
expect_code "pinned tag at its pin, revalidated" 200
seed "$E2E_TMP/two" e2e/pinned:1.0.0
get_manifest e2e/pinned 1.0.0 "${CREDS[@]}"
expect_code "pinned tag moved upstream: refused" 403
expect_contains "the refusal names the drift" \
	"tag \\\"1.0.0\\\" moved: pinned to $ONE, now $TWO; pull the pinned image" "$(cat "$R_BODY")"

# ---- only clients the registry accepts ----------------------------------

get_manifest e2e/app 1.0.0
expect_code "no credentials: the registry's 401, not the cached manifest" 401
get_manifest e2e/app 1.0.0 -u dev:wrong
expect_code "a wrong password: 401" 401
get_manifest e2e/app 1.0.0 "${CREDS[@]}"
expect_eq "the right password: the manifest" "$ONE" "$(body_digest)"

# ---- a 304 that contradicts itself ----------------------------------------

get_manifest e2e/app 1.0.0 "${CREDS[@]}" -G --data-urlencode ns=lie.example
expect_code "through the lying proxy, first GET (no If-None-Match yet)" 200
expect_eq "through the lying proxy, first GET: the image" "$ONE" "$(body_digest)"
get_manifest e2e/app 1.0.0 "${CREDS[@]}" -G --data-urlencode ns=lie.example
expect_code "a 304 naming another digest: 502" 502
expect_eq "a 304 naming another digest: the message" \
	"regwarden: upstream lie answered 304 Not Modified for e2e/app:1.0.0, which regwarden holds as $ONE, with Docker-Content-Digest $TWO; refusing it" \
	"$(json_get "$R_BODY" 'j["errors"][0]["message"]')"
expect_eq "a 304 naming another digest: the code" DIGEST_INVALID \
	"$(json_get "$R_BODY" 'j["errors"][0]["code"]')"

# ---- the registry's own content negotiation ----------------------------

DOCKER_ONLY='application/vnd.docker.distribution.manifest.v2+json'
req GET "$REG_URL/v2/e2e/app/manifests/1.0.0" -H "Accept: $DOCKER_ONLY" "${CREDS[@]}"
direct=$R_CODE
v1=$(revalidated)
req GET "$RW_URL/v2/e2e/app/manifests/1.0.0" -H "Accept: $DOCKER_ONLY" "${CREDS[@]}"
expect_eq "Accept without the OCI type: the registry's own answer ($direct)" "$direct" "$R_CODE"
expect_eq "Accept without the OCI type: not revalidated" "$v1" "$(revalidated)"

# ---- ctr, twice --------------------------------------------------------

start_containerd
for n in 1 2; do
	out=$(timeout 120 "${CTR[@]}" images pull --hosts-dir "$CTR_HOSTS" \
		--user dev:s3cret "docker.io/e2e/app:1.0.0" 2>&1)
	if [ $? -eq 0 ]; then
		pass "ctr pull $n of the tag"
	else
		fail "ctr pull $n of the tag: $out"
	fi
done
if [ "$(revalidated)" -gt "$v1" ]; then
	pass "ctr's second pull was revalidated"
else
	fail "ctr's pulls were not revalidated ($(revalidated), had $v1)"
fi

finish
