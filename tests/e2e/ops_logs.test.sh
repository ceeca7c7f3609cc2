#!/bin/bash
# ops_logs.test.sh - the logs an operator reads (issue #17): every JSON log
# line parses, numbers are numbers (status, bytes, ms, line) and booleans
# booleans (cached); a refusal is an `info` decision with its verdict, a
# failed reload and a failed start are `error`; the refusal message a client
# shows ends with "(request <id>)", the id of the request the client made
# (X-Request-Id), which finds the log line and the audit row, also when the
# GET of a denial document replays a tag's verdict; the 403 body names the
# policy file relative to the config on every 403 path.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo curl
rw_only || { pass "log tests need regwarden (E2E_DIRECT=1)"; finish; }

start_registry
mkimage "$E2E_TMP/ok" --seed 71 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/root" --seed 72 --layers 1 --layer-size 20k
ROOT_TOP=$(json_get "$E2E_TMP/root.json" 'j["top"]')
ROOT_LAYER=$(json_get "$E2E_TMP/root.json" 'j["manifests"][0]["layers"][0]')
seed_image "$E2E_TMP/ok" e2e/app:1.0
seed_image "$E2E_TMP/root" e2e/rootimg:1.0

mkdir -p "$E2E_TMP/rw/policies"
POLICY=$E2E_TMP/rw/policies/main.json
cat >"$POLICY" <<'EOF'
{
  "version": 1,
  "default": "deny",
  "rules": [
    { "name": "apps", "match": "docker.io/e2e/*", "image": { "non_root": true } }
  ]
}
EOF
L_APPS=$(grep -n '"name": "apps"' "$POLICY" | cut -d: -f1)
start_regwarden_policy "$POLICY" '{"log": {"format": "json", "level": "debug"}}'
# The config sits in $E2E_TMP/rw; the policy is named relative to it.
REL=$("$PY" -c 'import os,sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$POLICY" "$E2E_TMP/rw")

ACC='Accept: application/vnd.oci.image.manifest.v1+json'
check "an admitted pull" skopeo copy --src-tls-verify=false \
	"docker://$RW_HOST/e2e/app:1.0" "dir:$E2E_TMP/pulled"
req GET "$RW_URL/v2/e2e/app/manifests/1.0" -H "$ACC"
expect_code "the admitted manifest again (a cached decision)" 200

# refused_id NAME: the last response is a 403 whose message ends with the
# request id in X-Request-Id; prints the id.
refused_id() {
	local id msg
	id=$(hdr X-Request-Id)
	msg=$(json_get "$R_BODY" 'j["errors"][0]["message"]')
	expect_match "$1: the id is 16 hex digits" '^[0-9a-f]{16}$' "$id"
	expect_eq "$1: the message ends with (request <X-Request-Id>)" \
		"(request $id)" "$(printf '%s' "$msg" | grep -oE '\(request [0-9a-f]+\)$')"
	REFUSED_ID=$id
	REFUSED_MSG=$msg
}

req GET "$RW_URL/v2/e2e/rootimg/manifests/1.0" -H "$ACC"
expect_code "a refused tag: 403" 403
refused_id "GET of a refused tag"
ID_TAG=$REFUSED_ID
expect_eq "the refusal message" \
	"regwarden: docker.io/e2e/rootimg:1.0 refused by rule \"apps\" (main.json:$L_APPS): image runs as root (User is empty); rebuild with USER set to a non-root user, e.g. USER 65532. (request $ID_TAG)" \
	"$REFUSED_MSG"
expect_eq "the 403 detail names the policy relative to the config" "$REL" \
	"$(json_get "$R_BODY" 'j["errors"][0]["detail"]["file"]')"
expect_eq "the 403 detail has the request id" "$ID_TAG" \
	"$(json_get "$R_BODY" 'j["errors"][0]["detail"]["request_id"]')"

req GET "$RW_URL/v2/e2e/rootimg/manifests/$ROOT_TOP" -H "$ACC"
expect_code "a refused digest: 403" 403
refused_id "GET of a refused digest"
expect_eq "by digest: the detail's file" "$REL" "$(json_get "$R_BODY" 'j["errors"][0]["detail"]["file"]')"

req GET "$RW_URL/v2/e2e/rootimg/blobs/$ROOT_LAYER"
expect_code "the blob gate: 403" 403
refused_id "the blob gate"
expect_lacks "the blob gate's body never names a server path" "$E2E_TMP" "$(cat "$R_BODY")"

req HEAD "$RW_URL/v2/e2e/rootimg/manifests/1.0" -H "$ACC"
DOC=$(hdr Docker-Content-Digest)
req GET "$RW_URL/v2/e2e/rootimg/manifests/$DOC" -H "$ACC"
expect_code "GET of the denial document: 403" 403
refused_id "GET of the denial document"
ID_DOC=$REFUSED_ID
if [ "$ID_DOC" != "$ID_TAG" ]; then
	pass "the denial document's refusal shows its own request's id, not the HEAD's or the first GET's"
else
	fail "the denial document's refusal shows an old id $ID_DOC"
fi
expect_contains "the denial document's message is the tag's" \
	"regwarden: docker.io/e2e/rootimg:1.0 refused by rule \"apps\" (main.json:$L_APPS)" "$REFUSED_MSG"
expect_eq "the denial document: the detail's file" "$REL" "$(json_get "$R_BODY" 'j["errors"][0]["detail"]["file"]')"

req GET "$RW_URL/v2/_catalog"
expect_code "the catalog (disabled): 403" 403
refused_id "the catalog"

# The audit row of each refusal, found by the id.
AUDIT=$(rw_admin audit --json)
for id in "$ID_TAG" "$ID_DOC"; do
	expect_eq "audit row for request $id: a deny" deny \
		"$(printf '%s\n' "$AUDIT" | "$PY" -c 'import json,sys
rows=[json.loads(l) for l in sys.stdin if l.strip()]
print(" ".join(r["verdict"] for r in rows if r["request_id"]==sys.argv[1]))' "$id")"
done

# A broken policy edit: the reload fails (error) and the running policy stays.
cp "$POLICY" "$E2E_TMP/policy.good"
printf '{ "version": 1,\n  "default": "maybe" }\n' >"$POLICY.tmp" && mv -f "$POLICY.tmp" "$POLICY"
kill -HUP "$RW_PID"
wait_until 10 grep -q 'reload failed' "$RW_LOG" || fail "no reload failure logged within 10 s"

# Every line: JSON, and the types of the typed fields.
"$PY" - "$RW_LOG" "$ID_TAG" "$ID_DOC" >"$E2E_TMP/types.txt" <<'EOF'
import json, sys
log, id_tag, id_doc = sys.argv[1:4]
bad = 0
lines = [l for l in open(log) if l.strip()]
recs = []
for l in lines:
    try:
        recs.append(json.loads(l))
    except ValueError:
        print("not JSON: " + l.strip()[:200]); bad += 1
print("lines %d unparsed %d" % (len(lines), bad))
def kinds(event, key):
    return sorted({type(r[key]).__name__ for r in recs if r.get("event") == event and key in r})
for k in ("status", "bytes", "ms"):
    print("request.%s %s" % (k, kinds("request", k)))
print("decision.line %s" % kinds("decision", "line"))
print("decision.cached %s" % kinds("decision", "cached"))
deny = [r for r in recs if r.get("event") == "decision" and r.get("verdict") == "deny"]
print("deny levels %s" % sorted({r["level"] for r in deny}))
print("deny ids %s" % " ".join(sorted({r["req"] for r in deny if r["req"] in (id_tag, id_doc)})))
req = [r for r in recs if r.get("event") == "request" and r.get("req") == id_tag]
print("request line of the refused tag: status %r" % (req[0]["status"] if req else None))
fails = [r for r in recs if "reload failed" in r.get("msg", "")]
print("reload failed levels %s" % sorted({r["level"] for r in fails}))
perr = [r for r in recs if r.get("msg", "").startswith("policy: ")]
print("policy error levels %s" % sorted({r["level"] for r in perr}))
EOF
TYPES=$(cat "$E2E_TMP/types.txt")
log "$(head -n1 "$E2E_TMP/types.txt")"
expect_match "every log line is JSON" "^lines [0-9]+ unparsed 0$" "$(head -n1 "$E2E_TMP/types.txt")"
expect_contains "request.status is a number" "request.status ['int']" "$TYPES"
expect_contains "request.bytes is a number" "request.bytes ['int']" "$TYPES"
expect_contains "request.ms is a number" "request.ms ['int']" "$TYPES"
expect_contains "decision.line is a number" "decision.line ['int']" "$TYPES"
expect_contains "decision.cached is a boolean" "decision.cached ['bool']" "$TYPES"
expect_contains "a refusal is an info decision" "deny levels ['info']" "$TYPES"
expect_contains "the refusals' log lines carry the ids the clients saw" \
	"deny ids $(printf '%s\n' "$ID_TAG" "$ID_DOC" | sort | tr '\n' ' ' | sed 's/ $//')" "$TYPES"
expect_contains "the refused tag's request line: status 403 as a number" \
	"request line of the refused tag: status 403" "$TYPES"
expect_contains "a failed reload is an error" "reload failed levels ['error']" "$TYPES"
expect_contains "the policy's errors on reload are errors" "policy error levels ['error']" "$TYPES"
cp "$E2E_TMP/policy.good" "$POLICY"

stop_regwarden_checked

# A start that fails: error.
"$PY" - "$RW_CONF" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1])); c["listen"] = "203.0.113.1:1"
json.dump(c, open(sys.argv[1] + ".bad", "w"))
EOF
timeout 20 "$RW_BIN" serve -c "$RW_CONF.bad" >"$E2E_TMP/start.log" 2>&1
expect_eq "a start that cannot listen exits 1" 1 "$?"
expect_eq "... and logs it as an error" error \
	"$("$PY" -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("msg", "").startswith("cannot start"): print(r["level"])' "$E2E_TMP/start.log")"

finish
