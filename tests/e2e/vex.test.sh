#!/bin/bash
# vex.test.sh - OpenVEX at the proxy: images whose signed vulnerability
# attestation (as_scan) holds a critical CVE are refused on ctr and podman
# pulls; once an OpenVEX attestation by the key the rule's scan.vex trusts
# marks that CVE not_affected for the image's digest (pushed with
# `regwarden attest --type openvex`), the same image is admitted.  Near
# misses stay refused, with the reason in both clients: VEX naming another
# image's digest as its product, VEX by an untrusted key (signed by the
# test's own DSSE signer, tests/e2e/dsse_attest.py), and status affected.
# explain lists what was suppressed and what was not applied.  OpenVEX in
# a keyless Sigstore bundle referrer (cosign v3, made by fake_sigstore.py)
# admits another image the same way.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry podman containerd ctr curl openssl
rw_only || { pass "VEX tests need regwarden (E2E_DIRECT=1)"; finish; }

start_registry

KEYS=$E2E_TMP/keys
make_keys "$KEYS" ci scanner stranger

IMAGES="vexok vexother vexstranger vexaff vexbundle"
seed=71
for i in $IMAGES; do
	mkimage "$E2E_TMP/$i" --seed $seed --layers 1 --layer-size 20k --user 1000
	seed_image "$E2E_TMP/$i" "e2e/$i:1.0"
	seed=$((seed + 1))
done
top() { json_get "$E2E_TMP/$1.json" 'j["top"]'; }

attest() {	# KEY IMAGE TYPE PREDICATE
	local out
	if out=$("$PY" "$E2E_DIR/dsse_attest.py" --registry "$REG_URL" \
		--repo "e2e/$2" --digest "$(top "$2")" \
		--key "$KEYS/$1.key" --type "$3" --predicate "$E2E_TMP/$4" 2>&1); then
		pass "dsse_attest.py: $out"
	else
		fail "dsse_attest.py $*: $out"
	fi
}

# cosign's vuln predicate with a Trivy report: one critical CVE in openssl
VULN=https://cosign.sigstore.dev/attestation/vuln/v1
for i in $IMAGES; do
	"$PY" "$E2E_DIR/mkreport.py" --repo "e2e/$i" --manifest "$(top "$i")" \
		--created 2025-06-01T00:00:00Z --vuln CVE-2024-0001 CRITICAL openssl 3.0.1 3.0.2 \
		--out "$E2E_TMP/$i-trivy.json" || die "mkreport.py failed for $i"
	"$PY" -c 'import json,sys
r = json.load(open(sys.argv[1]))
json.dump({"invocation": {"parameters": None, "uri": "", "event_id": "", "builder.id": ""},
           "scanner": {"uri": "pkg:github/aquasecurity/trivy@0.50.1", "version": "0.50.1",
                       "db": {"uri": "", "version": ""}, "result": r},
           "metadata": {"scanStartedOn": "2025-06-01T00:00:00Z",
                        "scanFinishedOn": "2025-06-01T00:00:00Z"}}, open(sys.argv[2], "w"))' \
		"$E2E_TMP/$i-trivy.json" "$E2E_TMP/pred-$i.json"
	attest scanner "$i" $VULN "pred-$i.json"
done

# vex_doc OUT IMAGE-OF-PRODUCT STATUS: an OpenVEX v0.2.0 document about
# CVE-2024-0001 whose product is that image's digest as a package URL.
vex_doc() {
	"$PY" -c 'import json,sys
out, digest, status = sys.argv[1], sys.argv[2], sys.argv[3]
st = {"vulnerability": {"name": "CVE-2024-0001"},
      "products": [{"@id": "pkg:oci/app@" + digest.replace(":", "%3A") +
                    "?repository_url=docker.io/e2e/app"}],
      "status": status}
if status == "not_affected":
    st["justification"] = "vulnerable_code_not_in_execute_path"
else:
    st["action_statement"] = "upgrade openssl"
json.dump({"@context": "https://openvex.dev/ns/v0.2.0",
           "@id": "https://example.com/vex/1", "author": "ci@example.com",
           "timestamp": "2025-06-02T00:00:00Z", "version": 1,
           "statements": [st]}, open(out, "w"))' "$E2E_TMP/$1" "$(top "$2")" "$3"
}
vex_doc vex-ok.json vexok not_affected
vex_doc vex-other.json vexok not_affected	# names vexok, attached to vexother
vex_doc vex-stranger.json vexstranger not_affected
vex_doc vex-aff.json vexaff affected
vex_doc vex-bundle.json vexbundle not_affected

# cosign v3 attaches OpenVEX as a Sigstore bundle referrer: made by
# fake_sigstore.py's private deployment, keyless for dev@example.com.
SIG=$E2E_TMP/sigstore
"$PY" "$E2E_DIR/fake_sigstore.py" init "$SIG" >"$E2E_TMP/init.json" 2>"$E2E_TMP/init.err" ||
	die "fake_sigstore.py init failed: $(cat "$E2E_TMP/init.err")"

cat >"$E2E_TMP/policy.json" <<EOF
{
  "version": 1,
  "keys": { "ci": { "cosign_file": "$KEYS/ci.pub" },
            "ci-keyless": { "keyless": { "trusted_root": "$SIG/trusted_root.json",
                "issuer": "https://issuer.example", "subject": "dev@example.com" } },
            "scanner": { "cosign_file": "$KEYS/scanner.pub" } },
  "rules": [
    { "name": "scanned", "match": "docker.io/e2e/**", "operations": ["pull"],
      "attestations": [ { "type": "vuln", "keys": ["scanner"], "as_scan": true } ],
      "scan": { "max_severity": "high", "unscanned": "deny",
                "vex": { "keys": ["ci", "ci-keyless"] } } },
    { "name": "pushes", "match": "docker.io/e2e/**", "operations": ["push"] }
  ]
}
EOF
if out=$("$RW_BIN" check "$E2E_TMP/policy.json" 2>&1); then
	pass "regwarden check accepts the policy: $out"
else
	fail "regwarden check refuses the policy: $out"
fi
DENY_TTL=3
start_regwarden_policy "$E2E_TMP/policy.json" \
	"{\"decision_cache\": {\"deny_ttl_seconds\": $DENY_TTL}}"
start_containerd
podman_init

refused() {	# LABEL IMAGE WANT
	if ctr_pull "$2"; then
		fail "ctr pull of $2 ($1) succeeded"
	else
		show_client_line ctr "$CTR_OUT"
		expect_contains "ctr shows why $2 is refused ($1)" "$3" "$CTR_OUT"
	fi
	if podman_pull "$2"; then
		fail "podman pull of $2 ($1) succeeded"
	else
		show_client_line podman "$PODMAN_OUT"
		expect_contains "podman shows why $2 is refused ($1)" "$3" "$PODMAN_OUT"
	fi
}
CRIT="1 finding above high: CVE-2024-0001 (critical, openssl 3.0.1 → 3.0.2)"
ADVICE="scanned 2025-06-01T00:00:00Z by trivy"

# ---- before any VEX: the attested critical finding refuses ------------------
refused "critical CVE, no VEX yet" e2e/vexok:1.0 "$CRIT; $ADVICE"

# ---- OpenVEX by ci, not_affected for this digest: admitted -------------------
if out=$("$RW_BIN" attest -c "$RW_CONF" --key "$KEYS/ci.key" --type openvex \
	--predicate "$E2E_TMP/vex-ok.json" docker.io/e2e/vexok:1.0 2>&1); then
	pass "regwarden attest --type openvex: $out"
else
	fail "regwarden attest --type openvex failed: $out"
fi
expect_contains "regwarden attest names the OpenVEX predicate type" \
	"attested docker.io/e2e/vexok@$(top vexok) (https://openvex.dev/ns)" "$out"
sleep $((DENY_TTL + 1))	# the cached refusal expires
if ctr_pull e2e/vexok:1.0; then
	pass "ctr pull admitted once OpenVEX marks CVE-2024-0001 not_affected"
	printf '%s\n' "$CTR_OUT" | tail -n 3 | sed 's|^|#   ctr: |'
else
	fail "ctr pull of the VEX-suppressed image failed: $CTR_OUT"
fi
if podman_pull e2e/vexok:1.0; then
	pass "podman pull admitted once OpenVEX marks CVE-2024-0001 not_affected"
	printf '%s\n' "$PODMAN_OUT" | tail -n 3 | sed 's|^|#   podman: |'
else
	fail "podman pull of the VEX-suppressed image failed: $PODMAN_OUT"
fi

# ---- near misses: still refused, and the refusal says why ---------------------
attest ci vexother https://openvex.dev/ns/v0.2.0 vex-other.json
attest stranger vexstranger https://openvex.dev/ns/v0.2.0 vex-stranger.json
attest ci vexaff https://openvex.dev/ns/v0.2.0 vex-aff.json
sleep $((DENY_TTL + 1))
OKPURL="pkg:oci/app@sha256%3A$(top vexok | cut -d: -f2)?repository_url=docker.io/e2e/app"
refused "VEX for another digest" e2e/vexother:1.0 \
	"$CRIT; OpenVEX not applied: the statement of key ci on CVE-2024-0001 names another product ($OKPURL); $ADVICE"
refused "VEX by an untrusted key" e2e/vexstranger:1.0 \
	"$CRIT; OpenVEX not applied: attestation layer 2 is not signed by a key trusted for VEX (ci, ci-keyless); $ADVICE"
refused "VEX status affected" e2e/vexaff:1.0 \
	"$CRIT; OpenVEX not applied: key ci says CVE-2024-0001 is affected; $ADVICE"

# ---- explain: what was suppressed, what was not applied -----------------------
"$RW_BIN" explain -c "$RW_CONF" docker.io/e2e/vexok:1.0 >"$E2E_TMP/x.out" 2>&1
XOUT=$(cat "$E2E_TMP/x.out")
expect_contains "explain names the suppressed CVE, its signer and justification" \
	"PASS scan.vex: CVE-2024-0001 suppressed by OpenVEX from key ci: not_affected (vulnerable_code_not_in_execute_path)" "$XOUT"
expect_contains "explain's severity check counts it as suppressed" \
	"PASS scan.max_severity: no finding above high (1 suppressed by OpenVEX)" "$XOUT"
"$RW_BIN" explain -c "$RW_CONF" docker.io/e2e/vexstranger:1.0 >"$E2E_TMP/x.out" 2>&1
XOUT=$(cat "$E2E_TMP/x.out")
expect_contains "explain says the untrusted VEX was ignored" \
	"FAIL scan.vex: OpenVEX not applied: attestation layer 2 is not signed by a key trusted for VEX (ci, ci-keyless)" "$XOUT"

# ---- OpenVEX in a keyless Sigstore bundle (cosign v3): admitted too ------------
refused "critical CVE, VEX not yet in a bundle" e2e/vexbundle:1.0 "$CRIT; $ADVICE"
if out=$("$PY" "$E2E_DIR/fake_sigstore.py" bundle "$SIG" --registry "$REG_HOST" \
	--repo e2e/vexbundle --digest "$(top vexbundle)" --subject dev@example.com \
	--issuer https://issuer.example --predicate-type https://openvex.dev/ns/v0.2.0 \
	--predicate "$E2E_TMP/vex-bundle.json" 2>&1); then
	pass "fake_sigstore.py bundle: OpenVEX for e2e/vexbundle as a referrer"
else
	fail "fake_sigstore.py bundle failed: $out"
fi
sleep $((DENY_TTL + 1))
if ctr_pull e2e/vexbundle:1.0; then
	pass "ctr pull admitted once a keyless OpenVEX bundle marks CVE-2024-0001 not_affected"
	printf '%s\n' "$CTR_OUT" | tail -n 1 | sed 's|^|#   ctr: |'
else
	fail "ctr pull of the bundle-VEX image failed: $CTR_OUT"
fi
if podman_pull e2e/vexbundle:1.0; then
	pass "podman pull admitted once a keyless OpenVEX bundle marks CVE-2024-0001 not_affected"
	printf '%s\n' "$PODMAN_OUT" | tail -n 1 | sed 's|^|#   podman: |'
else
	fail "podman pull of the bundle-VEX image failed: $PODMAN_OUT"
fi
"$RW_BIN" explain -c "$RW_CONF" docker.io/e2e/vexbundle:1.0 >"$E2E_TMP/x.out" 2>&1
expect_contains "explain names the keyless signer of the VEX" \
	"PASS scan.vex: CVE-2024-0001 suppressed by OpenVEX from key ci-keyless: not_affected (vulnerable_code_not_in_execute_path)" \
	"$(cat "$E2E_TMP/x.out")"

stop_regwarden_checked
finish
