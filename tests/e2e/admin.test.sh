#!/bin/bash
# admin.test.sh - the admin listener of a running regwarden: /healthz and
# /readyz answer, /metrics counts the pulls made through the proxy (allow
# and deny decisions, requests by status class, the policy's revision as
# `regwarden check` prints it), POST /reload takes a new policy, and a broken
# policy or config is refused with its file:line:column while the running
# ones stay and /readyz stays 200.  With admin.token_file, /metrics, /reload
# and /scans answer 401 without `Authorization: Bearer <token>`, while the
# probes /healthz and /readyz never need it; admin.metrics_token_file gives
# /metrics a token of its own, or none ("").  `regwarden health [--ready]`
# answers from the config alone: exit 0 while serving, 1 once stopped.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo curl sha256sum
rw_only || { pass "the admin listener needs regwarden (E2E_DIRECT=1)"; finish; }

start_registry

mkimage "$E2E_TMP/app" --seed 51 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/root" --seed 52 --layers 1 --layer-size 20k
APP_TOP=$(json_get "$E2E_TMP/app.json" 'j["top"]')
seed_image "$E2E_TMP/app" e2e/app:1.0
seed_image "$E2E_TMP/root" e2e/root:1.0

POLICY=$E2E_TMP/policy.json
# write_policy COMMENT: the policy, with COMMENT on its first line (a new
# comment is a new revision: the revision hashes the file's bytes).  One
# rename, so regwarden's file watch never reads half a file.
write_policy() {
	cat >"$POLICY.tmp" <<EOF
// admin.test.sh: $1
{
  "version": 1,
  "default": "deny",
  "rules": [
    {
      "name": "apps",
      "match": "docker.io/e2e/*",
      "image": { "non_root": true }
    }
  ]
}
EOF
	mv -f "$POLICY.tmp" "$POLICY"
}
write_policy "revision 1"

# revision_of FILE: the revision `regwarden check` prints for a good policy.
revision_of() {
	"$RW_BIN" check "$1" 2>&1 | sed -n 's/.*: policy OK (revision \(sha256:[0-9a-f]*\), .*/\1/p'
}
REV1=$(revision_of "$POLICY")
expect_eq "regwarden check: the revision is the SHA-256 of the file" \
	"sha256:$(sha256sum "$POLICY" | awk '{print $1}')" "$REV1"

ADMIN_PORT=$(free_port)
ADMIN_URL=http://127.0.0.1:$ADMIN_PORT
start_regwarden_policy "$POLICY" "{\"admin\": {\"listen\": \"127.0.0.1:$ADMIN_PORT\"}}"
wait_until 10 code_is 200 "$ADMIN_URL/healthz" ||
	die "the admin listener did not answer $ADMIN_URL/healthz within 10 s"

# body_is NAME TEXT: the last response's body is exactly TEXT and a newline.
body_is() {
	expect_eq "$1" "$2|" "$(cat "$R_BODY")|"
	expect_eq "$1 (ends in one newline)" "$(printf '%s\n' "$2" | wc -c)" "$(wc -c <"$R_BODY")"
}

# scrape [CURL ARGS]: GET /metrics into METRICS (a file).
N_SCRAPE=0
scrape() {
	N_SCRAPE=$((N_SCRAPE + 1))
	req GET "$ADMIN_URL/metrics" "$@"
	METRICS=$E2E_TMP/metrics.$N_SCRAPE
	cp "$R_BODY" "$METRICS"
}

# metric SERIES: the value of one series (name and labels exactly as
# rendered) in METRICS, or "missing".
metric() {
	awk -v s="$1" '$1 == s { v = $2 } END { print (v == "" ? "missing" : v) }' "$METRICS"
}

# expect_ge NAME MIN VALUE: VALUE is a number >= MIN.
expect_ge() {
	if [[ $3 =~ ^[0-9]+$ ]] && [ "$3" -ge "$2" ]; then
		pass "$1"
	else
		fail "$1: expected a number >= $2, got '$3'"
	fi
}

ALLOW='regwarden_decisions_total{verdict="allow"}'
DENY='regwarden_decisions_total{verdict="deny"}'
GET2='regwarden_http_requests_total{method="GET",code="2xx"}'
GET4='regwarden_http_requests_total{method="GET",code="4xx"}'
RULE_DENY='regwarden_rule_decisions_total{rule="apps",verdict="deny"}'
UP_COUNT='regwarden_upstream_request_duration_seconds_count'
LOAD_ERRS='regwarden_policy_load_errors_total'

# ---- health and readiness --------------------------------------------------

req GET "$ADMIN_URL/healthz"
expect_code "GET /healthz" 200
body_is "GET /healthz says ok" "ok"
req GET "$ADMIN_URL/readyz"
expect_code "GET /readyz" 200
body_is "GET /readyz says ready" "ready"
req GET "$ADMIN_URL/reload"
expect_code "GET /reload is not allowed" 405
expect_eq "GET /reload: Allow names POST" "POST" "$(hdr Allow)"
req GET "$ADMIN_URL/v2/"
expect_code "the admin listener does not proxy (/v2/ is 404)" 404

# ---- metrics move with pulls through the proxy -----------------------------

scrape
expect_code "GET /metrics" 200
expect_eq "/metrics: Prometheus text format 0.0.4" \
	"text/plain; version=0.0.4; charset=utf-8" "$(hdr Content-Type)"
expect_eq "/metrics: no allow decision before any pull" 0 "$(metric "$ALLOW")"
expect_eq "/metrics: no deny decision before any pull" 0 "$(metric "$DENY")"
expect_eq "/metrics: the policy in force is the revision regwarden check printed" \
	1 "$(metric "regwarden_policy_info{revision=\"$REV1\"}")"
expect_eq "/metrics: no failed policy load yet" 0 "$(metric "$LOAD_ERRS")"
expect_eq "/metrics: build_info carries the version" 1 \
	"$(metric "regwarden_build_info{version=\"$("$RW_BIN" version | awk '{print $2}')\"}")"
BAD_LINES=$(grep -Ev '^# (HELP|TYPE) (regwarden|process)_|^(regwarden|process)_[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9]+(\.[0-9]+)?$' "$METRICS")
expect_eq "/metrics: every line is a comment or a regwarden_ (or standard process_) sample" "" "$BAD_LINES"
GET2_0=$(metric "$GET2")
GET4_0=$(metric "$GET4")

if skopeo_pull e2e/app:1.0; then
	pass "the allowed image pulls"
else
	fail "the allowed image did not pull: $SKOPEO_TEXT"
fi
if skopeo_pull e2e/root:1.0; then
	fail "the root image pulled although the policy refuses it"
else
	expect_contains "the root image is refused" \
		'refused by rule "apps" (policy.json:7): image runs as root' "$SKOPEO_TEXT"
fi

scrape
expect_ge "/metrics: decisions_total{verdict=\"allow\"} moved" 1 "$(metric "$ALLOW")"
expect_ge "/metrics: decisions_total{verdict=\"deny\"} moved" 1 "$(metric "$DENY")"
expect_ge "/metrics: rule_decisions_total{rule=\"apps\",verdict=\"deny\"} moved" 1 "$(metric "$RULE_DENY")"
expect_ge "/metrics: GET 2xx requests moved" $((GET2_0 + 1)) "$(metric "$GET2")"
expect_ge "/metrics: GET 4xx requests moved (the 403)" $((GET4_0 + 1)) "$(metric "$GET4")"
expect_ge "/metrics: upstream requests were timed" 1 "$(metric "$UP_COUNT")"
expect_ge "/metrics: response bytes were counted" 1 "$(metric regwarden_http_response_bytes_total)"

# ---- reload ---------------------------------------------------------------

req POST "$ADMIN_URL/reload"
expect_code "POST /reload" 200
body_is "POST /reload says reloaded" "reloaded"

# The comma after "match" (line 8) is missing: `regwarden check` says where.
sed 's|"match": "docker.io/e2e/\*",|"match": "docker.io/e2e/*"|' "$POLICY" >"$POLICY.tmp"
mv -f "$POLICY.tmp" "$POLICY"
CHECK_OUT=$("$RW_BIN" check "$POLICY" 2>&1)
expect_eq "regwarden check refuses the broken policy (exit status)" 1 "$?"
FIRST_ERR=$(printf '%s\n' "$CHECK_OUT" | head -n 1)
expect_match "regwarden check: the error is file:line:column" "^$POLICY:9:[0-9]+: " "$FIRST_ERR"
req POST "$ADMIN_URL/reload"
expect_code "POST /reload with a broken policy is refused" 500
expect_contains "POST /reload with a broken policy answers with the file:line:column error" \
	"$FIRST_ERR" "$(cat "$R_BODY")"
log "POST /reload answered: $(head -c 300 "$R_BODY")"
req GET "$ADMIN_URL/readyz"
expect_code "/readyz after the failed reload" 200
body_is "/readyz after the failed reload says ready" "ready"
scrape
expect_eq "/metrics: the running policy is still revision 1" \
	1 "$(metric "regwarden_policy_info{revision=\"$REV1\"}")"
expect_ge "/metrics: policy_load_errors_total counts the failed load" 1 "$(metric "$LOAD_ERRS")"
ACCEPT=(-H 'Accept: application/vnd.oci.image.manifest.v1+json')
req GET "$RW_URL/v2/e2e/app/manifests/1.0" "${ACCEPT[@]}"
expect_code "the running policy still admits e2e/app:1.0" 200
req GET "$RW_URL/v2/e2e/root/manifests/1.0" "${ACCEPT[@]}"
expect_oci_error "the running policy still refuses e2e/root:1.0" 403 DENIED

# A broken server config: reload answers with its first error.
cp "$RW_CONF" "$RW_CONF.good"
"$PY" -c 'import json,sys
c = json.load(open(sys.argv[1])); c["lisen"] = c["listen"]
json.dump(c, open(sys.argv[1], "w"), indent=1)' "$RW_CONF"
CFG_ERR=$("$RW_BIN" check-config "$RW_CONF" 2>&1 | head -n 1)
expect_match "check-config: the broken config's error is file:line:column" \
	"^$RW_CONF:[0-9]+:[0-9]+: unknown key \"lisen\"" "$CFG_ERR"
req POST "$ADMIN_URL/reload"
expect_code "POST /reload with a broken config is refused" 500
body_is "POST /reload with a broken config answers with check-config's first error" "$CFG_ERR"
req GET "$ADMIN_URL/readyz"
expect_code "/readyz after the refused config" 200
cp "$RW_CONF.good" "$RW_CONF"

# The fixed policy is a new revision.
write_policy "revision 2"
REV2=$(revision_of "$POLICY")
req POST "$ADMIN_URL/reload"
expect_code "POST /reload with the fixed policy" 200
body_is "POST /reload with the fixed policy says reloaded" "reloaded"
scrape
expect_eq "/metrics: the new revision is in force" \
	1 "$(metric "regwarden_policy_info{revision=\"$REV2\"}")"
expect_eq "/metrics: the old revision is gone" "missing" \
	"$(metric "regwarden_policy_info{revision=\"$REV1\"}")"

stop_regwarden_checked

# ---- a bearer token ------------------------------------------------------

TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
# echo's newline: trailing newlines are not part of the token.
echo "$TOKEN" >"$E2E_TMP/admin.token"
chmod 600 "$E2E_TMP/admin.token"
ADMIN_PORT=$(free_port)
ADMIN_URL=http://127.0.0.1:$ADMIN_PORT
start_regwarden_policy "$POLICY" \
	"{\"admin\": {\"listen\": \"127.0.0.1:$ADMIN_PORT\", \"token_file\": \"$E2E_TMP/admin.token\"}}"
wait_until 10 code_is 200 "$ADMIN_URL/healthz" ||
	die "the admin listener (with a token) did not answer $ADMIN_URL/healthz within 10 s"
AUTH=(-H "Authorization: Bearer $TOKEN")

req GET "$ADMIN_URL/healthz"
expect_code "token: GET /healthz needs no token" 200
body_is "token: GET /healthz says ok" "ok"
req GET "$ADMIN_URL/readyz"
expect_code "token: GET /readyz needs no token (probes carry no secret)" 200
body_is "token: GET /readyz says ready" "ready"
req GET "$ADMIN_URL/readyz" -H "Authorization: Bearer ${TOKEN}x"
expect_code "token: GET /readyz with a wrong token is still answered" 200
for ep in "GET /metrics" "POST /reload" "POST /scans"; do
	set -- $ep
	req "$1" "$ADMIN_URL$2"
	expect_code "token: $ep without a token" 401
	expect_eq "token: $ep without a token: WWW-Authenticate" \
		'Bearer realm="regwarden-admin"' "$(hdr WWW-Authenticate)"
	req "$1" "$ADMIN_URL$2" -H "Authorization: Bearer ${TOKEN}x"
	expect_code "token: $ep with a wrong token" 401
	req "$1" "$ADMIN_URL$2" -u "admin:$TOKEN"
	expect_code "token: $ep with the token as Basic credentials" 401
done
scrape "${AUTH[@]}"
expect_code "token: GET /metrics with the token" 200
expect_eq "token: /metrics has the policy revision" \
	1 "$(metric "regwarden_policy_info{revision=\"$REV2\"}")"
req GET "$ADMIN_URL/metrics" -H "Authorization: bearer $TOKEN"
expect_code "token: the scheme is case-insensitive (\"bearer\")" 200
req POST "$ADMIN_URL/reload" "${AUTH[@]}"
expect_code "token: POST /reload with the token" 200
body_is "token: POST /reload says reloaded" "reloaded"
if grep -Fq -- "$TOKEN" "$RW_LOG"; then
	fail "token: the token appears in regwarden's log"
else
	pass "token: the token is not in regwarden's log"
fi

# `regwarden health` reads the same config, sends no token.
out=$("$RW_BIN" health -c "$RW_CONF" 2>&1)
expect_eq "health: exit 0 while serving" 0 "$?"
expect_eq "health: prints the URL and the answer" \
	"$ADMIN_URL/healthz: 200 ok" "$out"
out=$("$RW_BIN" health --ready -c "$RW_CONF" 2>&1)
expect_eq "health --ready: exit 0 while serving" 0 "$?"
expect_eq "health --ready: prints the URL and the answer" \
	"$ADMIN_URL/readyz: 200 ready" "$out"
"$RW_BIN" health --bogus >/dev/null 2>&1
expect_eq "health: exit 2 on a usage error" 2 "$?"

stop_regwarden_checked

out=$("$RW_BIN" health --ready -c "$RW_CONF" 2>&1)
expect_eq "health --ready: exit 1 once regwarden has stopped" 1 "$?"
expect_eq "health --ready: says why" \
	"regwarden health: $ADMIN_URL/readyz: Failed to connect to 127.0.0.1 port $ADMIN_PORT after 0 ms: Couldn't connect to server" \
	"$(echo "$out" | sed 's/after [0-9]* ms/after 0 ms/')"

# ---- /metrics with its own token, or none ----------------------------------

MTOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$MTOKEN" >"$E2E_TMP/metrics.token"
chmod 600 "$E2E_TMP/metrics.token"
ADMIN_PORT=$(free_port)
ADMIN_URL=http://127.0.0.1:$ADMIN_PORT
start_regwarden_policy "$POLICY" \
	"{\"admin\": {\"listen\": \"0.0.0.0:$ADMIN_PORT\", \"token_file\": \"$E2E_TMP/admin.token\", \"metrics_token_file\": \"$E2E_TMP/metrics.token\"}}"
wait_until 10 code_is 200 "$ADMIN_URL/healthz" ||
	die "the admin listener on 0.0.0.0 did not answer $ADMIN_URL/healthz within 10 s"
req GET "$ADMIN_URL/metrics" -H "Authorization: Bearer $MTOKEN"
expect_code "metrics token: GET /metrics with the scrape token" 200
req GET "$ADMIN_URL/metrics"
expect_code "metrics token: GET /metrics without it" 401
req POST "$ADMIN_URL/reload" -H "Authorization: Bearer $MTOKEN"
expect_code "metrics token: it does not open POST /reload" 401
req GET "$ADMIN_URL/readyz"
expect_code "metrics token: GET /readyz on 0.0.0.0 needs no token" 200
expect_contains "metrics token: the start line says how the listener is guarded" \
	"admin listener on http://0.0.0.0:$ADMIN_PORT (/healthz /readyz /metrics /reload), bearer token required for /reload and /scans, /metrics with its own token" \
	"$(cat "$RW_LOG")"
out=$("$RW_BIN" health --ready -c "$RW_CONF" 2>&1)
expect_eq "health --ready: a 0.0.0.0 listener is asked on 127.0.0.1" \
	"$ADMIN_URL/readyz: 200 ready" "$out"
stop_regwarden_checked

ADMIN_PORT=$(free_port)
ADMIN_URL=http://127.0.0.1:$ADMIN_PORT
start_regwarden_policy "$POLICY" \
	"{\"admin\": {\"listen\": \"0.0.0.0:$ADMIN_PORT\", \"token_file\": \"$E2E_TMP/admin.token\", \"metrics_token_file\": \"\"}}"
wait_until 10 code_is 200 "$ADMIN_URL/healthz" ||
	die "the admin listener did not answer $ADMIN_URL/healthz within 10 s"
scrape
expect_code "metrics open: GET /metrics without a token" 200
expect_eq "metrics open: it has the policy revision" \
	1 "$(metric "regwarden_policy_info{revision=\"$REV2\"}")"
req POST "$ADMIN_URL/reload"
expect_code "metrics open: POST /reload still needs the admin token" 401
stop_regwarden_checked
finish
