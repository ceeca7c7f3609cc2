#!/bin/bash
# ops_metrics.test.sh - the metrics an operator graphs and alerts on (issue
# #17), each seen moving in one run, and the exposition parsed by two real
# Prometheus parsers (promtool check metrics, python3-prometheus-client):
# per upstream requests, errors by kind (connect, timeout, 5xx, digest
# mismatch) and latency; client latency by route class; process_*; policy
# reload success and time; TLS certificate expiry; scanner runs and
# durations; signature verifications by outcome; the audit queue's depth.
# The alert rules and the dashboard in deploy/ are checked against the
# names the exposition has (promtool check rules; every metric a rule or a
# panel names exists).
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo curl promtool
rw_only || { pass "metrics tests need regwarden (E2E_DIRECT=1)"; finish; }
"$PY" -c 'import prometheus_client.parser' 2>/dev/null ||
	die "$PY lacks prometheus_client (Debian package python3-prometheus-client)"

start_registry
mkimage "$E2E_TMP/app" --seed 81 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/held" --seed 82 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/signed" --seed 83 --layers 1 --layer-size 20k --user 1000
seed_image "$E2E_TMP/app" e2e/app:1.0
seed_image "$E2E_TMP/held" e2e/held:1.0
seed_image "$E2E_TMP/signed" e2e/signed:1.0
APP_LAYER=$(json_get "$E2E_TMP/app.json" 'j["manifests"][0]["layers"][0]')

# An upstream that answers 500, or too late, on request.
ODD_PORT=$(free_port)
cat >"$E2E_TMP/odd.py" <<'EOF'
import sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        if "/manifests/slow" in self.path:
            time.sleep(4)
        code = 500 if "/manifests/boom" in self.path else 200
        body = b"{}"
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_HEAD = do_GET
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
bg_start "$E2E_TMP/odd.log" "$PY" "$E2E_TMP/odd.py" "$ODD_PORT"
wait_until 10 code_is 200 "http://127.0.0.1:$ODD_PORT/v2/" || die "the odd upstream did not start"
start_fake liar liar
DOWN_PORT=$(free_port)

KEYS=$E2E_TMP/keys
make_keys "$KEYS" release
POLICY=$E2E_TMP/policy.json
cat >"$POLICY" <<EOF
{
  "version": 1,
  "default": "allow",
  "keys": { "release": { "cosign_file": "$KEYS/release.pub" } },
  "rules": [
    { "name": "signed", "match": "docker.io/e2e/signed", "operations": ["pull"],
      "signatures": { "keys": ["release"] } },
    { "name": "held", "match": "docker.io/e2e/held",
      "scan": { "max_severity": "high", "unscanned": "hold" } },
    { "name": "apps", "match": "docker.io/e2e/*" }
  ]
}
EOF
UPS="[{\"name\":\"local\",\"url\":\"$REG_URL\",\"insecure\":true,\"hosts\":[\"docker.io\"],\"default\":true,\"auth\":\"passthrough\"},
 {\"name\":\"liar\",\"url\":\"$FAKE_URL\",\"insecure\":true,\"hosts\":[\"liar.example\"],\"auth\":\"passthrough\"},
 {\"name\":\"odd\",\"url\":\"http://127.0.0.1:$ODD_PORT\",\"insecure\":true,\"hosts\":[\"odd.example\"],\"auth\":\"passthrough\"},
 {\"name\":\"down\",\"url\":\"http://127.0.0.1:$DOWN_PORT\",\"insecure\":true,\"hosts\":[\"down.example\"],\"auth\":\"passthrough\"}]"
ADMIN_PORT=$(free_port)
ADMIN_URL=http://127.0.0.1:$ADMIN_PORT
EXTRA=$("$PY" -c 'import json,sys
print(json.dumps({"policy": sys.argv[1], "admin": {"listen": "127.0.0.1:" + sys.argv[2]},
  "timeouts": {"request": 2},
  "scanner": {"command": [sys.argv[3], sys.argv[4] + "/fake_scanner.py", "--registry", sys.argv[5],
                          "--runs", sys.argv[6], "{ref}", "{digest}"], "hold_seconds": 10}}))' \
	"$POLICY" "$ADMIN_PORT" "$PY" "$E2E_DIR" "$REG_URL" "$E2E_TMP/scanner.runs")
start_regwarden "$UPS" "$EXTRA"
wait_until 10 code_is 200 "$ADMIN_URL/healthz" || die "the admin listener did not answer"

N=0
scrape() {
	N=$((N + 1))
	curl -s -o "$E2E_TMP/metrics.$N" "$ADMIN_URL/metrics"
	METRICS=$E2E_TMP/metrics.$N
}
# value SERIES: its value in METRICS ("missing" when absent).
value() {
	awk -v s="$1" '$1 == s { v = $2 } END { print (v == "" ? "missing" : v) }' "$METRICS"
}
scrape
BEFORE=$METRICS

# ---- traffic ---------------------------------------------------------------

ACC='Accept: application/vnd.oci.image.manifest.v1+json'
check "a pull through the default upstream" skopeo copy --src-tls-verify=false \
	"docker://$RW_HOST/e2e/app:1.0" "dir:$E2E_TMP/pulled"
req PUT "$RW_URL/v2/e2e/app/blobs/uploads/nope" -H 'Content-Type: application/octet-stream' --data-binary x
req GET "$RW_URL/v2/e2e/app/blobs/$APP_LAYER"
expect_code "a blob of the admitted image" 200
req GET "$RW_URL/v2/odd/e2e/x/manifests/boom" -H "$ACC"
log "odd upstream, 500: $R_CODE"
req GET "$RW_URL/v2/odd/e2e/x/manifests/slow" -H "$ACC"
log "odd upstream, slow: $R_CODE"
req GET "$RW_URL/v2/down/e2e/x/manifests/1.0" -H "$ACC"
expect_code "an upstream that is down: 502" 502
req GET "$RW_URL/v2/liar/e2e/x/manifests/1.0" -H "$ACC"
log "liar upstream: $R_CODE"
req GET "$RW_URL/v2/e2e/held/manifests/1.0" -H "$ACC"
expect_code "a held image, admitted after the scanner's clean report" 200
req GET "$RW_URL/v2/e2e/signed/manifests/1.0" -H "$ACC"
expect_code "an unsigned image under a signature rule: 403" 403
"$RW_BIN" sign -c "$RW_CONF" --key "$KEYS/release.key" docker.io/e2e/signed:1.0 >/dev/null 2>&1 ||
	fail "regwarden sign failed"
kill -HUP "$RW_PID"
wait_until 10 grep -q 'configuration reloaded' "$RW_LOG" || fail "no reload within 10 s"
req GET "$RW_URL/v2/e2e/signed/manifests/1.0" -H "$ACC"
expect_code "the signed image: 200" 200
scrape
AFTER_OK=$METRICS
# A broken policy: the reload fails.
cp "$POLICY" "$E2E_TMP/policy.good"
echo '{ "version": 1, "default": "maybe" }' >"$POLICY.tmp" && mv -f "$POLICY.tmp" "$POLICY"
kill -HUP "$RW_PID"
wait_until 10 grep -q 'policy reload failed' "$RW_LOG" || fail "no failed reload within 10 s"
scrape
AFTER=$METRICS

# ---- every series moved ---------------------------------------------------

# moved NAME SERIES [FILE_BEFORE FILE_AFTER]: the value grew.
moved() {
	local b a
	METRICS=${3:-$BEFORE}; b=$(value "$2")
	METRICS=${4:-$AFTER}; a=$(value "$2")
	[ "$b" = missing ] && b=0
	if [ "$a" != missing ] && "$PY" -c 'import sys; sys.exit(0 if float(sys.argv[2]) > float(sys.argv[1]) else 1)' "$b" "$a"; then
		pass "$1: $2 $b -> $a"
	else
		fail "$1: $2 did not grow ($b -> $a)"
	fi
}
moved "upstream requests" 'regwarden_upstream_requests_total{upstream="local"}'
moved "upstream latency" 'regwarden_upstream_duration_seconds_count{upstream="local"}'
moved "upstream errors: connect" 'regwarden_upstream_errors_total{upstream="down",kind="connect"}'
moved "upstream errors: timeout" 'regwarden_upstream_errors_total{upstream="odd",kind="timeout"}'
moved "upstream errors: 5xx" 'regwarden_upstream_errors_total{upstream="odd",kind="5xx"}'
moved "upstream errors: digest mismatch" 'regwarden_upstream_errors_total{upstream="liar",kind="digest_mismatch"}'
moved "client latency: manifest" 'regwarden_http_request_duration_seconds_count{route="manifest"}'
moved "client latency: blob" 'regwarden_http_request_duration_seconds_count{route="blob"}'
moved "client latency: upload" 'regwarden_http_request_duration_seconds_count{route="upload"}'
moved "client latency: other" 'regwarden_http_request_duration_seconds_count{route="other"}'
moved "scanner runs" 'regwarden_scanner_runs_total{result="ok"}'
moved "scanner duration" 'regwarden_scanner_duration_seconds_count'
moved "signature verifications: failed" 'regwarden_signature_verifications_total{outcome="failed"}'
moved "signature verifications: verified" 'regwarden_signature_verifications_total{outcome="verified"}'
moved "decision cache lookups" 'regwarden_cache_lookups_total{cache="decision",result="miss"}'
moved "reload time" 'regwarden_policy_last_reload_timestamp_seconds'
METRICS=$AFTER_OK
expect_eq "after a good reload: last reload success 1" 1 "$(value regwarden_policy_last_reload_success)"
METRICS=$AFTER
expect_eq "after a broken policy: last reload success 0" 0 "$(value regwarden_policy_last_reload_success)"
expect_eq "the policy in force still has its revision" 1 \
	"$(grep -c '^regwarden_policy_info{revision="sha256:' "$AFTER")"
NOT_AFTER=$(date -d "$(openssl x509 -in "$RW_CERT" -noout -enddate | cut -d= -f2)" +%s)
expect_eq "TLS certificate expiry = the certificate's notAfter" "$NOT_AFTER" \
	"$(value regwarden_tls_certificate_expiry_timestamp_seconds)"
# ps counts whole seconds elapsed: the start it implies is within 2 s.
START=$(( $(date +%s) - $(ps -o etimes= -p "$RW_PID") ))
GOT=$(value process_start_time_seconds)
if [ "$GOT" != missing ] && [ $((GOT - START)) -ge -2 ] && [ $((GOT - START)) -le 2 ]; then
	pass "process_start_time_seconds $GOT: the process started at $START (ps, whole seconds)"
else
	fail "process_start_time_seconds $GOT, ps says $START"
fi
# The scrape's own connection is open while it renders: one or two more.
FDS=$(ls /proc/"$RW_PID"/fd | wc -l)
GOT=$(value process_open_fds)
if [ "$GOT" != missing ] && [ "$GOT" -ge "$FDS" ] && [ "$GOT" -le $((FDS + 2)) ]; then
	pass "process_open_fds $GOT: /proc's count $FDS and the scrape's connection"
else
	fail "process_open_fds $GOT, /proc counts $FDS"
fi
RSS_KB=$(awk '/^VmRSS/ {print $2}' /proc/"$RW_PID"/status)
"$PY" -c 'import sys; r=float(sys.argv[1]); k=int(sys.argv[2])*1024; sys.exit(0 if abs(r-k) <= k/2 else 1)' \
	"$(value process_resident_memory_bytes)" "$RSS_KB" &&
	pass "process_resident_memory_bytes is the RSS ($RSS_KB kB)" ||
	fail "process_resident_memory_bytes $(value process_resident_memory_bytes) vs VmRSS $RSS_KB kB"
expect_eq "audit queue depth is a gauge (0 when idle)" 0 "$(value regwarden_audit_queue_depth)"
expect_eq "audit rows dropped: none" 0 "$(value regwarden_audit_rows_dropped_total)"
cp "$E2E_TMP/policy.good" "$POLICY"

# ---- real parsers -------------------------------------------------------------

OUT=$(promtool check metrics <"$AFTER" 2>&1)
expect_eq "promtool check metrics: no problem" "0|" "$?|$OUT"
OUT=$("$PY" - "$AFTER" <<'EOF' 2>&1
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = list(text_string_to_metric_families(open(sys.argv[1]).read()))
n = sum(len(f.samples) for f in fams)
print("families %d samples %d" % (len(fams), n))
EOF
)
expect_match "prometheus_client parses every family" "^families [0-9]+ samples [0-9]+$" "$OUT"
log "$OUT"

# ---- the alert rules and the dashboard --------------------------------------

RULES=$RW_SOURCE_DIR/deploy/prometheus/regwarden-alerts.yml
OUT=$(promtool check rules "$RULES" 2>&1)
expect_match "promtool check rules" "SUCCESS: [0-9]+ rules found" "$OUT"
OUT=$("$PY" - "$AFTER" "$RULES" "$RW_SOURCE_DIR/deploy/grafana/regwarden.json" <<'EOF' 2>&1
import json, re, sys
from prometheus_client.parser import text_string_to_metric_families
names = set()
for f in text_string_to_metric_families(open(sys.argv[1]).read()):
    names.add(f.name)
    for s in f.samples:
        names.add(s.name)
exprs = re.findall(r"expr:\s*(.+)", open(sys.argv[2]).read())
dash = json.load(open(sys.argv[3]))
for p in dash["panels"]:
    for t in p.get("targets", []):
        exprs.append(t["expr"])
missing = set()
for e in exprs:
    for n in re.findall(r"\b((?:regwarden|process)_[a-z_]+)", e):
        if n not in names:
            missing.add(n)
print("expressions %d missing %s" % (len(exprs), " ".join(sorted(missing)) or "none"))
EOF
)
expect_match "every metric the alerts and the dashboard name exists" "^expressions [0-9]+ missing none$" "$OUT"
log "$OUT"

stop_regwarden_checked
finish
