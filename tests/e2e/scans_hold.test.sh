#!/bin/bash
# scans_hold.test.sh - "unscanned": "hold": a pull of an image nobody has
# scanned waits while regwarden runs the configured scanner command
# (fake_scanner.py, which prints a Trivy report for the {digest} it is given)
# and is then decided on that report: a clean one admits (curl and podman),
# one with a critical CVE refuses with the CVE named.  Twenty concurrent
# pulls of one unscanned image share a single scanner run.  A scanner slower
# than hold_seconds gets every held pull a 503 with Retry-After, never the
# image, until its report is in; a failing scanner gets a 503 "could not
# decide", and is not rerun in a loop.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo podman curl sha256sum
rw_only || { pass "scan tests need regwarden (E2E_DIRECT=1)"; finish; }

start_registry

for spec in fast:51 fast2:52 vuln:53 crowd:54 slow:55 broken:56; do
	mkimage "$E2E_TMP/${spec%%:*}" --seed "${spec##*:}" --layers 1 \
		--layer-size 20k --user 1000
	seed_image "$E2E_TMP/${spec%%:*}" "e2e/${spec%%:*}:1.0.0"
done
top_of() { json_get "$E2E_TMP/$1.json" 'j["top"]'; }
FAST_TOP=$(top_of fast)
VULN_TOP=$(top_of vuln)
CROWD_TOP=$(top_of crowd)
SLOW_TOP=$(top_of slow)
BROKEN_TOP=$(top_of broken)

POLICY=$E2E_TMP/policy.json
cat >"$POLICY" <<'EOF'
// scans_hold.test.sh: no unscanned image is served; it is held and scanned.
{
  "version": 1,
  "default": "deny",
  "rules": [
    {
      "name": "held",
      "match": "docker.io/e2e/*",
      "scan": { "max_severity": "high", "unscanned": "hold" }
    }
  ]
}
EOF
L_HELD=$(grep -n '"name": "held"' "$POLICY" | cut -d: -f1)

# The scanner: one line per run in RUNS ("REF DIGEST"), the same line in
# DONE when its report is printed.  The slow image takes three times the
# hold time; the crowd's scan a second, so that the twenty pulls overlap it.
HOLD=4
RUNS=$E2E_TMP/scanner.runs
DONE=$E2E_TMP/scanner.done
: >"$RUNS"
: >"$DONE"
SCANNER=$("$PY" -c 'import json,sys
print(json.dumps({"scanner": {"command": sys.argv[1:], "hold_seconds": '"$HOLD"',
                              "timeout_seconds": 60}}))' \
	"$PY" "$E2E_DIR/fake_scanner.py" --registry "$REG_URL" --runs "$RUNS" \
	--done "$DONE" --sleep "e2e/slow@=$((HOLD * 3))" --sleep "e2e/crowd@=1" \
	--fail "e2e/broken@" --vuln-for "e2e/vuln@" \
	--vuln CVE-2024-0001 critical openssl 1.1.1k 1.1.1w \
	--vuln CVE-2024-0002 medium zlib 1.2.11 "" \
	'{ref}' '{digest}')
start_regwarden_policy "$POLICY" "$SCANNER"
podman_init

# runs_of REPO: how many scanner runs were for docker.io/REPO.
runs_of() { grep -c "^docker\.io/$1@" "$RUNS"; }

# oci_message: errors[0].message of the last req's body.
oci_message() {
	"$PY" -c 'import json,sys
print(json.load(open(sys.argv[1]))["errors"][0]["message"])' "$R_BODY" 2>/dev/null
}

# ---- a clean scan admits ---------------------------------------------------

get_manifest e2e/fast 1.0.0
expect_code "held pull of e2e/fast:1.0.0 is admitted once the scan is in" 200
expect_eq "held pull: the manifest served is the real one" "$FAST_TOP" "$(body_digest)"
expect_eq "the scanner got {ref} and {digest}" \
	"docker.io/e2e/fast@$FAST_TOP $FAST_TOP" "$(grep 'e2e/fast@' "$RUNS")"
OUT=$(rw_admin scans ls --repo 'docker.io/e2e/fast' 2>&1)
expect_contains "scans ls shows the report the scanner gave for e2e/fast" "$FAST_TOP" "$OUT"
get_manifest e2e/fast 1.0.0
expect_code "the next pull of e2e/fast is admitted" 200
expect_eq "...without another scan" 1 "$(runs_of e2e/fast)"

if podman_pull e2e/fast2:1.0.0; then
	pass "podman pull e2e/fast2:1.0.0 is held, scanned and admitted"
else
	fail "podman pull e2e/fast2:1.0.0 failed: $PODMAN_OUT"
fi
expect_eq "e2e/fast2 was scanned once" 1 "$(runs_of e2e/fast2)"

# ---- a scan with a critical finding refuses --------------------------------

T_VULN="regwarden: docker.io/e2e/vuln:1.0.0 refused by rule \"held\" (policy.json:$L_HELD): 1 finding above high: CVE-2024-0001 (critical, openssl 1.1.1k → 1.1.1w); scanned "
T_VULN_END=" by trivy 0.50.1; upgrade the packages, or ask for an exception: regwarden exceptions add CVE-2024-0001 --repo docker.io/e2e/vuln --expires 30d --reason \"<why>\"."
if podman_pull e2e/vuln:1.0.0; then
	fail "podman pull e2e/vuln:1.0.0 succeeded although its scan has a critical CVE"
else
	expect_contains "held pull refused on the scanner's report, CVE named" "$T_VULN" "$PODMAN_OUT"
	expect_contains "...with the scanner and the advice" "$T_VULN_END" "$PODMAN_OUT"
fi
show_client_line podman "$PODMAN_OUT"
expect_eq "e2e/vuln was scanned once" "docker.io/e2e/vuln@$VULN_TOP $VULN_TOP" \
	"$(grep 'e2e/vuln@' "$RUNS")"

# ---- twenty pulls, one scan ------------------------------------------------

pids=()
for i in $(seq 20); do
	curl -sk -o "$E2E_TMP/crowd.$i.body" -w '%{http_code}' --max-time 60 \
		-H "Accept: $CTR_ACCEPT" "$RW_URL/v2/e2e/crowd/manifests/1.0.0" \
		>"$E2E_TMP/crowd.$i.code" 2>/dev/null &
	pids+=($!)
done
wait "${pids[@]}"
codes=$(for i in $(seq 20); do cat "$E2E_TMP/crowd.$i.code"; echo; done |
	sort | uniq -c | awk '{printf "%s x %s; ", $2, $1}')
expect_eq "twenty concurrent pulls of e2e/crowd:1.0.0 all admitted" "200 x 20; " "$codes"
bodies=$(for i in $(seq 20); do sha256sum "$E2E_TMP/crowd.$i.body" | awk '{print "sha256:" $1}'; done | sort -u)
expect_eq "all twenty got the real manifest" "$CROWD_TOP" "$bodies"
expect_eq "twenty concurrent pulls: exactly one scanner run" 1 "$(runs_of e2e/crowd)"

# ---- a failing scanner ------------------------------------------------------

# The scanner's stderr follows (regwarden keeps its first 256 bytes or so).
T_BROKEN="regwarden: could not decide on docker.io/e2e/broken:1.0.0: the scan failed: the scanner exited with status 1: fake_scanner: failing on purpose for docker.io/e2e/broken@${BROKEN_TOP:0:40}"
get_manifest e2e/broken 1.0.0
expect_oci_error "a failing scanner: the held pull gets 503" 503
expect_contains "a failing scanner: the pull is told the scan failed, and why" "$T_BROKEN" "$(oci_message)"
log "failing scanner: $(oci_message)"
get_manifest e2e/broken 1.0.0
expect_oci_error "a failing scanner: the next pull gets 503 too" 503
expect_eq "a failing scanner is not rerun at once" 1 "$(runs_of e2e/broken)"

# ---- a scanner slower than hold_seconds -------------------------------------

T_SLOW="regwarden: docker.io/e2e/slow@$SLOW_TOP is being scanned; retry in $HOLD s"
# check_held LABEL: the last req is a 503 with Retry-After and the message,
# never the image.
check_held() {
	expect_oci_error "$1: 503" 503
	expect_eq "$1: Retry-After" "$HOLD" "$(hdr Retry-After)"
	expect_eq "$1: says it is being scanned" "$T_SLOW" "$(oci_message)"
	expect_lacks "$1: no manifest served" '"schemaVersion"' "$(cat "$R_BODY")"
}
get_manifest e2e/slow 1.0.0
check_held "slow scanner, first pull"
log "slow scanner: Retry-After: $(hdr Retry-After); $(oci_message)"
req GET "$RW_URL/v2/e2e/slow/manifests/$SLOW_TOP" -H "Accept: $CTR_ACCEPT"
if grep -q 'e2e/slow@' "$DONE"; then
	log "the slow scan ended before the second pull did; not checking it"
else
	check_held "slow scanner, pull by digest while the scan runs"
fi
expect_eq "slow scanner: one run for both pulls" 1 "$(runs_of e2e/slow)"
# Its report arrives after the holds ended; from then on it is decided on
# it.  (A pull that comes between the scanner's last line and the import
# joins the run that is still being reaped.)
wait_until 40 grep -q 'e2e/slow@' "$DONE" ||
	fail "the slow scanner did not finish within 40 s"
get_manifest e2e/slow 1.0.0
expect_code "once the slow scan's report is in, the pull is admitted" 200
expect_eq "slow scanner: still one run" 1 "$(runs_of e2e/slow)"

log "scanner runs:"
sed 's/^/#   /' "$RUNS"
stop_regwarden_checked
finish
