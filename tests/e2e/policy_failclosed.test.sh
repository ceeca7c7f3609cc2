#!/bin/bash
# policy_failclosed.test.sh - regwarden refuses what it cannot decide.  A
# rule needs the image config and the registry has lost that blob: the
# manifest answers 503 with "regwarden: could not decide ..." naming the
# cause, for every client and method, and `regwarden audit --denied` has the
# row with verdict error; once the blob is back the same pull is admitted
# (errors are not cached).  With the registry stopped, tags answer 502; a
# digest is served from memory only while its admitted decision is cached,
# and after a policy change (decisions dropped) it answers 503 too.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo podman containerd ctr curl sha256sum
rw_only || { pass "fail-closed tests need regwarden (E2E_DIRECT=1)"; finish; }

start_registry

mkimage "$E2E_TMP/app" --seed 61 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/gone" --seed 62 --layers 1 --layer-size 20k --user 1000
APP_TOP=$(json_get "$E2E_TMP/app.json" 'j["top"]')
APP_LAYER=$(json_get "$E2E_TMP/app.json" 'j["manifests"][0]["layers"][0]')
GONE_TOP=$(json_get "$E2E_TMP/gone.json" 'j["top"]')
GONE_CFG=$(json_get "$E2E_TMP/gone.json" 'j["manifests"][0]["config"]')
GONE_LAYER=$(json_get "$E2E_TMP/gone.json" 'j["manifests"][0]["layers"][0]')
seed_image "$E2E_TMP/app" e2e/app:1.0
seed_image "$E2E_TMP/gone" e2e/gone:1.0

POLICY=$E2E_TMP/policy.json
# write_policy COMMENT: a new comment is a new revision.
write_policy() {
	cat >"$POLICY.tmp" <<EOF
// policy_failclosed.test.sh: $1
{
  "version": 1,
  "default": "deny",
  "rules": [
    { "name": "apps", "match": "docker.io/e2e/*", "image": { "non_root": true } }
  ]
}
EOF
	mv -f "$POLICY.tmp" "$POLICY"
}
write_policy "revision 1"

# Long authorization and decision lifetimes: what is served from memory
# while the registry is down must not depend on how fast this test runs.
ADMIN_PORT=$(free_port)
ADMIN_URL=http://127.0.0.1:$ADMIN_PORT
UPS=$(printf '[{"name":"local","url":"%s","insecure":true,"hosts":["docker.io"],"default":true,"auth":"passthrough","auth_cache_seconds":3600}]' "$REG_URL")
start_regwarden "$UPS" "{\"policy\": \"$POLICY\",
	\"admin\": {\"listen\": \"127.0.0.1:$ADMIN_PORT\"},
	\"decision_cache\": {\"ttl_seconds\": 3600}}"
wait_until 10 code_is 200 "$ADMIN_URL/healthz" ||
	die "the admin listener did not answer $ADMIN_URL/healthz within 10 s"
start_containerd
podman_init

ACCEPT=(-H 'Accept: application/vnd.oci.image.manifest.v1+json')
DECIDE_PREFIX="regwarden: could not decide on "

# oci_message: the first error message of the last response ("" if none).
oci_message() {
	"$PY" -c 'import json,sys
try:
    print(json.load(open(sys.argv[1]))["errors"][0]["message"])
except Exception:
    print("")' "$R_BODY"
}

# expect_not_200 NAME: the last response is not a success.
expect_not_200() {
	case $R_CODE in
	2??) fail "$1: got HTTP $R_CODE, a success: $(describe_resp)" ;;
	*) pass "$1" ;;
	esac
}

# metric SERIES: its value in a fresh /metrics scrape, or "missing".
metric() {
	curl -s --max-time 10 "$ADMIN_URL/metrics" |
		awk -v s="$1" '$1 == s { v = $2 } END { print (v == "" ? "missing" : v) }'
}

# ---- the image config is gone from the registry ---------------------------

req DELETE "$REG_URL/v2/e2e/gone/blobs/$GONE_CFG"
expect_code "registry: DELETE of e2e/gone's config blob" 202
req GET "$REG_URL/v2/e2e/gone/blobs/$GONE_CFG"
expect_code "registry: the config blob is gone" 404
req GET "$REG_URL/v2/e2e/gone/manifests/1.0" "${ACCEPT[@]}"
expect_code "registry: the manifest itself is still there" 200

CAUSE="upstream answered 404 for the image config $GONE_CFG"
req GET "$RW_URL/v2/e2e/gone/manifests/1.0" "${ACCEPT[@]}"
expect_oci_error "config gone: GET of the manifest by tag is 503" 503 UNAVAILABLE
MSG=$(oci_message)
log "GET by tag: $MSG"
expect_eq "config gone: the message starts with \"$DECIDE_PREFIX\"" \
	"$DECIDE_PREFIX" "${MSG:0:${#DECIDE_PREFIX}}"
expect_contains "config gone: the message names the cause" ": $CAUSE" "$MSG"
expect_contains "config gone: the message names the image" "e2e/gone:1.0" "$MSG"

req HEAD "$RW_URL/v2/e2e/gone/manifests/1.0" "${ACCEPT[@]}"
expect_code "config gone: HEAD by tag is 503 too" 503
req GET "$RW_URL/v2/e2e/gone/manifests/$GONE_TOP" "${ACCEPT[@]}"
expect_oci_error "config gone: GET by digest is 503" 503 UNAVAILABLE
MSG=$(oci_message)
log "GET by digest: $MSG"
expect_eq "config gone: by digest, the message starts with \"$DECIDE_PREFIX\"" \
	"$DECIDE_PREFIX" "${MSG:0:${#DECIDE_PREFIX}}"
expect_contains "config gone: by digest, the message names the cause" ": $CAUSE" "$MSG"
req GET "$RW_URL/v2/e2e/gone/blobs/$GONE_LAYER"
expect_oci_error "config gone: the image's layer stays behind the blob gate" 403 DENIED

# containers/image reads the error body of 4xx answers only: skopeo and
# podman show the status, not regwarden's message.  containerd resolves
# the tag with HEAD, which has no body either.
if skopeo_pull e2e/gone:1.0; then
	fail "config gone: skopeo pulled an image regwarden could not decide on"
else
	expect_contains "config gone: skopeo fails with the 503" \
		"reading manifest 1.0 in $RW_HOST/e2e/gone: received unexpected HTTP status: 503 Service Unavailable" \
		"$SKOPEO_TEXT"
fi
show_client_line skopeo "$SKOPEO_OUT"
if podman_pull e2e/gone:1.0; then
	fail "config gone: podman pulled an image regwarden could not decide on"
else
	expect_contains "config gone: podman fails with the 503" \
		"received unexpected HTTP status: 503 Service Unavailable" "$PODMAN_OUT"
fi
show_client_line podman "$PODMAN_OUT"
if ctr_pull e2e/gone:1.0; then
	fail "config gone: ctr pulled an image regwarden could not decide on"
else
	expect_contains "config gone: ctr fails with the 503" \
		"ctr: failed to resolve reference \"docker.io/e2e/gone:1.0\": pulling from host $RW_HOST failed with status code [manifests 1.0]: 503 Service Unavailable" \
		"$CTR_OUT"
fi
show_client_line ctr "$CTR_OUT"

AUDIT=$(rw_admin audit --denied --json 2>&1)
ROWS=$(printf '%s\n' "$AUDIT" | "$PY" -c 'import json,sys
for line in sys.stdin:
    r = json.loads(line)
    if r["repo"] == "e2e/gone":
        print(r["verdict"], r["reference"], r["message"].startswith(sys.argv[1]),
              sys.argv[2] in r["message"])' "$DECIDE_PREFIX" "$CAUSE" 2>&1)
expect_contains "audit --denied: the GET by tag is recorded with verdict error" \
	"error 1.0 True True" "$ROWS"
expect_contains "audit --denied: the GET by digest is recorded with verdict error" \
	"error $GONE_TOP True True" "$ROWS"
TABLE=$(rw_admin audit --denied --repo 'e2e/gone' 2>&1)
printf '%s\n' "$TABLE" | sed 's/^/#   audit --denied: /' | head -n 6
expect_match "audit --denied (table): an error row for docker.io/e2e/gone:1.0" \
	" error +- +pull +anonymous +docker\.io/e2e/gone:1\.0 +- +could not decide on .*: $CAUSE\$" "$TABLE"
ALL=$(rw_admin audit --repo 'e2e/gone' --json 2>&1)
expect_lacks "audit: no e2e/gone request was allowed" '"verdict":"allow"' "$ALL"
expect_ge_metric() {
	local v
	v=$(metric "$2")
	if [[ $v =~ ^[0-9]+$ ]] && [ "$v" -ge "$3" ]; then
		pass "$1"
	else
		fail "$1: expected $2 >= $3, got '$v'"
	fi
}
expect_ge_metric "metrics: the failures count as decisions with verdict error" \
	'regwarden_decisions_total{verdict="error"}' 2
expect_eq "metrics: nothing was allowed yet" 0 "$(metric 'regwarden_decisions_total{verdict="allow"}')"

# Put the blob back: the error was not cached, the next pull is admitted.
CFG_FILE=$E2E_TMP/gone/blobs/sha256/${GONE_CFG#sha256:}
expect_eq "registry: the config blob is uploaded again" "$GONE_CFG" \
	"$(reg_put_blob e2e/gone "$CFG_FILE")"
req GET "$RW_URL/v2/e2e/gone/manifests/1.0" "${ACCEPT[@]}"
expect_code "config back: GET by tag is admitted at once (errors are not cached)" 200
expect_eq "config back: the manifest served is the real one" "$GONE_TOP" \
	"sha256:$(sha256sum "$R_BODY" | awk '{print $1}')"

# ---- the registry is stopped ----------------------------------------------

# e2e/app is decided twice: by tag (skopeo) and by digest (as containerd
# fetches it after resolving the tag).  e2e/gone only by tag, above.
if skopeo_pull e2e/app:1.0; then
	pass "before the outage: e2e/app:1.0 pulls"
else
	die "before the outage: e2e/app:1.0 did not pull: $SKOPEO_TEXT"
fi
req GET "$RW_URL/v2/e2e/app/manifests/$APP_TOP" "${ACCEPT[@]}"
expect_code "before the outage: e2e/app by digest is admitted" 200
kill -TERM "$REG_PID"
wait_until 10 eval '! kill -0 '"$REG_PID" || die "docker-registry did not stop within 10 s"
wait "$REG_PID" 2>/dev/null
req GET "$REG_URL/v2/"
expect_code "registry stopped: nothing answers on its port" 000

UNREACH="regwarden: upstream local could not be reached: "
req GET "$RW_URL/v2/e2e/app/manifests/1.0" "${ACCEPT[@]}"
expect_oci_error "registry down: GET of an admitted tag is 502" 502 UNAVAILABLE
MSG=$(oci_message)
log "GET by tag: $MSG"
expect_eq "registry down: the message says the upstream could not be reached" \
	"$UNREACH" "${MSG:0:${#UNREACH}}"
req HEAD "$RW_URL/v2/e2e/app/manifests/1.0" "${ACCEPT[@]}"
expect_code "registry down: HEAD of the tag is 502" 502
req GET "$RW_URL/v2/e2e/never/manifests/1.0" "${ACCEPT[@]}"
expect_oci_error "registry down: GET of a tag never pulled is 502" 502 UNAVAILABLE
req GET "$RW_URL/v2/e2e/app/blobs/$APP_LAYER"
expect_oci_error "registry down: GET of an admitted layer is 502 (blobs are not cached)" 502 UNAVAILABLE
if skopeo_pull e2e/app:1.0; then
	fail "registry down: skopeo pulled e2e/app:1.0 by tag"
else
	pass "registry down: skopeo pull by tag fails"
fi
show_client_line skopeo "$SKOPEO_OUT"

# A digest whose verified manifest and admitted decision are both in
# memory is served without the registry.
req GET "$RW_URL/v2/e2e/app/manifests/$APP_TOP" "${ACCEPT[@]}"
expect_code "registry down: a digest admitted by digest is served from memory" 200
expect_eq "registry down: the bytes served hash to the digest asked for" "$APP_TOP" \
	"sha256:$(sha256sum "$R_BODY" | awk '{print $1}')"
# A decision for the tag is not one for the bare digest: e2e/gone's
# manifest is in memory, but deciding its digest needs the image config.
req GET "$RW_URL/v2/e2e/gone/manifests/$GONE_TOP" "${ACCEPT[@]}"
expect_oci_error "registry down: a digest admitted only by tag is 503" 503 UNAVAILABLE
MSG=$(oci_message)
log "GET by digest admitted only by tag: $MSG"
expect_eq "registry down: the message starts with \"$DECIDE_PREFIX\"" \
	"$DECIDE_PREFIX" "${MSG:0:${#DECIDE_PREFIX}}"
expect_contains "registry down: the cause is the unreachable upstream" \
	": upstream local could not be reached: " "$MSG"
req HEAD "$RW_URL/v2/e2e/gone/manifests/$GONE_TOP" "${ACCEPT[@]}"
expect_code "registry down: HEAD of that digest is 503 too" 503
AUDIT=$(rw_admin audit --denied --repo 'e2e/gone' --json 2>&1)
expect_contains "audit --denied: the undecidable digest is recorded with verdict error" \
	"\"verdict\":\"error\"" "$AUDIT"
expect_contains "audit --denied: with the unreachable upstream as the cause" \
	"could not be reached" "$AUDIT"
req GET "$ADMIN_URL/readyz"
log "registry down: /readyz answers $R_CODE $(cat "$R_BODY") (readiness does not probe upstreams)"

# A new policy revision drops every decision (and a reload forgets the
# upstream authorizations): the digest served above is not served now.
write_policy "revision 2"
req POST "$ADMIN_URL/reload"
expect_code "registry down: POST /reload of a new policy revision" 200
req GET "$RW_URL/v2/e2e/app/manifests/$APP_TOP" "${ACCEPT[@]}"
expect_not_200 "registry down, after the reload: the cached digest is not served"
if [ "$R_CODE" = 502 ] || [ "$R_CODE" = 503 ]; then
	expect_oci_error "registry down, after the reload: 502 or 503 with an OCI error" "$R_CODE" UNAVAILABLE
else
	fail "registry down, after the reload: expected 502 or 503, got $(describe_resp)"
fi
log "GET by digest after the reload: $R_CODE $(oci_message)"

stop_regwarden_checked
finish
