#!/bin/bash
# webhook.test.sh - a scanner that runs as a service (issue #17): with
# "scanner": {"webhook": URL}, a held pull makes regwarden POST {"ref",
# "digest"} to the URL; the service (a test one: scanner_service below,
# which runs fake_scanner.py) answers 202 and POSTs the report to the admin
# listener's /scans, which ends the hold: a clean image is admitted, one
# with a critical CVE refused; a service that fails answers 503.  The POST
# carries the token of "webhook": {"url", "token_file"} as a Bearer
# credential, which the service checks (401 without it).
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo podman curl
rw_only || { pass "the webhook needs regwarden (E2E_DIRECT=1)"; finish; }

start_registry
mkimage "$E2E_TMP/clean" --seed 95 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/vuln" --seed 96 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/broken" --seed 97 --layers 1 --layer-size 20k --user 1000
seed_image "$E2E_TMP/clean" e2e/clean:1.0
seed_image "$E2E_TMP/vuln" e2e/vuln:1.0
seed_image "$E2E_TMP/broken" e2e/broken:1.0

POLICY=$E2E_TMP/policy.json
cat >"$POLICY" <<'EOF'
{
  "version": 1,
  "default": "deny",
  "rules": [
    { "name": "apps", "match": "docker.io/e2e/*",
      "scan": { "max_severity": "high", "unscanned": "hold" } }
  ]
}
EOF
L_APPS=$(grep -n '"name": "apps"' "$POLICY" | cut -d: -f1)

SVC_PORT=$(free_port)
ADMIN_PORT=$(free_port)
CALLS=$E2E_TMP/service.calls
: >"$CALLS"
cat >"$E2E_TMP/service.py" <<'EOF'
# The scanner service: POST {"ref", "digest"} -> 202, then the report
# (fake_scanner.py's) POSTed to regwarden's /scans; a ref with "broken"
# answers 500.
import json, subprocess, sys, threading, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
port, admin, calls, py, scanner, registry, runs, token = sys.argv[1:9]
def report(ref, digest):
    out = subprocess.run([py, scanner, "--registry", registry, "--runs", runs,
                          "--vuln-for", "e2e/vuln@",
                          "--vuln", "CVE-2026-1234", "critical", "libfoo", "1.0", "1.1",
                          ref, digest], capture_output=True, check=True).stdout
    urllib.request.urlopen(urllib.request.Request(admin + "/scans", data=out, method="POST"))
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        auth = self.headers.get("Authorization")
        with open(calls, "a") as f:
            f.write("%s %s %s %s\n" % (self.headers.get("Content-Type"), auth, body["ref"], body["digest"]))
        if auth != "Bearer " + token:
            self.send_response(401); self.send_header("Content-Length", "0"); self.end_headers()
            return
        if "broken" in body["ref"]:
            self.send_response(500); self.send_header("Content-Length", "0"); self.end_headers()
            return
        self.send_response(202); self.send_header("Content-Length", "0"); self.end_headers()
        threading.Thread(target=report, args=(body["ref"], body["digest"])).start()
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("127.0.0.1", int(port)), H).serve_forever()
EOF
SVC_TOKEN=scan-$RANDOM$RANDOM$RANDOM
SVC_TOKEN_FILE=$E2E_TMP/scanner.token
echo "$SVC_TOKEN" >"$SVC_TOKEN_FILE"
chmod 600 "$SVC_TOKEN_FILE"
bg_start "$E2E_TMP/service.log" "$PY" "$E2E_TMP/service.py" "$SVC_PORT" \
	"http://127.0.0.1:$ADMIN_PORT" "$CALLS" "$PY" "$E2E_DIR/fake_scanner.py" "$REG_URL" "$E2E_TMP/runs" \
	"$SVC_TOKEN"
wait_until 10 eval "curl -s -o /dev/null -X POST -d '{\"ref\":\"probe\",\"digest\":\"x\"}' -H 'Content-Length: 28' http://127.0.0.1:$SVC_PORT/ || false" ||
	die "the scanner service did not start"
: >"$CALLS"
EXTRA=$("$PY" -c 'import json,sys
print(json.dumps({"scanner": {"webhook": {"url": "http://127.0.0.1:%s/scan" % sys.argv[1],
  "token_file": sys.argv[3]}, "hold_seconds": 20,
  "timeout_seconds": 30}, "admin": {"listen": "127.0.0.1:" + sys.argv[2]}}))' "$SVC_PORT" "$ADMIN_PORT" "$SVC_TOKEN_FILE")
start_regwarden_policy "$POLICY" "$EXTRA"
podman_init

CLEAN_TOP=$(json_get "$E2E_TMP/clean.json" 'j["top"]')
if podman_pull e2e/clean:1.0; then
	pass "a clean image: podman pull held, then admitted once the service posted its report"
else
	fail "podman pull e2e/clean:1.0 failed: $PODMAN_OUT"
fi
expect_eq "the webhook: one POST, JSON, with the token as a Bearer credential, the ref and the digest" \
	"application/json Bearer $SVC_TOKEN docker.io/e2e/clean@$CLEAN_TOP $CLEAN_TOP" "$(grep -F e2e/clean "$CALLS")"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	-d '{"ref":"docker.io/e2e/clean:1.0","digest":"sha256:0"}' "http://127.0.0.1:$SVC_PORT/scan")
expect_eq "the service refuses a POST without the token" 401 "$code"
expect_lacks "the token is not in regwarden's log" "$SVC_TOKEN" "$(cat "$RW_LOG")"
if podman_pull e2e/vuln:1.0; then
	fail "an image with a critical CVE was admitted"
else
	expect_contains "a vulnerable image: refused with the CVE from the service's report" \
		"regwarden: docker.io/e2e/vuln:1.0 refused by rule \"apps\" (policy.json:$L_APPS): 1 finding above high: CVE-2026-1234 (critical, libfoo 1.0 → 1.1)" \
		"$PODMAN_OUT"
fi
show_client_line podman "$PODMAN_OUT"
req GET "$RW_URL/v2/e2e/broken/manifests/1.0" -H 'Accept: application/vnd.oci.image.manifest.v1+json'
expect_code "a service answering 500: the pull gets 503" 503
expect_contains "... saying why" "the scanner webhook answered 500" "$(cat "$R_BODY")"

# A config with both a command and a webhook is refused.
"$PY" - "$RW_CONF" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1])); c["scanner"]["command"] = ["/bin/true"]
json.dump(c, open(sys.argv[1] + ".both", "w"))
EOF
OUT=$("$RW_BIN" check-config -c "$RW_CONF.both" 2>&1)
expect_eq "check-config: a command and a webhook" \
	"1|$RW_CONF.both: \"scanner\" has both \"command\" and \"webhook\"; keep one" "$?|$OUT"

# A token file others can read is refused, as every secret file.
chmod 644 "$SVC_TOKEN_FILE"
OUT=$("$RW_BIN" check-config -c "$RW_CONF" 2>&1)
RC=$?
# Where the value sits in the config start_regwarden wrote (one key a line).
AT=$(grep -n '"token_file"' "$RW_CONF" | head -n 1 | awk -F: -v t='"token_file": ' \
	'{ line = $1; sub(/^[0-9]+:/, ""); print line ":" index($0, t) + length(t) }')
expect_eq "check-config: a webhook token file readable by others" \
	"1|$RW_CONF:$AT: \"scanner.webhook.token_file\": \"$SVC_TOKEN_FILE\" is accessible by group or others (mode 0644); chmod 600 it" \
	"$RC|$OUT"
chmod 600 "$SVC_TOKEN_FILE"

stop_regwarden_checked
finish
