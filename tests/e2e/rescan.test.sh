#!/bin/bash
# rescan.test.sh - scheduled rescans (issue #17): with "scanner": {"rescan":
# {...}}, the images admitted recently go back to the scanner every interval
# and the new reports are imported, so a CVE published after an image was
# admitted refuses its next pull.  The interval is the test knob
# every_seconds (3 s here; operators set every_hours).
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo podman curl
rw_only || { pass "rescans need regwarden (E2E_DIRECT=1)"; finish; }

start_registry
mkimage "$E2E_TMP/old" --seed 91 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/never" --seed 92 --layers 1 --layer-size 20k --user 1000
seed_image "$E2E_TMP/old" e2e/old:1.0
seed_image "$E2E_TMP/never" e2e/never:1.0

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

# The scanner: clean until the CVE is "published" (the marker file exists).
RUNS=$E2E_TMP/scanner.runs
: >"$RUNS"
MARK=$E2E_TMP/cve-published
cat >"$E2E_TMP/scanner.sh" <<EOF
#!/bin/sh
if [ -e "$MARK" ]; then
	exec "$PY" "$E2E_DIR/fake_scanner.py" --registry "$REG_URL" --runs "$RUNS" \\
		--vuln-for e2e/old@ --vuln CVE-2026-0999 critical openssl 3.0.1 3.0.9 "\$1" "\$2"
fi
exec "$PY" "$E2E_DIR/fake_scanner.py" --registry "$REG_URL" --runs "$RUNS" "\$1" "\$2"
EOF
chmod 755 "$E2E_TMP/scanner.sh"
EXTRA=$("$PY" -c 'import json,sys
print(json.dumps({"scanner": {"command": [sys.argv[1], "{ref}", "{digest}"], "hold_seconds": 20,
  "rescan": {"every_seconds": 3, "pulled_within_days": 14}}}))' "$E2E_TMP/scanner.sh")
start_regwarden_policy "$POLICY" "$EXTRA"
podman_init

runs_of() { grep -c "^docker\.io/$1@" "$RUNS"; }

if podman_pull e2e/old:1.0; then
	pass "before the CVE: podman pull e2e/old:1.0 admitted (held for its clean scan)"
else
	fail "podman pull e2e/old:1.0 failed: $PODMAN_OUT"
fi
expect_eq "one scanner run so far" 1 "$(runs_of e2e/old)"

# Rescans keep running while nothing changes: the image stays admitted.
wait_until 15 eval '[ "$(runs_of e2e/old)" -ge 2 ]' || fail "no rescan of e2e/old within 15 s"
expect_match "the round is logged" "rescan: 1 image pulled in the last 14 days, 1 queued for the scanner" \
	"$(grep -F 'rescan: ' "$RW_LOG" | head -n 1)"
expect_eq "e2e/never (never pulled) is not rescanned" 0 "$(runs_of e2e/never)"
req GET "$RW_URL/v2/e2e/old/manifests/1.0" -H 'Accept: application/vnd.oci.image.manifest.v1+json'
expect_code "after a clean rescan: still admitted" 200

# The CVE is published: the next rescan imports it and the pull is refused.
touch "$MARK"
N=$(runs_of e2e/old)
wait_until 20 eval '[ "$(runs_of e2e/old)" -gt '"$N"' ] && grep -q CVE-2026-0999 <("$RW_BIN" scans -c "$RW_CONF" ls --findings 2>/dev/null)' ||
	fail "no rescan with the new CVE imported within 20 s"
if podman_pull e2e/old:1.0; then
	fail "after the CVE: podman pull e2e/old:1.0 still admitted"
else
	expect_contains "after the CVE: podman pull refused with the CVE named" \
		"regwarden: docker.io/e2e/old:1.0 refused by rule \"apps\" (policy.json:$L_APPS): 1 finding above high: CVE-2026-0999 (critical, openssl 3.0.1 → 3.0.9)" \
		"$PODMAN_OUT"
fi
show_client_line podman "$PODMAN_OUT"

stop_regwarden_checked
finish
